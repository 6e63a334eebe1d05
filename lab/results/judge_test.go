package results_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"lab/lab/results"
)

// seconds is a synthetic Series: endpoint -> second -> aggregate.
type seconds map[string]map[int]*results.Agg

func (s seconds) Sum(endpoint string, from, to int) *results.Agg {
	out := results.NewAgg()
	for e, m := range s {
		if endpoint != "" && e != endpoint {
			continue
		}
		for sec := from; sec < to; sec++ {
			if a := m[sec]; a != nil {
				out.Add(a)
			}
		}
	}
	return out
}

func (s seconds) At(endpoint string, sec int, fn func(*results.Agg)) {
	if a := s[endpoint][sec]; a != nil {
		fn(a)
	}
}

func (s seconds) Endpoints() []string { return slices.Sorted(maps.Keys(s)) }

// put records, for each second of [from, to), n requests of endpoint that
// took ms each, failed of them failed.
func (s seconds) put(endpoint string, from, to int, n, failed int64, ms int64) seconds {
	if s[endpoint] == nil {
		s[endpoint] = map[int]*results.Agg{}
	}
	for sec := from; sec < to; sec++ {
		a := results.NewAgg()
		a.Requests, a.Failed = n, failed
		_ = a.Hist.RecordValues(ms*1000, n)
		s[endpoint][sec] = a
	}
	return s
}

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// slowFault is a fault in force from 10 s to 20 s of a 30 s run.
func slowFault() results.FaultRecord {
	return results.FaultRecord{Name: "slow", Kind: "latency", Target: "gateway->catalog",
		ScheduledAt: at(10), ApplyStartedAt: at(10), AppliedAt: at(10.01), RemoveStartedAt: at(20), RemovedAt: at(20.01)}
}

// flat is browse at 50/s and 20 ms for 30 s; slow adds 300 ms from 10 s
// to 21 s (one second past the fault's end).
func flat() seconds { return seconds{}.put("browse", 0, 30, 50, 0, 20) }
func slow() seconds { return flat().put("browse", 10, 21, 50, 0, 300) }

