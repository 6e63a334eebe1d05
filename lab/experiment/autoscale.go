package experiment

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"lab/lab"
	"lab/lab/autoscale"
	"lab/lab/results"
)

// autoscaler is the lab's HorizontalPodAutoscaler: once a second, from the
// start of the load to its end, it reads each autoscaled service's metric
// off the scraper, asks the service's autoscale.Scaler, and carries out the
// decision through the shop's lab.Scaler: new instances one after another,
// each ready before the next; leaving ones newest first, each drained. It
// records every event with its reason and the replicas of every second.
type autoscaler struct {
	shop   lab.Shop
	hands  lab.Scaler
	scr    *scraper
	t0     time.Time
	say    func(string, ...any)
	rules  map[string]autoscale.Rules
	scales map[string]*autoscale.Scaler

	crossed map[string]time.Time // the sync at which the current rise crossed its target

	mu       sync.Mutex
	events   []results.ScaleEvent
	replicas []results.ReplicaSecond
	done     chan struct{}
}

// startAutoscaler runs the autoscalers until stop or ctx ends; nil when
// the scenario has none. A shop that cannot scale is ErrCannotRun's.
func startAutoscaler(ctx context.Context, shop lab.Shop, rules map[string]autoscale.Rules, scr *scraper, t0 time.Time,
	say func(string, ...any)) (*autoscaler, func(), error) {
	if len(rules) == 0 {
		return nil, func() {}, nil
	}
	hands, ok := shop.(lab.Scaler)
	if !ok {
		return nil, nil, fmt.Errorf("this runtime's shops cannot grow or shrink while they run")
	}
	a := &autoscaler{shop: shop, hands: hands, scr: scr, t0: t0, say: say, rules: rules,
		scales: map[string]*autoscale.Scaler{}, crossed: map[string]time.Time{}, done: make(chan struct{})}
	for svc, r := range rules {
		a.scales[svc] = autoscale.New(r)
	}
	stop := make(chan struct{})
	go func() {
		defer close(a.done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-stop:
				return
			case now := <-tick.C:
				a.sync(ctx, now)
			}
		}
	}()
	var once sync.Once
	return a, func() { once.Do(func() { close(stop) }); <-a.done }, nil
}

// instancesOf lists service's instances, oldest name first.
func (a *autoscaler) instancesOf(service string) []string {
	var out []string
	for _, in := range a.shop.Instances() {
		if in.Service == service {
			out = append(out, in.Name)
		}
	}
	sort.Slice(out, func(i, j int) bool { return instanceNumber(out[i]) < instanceNumber(out[j]) })
	return out
}

// sync is one pass of every autoscaler.
func (a *autoscaler) sync(ctx context.Context, now time.Time) {
	for _, svc := range slices.Sorted(maps.Keys(a.rules)) {
		r := a.rules[svc]
		names := a.instancesOf(svc)
		value, read, ok := a.scr.load(svc, r.Metric, names)
		if ok {
			a.decide(ctx, svc, r, now, read, names, value)
			names = a.instancesOf(svc)
		}
		if s := int(now.Sub(a.t0) / time.Second); s >= 0 {
			a.mu.Lock()
			a.replicas = append(a.replicas, results.ReplicaSecond{S: s, Service: svc, Replicas: len(names)})
			a.mu.Unlock()
		}
	}
}

