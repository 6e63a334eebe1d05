// Package autoscale decides how many replicas a service should run, as
// Kubernetes' HorizontalPodAutoscaler (autoscaling/v2) decides it, so that
// a user who knows the HPA can predict every step:
//
//  1. the ratio of the metric to its target; inside the tolerance (0.1)
//     nothing changes, else desired = ceil(current x ratio);
//  2. stabilisation: the recommendation is held between the lowest of
//     the up window's recommendations and the highest of the down
//     window's (HPA's stabilizationWindowSeconds), so that a dip does not
//     shrink the service and a spike of one sync does not grow it when a
//     window is set;
//  3. rate policies: within any `every`, at most `step` replicas or
//     `percent` of the replicas at its start are added (or removed); the
//     policy that allows the larger change wins (selectPolicy Max);
//  4. min and max.
//
// The package is pure: the caller feeds it a metric's value and the time;
// it answers a Decision with its reason. It imports only the standard
// library.
package autoscale

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Metrics an autoscaler can follow. Each is a value per replica (its
// average over the service's ready instances) but p95, which is the
// service's, as its callers see it; HPA's formula is the same for both.
const (
	CPU      = "cpu"      // share of one core an instance uses, in percent
	InFlight = "inflight" // requests an instance is serving (queued ones included)
	P95      = "p95"      // p95 of the calls to the service, in ms, as its callers see them
	Lag      = "lag"      // events waiting for the service's consumers, per replica
)

// Metrics lists the metrics, in the order the docs give them.
var Metrics = []string{CPU, InFlight, P95, Lag}

// DefaultTolerance is HPA's: a ratio within 10% of 1 changes nothing.
const DefaultTolerance = 0.1

// Rules are one service's autoscaling, as a scenario writes it.
type Rules struct {
	Min, Max int
	Metric   string
	Target   float64 // in the metric's unit: percent, requests, ms, events
	// Tolerance defaults to DefaultTolerance.
	Tolerance float64
	Up, Down  Behavior
}

// Behavior is HPA's scaleUp or scaleDown block.
type Behavior struct {
	// Window is the stabilisation window.
	Window time.Duration
	// Step (pods) and Percent limit the change within Every; zero means
	// that policy is not set. With neither set, nothing limits the change.
	Step    int
	Percent int
	Every   time.Duration
}

// Defaults are what a scenario's autoscale gets where it says nothing:
// HPA's shape, with times a lab run of a minute can show (HPA: scale-up
// 0 s window, 4 pods or 100% per 15 s; scale-down 300 s window, 100% per
// 15 s).
var (
	DefaultUp   = Behavior{Window: 0, Step: 4, Percent: 100, Every: 5 * time.Second}
	DefaultDown = Behavior{Window: 30 * time.Second, Percent: 100, Every: 5 * time.Second}
)

// Validate says what is wrong with r, or nil.
func (r Rules) Validate() error {
	switch {
	case r.Min < 1:
		return errors.New("min: want 1 or more replicas")
	case r.Max < r.Min:
		return fmt.Errorf("max (%d): want at least min (%d)", r.Max, r.Min)
	case r.Target <= 0:
		return errors.New("target: want a value above 0")
	case r.Tolerance < 0 || r.Tolerance >= 1:
		return errors.New("tolerance: want a share from 0 to below 1")
	}
	for _, m := range Metrics {
		if m == r.Metric {
			return nil
		}
	}
	return fmt.Errorf("metric: unknown metric %q (want one of cpu, inflight, p95, lag)", r.Metric)
}

// Decision is one sync of the autoscaler.
type Decision struct {
	At       time.Time
	From, To int
	Value    float64 // the metric as read
	// Desired is step 1's answer, before stabilisation, policies and
	// bounds; Reason says why To is what it is.
	Desired int
	Reason  string
}

// Scaler is one service's autoscaler. It is not safe for concurrent use.
type Scaler struct {
	r       Rules
	recs    []rec    // recommendations within the longer window
	changes []change // scale events within the longer period
}

type rec struct {
	at time.Time
	n  int
}

type change struct {
	at    time.Time
	delta int
}

// New returns the autoscaler of r, which must be valid.
func New(r Rules) *Scaler {
	if r.Tolerance == 0 {
		r.Tolerance = DefaultTolerance
	}
	return &Scaler{r: r}
}

// Rules returns the scaler's rules.
func (s *Scaler) Rules() Rules { return s.r }

// Decide runs one sync at now, with current replicas serving and value
// the metric's reading. A decision whose To differs from From is a scale
// event, which the scaler remembers for its rate policies: the caller
// must carry it out.
func (s *Scaler) Decide(now time.Time, current int, value float64) Decision {
	d := Decision{At: now, From: current, Value: value, Desired: current}
	ratio := value / s.r.Target
	if math.Abs(ratio-1) > s.r.Tolerance {
		d.Desired = int(math.Ceil(float64(current) * ratio))
	}
	d.Desired = max(d.Desired, 1) // an idle service keeps one replica
	s.recs = append(s.recs, rec{now, d.Desired})
	s.forget(now)

	// 2. Stabilisation.
	up, down := d.Desired, d.Desired
	for _, r := range s.recs {
		if now.Sub(r.at) <= s.r.Up.Window {
			up = min(up, r.n)
		}
		if now.Sub(r.at) <= s.r.Down.Window {
			down = max(down, r.n)
		}
	}
	to, why := current, ""
	switch {
	case up > current:
		to = up
	case down < current:
		to = down
	case d.Desired != current:
		why = fmt.Sprintf("held at %d by the stabilisation window", current)
	}

	// 3. Rate policies.
	if to > current {
		if limit := s.limit(now, current, s.r.Up, +1); to > limit {
			to, why = max(limit, current), fmt.Sprintf("limited to %d by the scale-up policy", max(limit, current))
		}
	} else if to < current {
		if limit := s.limit(now, current, s.r.Down, -1); to < limit {
			to, why = min(limit, current), fmt.Sprintf("limited to %d by the scale-down policy", min(limit, current))
		}
	}

	// 4. Bounds.
	if to > s.r.Max {
		to, why = s.r.Max, fmt.Sprintf("held at max %d", s.r.Max)
	}
	if to < s.r.Min {
		to, why = s.r.Min, fmt.Sprintf("held at min %d", s.r.Min)
	}
	d.To = to
	d.Reason = s.describe(d, ratio, why)
	if to != current {
		s.changes = append(s.changes, change{now, to - current})
	}
	return d
}

// limit is the furthest the policies of b let the replicas go from
// current in direction dir (+1 up, -1 down) at now, as HPA computes it:
// from the replicas at the start of the period (current less what the
// period's changes in dir already moved), each policy proposes a bound
// (step: that many more or fewer; percent: that share more or fewer) and
// the one allowing the larger change wins.
func (s *Scaler) limit(now time.Time, current int, b Behavior, dir int) int {
	if b.Step == 0 && b.Percent == 0 {
		if dir > 0 {
			return math.MaxInt
		}
		return 0
	}
	moved := 0
	for _, c := range s.changes {
		if now.Sub(c.at) < b.Every && c.delta*dir > 0 {
			moved += c.delta
		}
	}
	start := current - moved
	var bounds []int
	if b.Step > 0 {
		bounds = append(bounds, start+dir*b.Step)
	}
	if b.Percent > 0 {
		if dir > 0 {
			bounds = append(bounds, int(math.Ceil(float64(start)*(1+float64(b.Percent)/100))))
		} else {
			bounds = append(bounds, int(float64(start)*(1-float64(b.Percent)/100)))
		}
	}
	if dir > 0 {
		return slices.Max(bounds)
	}
	return slices.Min(bounds)
}

// forget drops what no window or period looks at any more.
func (s *Scaler) forget(now time.Time) {
	keep := max(s.r.Up.Window, s.r.Down.Window, s.r.Up.Every, s.r.Down.Every)
	i := 0
	for i < len(s.recs) && now.Sub(s.recs[i].at) > keep {
		i++
	}
	s.recs = s.recs[i:]
	j := 0
	for j < len(s.changes) && now.Sub(s.changes[j].at) > keep {
		j++
	}
	s.changes = s.changes[j:]
}

func (s *Scaler) describe(d Decision, ratio float64, why string) string {
	what := map[string]string{
		CPU: "%.0f%% cpu per replica against a target of %.0f%%", InFlight: "%.1f requests in flight per replica against a target of %.0f",
		P95: "p95 %.0fms against a target of %.0fms", Lag: "%.0f events waiting per replica against a target of %.0f",
	}[s.r.Metric]
	out := fmt.Sprintf(what, d.Value, s.r.Target)
	if math.Abs(ratio-1) <= s.r.Tolerance {
		out += " (within the tolerance)"
	} else {
		out += fmt.Sprintf(" (ratio %.2f: %d wanted)", ratio, d.Desired)
	}
	if why != "" {
		out += "; " + why
	}
	return out
}
