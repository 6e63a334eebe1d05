package kit

import (
	"lab/services/contract"
	"log/slog"
	"time"
)

// Ejection is outlier ejection on one edge, per callee instance, as a
// service mesh's proxies do it (Envoy's outlier_detection): after Failures
// consecutive failed attempts on one instance (an error, an attempt past
// its timeout, a 5xx, or an answer slower than Slow when Slow is set), the
// caller takes that instance out of its rotation for Base times the number
// of times it has been ejected, up to Max. At most MaxShare of the callee's
// known instances are out at once, and never all of them: one instance may
// always be ejected when there are two or more (as Envoy ejects one
// whatever its max_ejection_percent). An instance that stays in rotation
// for Max after coming back starts again from Base.
//
// The breaker counts per callee service; ejection is what keeps one bad
// replica's failures from opening it on the healthy ones.
type Ejection struct {
	Failures uint    `json:"failures"`
	Slow     Dur     `json:"slow,omitempty"`
	Base     Dur     `json:"base,omitempty"`
	Max      Dur     `json:"max,omitempty"`
	MaxShare float64 `json:"max_share,omitempty"`
}

// DefaultEjection holds the values an ejection takes where it leaves them
// unset.
var DefaultEjection = Ejection{Failures: 3, Base: Dur(2 * time.Second), Max: Dur(30 * time.Second), MaxShare: 0.5}

// withDefaults fills the unset fields of e from DefaultEjection.
func (e Ejection) withDefaults() Ejection {
	if e.Base <= 0 {
		e.Base = DefaultEjection.Base
	}
	if e.Max < e.Base {
		e.Max = max(DefaultEjection.Max, e.Base)
	}
	if e.MaxShare <= 0 || e.MaxShare > 1 {
		e.MaxShare = DefaultEjection.MaxShare
	}
	return e
}

// outlier is what a caller knows of one callee instance's recent health.
type outlier struct {
	consecutive uint      // failed attempts in a row
	until       time.Time // out of rotation until then
	times       int       // ejections in the current streak
	back        time.Time // when it last came back
}

// EjectionEvent is an instance leaving or rejoining a caller's rotation.
type EjectionEvent struct {
	Service, Instance string
	Ejected           bool          // false: it is back
	For               time.Duration // how long it is out, when Ejected
}

// ejected reports whether instance is out of rotation now; d.mu is held.
func (d *Directory) ejected(instance string, now time.Time) bool {
	o := d.outliers[instance]
	return o != nil && now.Before(o.until)
}

// Observe records the outcome of one attempt on instance of service under
// the edge's ejection e (nil or Failures 0: off) and ejects the instance
// when it has failed e.Failures times in a row and the share allows. An
// ejection, and later the instance's return, is told to the directory's
// OnEjection.
func (d *Directory) Observe(service, instance string, failed bool, e *Ejection) {
	if e == nil || e.Failures == 0 {
		return
	}
	ej := e.withDefaults()
	d.mu.Lock()
	now := d.now()
	o := d.outliers[instance]
	if o == nil {
		o = &outlier{}
		d.outliers[instance] = o
	}
	if !failed {
		o.consecutive = 0
		d.mu.Unlock()
		return
	}
	o.consecutive++
	if o.consecutive < ej.Failures || now.Before(o.until) || !d.mayEjectLocked(service, ej.MaxShare, now) {
		d.mu.Unlock()
		return
	}
	if !o.back.IsZero() && now.Sub(o.back) >= ej.Max.D() {
		o.times = 0 // healthy long enough since it came back: start again from Base
	}
	o.times++
	out := min(time.Duration(o.times)*ej.Base.D(), ej.Max.D())
	o.consecutive, o.until = 0, now.Add(out)
	hook := d.OnEjection
	d.mu.Unlock()
	if hook != nil {
		hook(EjectionEvent{Service: service, Instance: instance, Ejected: true, For: out})
	}
	d.afterFunc(out, func() {
		d.mu.Lock()
		if d.now().Before(o.until) { // ejected again meanwhile: that ejection tells its own return
			d.mu.Unlock()
			return
		}
		o.back = o.until
		d.mu.Unlock()
		if hook != nil {
			hook(EjectionEvent{Service: service, Instance: instance})
		}
	})
}

// mayEjectLocked reports whether one more instance of service may leave
// the rotation: fewer than MaxShare of its known instances (at least one)
// are out, and one would still be left in. d.mu is held.
func (d *Directory) mayEjectLocked(service string, share float64, now time.Time) bool {
	known := len(d.instances[service])
	out := 0
	for name := range d.instances[service] {
		if d.ejected(name, now) {
			out++
		}
	}
	allowed := max(1, int(share*float64(known)))
	return out < allowed && out+1 < known
}

// recordEjections returns the directory hook of caller's instance: each
// ejection counted on the edge, and both ejection and return kept with the
// breaker transitions (GET /admin/resilience) as a transition of the
// instance's edge (gateway->catalog-2), which the harness reads like a
// breaker's.
func recordEjections(caller string, m *Metrics, trans *transitions, log *slog.Logger) func(EjectionEvent) {
	return func(e EjectionEvent) {
		edge := caller + "->" + e.Instance
		if e.Ejected {
			m.ejections.WithLabelValues(e.Service).Inc()
			trans.add(edge, "closed", contract.Ejected)
			log.Warn("ejected", "instance", e.Instance, "for", e.For)
			return
		}
		trans.add(edge, contract.Ejected, "closed")
	}
}
