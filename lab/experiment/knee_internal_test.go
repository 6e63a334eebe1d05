package experiment

import (
	"testing"

	"lab/lab/results"
)

// served is a ramp whose served rate climbs by 10 a second from 20 until
// cap, then stays there while p95 climbs (the shape of a saturated
// service: the k6 output counts requests in the second they ended). p95
// is 20 ms until the cap; spike makes one second slow before it.
func served(n int, rateCap int64, spike int) []results.Second {
	var out []results.Second
	for s := 1; s <= n; s++ {
		rps, p95 := int64(10+10*s), 20.0
		if rps >= rateCap {
			rps, p95 = rateCap, 20+40*float64(int64(s)-(rateCap-10)/10+1)
		}
		if s == spike {
			p95 = 300
		}
		out = append(out, results.Second{S: s, Endpoint: "browse", Requests: rps, P95: p95})
	}
	return out
}

func TestAllBentWaitsForTheKneeToHold(t *testing.T) {
	for _, tc := range []struct {
		name string
		secs []results.Second
		want bool
	}{
		{"a flat served rate with p95 climbing for three seconds", served(13, 110, 0), true},
		{"two seconds past the knee are not enough", served(11, 110, 0), false},
		{"three seconds past the knee", served(12, 110, 0), true},
		{"one slow second is not a knee", served(12, 1000, 7), false},
		{"a slow last second alone is not a knee", served(12, 1000, 12), false},
		{"too few seconds to tell", served(7, 50, 0), false},
		{"nothing measured", nil, false},
	} {
		bySec := map[string][]results.Second{}
		if tc.secs != nil {
			bySec["browse"] = tc.secs
		}
		if got := allBent(bySec); got != tc.want {
			t.Errorf("%s: bent %v, want %v (%+v)", tc.name, got, tc.want, tc.secs)
		}
	}
	// Every endpoint must have bent.
	both := map[string][]results.Second{"browse": served(13, 110, 0), "product": served(13, 1000, 0)}
	if allBent(both) {
		t.Error("product never bent, yet the ramp would end")
	}
}
