package experiment_test

import (
	"context"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"lab/internal/k6main"
	"lab/internal/shoptest"
	"lab/lab/experiment"
	"lab/lab/results"
	"lab/scenarios"
)

// TestMain lets the test binary stand in for lab: `serve` for the services,
// `k6` for the load.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "k6" {
		k6main.Main(os.Args[2:])
	}
	shoptest.Main(m)
}

func mustRun(t *testing.T, name string, sets ...string) *results.Result {
	t.Helper()
	sc, err := scenarios.Open(name, sets)
	if err != nil {
		t.Fatal(err)
	}
	res, err := experiment.Run(context.Background(), experiment.Params{
		Scenario: sc, Runtime: shoptest.Runtime(), Command: []string{os.Args[0]}, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func phase(t *testing.T, r *results.Result, name string) results.Phase {
	t.Helper()
	for _, p := range r.Phases {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no phase %q in %+v", name, r.Phases)
	return results.Phase{}
}

// TestLatencyFaultAddsItsLatencyToBrowse injects 100 ms on gateway->catalog:
// browse p50 during the fault must be the baseline's plus 100 ms, within 3 ms.
func TestLatencyFaultAddsItsLatencyToBrowse(t *testing.T) {
	r := mustRun(t, "testdata/latency100.yaml")
	base := phase(t, r, "baseline").Endpoints["browse"]
	slow := phase(t, r, "slow-catalog").Endpoints["browse"]
	added := slow.P50 - base.P50
	if math.Abs(added-100) > 3 {
		t.Fatalf("browse p50 went from %.2fms to %.2fms: +%.2fms, want +100ms within 3ms", base.P50, slow.P50, added)
	}
	if r.Verdict != results.Pass {
		t.Fatalf("verdict %s (%s)", r.Verdict, r.Reason)
	}
	if f := r.Faults[0]; f.AppliedAt.IsZero() || f.RemovedAt.IsZero() || f.LateMS > 50 {
		t.Fatalf("fault record %+v: want applied and removed, on time", f)
	}
	t.Logf("browse p50 %.2fms -> %.2fms (+%.2fms); fault applied %.2fms late", base.P50, slow.P50, added, r.Faults[0].LateMS)
}

// TestPaymentOutageAgreesWithK6 runs the built-in payment-outage and holds
// the lab's checkout figures against k6's own end-of-test summary: the same
// count, and both p95s between the two raw samples the 95th percentile
// falls between (k6 interpolates between them, the lab takes the nearest
// rank off its histogram, 3 digits), so that neither definition passes for
// a disagreement, and a disagreement beyond them fails.
func TestPaymentOutageAgreesWithK6(t *testing.T) {
	r, samples := runWithRawSamples(t, "payment-outage")
	if r.Verdict != results.Pass {
		t.Errorf("verdict %s (%s)", r.Verdict, r.Reason)
	}
	down := phase(t, r, "payments-down")
	if down.Endpoints["checkout"].Requests == 0 {
		t.Fatal("no checkout during payments-down")
	}
	c, ok := r.K6["checkout"]
	if !ok {
		t.Fatalf("no k6 cross-check for checkout: %+v", r.K6)
	}
	if c.LabRequests != c.K6Requests {
		t.Errorf("checkout requests: lab %d, k6 %d", c.LabRequests, c.K6Requests)
	}
	var vals []float64
	for _, s := range samples {
		if s.name == "checkout" && s.scene != "warmup" {
			vals = append(vals, s.ms)
		}
	}
	sort.Float64s(vals)
	if int64(len(vals)) != c.K6Requests || len(vals) < 20 {
		t.Fatalf("%d raw checkout samples, k6's summary counts %d", len(vals), c.K6Requests)
	}
	lo := vals[int(math.Floor(0.95*float64(len(vals)-1)))]
	hi := vals[int(math.Ceil(0.95*float64(len(vals))))-1]
	lo, hi = min(lo, hi)*(1-0.001)-0.001, max(lo, hi)*(1+0.001)+0.001
	for who, v := range map[string]float64{"lab": c.LabP95, "k6": c.K6P95} {
		if v < lo || v > hi {
			t.Errorf("checkout p95: %s %.3fms, outside the raw samples around the 95th percentile [%.3f, %.3f]ms", who, v, lo, hi)
		}
	}
	t.Logf("checkout: lab %d req p95 %.3fms; k6 %d req p95 %.3fms; raw samples around p95 %.3f-%.3fms",
		c.LabRequests, c.LabP95, c.K6Requests, c.K6P95, lo, hi)
}

// TestInvisibleFaultIsInconclusive cuts an edge nothing uses: the run must
// not pass, because it proved nothing.
func TestInvisibleFaultIsInconclusive(t *testing.T) {
	r := mustRun(t, "testdata/invisible.yaml")
	if r.Verdict != results.Inconclusive || r.Faults[0].Visible {
		t.Fatalf("verdict %s (%s), fault visible %v; want inconclusive", r.Verdict, r.Reason, r.Faults[0].Visible)
	}
}

// TestCrossedThresholdFailsTheVerdict: k6 stays the authority on the
// script's own thresholds. The one k6 failed fails the verdict, with its
// expression and the value k6 observed; the one that held is a passing row.
func TestCrossedThresholdFailsTheVerdict(t *testing.T) {
	r := mustRun(t, "testdata/thresholds.yaml")
	if r.Verdict != results.Fail || !strings.Contains(r.Reason, "1 of 2 k6 thresholds crossed") {
		t.Fatalf("verdict %s (%s), want fail for the crossed threshold", r.Verdict, r.Reason)
	}
	got := map[string]results.ThresholdResult{}
	for _, th := range r.Thresholds {
		got[th.Name+" "+th.Expression] = th
	}
	if th := got["http_req_duration{name:browse} p(95)<0.001"]; th.Pass || !strings.HasPrefix(th.Observed, "p(95)=") {
		t.Errorf("browse p95 threshold %+v, want failed with the p95 k6 saw", th)
	}
	if th := got["http_req_failed rate<0.5"]; !th.Pass || th.Observed != "rate=0" {
		t.Errorf("failed-share threshold %+v, want held at rate=0", th)
	}
	if len(r.Thresholds) != 2 {
		t.Errorf("%d thresholds, want 2: %+v", len(r.Thresholds), r.Thresholds)
	}
}

// TestAbortOnFailStopsTheLoad: a threshold with abortOnFail stops k6 early;
// the lab removes the fault in force, still checks the invariants, and
// says the load was aborted.
func TestAbortOnFailStopsTheLoad(t *testing.T) {
	began := time.Now()
	r := mustRun(t, "testdata/abort.yaml")
	if r.Verdict != results.Fail || r.Aborted == "" || !strings.Contains(r.Reason, "abortOnFail") {
		t.Fatalf("verdict %s (%s), aborted %q: want fail, aborted", r.Verdict, r.Reason, r.Aborted)
	}
	if r.DurationS >= 12 || time.Since(began) > 25*time.Second {
		t.Errorf("measured %gs of 12, the run took %s: the load was not stopped early", r.DurationS, time.Since(began))
	}
	if f := r.Faults[0]; f.AppliedAt.IsZero() || f.RemovedAt.IsZero() {
		t.Errorf("fault %+v: want applied, and removed when the load stopped", f)
	}
	if len(r.Invariants) == 0 {
		t.Error("the invariants were not checked after the abort")
	}
}

// TestAbortOfOneGeneratorEndsAll: with two generators, the first crosses
// an abortOnFail threshold (its checks fail, the second's pass): k6 stops
// it, and the lab stops the second too, instead of measuring the rest of
// the test with half the load as if it were the plan.
func TestAbortOfOneGeneratorEndsAll(t *testing.T) {
	sc, err := scenarios.Open("testdata/abort-one.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := experiment.Run(context.Background(), experiment.Params{Scenario: sc, Runtime: shoptest.Runtime(),
		Command: []string{os.Args[0]}, Dir: t.TempDir(), Generators: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != results.Fail || r.Aborted == "" || r.DurationS >= 10 {
		t.Fatalf("verdict %s (%s), aborted %q, measured %gs of 12: want fail, aborted early", r.Verdict, r.Reason, r.Aborted, r.DurationS)
	}
}

// TestRampEndsAtItsKnee: catalog serves 2 requests at a time at 20 ms each,
// about 100 a second for browse and product together; a ramp to 200
// iterations a second with until: knee must end well before its 40 s, at a
// browse knee near 50 req/s, with the phases below and past it.
func TestRampEndsAtItsKnee(t *testing.T) {
	r := mustRun(t, "testdata/knee.yaml")
	if !strings.Contains(r.Ramp, "ended at its knee") || r.DurationS >= 30 {
		t.Fatalf("ramp: %q after %.0fs, want it ended at its knee well before 40s", r.Ramp, r.DurationS)
	}
	var browse *results.Scaling
	for i := range r.Scaling {
		if r.Scaling[i].Endpoint == "browse" {
			browse = &r.Scaling[i]
		}
	}
	if browse == nil || browse.KneeRPS < 35 || browse.KneeRPS > 65 {
		t.Fatalf("scaling %+v: want browse's knee near 50 req/s", r.Scaling)
	}
	below, past := phase(t, r, "below-knee"), phase(t, r, "past-knee")
	if below.EndS != past.StartS || past.EndS != int(r.DurationS) || below.EndS < 3 {
		t.Fatalf("phases below %d-%d, past %d-%d of %.0fs", below.StartS, below.EndS, past.StartS, past.EndS, r.DurationS)
	}
	if r.Verdict != results.Pass {
		t.Fatalf("verdict %s (%s)", r.Verdict, r.Reason)
	}
	t.Logf("%s; browse below the knee p95 %.1fms, past it %.1fms", r.Ramp, below.Endpoints["browse"].P95, past.Endpoints["browse"].P95)
}

// TestTwoGeneratorsMatchOne runs payment-outage with one k6 generator and
// with two (each its execution segment): every phase's request counts
// agree within 2%, or 2 requests for the rare endpoints (the journeys seed
// each iteration by its number in the whole test, so both make the same
// request mix), and the merged counts are the sums of the two generators'
// own k6 summaries.
func TestTwoGeneratorsMatchOne(t *testing.T) {
	run := func(generators int) *results.Result {
		sc, err := scenarios.Open("payment-outage", nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := experiment.Run(context.Background(), experiment.Params{Scenario: sc, Runtime: shoptest.Runtime(),
			Command: []string{os.Args[0]}, Dir: t.TempDir(), Generators: generators})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	one, two := run(1), run(2)
	if two.Load == nil || two.Load.Count != 2 || one.Load != nil {
		t.Fatalf("load generators: one %+v, two %+v", one.Load, two.Load)
	}
	// The generators start some tens of milliseconds apart, which can move
	// an iteration across a phase's edge (recovery's one login was in
	// payments-down with two, once): SameLoad allows 2% or 2 requests.
	shoptest.SameLoad(t, one.Phases, two.Phases)
	shoptest.GeneratorsAddUp(t, two.K6, 2)
	t.Logf("started %.1f ms apart; checkout during payments-down: %d and %d requests", two.Load.SkewMS,
		phase(t, one, "payments-down").Endpoints["checkout"].Requests, phase(t, two, "payments-down").Endpoints["checkout"].Requests)
}
