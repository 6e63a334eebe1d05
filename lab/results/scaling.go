package results

import (
	"maps"
	"math"
	"slices"
	"sort"
)

// Servers says which service serves each endpoint of the built-in journeys.
var Servers = map[string]string{
	"browse": "catalog", "product": "catalog", "register": "users", "login": "users",
	"checkout": "orders", "order": "orders",
}

// Scaling is how one endpoint's throughput and latency behaved with the
// load: how much it served per replica of its service, and the rate from
// which its latency bent upward.
type Scaling struct {
	Endpoint string `json:"endpoint"`
	Service  string `json:"service"` // the service that serves it
	Replicas int    `json:"replicas"`
	// PeakRPS is the highest one-second rate served with 99% success.
	PeakRPS    float64 `json:"peak_rps"`
	PerReplica float64 `json:"rps_per_replica"`
	// LowP95 is the median one-second p95 over the third of seconds with
	// the lowest rates.
	LowP95 float64 `json:"low_load_p95_ms"`
	// KneeRPS is the rate served in the second from which p95 left the
	// low-load band (twice LowP95 and 20 ms more) for good (BendOf); 0 when
	// it never did.
	KneeRPS float64 `json:"knee_rps,omitempty"`
	KneeP95 float64 `json:"knee_p95_ms,omitempty"`
	// Efficiency, against a control run (--compare) with another number of
	// replicas: the relative gain in capacity (the knee, or the peak where
	// there was none) over the relative number of replicas added; 1 is
	// linear scaling. AtLeast says that the larger shop had no knee, so its
	// capacity, and the efficiency, are lower bounds; AtMost that the
	// smaller one had none, so they are upper bounds. With neither knee
	// there is no efficiency to give. Control* are the other side's.
	Efficiency      *float64 `json:"efficiency,omitempty"`
	AtLeast         bool     `json:"at_least,omitempty"`
	AtMost          bool     `json:"at_most,omitempty"`
	ControlReplicas int      `json:"control_replicas,omitempty"`
	ControlKneeRPS  float64  `json:"control_knee_rps,omitempty"`
	ControlPeakRPS  float64  `json:"control_peak_rps,omitempty"`
}

// ScalingOf analyses every endpoint whose server is known, outside the
// fault windows, when the load varied (a ramp or steps) or a service ran
// more than one replica; otherwise there is nothing to say.
func ScalingOf(res *Result, replicas map[string]int) []Scaling {
	fault := map[string]bool{}
	for _, f := range res.Faults {
		fault[f.Name] = true
	}
	faulty := map[int]bool{}
	for _, p := range res.Phases {
		if !fault[p.Name] {
			continue // baseline, recovery, the load's named stages
		}
		for s := p.StartS; s < p.EndS; s++ {
			faulty[s] = true
		}
	}
	bySec := map[string][]Second{}
	for _, s := range res.Series {
		if !faulty[s.S] && s.Requests > 0 && s.S > 0 {
			bySec[s.Endpoint] = append(bySec[s.Endpoint], s)
		}
	}
	scaled := false
	for _, n := range replicas {
		scaled = scaled || n > 1
	}
	var out []Scaling
	for _, e := range slices.Sorted(maps.Keys(bySec)) {
		svc, ok := Servers[e]
		secs := bySec[e]
		if !ok || len(secs) < 6 {
			continue
		}
		lo, hi := float64(secs[0].Requests), float64(secs[0].Requests)
		for _, s := range secs {
			lo, hi = min(lo, float64(s.Requests)), max(hi, float64(s.Requests))
		}
		if !scaled && hi < 1.5*lo {
			continue // a steady load on single replicas: no scaling to speak of
		}
		n := max(1, replicas[svc])
		sc := Scaling{Endpoint: e, Service: svc, Replicas: n}
		for _, s := range secs {
			if float64(s.Failed) <= 0.01*float64(s.Requests) {
				sc.PeakRPS = max(sc.PeakRPS, float64(s.Requests))
			}
		}
		sc.PerReplica = sc.PeakRPS / float64(n)
		b := BendOf(secs)
		sc.LowP95, sc.KneeRPS, sc.KneeP95 = b.LowP95, b.RPS, b.P95
		out = append(out, sc)
	}
	return out
}

// Bend is where one endpoint's latency left its low-load band for good.
type Bend struct {
	// LowP95 is the median one-second p95 over the third of seconds with
	// the lowest rates; the band is twice that and 20 ms more.
	LowP95 float64
	// RPS and P95 are the knee's rate and p95; RPS is 0 when the latency
	// did not bend.
	RPS, P95 float64
	// S is the knee's second of the measured load; After counts the seconds
	// after it, the evidence that it bent for good.
	S, After int
}

// BendOf finds the bend in one endpoint's seconds (any order; the slice is
// sorted in place): the first second out of band from which four fifths of
// the later seconds are out of band too, since one slow second is not a
// knee. Later, not faster: a saturated service's served rate stops growing
// while its latency climbs, so among the seconds of a rising load, time
// orders them by the load offered and the served rate does not.
// ScalingOf reports the bend after a run; a ramp with until: knee watches it
// while the load runs, and ends at it, so both read the same knee.
func BendOf(secs []Second) Bend {
	var b Bend
	if len(secs) == 0 {
		return b
	}
	sort.Slice(secs, func(i, j int) bool { return secs[i].Requests < secs[j].Requests })
	low := make([]float64, 0, len(secs)/3)
	for _, s := range secs[:max(1, len(secs)/3)] {
		low = append(low, s.P95)
	}
	sort.Float64s(low)
	b.LowP95 = low[len(low)/2]
	band := b.Band()
	sort.Slice(secs, func(i, j int) bool { return secs[i].S < secs[j].S })
	for i, s := range secs {
		if s.P95 <= band {
			continue
		}
		out, all := 0, 0
		for _, t := range secs[i:] {
			all++
			if t.P95 > band {
				out++
			}
		}
		if 5*out >= 4*all {
			b.RPS, b.P95, b.S, b.After = float64(s.Requests), s.P95, s.S, len(secs)-1-i
			return b
		}
	}
	return b
}

// Band is the highest p95 of the low-load band: twice the low-load p95
// and 20 ms more.
func (b Bend) Band() float64 { return math.Max(2*b.LowP95, b.LowP95+20) }

// capacity is the knee, or the peak where there was none (a lower bound).
func (s Scaling) capacity() (float64, bool) {
	if s.KneeRPS > 0 {
		return s.KneeRPS, false
	}
	return s.PeakRPS, true
}

// scalingEfficiency fills each endpoint's Efficiency against the control
// run's scaling, where their replicas differ.
func scalingEfficiency(exp []Scaling, ctl []Scaling) {
	byEndpoint := map[string]Scaling{}
	for _, c := range ctl {
		byEndpoint[c.Endpoint] = c
	}
	for i := range exp {
		c, ok := byEndpoint[exp[i].Endpoint]
		if !ok || c.Replicas == exp[i].Replicas {
			continue
		}
		exp[i].ControlReplicas, exp[i].ControlKneeRPS, exp[i].ControlPeakRPS = c.Replicas, c.KneeRPS, c.PeakRPS
		a, b := c, exp[i]
		if a.Replicas > b.Replicas {
			a, b = b, a
		}
		ca, atMost := a.capacity()
		cb, atLeast := b.capacity()
		if ca <= 0 || (atMost && atLeast) {
			continue
		}
		eff := (cb/ca - 1) / (float64(b.Replicas)/float64(a.Replicas) - 1)
		exp[i].Efficiency, exp[i].AtLeast, exp[i].AtMost = &eff, atLeast, atMost
	}
}
