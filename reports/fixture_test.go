package reports_test

import (
	"time"

	"lab/lab/results"
)

// outage builds the Result of a 24-second run: baseline, 8 s of payments
// down (checkout failing at checkoutOK, the orders->payments breaker open),
// recovery. Browsing never notices.
func outage(checkoutOK float64) *results.Result {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	r := &results.Result{Scenario: "payment-outage", Summary: "payments down for 8 s", Verdict: results.Pass,
		Reason: "all held", Runtime: "process", Seed: 1, Started: t0, DurationS: 24, WallS: 27}
	if checkoutOK < 0.99 {
		r.Verdict, r.Reason = results.Fail, "1 of 1 hypotheses failed"
	}
	phase := func(name string, from, to int, checkout float64, p95 float64) results.Phase {
		n := int64(30 * (to - from))
		return results.Phase{Name: name, StartS: from, EndS: to,
			Start: t0.Add(time.Duration(from) * time.Second), End: t0.Add(time.Duration(to) * time.Second),
			Endpoints: map[string]results.EndpointStats{
				"browse":   {Requests: n, SuccessRate: 1, P50: 3, P95: 6, P99: 9, RPS: 30},
				"checkout": {Requests: n / 2, Failed: int64(float64(n/2) * (1 - checkout)), SuccessRate: checkout, P50: 30, P95: p95, P99: p95 * 1.3, RPS: 15},
			},
			Edges: map[string]results.EdgeStats{
				"orders->payments": {Calls: float64(n / 2), Failed: float64(n/2) * (1 - checkout)},
				"gateway->catalog": {Calls: float64(n)},
			}}
	}
	checkoutP95 := 40.0
	if checkoutOK < 0.99 {
		checkoutP95 = 900
	}
	r.Phases = []results.Phase{phase("baseline", 0, 8, 1, 40), phase("payments-down", 8, 16, checkoutOK, checkoutP95), phase("recovery", 16, 24, 1, 40)}
	r.Faults = []results.FaultRecord{{Name: "payments-down", Kind: "down", Target: "payments",
		ScheduledAt: t0.Add(8 * time.Second), AppliedAt: t0.Add(8 * time.Second), RemovedAt: t0.Add(16 * time.Second),
		Visible: true, Evidence: "checkout out of its band"}}
	r.Hypotheses = []results.HypothesisResult{{Name: "checkout holds", During: "payments-down",
		Expect: "checkout.success_rate >= 0.99", Pass: checkoutOK >= 0.99, Observed: "checkout: 120 req"}}
	r.Invariants = []results.InvariantResult{{Name: "charged-once", Pass: true, Detail: "one charge each"}}
	for s := 0; s < 24; s++ {
		ok, p95 := 1.0, 40.0
		if s >= 8 && s < 16 {
			ok, p95 = checkoutOK, checkoutP95
		}
		r.Series = append(r.Series,
			results.Second{S: s, Endpoint: "browse", Requests: 30, P50: 3, P95: 6, P99: 9},
			results.Second{S: s, Endpoint: "checkout", Requests: 15, Failed: int64(15 * (1 - ok)), P50: 30, P95: p95, P99: p95 * 1.3})
		r.Signals = append(r.Signals, results.Signal{S: s, InstancesUp: 7, InstancesAll: 7})
		r.Edges = append(r.Edges, results.EdgeSecond{S: s, Edge: "orders->payments", Calls: 15})
	}
	r.Breakers = []results.BreakerTransition{
		{Edge: "orders->payments", Instance: "orders-1", From: "closed", To: "open", AtS: 8.3},
		{Edge: "orders->payments", Instance: "orders-1", From: "open", To: "half-open", AtS: 16.2},
		{Edge: "orders->payments", Instance: "orders-1", From: "half-open", To: "closed", AtS: 16.7},
	}
	r.BlastRadius = results.BlastRadius(r)
	return r
}
