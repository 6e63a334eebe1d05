package bench

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"lab/lab/results"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// TestKneeIsTheBusiestServedSecond: the knee is the second with the most
// requests among those served (p99 under the bound, under 1% failed); the
// first and last, partial, never count, nor do seconds over the bound.
func TestKneeIsTheBusiestServedSecond(t *testing.T) {
	secs := []Second{
		{Requests: 9000, P99: ms(1)},              // first: partial, left out
		{Requests: 1000, P99: ms(10)},             // served
		{Requests: 2000, P99: ms(49)},             // served: the knee
		{Requests: 2500, P99: ms(50)},             // p99 at the bound: not served
		{Requests: 2400, P99: ms(20), Failed: 30}, // 1.25% failed: not served
		{Requests: 1800, P99: ms(30)},             // served, fewer
		{Requests: 9000, P99: ms(1)},              // last: partial, left out
	}
	k, ok := Knee(secs, ms(50))
	if !ok || k.Requests != 2000 || k.P99 != ms(49) {
		t.Fatalf("knee %+v (%v), want the second of 2000 requests", k, ok)
	}
	if _, ok := Knee([]Second{{Requests: 5}, {Requests: 10, P99: ms(80)}, {Requests: 5}}, ms(50)); ok {
		t.Fatal("a run with no served second has a knee")
	}
}

func TestParseWrk(t *testing.T) {
	out := `Running 4s test @ http://127.0.0.1:1/api/products?page=1&size=20
  2 threads and 32 connections
  23913 requests in 4.00s, 29.26MB read
Requests/sec:   5977.38
Transfer/sec:      7.31MB
`
	if r, err := parseWrk(out); err != nil || r != 5977.38 {
		t.Fatalf("rate %g, %v", r, err)
	}
	if _, err := parseWrk(out + "  Non-2xx or 3xx responses: 12\n"); err == nil {
		t.Fatal("answers that were not 2xx are not an error")
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Fatal("no rate is not an error")
	}
}

func TestMedianAndQuantile(t *testing.T) {
	if m := results.Median([]float64{5, 1, 3}); m != 3 {
		t.Errorf("median of 5 1 3: %g", m)
	}
	if m := results.Median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4 1 3 2: %g", m)
	}
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100..1
	}
	if q := quantile(xs, 0.99); q != 99 {
		t.Errorf("p99 of 1..100: %g", q)
	}
	if q := quantile(xs, 1); q != 100 {
		t.Errorf("max of 1..100: %g", q)
	}
}

// TestMetricsJudgedAndWrittenByKey: a rate is met at or above its target,
// a time at or below; a failed metric is not met and its key is null.
func TestMetricsJudgedAndWrittenByKey(t *testing.T) {
	rate, slow, broken := target("browse_rps", "process"), target("startup_s", "docker"), target("rss_mb", "process")
	rate.finish([]float64{4000, 6000, 5000}, nil)
	slow.finish([]float64{9, 7, 8.5}, nil)
	broken.finish(nil, errString("no /proc"))
	if !rate.Met || rate.Value != 5000 {
		t.Errorf("browse_rps %g met %v, want 5000 met", rate.Value, rate.Met)
	}
	if slow.Met || slow.Value != 8.5 || slow.Target != 5 {
		t.Errorf("docker startup_s %g (target %g) met %v, want 8.5 missed", slow.Value, slow.Target, slow.Met)
	}
	informative := target("k6_share_of_wrk", "process")
	informative.finish(nil, errString("48% of k6's requests failed"))
	if informative.Target != 0 {
		t.Fatalf("k6_share_of_wrk has a target of %g; it is informative", informative.Target)
	}
	r := Result{Runtime: "process", Metrics: []Metric{rate, slow, broken, informative}}
	if len(r.Missed()) != 2 {
		t.Errorf("missed %d, want 2 (an informative figure that failed is not missed)", len(r.Missed()))
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["browse_rps"] != 5000.0 || m["startup_s"] != 8.5 || m["rss_mb"] != nil {
		t.Errorf("top-level values: %v %v %v", m["browse_rps"], m["startup_s"], m["rss_mb"])
	}
	if _, ok := m["rss_mb"]; !ok {
		t.Error("a failed metric's key is missing; want null")
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestParseInitTrace(t *testing.T) {
	trace := `init internal/bytealg @0.026 ms, 0 ms clock, 0 bytes, 0 allocs
init runtime @0.090 ms, 0.11 ms clock, 0 bytes, 0 allocs
some other line
init lab/services/kit @4.2 ms, 0.5 ms clock, 100 bytes, 2 allocs
`
	got, err := ParseInitTrace(trace)
	if err != nil {
		t.Fatal(err)
	}
	if got.Packages != 3 || math.Abs(got.Clock-0.61) > 1e-9 || math.Abs(got.MainAt-4.7) > 1e-9 || got.Names[2] != "lab/services/kit" {
		t.Fatalf("got %+v", got)
	}
	if _, err := ParseInitTrace("nothing here\n"); err == nil {
		t.Fatal("no trace: no error")
	}
	if _, err := ParseInitTrace("init x @1 ms, zz ms clock, 0 bytes\n"); err == nil {
		t.Fatal("a bad clock: no error")
	}
}

// FuzzParseInitTrace: whatever a child prints, the parser does not panic.
func FuzzParseInitTrace(f *testing.F) {
	f.Add("init runtime @0.090 ms, 0.11 ms clock, 0 bytes, 0 allocs\n")
	f.Add("init x @ ms, ms\ninit")
	f.Fuzz(func(t *testing.T, s string) {
		tr, err := ParseInitTrace(s)
		if err == nil && tr.Packages != len(tr.Names) {
			t.Fatalf("%d packages, %d names", tr.Packages, len(tr.Names))
		}
	})
}

// TestPairsJudgedAgainstTheirGoals: a capacity is judged as a ratio of the
// first runtime's, measured in the same invocation; a time on its own; a
// side that could not be measured meets nothing.
func TestPairsJudgedAgainstTheirGoals(t *testing.T) {
	browse := pairOf("browse_rps", "process", "docker", [2][]float64{{5000, 5200, 5100}, {3500, 3700, 3600}}, [2]Metric{})
	if browse.Ratio != 0.706 || !browse.Met {
		t.Errorf("browse 3600/5100: ratio %g met %v, want 0.706 met", browse.Ratio, browse.Met)
	}
	checkout := pairOf("checkout_per_s", "process", "docker", [2][]float64{{900}, {600}}, [2]Metric{})
	if checkout.Met {
		t.Errorf("checkout 600/900 (%g) met, want missed below 70%%", checkout.Ratio)
	}
	hop := pairOf("hop_overhead_us", "process", "docker", [2][]float64{{40}, {120}}, [2]Metric{})
	if hop.Met || hop.Goal != "docker at most 100 µs" {
		t.Errorf("hop 120 µs: met %v goal %q, want missed against at most 100 µs", hop.Met, hop.Goal)
	}
	failed := pairOf("browse_rps", "process", "docker", [2][]float64{{5000}, nil}, [2]Metric{{}, {Error: "no shop"}})
	if failed.Met || failed.B.Error == "" {
		t.Errorf("an unmeasured side: met %v error %q", failed.Met, failed.B.Error)
	}
}
