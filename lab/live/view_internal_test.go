package live

import (
	"math"
	"testing"
)

func TestQuantileInterpolatesInsideABucket(t *testing.T) {
	// 100 requests: 50 under 10 ms, 40 more under 100 ms, 10 more under 1 s.
	b := map[float64]float64{0.01: 50, 0.1: 90, 1: 100, math.Inf(1): 100}
	for _, tt := range []struct{ q, want float64 }{{0.5, 0.01}, {0.7, 0.055}, {0.95, 0.55}} {
		if got := quantile(b, tt.q); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("q%.2f = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := quantile(map[float64]float64{}, 0.95); got != 0 {
		t.Errorf("no buckets: %v, want 0", got)
	}
}