func TestJudge(t *testing.T) {
	tests := []struct {
		name    string
		series  seconds
		res     results.Result
		hyps    []results.Hypothesis
		verdict string
		reason  string // a part of the reason
		pass    []bool // each hypothesis
		visible bool
		// evidence is a part of the fault's evidence.
		evidence string
		// observed is a part of the first hypothesis's observed figures.
		observed string
	}{{
		name: "a fault that slows browse fails a p95 hypothesis", series: slow(),
		res:     results.Result{Faults: []results.FaultRecord{slowFault()}},
		hyps:    []results.Hypothesis{{Name: "fast", During: "slow", Expect: "browse.p95 < 200ms"}},
		verdict: results.Fail, reason: "1 of 1 hypotheses failed", pass: []bool{false},
		visible: true, evidence: "browse p95 300ms (baseline 20ms)",
	}, {
		name: "recovery is the time back in band for two seconds", series: slow(),
		res: results.Result{Faults: []results.FaultRecord{slowFault()}},
		hyps: []results.Hypothesis{
			{Name: "within 1s", Expect: "recovery_time(\"slow\") <= 1s"},
			{Name: "at once", Expect: "recovery_time(\"slow\") < 1s"},
		},
		verdict: results.Fail, reason: "1 of 2 hypotheses failed", pass: []bool{true, false},
		visible: true,
	}, {
		name: "a fault without effect makes the run inconclusive", series: flat(),
		res:     results.Result{Faults: []results.FaultRecord{slowFault()}},
		hyps:    []results.Hypothesis{{Name: "fast", During: "slow", Expect: "browse.p95 < 200ms"}},
		verdict: results.Inconclusive, reason: "fault slow had no observable effect", pass: []bool{true},
		evidence: "every endpoint stayed in its baseline band",
	}, {
		name: "failed calls between services are evidence", series: flat(),
		res: results.Result{Faults: []results.FaultRecord{slowFault()}, Signals: signals(func(s int, x *results.Signal) {
			if s >= 10 && s < 20 {
				x.CallErrors = 5
			}
		})},
		verdict: results.Pass, reason: "all 0 hypotheses and 0 invariants held",
		visible: true, evidence: "50 failed calls between services",
	}, {
		name: "a backlog draining after the fault is its effect", series: flat(),
		res: results.Result{Faults: []results.FaultRecord{slowFault()}, Signals: signals(func(s int, x *results.Signal) {
			if s == 22 {
				x.OutboxMax = 40
			}
		})},
		verdict: results.Pass, visible: true, evidence: "up to 40 events waiting (baseline 0)",
	}, {
		name: "a backlog long after the fault is not", series: flat(),
		res: results.Result{Faults: []results.FaultRecord{slowFault()}, Signals: signals(func(s int, x *results.Signal) {
			if s == 27 {
				x.OutboxMax = 40
			}
		})},
		verdict: results.Inconclusive,
	}, {
		name: "an unplanned exit is never judged invisible", series: flat(),
		res: results.Result{Faults: []results.FaultRecord{{Name: "orders-1 exited", Kind: "unplanned_exit",
			Target: "orders-1", ScheduledAt: at(12), AppliedAt: at(12), Unplanned: true}}},
		verdict: results.Pass,
	}, {
		name: "a broken invariant fails a run whose hypotheses held", series: slow(),
		res: results.Result{Faults: []results.FaultRecord{slowFault()},
			Invariants: []results.InvariantResult{{Name: "no_oversell", Pass: false}, {Name: "paid_once", Pass: true}}},
		hyps:    []results.Hypothesis{{Name: "some", Expect: "browse.requests > 0"}},
		verdict: results.Fail, reason: "1 of 2 invariants broken", pass: []bool{true}, visible: true,
	}, {
		name: "a crossed k6 threshold fails the run", series: slow(),
		res: results.Result{Faults: []results.FaultRecord{slowFault()},
			Thresholds: []results.ThresholdResult{{Name: "http_req_duration", Expression: "p(95)<100", Observed: "p(95)=300", Pass: false}}},
		verdict: results.Fail, reason: "1 of 1 k6 thresholds crossed (http_req_duration: p(95)<100 (p(95)=300))", visible: true,
	}, {
		name: "invariants with nothing to check are said so, not counted as held", series: slow(),
		res: results.Result{Faults: []results.FaultRecord{slowFault()},
			Invariants: []results.InvariantResult{{Name: "paid_once", Pass: true, NotExercised: true}}},
		hyps:    []results.Hypothesis{{Name: "some", Expect: "browse.requests > 0"}},
		verdict: results.Pass, reason: "all 1 hypothesis held; 1 invariant not exercised", pass: []bool{true}, visible: true,
	}, {
		// An ejection is the breaker of one callee instance: ejected_after
		// answers from its transition, the edge counts it, and a breaker
		// of the service that did not move still answers never.
		name: "an ejection answers ejected_after and counts on its edge", series: slow(),
		res: results.Result{Faults: []results.FaultRecord{slowFault()},
			Breakers: []results.BreakerTransition{
				{Edge: "gateway->catalog-1", To: results.Ejected, AtS: 10.51},
				{Edge: "gateway->catalog-1", To: "closed", AtS: 21.01}},
			Edges: []results.EdgeSecond{{S: 10, Edge: "gateway->catalog", Ejections: 1}}},
		hyps: []results.Hypothesis{
			{Name: "ejected soon", During: "slow", Expect: `ejected_after("slow", "gateway->catalog-1") < 600ms && ejections("gateway->catalog") == 1`},
			{Name: "ejected at once", Expect: `ejected_after("slow", "gateway->catalog-1") < 400ms`},
			{Name: "the service's breaker", Expect: `breaker_opened_after("slow", "gateway->catalog") < 10s`},
		},
		verdict: results.Fail, reason: "2 of 3 hypotheses failed", pass: []bool{true, false, false}, visible: true,
	}, {
		// catalog 1 -> 3 at 5.2 s (serving at 5.5 s), 3 -> 2 from 14.5 s
		// (stopped at 15.2 s); 3 browses failed in second 15.
		name:   "replicas, scaled_up_after and failed_during_scale_down read the autoscaler's record",
		series: slow().put("browse", 15, 16, 50, 3, 300),
		res: results.Result{Faults: []results.FaultRecord{slowFault()}, Replicas: map[string]int{"catalog": 1, "users": 1},
			Autoscale: &results.Autoscaling{Rules: map[string]results.ScaleRule{"catalog": {Min: 1, Max: 3}},
				Events: []results.ScaleEvent{{Service: "catalog", From: 1, To: 3, AtS: 5.2, DoneAtS: 5.5},
					{Service: "catalog", From: 3, To: 2, AtS: 14.5, DoneAtS: 15.2}},
				Replicas: replicaSeconds("catalog", 1, 6, 3, 15, 2)}},
		hyps: []results.Hypothesis{
			{Name: "most over the run", Expect: `replicas("catalog") == 3 && replicas("users") == 1`},
			{Name: "most in a phase", During: "recovery", Expect: `replicas("catalog") == 2`},
			{Name: "capacity in time", Expect: `scaled_up_after("baseline", "catalog") < 5600ms && scaled_up_after("baseline", "catalog") > 5400ms`},
			{Name: "no scale-up in the fault", Expect: `scaled_up_after("slow", "catalog") < 1000s`},
			{Name: "the scale-down's failures", Expect: `failed_during_scale_down("catalog") == 3`},
		},
		verdict: results.Fail, reason: "1 of 5 hypotheses failed", pass: []bool{true, true, true, false, true}, visible: true,
	}, {
		name: "an expression that cannot run fails with its error", series: slow(),
		res:     results.Result{Faults: []results.FaultRecord{slowFault()}},
		hyps:    []results.Hypothesis{{Name: "typo", Expect: "recovery_time(\"nosuch\") < 1s"}},
		verdict: results.Fail, pass: []bool{false}, visible: true,
	}, {
		name: "a bound relative to the baseline holds on a slow machine, where a fixed one fails", series: seconds{}.put("browse", 0, 30, 50, 0, 150).put("browse", 10, 21, 50, 5, 150),
		res: results.Result{Faults: []results.FaultRecord{slowFault()}},
		hyps: []results.Hypothesis{
			{Name: "no slower than twice the baseline", During: "slow", Expect: "browse.p95 < max(100ms, 2 * baseline.browse.p95)"},
			{Name: "fixed", During: "slow", Expect: "browse.p95 < 100ms"},
		},
		verdict: results.Fail, reason: "1 of 2 hypotheses failed", pass: []bool{true, false}, visible: true,
		observed: "browse: 500 req, 90.00% ok, p50 150.0ms, p95 150.0ms, p99 150.0ms; baseline browse p95 150.0ms",
	}, {
		name: "a bound relative to the baseline catches what the fault did", series: slow(),
		res:     results.Result{Faults: []results.FaultRecord{slowFault()}},
		hyps:    []results.Hypothesis{{Name: "no slower than twice the baseline", During: "slow", Expect: "browse.p95 < max(100ms, 2 * baseline.browse.p95)"}},
		verdict: results.Fail, pass: []bool{false}, visible: true,
		observed: "browse: 500 req, 100.00% ok, p50 300.0ms, p95 300.0ms",
	}, {
		name: "an endpoint without requests in the baseline is an error, not a zero", series: seconds{}.put("browse", 10, 30, 50, 0, 20),
		res:     results.Result{Faults: []results.FaultRecord{{Name: "slow", Unplanned: true, ScheduledAt: at(10), AppliedAt: at(10), RemovedAt: at(20)}}},
		hyps:    []results.Hypothesis{{Name: "relative", During: "slow", Expect: "browse.p95 < max(100ms, 2 * baseline.browse.p95)"}},
		verdict: results.Fail, pass: []bool{false},
		observed: "error: baseline.browse.p95: browse had no requests in the baseline",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.res
			results.Judge(&res, tt.hyps, results.Measured{Series: tt.series, T0: t0, Duration: 30, Endpoints: []string{"browse"}})
			if res.Verdict != tt.verdict || !strings.Contains(res.Reason, tt.reason) {
				t.Errorf("verdict %s (%s), want %s (%q)", res.Verdict, res.Reason, tt.verdict, tt.reason)
			}
			for i, want := range tt.pass {
				if h := res.Hypotheses[i]; h.Pass != want {
					t.Errorf("hypothesis %q pass %v (observed %s), want %v", h.Name, h.Pass, h.Observed, want)
				}
			}
			if got := res.Hypotheses; len(got) > 0 && !strings.Contains(got[0].Observed, tt.observed) {
				t.Errorf("hypothesis %q observed %q, want %q in it", got[0].Name, got[0].Observed, tt.observed)
			}
			f := res.Faults[0]
			if !f.Unplanned && (f.Visible != tt.visible || !strings.Contains(f.Evidence, tt.evidence)) {
				t.Errorf("fault visible %v (%s), want %v (%q)", f.Visible, f.Evidence, tt.visible, tt.evidence)
			}
		})
	}
}

