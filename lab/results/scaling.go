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
	// KneeRPS is the rate from which p95 left the low-load band (twice
	// LowP95 and 20 ms more) for good; 0 when it never did.
	KneeRPS float64 `json:"knee_rps,omitempty"`
	KneeP95 float64 `json:"knee_p95_ms,omitempty"`
	// Efficiency, against a control run (--compare) with another number of
	// replicas: the relative gain in capacity (the knee, or the peak where
	// there was none) over the relative number of replicas added; 1 is
	// linear scaling. AtLeast says that this run had no knee, so its
	// capacity, and the efficiency, are lower bounds.
	Efficiency *float64 `json:"efficiency,omitempty"`
	AtLeast    bool     `json:"at_least,omitempty"`
}

// ScalingOf analyses every endpoint whose server is known, outside the
// fault windows, when the load varied (a ramp or steps) or a service ran
// more than one replica; otherwise there is nothing to say.
func ScalingOf(res *Result, replicas map[string]int) []Scaling {
	faulty := map[int]bool{}
	for _, p := range res.Phases {
		if p.Name == "baseline" || p.Name == "recovery" {
			continue
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
		sort.Slice(secs, func(i, j int) bool { return secs[i].Requests < secs[j].Requests })
		lo, hi := float64(secs[0].Requests), float64(secs[len(secs)-1].Requests)
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
		low := make([]float64, 0, len(secs)/3)
		for _, s := range secs[:max(1, len(secs)/3)] {
			low = append(low, s.P95)
		}
		sort.Float64s(low)
		sc.LowP95 = low[len(low)/2]
		band := math.Max(2*sc.LowP95, sc.LowP95+20)
		// The knee: the lowest rate out of band from which four fifths of
		// the faster seconds are out of band too: one slow second is not a
		// knee.
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
				sc.KneeRPS, sc.KneeP95 = float64(s.Requests), s.P95
				break
			}
		}
		out = append(out, sc)
	}
	return out
}

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
		a, b := c, exp[i]
		if a.Replicas > b.Replicas {
			a, b = b, a
		}
		ca, _ := a.capacity()
		cb, atLeast := b.capacity()
		if ca <= 0 {
			continue
		}
		eff := (cb/ca - 1) / (float64(b.Replicas)/float64(a.Replicas) - 1)
		exp[i].Efficiency, exp[i].AtLeast = &eff, atLeast
	}
}
