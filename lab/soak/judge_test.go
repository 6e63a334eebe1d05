package soak

import (
	"strings"
	"testing"
	"time"
)

// run builds a soak record of one process whose memory follows mem, with
// flat goroutines and descriptors, and API answers of apiMs.
func run(mem []float64, apiMs float64) *Run {
	r := &Run{}
	for i, m := range mem {
		r.Samples = append(r.Samples, Sample{At: time.Duration(i) * time.Minute,
			Usage: map[string]Usage{"catalog-1": {MemoryMB: m, Goroutines: 30, FDs: 20}}})
		r.APIMs = append(r.APIMs, apiMs)
	}
	return r
}

func series(n int, f func(i int) float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func TestJudgeFindsASteadyClimbOnly(t *testing.T) {
	tests := []struct {
		name  string
		mem   []float64
		apiMs float64
		pass  bool
		why   string
	}{
		{"flat", series(60, func(int) float64 { return 80 }), 2, true, "no series climbed"},
		{"a leak of 1 MB a minute", series(60, func(i int) float64 { return 80 + float64(i) }), 2, false, "catalog-1 memory_mb"},
		{"a sawtooth of 30 MB", series(60, func(i int) float64 { return 80 + float64(i%6)*6 }), 2, true, "no series climbed"},
		{"warm-up then a level held", series(60, func(i int) float64 { return 80 + min(float64(i), 10)*3 }), 2, true, "no series climbed"},
		{"one late spike", series(60, func(i int) float64 {
			if i == 58 {
				return 400
			}
			return 80
		}), 2, true, "no series climbed"},
		{"noise within the slack", series(60, func(i int) float64 { return 80 + float64(i)/6 }), 2, true, "no series climbed"},
		{"a slow API", series(60, func(int) float64 { return 80 }), 80, false, "p99 was 80.0 ms"},
		{"too few samples", series(3, func(int) float64 { return 80 }), 2, false, "too few"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(run(tt.mem, tt.apiMs))
			if v.Pass != tt.pass || !strings.Contains(v.Reason, tt.why) {
				t.Fatalf("pass %v (%s), want %v saying %q", v.Pass, v.Reason, tt.pass, tt.why)
			}
		})
	}
}

// TestJudgeFailsAnInstanceThatStopsAnswering: an instance that stops
// answering its /metrics, or ends unasked, fails the soak, however flat the
// others are (the first hour's soak lost notifications-1 after 6 minutes
// and judged only the six that were left).
func TestJudgeFailsAnInstanceThatStopsAnswering(t *testing.T) {
	r := run(series(60, func(int) float64 { return 80 }), 2)
	for i := 7; i < 60; i++ {
		r.Samples[i].Silent = []string{"notifications-1"}
	}
	if v := Judge(r); v.Pass || !strings.Contains(v.Reason, "notifications-1 from 7m0s") {
		t.Fatalf("pass %v (%s), want a failure naming notifications-1 and when", v.Pass, v.Reason)
	}
	r = run(series(60, func(int) float64 { return 80 }), 2)
	r.Exits = []string{"orders-1 at 12m0s: signal: killed"}
	if v := Judge(r); v.Pass || !strings.Contains(v.Reason, "orders-1 at 12m0s") {
		t.Fatalf("pass %v (%s), want a failure naming the exit", v.Pass, v.Reason)
	}
}