// signals returns 30 seconds of signals, each set by fn.
func signals(fn func(s int, x *results.Signal)) []results.Signal {
	out := make([]results.Signal, 30)
	for s := range out {
		out[s].S = s
		fn(s, &out[s])
	}
	return out
}

func TestJudgePhases(t *testing.T) {
	res := results.Result{Faults: []results.FaultRecord{slowFault()}}
	results.Judge(&res, nil, results.Measured{Series: slow(), T0: t0, Duration: 30, Endpoints: []string{"browse"}})
	var got []string
	for _, p := range res.Phases {
		b := p.Endpoints["browse"]
		got = append(got, fmt.Sprintf("%s %d-%ds %d/%.0fms", p.Name, p.StartS, p.EndS, b.Requests, b.P95))
	}
	want := []string{"baseline 0-10s 500/20ms", "slow 10-20s 500/300ms", "recovery 20-30s 500/300ms"}
	if !slices.Equal(got, want) {
		t.Errorf("phases %q, want %q", got, want)
	}
}

func TestRecoveryAndBlastRadius(t *testing.T) {
	tests := []struct {
		name   string
		series seconds
		// recovery is the endpoint's recovery in seconds, or -1 for none.
		recovery float64
		class    string
	}{
		{"never left its band", flat(), 0, results.Isolated},
		{"back the second after the fault", slow(), 1, results.Degraded},
		{"one good second is not back", slow().put("browse", 22, 23, 50, 0, 300), 3, results.Degraded},
		{"not back before the end", flat().put("browse", 10, 30, 50, 0, 300), -1, results.Degraded},
		{"five points less successful", flat().put("browse", 10, 20, 100, 5, 20), 0, results.Degraded},
		{"ten points less successful", flat().put("browse", 10, 20, 100, 10, 20), 0, results.Failed},
		{"a little slower, within the band", flat().put("browse", 10, 20, 50, 0, 39), 0, results.Isolated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := results.Result{Faults: []results.FaultRecord{slowFault()}}
			results.Judge(&res, nil, results.Measured{Series: tt.series, T0: t0, Duration: 30, Endpoints: []string{"browse"}})
			br := results.BlastRadius(&res)
			if len(br) != 1 {
				t.Fatalf("blast radius %+v, want browse alone", br)
			}
			im := br[0]
			got := -1.0
			if im.RecoveryS != nil {
				got = *im.RecoveryS
			}
			if im.Class != tt.class || got != tt.recovery {
				t.Errorf("class %s, recovery %v s; want %s, %v s", im.Class, got, tt.class, tt.recovery)
			}
		})
	}
}

