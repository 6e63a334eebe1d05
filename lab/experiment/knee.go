package experiment

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"lab/lab/results"
	"lab/load"
	"lab/scenarios"
)

// A ramp with until: knee ends once every endpoint it measures (of a known
// server) has bent for good: results.BendOf finds a knee among at least
// kneeSeconds seconds outside the fault windows, and the last bentFor
// seconds are all out of the low-load band. The served rate flattens at a
// knee (the k6 output counts a request in the second it ended), so the
// watch waits for seconds, not for faster rates. The run's scaling table
// reads the knee again from every second, with the same BendOf.
const (
	bentFor     = 3
	kneeSeconds = 8
	// settle: the watch reads the seconds before the last one, which may
	// still be filling.
	settle = 1
)

// kneeWatch watches a ramp's latency and ends the load at its knee.
type kneeWatch struct {
	s        offset
	duration int
	faulty   map[int]bool
	mu       sync.Mutex
	endedAt  int // the measured second the load was ended at; 0 while it runs
}

// watchKnee starts watching when the scenario's load says until: knee;
// otherwise it returns nil. It ends run (run.End) at the knee.
func watchKnee(ctx context.Context, sc *scenarios.Scenario, run *load.Run, s offset, t0 time.Time,
	say func(string, ...any)) *kneeWatch {
	if sc.Load.Until != scenarios.UntilKnee {
		return nil
	}
	k := &kneeWatch{s: s, duration: int(sc.Duration.D() / time.Second), faulty: map[int]bool{}}
	for _, f := range sc.Faults {
		for sec := int(f.At.D() / time.Second); sec <= int((f.At+f.For).D()/time.Second); sec++ {
			k.faulty[sec] = true
		}
	}
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-run.Done():
				return
			case now := <-tick.C:
				el := int(now.Sub(t0)/time.Second) - settle
				if el < kneeSeconds || !k.bent(el) {
					continue
				}
				k.mu.Lock()
				k.endedAt = el + settle
				k.mu.Unlock()
				say("the ramp is past its knee at %ds: ending the load", el+settle)
				run.End(5 * time.Second)
				return
			}
		}
	}()
	return k
}

// read returns each endpoint's measured seconds before upTo, in time
// order, outside the fault windows.
func (k *kneeWatch) read(upTo int) map[string][]results.Second {
	bySec := map[string][]results.Second{}
	for _, s := range results.SeriesOf(k.s, upTo) {
		if _, known := results.Servers[s.Endpoint]; known && s.S > 0 && s.Requests > 0 && !k.faulty[s.S] {
			bySec[s.Endpoint] = append(bySec[s.Endpoint], s)
		}
	}
	return bySec
}

// bent reports whether every endpoint has bent for good in the seconds
// before upTo.
func (k *kneeWatch) bent(upTo int) bool { return allBent(k.read(upTo)) }

// allBent reports whether each endpoint's seconds (in time order) have a
// knee, with at least kneeSeconds seconds in all and the last bentFor of
// them out of the low-load band, at or after the knee.
func allBent(bySec map[string][]results.Second) bool {
	for _, secs := range bySec {
		if len(secs) < kneeSeconds {
			return false
		}
		last := slices.Clone(secs[len(secs)-bentFor:])
		b := results.BendOf(slices.Clone(secs))
		if b.RPS == 0 {
			return false
		}
		for _, s := range last {
			if s.S < b.S || s.P95 <= b.Band() {
				return false
			}
		}
	}
	return len(bySec) > 0
}

// ended reports whether the watch ended the load.
func (k *kneeWatch) ended() bool {
	if k == nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.endedAt > 0
}

// outcome reads the knees again from every measured second: the phases
// below and past the first one, and a sentence on where the ramp ended.
func (k *kneeWatch) outcome(measured int) ([]results.NamedPhase, string) {
	if k == nil {
		return nil, ""
	}
	bends := map[string]results.Bend{}
	knee, unbent := measured, false
	for e, secs := range k.read(measured) {
		b := results.BendOf(secs)
		bends[e] = b
		unbent = unbent || b.RPS == 0
		if b.RPS > 0 {
			knee = min(knee, b.S)
		}
	}
	if unbent { // no knee until every endpoint has one
		knee = measured
	}
	phases := []results.NamedPhase{{Name: scenarios.BelowKnee, From: 0, To: knee}, {Name: scenarios.PastKnee, From: knee, To: measured}}
	var at, flat []string
	for _, e := range slices.Sorted(maps.Keys(bends)) {
		if b := bends[e]; b.RPS > 0 {
			at = append(at, fmt.Sprintf("%s at %.0f req/s (p95 %.0f ms, low-load %.0f ms)", e, b.RPS, b.P95, b.LowP95))
		} else {
			flat = append(flat, e)
		}
	}
	switch {
	case k.ended():
		return phases, fmt.Sprintf("the ramp ended at its knee, %ds into at most %ds: latency bent for good, %s", measured, k.duration, strings.Join(at, "; "))
	case len(flat) > 0 || len(bends) == 0:
		return phases, fmt.Sprintf("the ramp ran to its bound (%ds) and latency did not bend for good (%s): the capacity is more than the ramp reached; raise its last target",
			k.duration, strings.Join(flat, ", "))
	}
	return phases, fmt.Sprintf("the ramp ran to its bound (%ds), bending at its end: %s", k.duration, strings.Join(at, "; "))
}