// decide runs svc's autoscaler at now on value, which the scraper read at
// read: a rise is timed from the scrape that first saw it.
func (a *autoscaler) decide(ctx context.Context, svc string, r autoscale.Rules, now, read time.Time, names []string, value float64) {
	tol := r.Tolerance
	if tol == 0 {
		tol = autoscale.DefaultTolerance
	}
	if value/r.Target > 1+tol {
		if _, ok := a.crossed[svc]; !ok {
			a.crossed[svc] = read
		}
	} else {
		delete(a.crossed, svc)
	}
	d := a.scales[svc].Decide(now, len(names), value)
	if d.To == d.From {
		return
	}
	e := results.ScaleEvent{Service: svc, At: now, AtS: now.Sub(a.t0).Seconds(), From: d.From, To: d.To,
		Metric: r.Metric, Value: value, Target: r.Target, Reason: d.Reason}
	if d.To > d.From {
		if c, ok := a.crossed[svc]; ok {
			v := c.Sub(a.t0).Seconds()
			e.CrossedAtS = &v
		}
		for range d.To - d.From {
			in, err := a.hands.AddInstance(ctx, svc)
			if err != nil {
				e.Error = err.Error()
				break
			}
			e.Instances = append(e.Instances, in.Name)
		}
		delete(a.crossed, svc) // the next rise is measured from its own crossing
	} else {
		for i := len(names) - 1; i >= d.To && i >= 0; i-- { // the newest leave first
			if err := a.hands.RemoveInstance(ctx, names[i]); err != nil {
				e.Error = err.Error()
				break
			}
			e.Instances = append(e.Instances, names[i])
		}
	}
	e.DoneAtS = time.Since(a.t0).Seconds()
	if e.CrossedAtS != nil && e.Error == "" {
		lag := e.DoneAtS - *e.CrossedAtS
		e.LagS = &lag
	}
	a.mu.Lock()
	a.events = append(a.events, e)
	a.mu.Unlock()
	took := e.DoneAtS - e.AtS
	if e.Error != "" {
		a.say("autoscale  %s %d -> %d failed after %.2fs: %s", svc, d.From, d.To, took, e.Error)
		return
	}
	verb := "serving"
	if d.To < d.From {
		verb = "stopped"
	}
	lag := ""
	if e.LagS != nil {
		lag = fmt.Sprintf(", %.2fs after the metric crossed its target", *e.LagS)
	}
	a.say("autoscale  %s %d -> %d at %+.1fs: %s; %s after %.2fs%s", svc, d.From, d.To, e.AtS, d.Reason, verb, took, lag)
}

// record returns what the autoscalers did.
func (a *autoscaler) record() *results.Autoscaling {
	if a == nil {
		return nil
	}
	out := &results.Autoscaling{Rules: map[string]results.ScaleRule{}}
	for svc, r := range a.rules {
		out.Rules[svc] = results.ScaleRule{Min: r.Min, Max: r.Max, Metric: r.Metric, Target: r.Target}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out.Events = append([]results.ScaleEvent{}, a.events...)
	out.Replicas = append([]results.ReplicaSecond{}, a.replicas...)
	results.SortScaleEvents(out.Events)
	return out
}

// load reads metric for service over its instances names, as the
// autoscaler's rules mean it: per replica (cpu in percent of one core,
// requests in flight, consumer lag), or the service's p95 in ms as its
// callers saw it in the last second; at is the scrape it comes from. ok is
// false when nothing was read.
func (s *scraper) load(service, metric string, names []string) (v float64, at time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at = s.scrapedAt
	if metric == autoscale.P95 {
		v, ok = s.calleeP95[service]
		return v, at, ok
	}
	sum, lag, n := 0.0, 0.0, 0
	for _, name := range names {
		rd, ok := s.readings[name]
		if !ok {
			continue
		}
		n++
		switch metric {
		case autoscale.CPU:
			sum += 100 * rd.cpuShare
		case autoscale.InFlight:
			sum += rd.inFlight
		case autoscale.Lag: // every instance reports its durable consumers' whole backlog
			lag = math.Max(lag, rd.lag)
		}
	}
	if n == 0 {
		return 0, at, false
	}
	if metric == autoscale.Lag {
		return lag / float64(len(names)), at, true
	}
	return sum / float64(n), at, true
}

// instanceNumber returns the number of an instance's name (catalog-3: 3).
func instanceNumber(name string) int {
	n, _ := strconv.Atoi(name[strings.LastIndexByte(name, '-')+1:])
	return n
}
