package shoptest

import (
	"math"
	"slices"
	"testing"

	"lab/lab/results"
)

// SameLoad checks that two runs of one plan, with one k6 generator and
// with several, counted the same requests in every phase: within 2%, or 2
// requests, since generators that start apart can move an iteration across
// a phase's edge. Endpoints in perVU are left out (logged): their counts
// follow how many VUs the arrival rate kept busy, not the plan.
func SameLoad(t testing.TB, one, several []results.Phase, perVU ...string) {
	t.Helper()
	if len(one) != len(several) {
		t.Fatalf("%d phases with one generator, %d with several", len(one), len(several))
	}
	for i, p := range one {
		for e, a := range p.Endpoints {
			b := several[i].Endpoints[e]
			if slices.Contains(perVU, e) {
				t.Logf("%s %s (per VU): %d requests with one generator, %d with several", p.Name, e, a.Requests, b.Requests)
				continue
			}
			if d := math.Abs(float64(b.Requests - a.Requests)); d > max(0.02*float64(a.Requests), 2) {
				t.Errorf("%s %s: %d requests with one generator, %d with several (want within 2%% or 2 requests)", p.Name, e, a.Requests, b.Requests)
			}
		}
	}
}

// GeneratorsAddUp checks that the lab's merged count of every endpoint is
// the sum of the n generators' own k6 summaries.
func GeneratorsAddUp(t testing.TB, k6 map[string]results.K6Check, n int) {
	t.Helper()
	if len(k6) == 0 {
		t.Error("no k6 summary read")
	}
	for e, c := range k6 {
		var sum int64
		for _, x := range c.K6PerGenerator {
			sum += x
		}
		if len(c.K6PerGenerator) != n || sum != c.K6Requests || c.LabRequests != sum {
			t.Errorf("%s: lab %d, k6 %d, per generator %v: want the lab's merged count to be the %d generators' sum", e, c.LabRequests, c.K6Requests, c.K6PerGenerator, n)
		}
	}
}
