package results

import (
	"math"
	"testing"
)

// TestBreakerReactionsJudgeAgainstTheCallBrackets holds the circuit-breaker
// race seen on a fresh machine: the half-open probe in flight finished as
// the toxic went away, so the breaker closed 0.17 ms before the removal
// call returned. Judged against the bracket of that call, it closed 0 s
// after the fault's end, not never.
func TestBreakerReactionsJudgeAgainstTheCallBrackets(t *testing.T) {
	const edge = "orders->payments"
	on := span{10.000100, 10.000900}  // the apply call
	off := span{20.764500, 20.764716} // the remove call
	tests := []struct {
		name           string
		ts             []BreakerTransition
		opened, closed float64 // NaN: never
	}{
		{"closed inside the removal bracket",
			[]BreakerTransition{{Edge: edge, To: "open", AtS: 11.5}, {Edge: edge, To: "closed", AtS: 20.764544}}, 1.4991, 0},
		{"closed after the fault",
			[]BreakerTransition{{Edge: edge, To: "open", AtS: 11.5}, {Edge: edge, To: "closed", AtS: 21.264716}}, 1.4991, 0.5},
		{"closed before the removal began: not this fault's end",
			[]BreakerTransition{{Edge: edge, To: "open", AtS: 11.5}, {Edge: edge, To: "closed", AtS: 15}}, 1.4991, math.NaN()},
		{"opened as the fault came",
			[]BreakerTransition{{Edge: edge, To: "open", AtS: 10.0005}}, 0, math.NaN()},
		{"opened before the fault: not its doing",
			[]BreakerTransition{{Edge: edge, To: "open", AtS: 9}}, math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := reactions(tt.ts, on, off)
			got := func(p func(BreakerReaction) *float64) float64 {
				if len(rs) == 0 || p(rs[0]) == nil {
					return math.NaN()
				}
				return *p(rs[0])
			}
			o := got(func(r BreakerReaction) *float64 { return r.OpenedAfterS })
			c := got(func(r BreakerReaction) *float64 { return r.ClosedAfterS })
			if !near(o, tt.opened) || !near(c, tt.closed) {
				t.Fatalf("opened after %v, closed after %v; want %v and %v", o, c, tt.opened, tt.closed)
			}
		})
	}
}

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) < 1e-6
}

// TestBacklogAfterTheFaultIsItsEffect holds the broker-restart race: while
// the broker was down the backlog was not visible; it showed in the seconds
// right after the fault's end. Those seconds count, up to 5, and never
// into the next fault's window.
func TestBacklogAfterTheFaultIsItsEffect(t *testing.T) {
	fault := window{name: "broker-down", from: 5, to: 8}
	base := window{name: "baseline", from: 0, to: 5}
	sig := []Signal{{S: 1}, {S: 2}, {S: 6, OutboxMax: 1}, {S: 8, OutboxMax: 31, ConsumerLag: 10}, {S: 9, OutboxMax: 4}}
	ok, evidence := visible(noRequests{}, fault, nil, base, sig, afterS(fault, []window{base, fault}, 20), nil)
	if !ok || evidence != "up to 31 events waiting (baseline 0)" {
		t.Fatalf("visible %v (%s), want the backlog of 31 after the fault", ok, evidence)
	}
	next := window{name: "next", from: 8, to: 12}
	if n := afterS(fault, []window{base, fault, next}, 20); n != 0 {
		t.Fatalf("aftermath of %d s runs into the next fault", n)
	}
	if n := afterS(fault, []window{base, fault}, 10); n != 2 {
		t.Fatalf("aftermath of %d s, want 2 (the load ends at 10)", n)
	}
}

