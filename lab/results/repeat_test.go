package results

import (
	"strings"
	"testing"
)

func TestSpreadOf(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want Spread
	}{
		{[]float64{3, 1, 2}, Spread{2, 1, 3}},
		{[]float64{4, 1, 3, 2}, Spread{2.5, 1, 4}},
		{[]float64{7}, Spread{7, 7, 7}},
		{nil, Spread{}},
	} {
		if got := SpreadOf(tt.in); got != tt.want {
			t.Errorf("SpreadOf(%v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// run is a synthetic run: hypotheses "a" and "b" held or not, one invariant,
// checkout's p95 in the fault phase.
func run(seed int64, verdict string, a, b, inv bool, p95 float64) *Result {
	return &Result{Scenario: "s", Seed: seed, Verdict: verdict, WallS: 30,
		Hypotheses: []HypothesisResult{{Name: "a", Pass: a, Observed: "obs a"}, {Name: "b", During: "down", Pass: b}},
		Invariants: []InvariantResult{{Name: "charged-once", Pass: inv}},
		Phases: []Phase{{Name: "down", Endpoints: map[string]EndpointStats{
			"checkout": {Requests: 100, SuccessRate: 1, P95: p95}}}}}
}

func TestAggregate(t *testing.T) {
	tests := []struct {
		name      string
		runs      []*Result
		want, min int
		verdict   string
		reason    string
	}{
		{"all held", []*Result{run(1, Pass, true, true, true, 10), run(2, Pass, true, true, true, 20), run(3, Pass, true, true, true, 30)},
			3, 3, Pass, "at least 3 of 3"},
		{"one miss, all required", []*Result{run(1, Pass, true, true, true, 10), run(2, Fail, true, false, true, 20), run(3, Pass, true, true, true, 30)},
			3, 3, Fail, `"b" held in 2 of 3`},
		{"one miss, two required", []*Result{run(1, Pass, true, true, true, 10), run(2, Fail, true, false, true, 20), run(3, Pass, true, true, true, 30)},
			3, 2, Pass, "at least 2 of 3"},
		{"an invariant broke once", []*Result{run(1, Pass, true, true, true, 10), run(2, Fail, true, true, false, 20)},
			2, 1, Fail, "invariant charged-once broke in 1 of 2"},
		{"interrupted", []*Result{run(1, Pass, true, true, true, 10)},
			3, 3, Fail, `"a" held in 1 of 3`},
		{"interrupted, one required", []*Result{run(1, Pass, true, true, true, 10)},
			3, 1, Inconclusive, "1 of 3 runs finished"},
		{"inconclusive runs", []*Result{run(1, Inconclusive, true, true, true, 10), run(2, Inconclusive, true, true, true, 20)},
			2, 1, Inconclusive, "2 of 2 runs were inconclusive"},
		{"none", nil, 3, 3, Inconclusive, "no run finished"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Aggregate(tt.runs, nil, tt.want, tt.min)
			if rep.Verdict != tt.verdict || !strings.Contains(rep.Reason, tt.reason) {
				t.Fatalf("verdict %s (%s), want %s (%s)", rep.Verdict, rep.Reason, tt.verdict, tt.reason)
			}
		})
	}
	rep := Aggregate([]*Result{run(1, Pass, true, true, true, 10), run(2, Fail, true, false, true, 40), run(3, Pass, true, true, true, 20)}, nil, 3, 3)
	if b := rep.Hypotheses[1]; b.Name != "b" || b.Held != 2 || b.Of != 3 || b.During != "down" || len(b.Observed) != 3 {
		t.Errorf("hypothesis b: %+v", b)
	}
	if got := rep.Phases[0].Endpoints["checkout"].P95; got != (Spread{20, 10, 40}) {
		t.Errorf("checkout p95 over the runs: %+v, want median 20 from 10 to 40", got)
	}
	if rep.Done != 3 || len(rep.Seeds) != 3 || rep.Seeds[2] != 3 {
		t.Errorf("runs: %+v", rep)
	}
}
