package results

import (
	"math"
	"testing"
)

// ramp is a run whose browse rate climbs by 10 req/s a second from 20; p95
// stays at 10 ms up to knee req/s and jumps to 120 ms beyond.
func ramp(knee int64) *Result {
	r := &Result{Phases: []Phase{{Name: "baseline", StartS: 0, EndS: 30}}}
	for s := 0; s < 30; s++ {
		rps := int64(20 + 10*s)
		p95 := 10.0
		if rps >= knee {
			p95 = 120
		}
		if s == 5 {
			p95 = 200 // one slow second below the knee is not the knee
		}
		r.Series = append(r.Series, Second{S: s, Endpoint: "browse", Requests: rps, P95: p95})
	}
	return r
}

func TestScalingFindsTheKneeAndTheEfficiency(t *testing.T) {
	one := ScalingOf(ramp(150), map[string]int{"catalog": 1})
	if len(one) != 1 {
		t.Fatalf("scaling %+v, want browse only", one)
	}
	if got := one[0]; got.KneeRPS != 150 || got.LowP95 != 10 || got.PeakRPS != 310 || got.Service != "catalog" {
		t.Fatalf("one replica: %+v, want the knee at 150 req/s from a low-load p95 of 10 ms, peak 310", got)
	}
	three := ScalingOf(ramp(300), map[string]int{"catalog": 3})
	scalingEfficiency(three, one)
	// Capacity 150 -> 300 with replicas 1 -> 3: (2-1)/(3-1) = 0.5.
	if e := three[0].Efficiency; e == nil || math.Abs(*e-0.5) > 1e-9 || three[0].AtLeast {
		t.Fatalf("efficiency %v (at least %v), want exactly 0.5", e, three[0].AtLeast)
	}
	if steady := ScalingOf(&Result{Series: []Second{{S: 1, Endpoint: "browse", Requests: 30}, {S: 2, Endpoint: "browse", Requests: 31}}}, nil); len(steady) != 0 {
		t.Fatalf("a steady load on one replica: %+v, want nothing to say", steady)
	}
}

// TestEfficiencyBoundsSayWhichSideDidNotBend: the larger shop without a
// knee gives a lower bound, the smaller one without a knee an upper bound,
// neither knee no efficiency; the load's named stages are no fault windows.
func TestEfficiencyBoundsSayWhichSideDidNotBend(t *testing.T) {
	flat := ramp(10000) // never bends: capacity is its peak, 310
	flat.Phases = append(flat.Phases, Phase{Name: "past-knee", StartS: 10, EndS: 30})
	one, three := ScalingOf(ramp(150), map[string]int{"catalog": 1}), ScalingOf(flat, map[string]int{"catalog": 3})
	if len(three) != 1 || three[0].PeakRPS != 310 {
		t.Fatalf("scaling %+v: a named stage's seconds were left out as a fault's", three)
	}
	scalingEfficiency(three, one)
	if e := three[0]; e.Efficiency == nil || !e.AtLeast || e.AtMost || e.ControlKneeRPS != 150 || e.ControlReplicas != 1 {
		t.Fatalf("larger shop without a knee: %+v, want at least, with the control's knee", e)
	}
	one, three = ScalingOf(ramp(10000), map[string]int{"catalog": 1}), ScalingOf(ramp(300), map[string]int{"catalog": 3})
	scalingEfficiency(three, one)
	if e := three[0]; e.Efficiency == nil || e.AtLeast || !e.AtMost {
		t.Fatalf("smaller shop without a knee: %+v, want at most", e)
	}
	one, three = ScalingOf(ramp(10000), map[string]int{"catalog": 1}), ScalingOf(ramp(10000), map[string]int{"catalog": 3})
	scalingEfficiency(three, one)
	if e := three[0]; e.Efficiency != nil {
		t.Fatalf("neither bent: efficiency %v, want none", *e.Efficiency)
	}
}