func TestBlastRadiusOfServices(t *testing.T) {
	edges := func(calls, failed float64, p95bucket string) map[string]results.EdgeStats {
		return map[string]results.EdgeStats{"gateway->catalog": {Calls: calls, Failed: failed,
			Latency: map[string]float64{"0.025": 0, p95bucket: calls, "+Inf": calls}}}
	}
	tests := []struct {
		name  string
		base  map[string]results.EdgeStats
		fault map[string]results.EdgeStats
		class string
	}{
		{"as before", edges(100, 0, "0.025"), edges(100, 0, "0.025"), results.Isolated},
		{"a fifth of calls failed", edges(100, 0, "0.025"), edges(100, 20, "0.025"), results.Failed},
		{"calls to it ten times slower", edges(100, 0, "0.025"), edges(100, 0, "0.25"), results.Degraded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := map[string]results.EndpointStats{"browse": {Requests: 10, SuccessRate: 1, P95: 20}}
			res := results.Result{Faults: []results.FaultRecord{slowFault()}, Phases: []results.Phase{
				{Name: "baseline", Endpoints: ep, Edges: tt.base},
				{Name: "slow", StartS: 10, EndS: 20, Endpoints: ep, Edges: tt.fault},
			}}
			var got *results.Impact
			for _, im := range results.BlastRadius(&res) {
				if im.Kind == "service" {
					got = &im
				}
			}
			if got == nil || got.Subject != "catalog" || got.Class != tt.class {
				t.Errorf("service impact %+v, want catalog %s", got, tt.class)
			}
		})
	}
}