// TestAbsorbedFaultIsVisibleByItsReactions: a fault the patterns absorbed
// whole (noisy-neighbour with outlier ejection: a few attempts cut at their
// timeout and retried, the slow replica ejected, no request failed) had an
// effect; the evidence names what answered it. Retries at the baseline's
// own rate are no evidence.
func TestAbsorbedFaultIsVisibleByItsReactions(t *testing.T) {
	fault := window{name: "noisy", from: 5, to: 10}
	base := window{name: "baseline", from: 0, to: 5}
	opened := 0.3
	f := FaultRecord{Name: "noisy", Breakers: []BreakerReaction{{Edge: "gateway->catalog-1", Ejection: true, OpenedAfterS: &opened}}}
	edges := []EdgeSecond{{S: 1, Edge: "orders->inventory", Retries: 2}, {S: 6, Edge: "orders->inventory", Retries: 2},
		{S: 6, Edge: "gateway->catalog", Timeouts: 3, Retries: 3}}
	ok, evidence := visible(noRequests{}, fault, nil, base, nil, 0, reacted(f, fault, base, edges))
	want := "gateway->catalog-1 ejected; gateway->catalog: 3 attempts timed out, 3 retried"
	if !ok || evidence != want {
		t.Fatalf("visible %v (%s), want %q", ok, evidence, want)
	}
	ok, evidence = visible(noRequests{}, fault, nil, base, nil, 0, reacted(FaultRecord{Name: "noisy"}, fault, base, edges[:2]))
	if ok {
		t.Fatalf("retries at the baseline's rate made the fault visible: %s", evidence)
	}
}

// noRequests is a series with no endpoint: the signals alone decide.
type noRequests struct{}

func (noRequests) Sum(string, int, int) *Agg  { return &Agg{Hist: NewHistogram()} }
func (noRequests) At(string, int, func(*Agg)) {}
func (noRequests) Endpoints() []string        { return nil }

// TestBucketQuantile reads a p95 off a cumulative histogram as Prometheus
// does: within the bucket it falls in, linearly.
func TestBucketQuantile(t *testing.T) {
	tests := []struct {
		b    map[string]float64
		want float64
	}{
		{nil, 0},
		{map[string]float64{"0.001": 0, "0.005": 100, "+Inf": 100}, 4.8},              // 95 of 100 in (1, 5] ms
		{map[string]float64{"0.001": 50, "0.005": 90, "0.01": 100, "+Inf": 100}, 7.5}, // rank 95 halfway in (5, 10]
		{map[string]float64{"0.5": 0, "1": 0, "+Inf": 10}, 1000},                      // past the last bound: that bound
	}
	for _, tt := range tests {
		if got := bucketQuantile(tt.b, 0.95); !near(got, tt.want) {
			t.Errorf("bucketQuantile(%v) = %v, want %v", tt.b, got, tt.want)
		}
	}
}

// TestSlowServiceIsNotIsolated: a service whose calls got 50 times slower
// with no failure is degraded in the blast radius, not isolated (it was
// classified on success alone).
func TestSlowServiceIsNotIsolated(t *testing.T) {
	fast := map[string]float64{"0.001": 90, "0.0025": 100, "+Inf": 100}
	slow := map[string]float64{"0.05": 0, "0.1": 95, "0.25": 100, "+Inf": 100}
	res := &Result{DurationS: 20,
		Faults: []FaultRecord{{Name: "slow-catalog"}},
		Phases: []Phase{
			{Name: "baseline", StartS: 0, EndS: 10, Endpoints: map[string]EndpointStats{"browse": {Requests: 100, SuccessRate: 1, P95: 3}},
				Edges: map[string]EdgeStats{"gateway->catalog": {Calls: 100, Latency: fast}}},
			{Name: "slow-catalog", StartS: 10, EndS: 20, Endpoints: map[string]EndpointStats{"browse": {Requests: 100, SuccessRate: 1, P95: 3}},
				Edges: map[string]EdgeStats{"gateway->catalog": {Calls: 100, Latency: slow}}},
		}}
	for _, im := range BlastRadius(res) {
		if im.Kind == "service" && im.Subject == "catalog" {
			if im.Class != Degraded || im.P95Ratio < 40 {
				t.Fatalf("catalog, 50x slower: %+v, want degraded with its p95 ratio", im)
			}
			return
		}
	}
	t.Fatal("no impact for the catalog service")
}