// replicaSeconds is 30 seconds of service's replicas: n0 from 0, then at
// each second given the count given (s1, n1, s2, n2, ...).
func replicaSeconds(service string, n0 int, steps ...int) []results.ReplicaSecond {
	var out []results.ReplicaSecond
	n := n0
	for s := range 30 {
		for i := 0; i+1 < len(steps); i += 2 {
			if steps[i] == s {
				n = steps[i+1]
			}
		}
		out = append(out, results.ReplicaSecond{S: s, Service: service, Replicas: n})
	}
	return out
}

// TestBlastRadiusOfInstances: a fault that hits one instance of a service
// that runs two (a node cut, one replica's) shows as that instance, with
// its node, and not as the other; a service of one instance has no
// instance rows, its service row says it all.
func TestBlastRadiusOfInstances(t *testing.T) {
	calls := func(attempts, failed float64, bucket string) results.InstanceCalls {
		return results.InstanceCalls{Attempts: attempts, Failed: failed,
			Latency: map[string]float64{"0.005": 0, bucket: attempts, "+Inf": attempts}}
	}
	tests := []struct {
		name string
		hit  results.InstanceCalls // catalog-2's second during the fault
		want string                // catalog-2's class
	}{
		{"its attempts fail", calls(10, 8, "0.005"), results.Failed},
		{"its attempts are slow", calls(10, 0, "0.25"), results.Degraded},
		{"untouched", calls(10, 0, "0.005"), results.Isolated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var edges []results.EdgeSecond
			for s := range 30 {
				two := calls(10, 0, "0.005")
				if s >= 10 && s < 20 {
					two = tt.hit
				}
				edges = append(edges,
					results.EdgeSecond{S: s, Edge: "gateway->catalog", Calls: 20, Attempts: 20,
						Instances: map[string]results.InstanceCalls{"catalog-1": calls(10, 0, "0.005"), "catalog-2": two}},
					results.EdgeSecond{S: s, Edge: "orders->payments", Calls: 5, Attempts: 5,
						Instances: map[string]results.InstanceCalls{"payments-1": calls(5, 0, "0.005")}})
			}
			res := results.Result{Faults: []results.FaultRecord{slowFault()}, Edges: edges,
				Placement: map[string]string{"catalog-1": "lab-node1", "catalog-2": "lab-node2", "payments-1": "lab-node1"}}
			results.Judge(&res, nil, results.Measured{Series: flat(), T0: t0, Duration: 30, Endpoints: []string{"browse"}})
			got := map[string]string{}
			for _, im := range res.BlastRadius {
				if im.Kind == "instance" {
					got[im.Subject] = im.Class + " on " + im.Node
				}
			}
			want := map[string]string{"catalog-1": results.Isolated + " on lab-node1", "catalog-2": tt.want + " on lab-node2"}
			if !maps.Equal(got, want) {
				t.Errorf("instances %v, want %v", got, want)
			}
		})
	}
}
