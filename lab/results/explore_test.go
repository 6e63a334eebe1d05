package results

import (
	"strings"
	"testing"
	"time"
)

// probeRun is a synthetic experiment: one fault "down" whose window saw
// checkout fail (or not) and browse stay in band, one invariant.
func probeRun(checkoutClass string, invariantHeld bool) *Result {
	t0 := time.Unix(1000, 0)
	ok := 1.0
	fallbacks := 0.0
	if checkoutClass == Failed {
		ok = 0.4
	}
	if checkoutClass == Isolated {
		fallbacks = 12
	}
	return &Result{Verdict: Pass, WallS: 15,
		Faults: []FaultRecord{{Name: "down", Kind: "down", Target: "orders->payments", ApplyStartedAt: t0.Add(4 * time.Second),
			AppliedAt: t0.Add(4 * time.Second), RemovedAt: t0.Add(9 * time.Second)}},
		Phases: []Phase{{Name: "down", Edges: map[string]EdgeStats{
			"orders->payments": {Calls: 50, Failed: 50 * (1 - ok), Fallbacks: fallbacks},
			"gateway->catalog": {Calls: 80},
		}}},
		Breakers: []BreakerTransition{{Edge: "orders->payments", To: "open", At: t0.Add(5 * time.Second)},
			{Edge: "gateway->catalog", To: "open", At: t0.Add(20 * time.Second)}},
		BlastRadius: []Impact{
			{Fault: "down", Subject: "checkout", Kind: "endpoint", SuccessRate: ok, Class: checkoutClass, P95Ratio: 1.5},
			{Fault: "down", Subject: "browse", Kind: "endpoint", SuccessRate: 1, Class: Isolated},
			{Fault: "down", Subject: "payments", Kind: "service", SuccessRate: 0, Class: Failed},
		},
		Invariants: []InvariantResult{{Name: "charged-once", Pass: invariantHeld, Detail: "order 7 charged twice"},
			{Name: "notified-once", Pass: true, NotExercised: true}},
	}
}

func TestExploreRowOf(t *testing.T) {
	p := Probe{ID: "01-down-orders-to-payments", Kind: "down", Target: "orders->payments"}
	row := ExploreRowOf(p, "01-down-orders-to-payments", probeRun(Failed, false))
	want := map[string]string{"checkout": Failed, "browse": Isolated, "invariant charged-once": Broken, "invariant notified-once": NotExercised}
	if len(row.Cells) != len(want) {
		t.Fatalf("cells %v, want %v (services are not columns)", row.Cells, want)
	}
	for c, w := range want {
		if row.Cells[c] != w {
			t.Errorf("cell %s = %q, want %q", c, row.Cells[c], w)
		}
	}
	if !strings.Contains(row.Cause, "orders->payments: 30 of 50 calls failed, no fallback") || strings.Contains(row.Cause, "gateway->catalog") {
		t.Errorf("cause %q: want the failing edge without fallback, and not the edge that failed nothing", row.Cause)
	}
	if !strings.Contains(row.Cause, "breaker opened on orders->payments") {
		t.Errorf("cause %q: want the breaker that opened in the window (and not the one after it)", row.Cause)
	}
	if d := row.Details["checkout"]; d != "success 40.0%, p95 1.5x" {
		t.Errorf("detail %q", d)
	}
	if class, cols := row.Worst(); class != Failed || len(cols) != 1 || cols[0] != "checkout" {
		t.Errorf("worst %s %v, want failed [checkout]", class, cols)
	}
}

func TestFindingsWorstFirst(t *testing.T) {
	mk := func(id, target, checkout string, held bool) ExploreRow {
		return ExploreRowOf(Probe{ID: id, Kind: "down", Target: target}, id, probeRun(checkout, held))
	}
	rows := []ExploreRow{
		mk("01", "gateway->users", Isolated, true),
		mk("02", "orders->payments", Degraded, true),
		mk("03", "orders->inventory", Failed, true),
		mk("04", "orders->catalog", Failed, false),
	}
	got := Findings(rows)
	if len(got) != 3 {
		t.Fatalf("findings %q: want the three rows that failed, broke or degraded something", got)
	}
	for i, want := range []string{"cutting orders->catalog breaks charged-once and fails checkout",
		"cutting orders->inventory fails checkout (orders->payments",
		"cutting orders->payments degrades checkout"} {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("finding %d = %q, want it to start %q", i+1, got[i], want)
		}
	}
}

func TestTurns(t *testing.T) {
	with := []ExploreRow{{Probe: Probe{ID: "a"}, Cells: map[string]string{"checkout": Isolated, "browse": Isolated, "order": Failed}},
		{Probe: Probe{ID: "b"}, Cells: map[string]string{"checkout": Degraded}}}
	control := []ExploreRow{{Probe: Probe{ID: "a"}, Cells: map[string]string{"checkout": Failed, "browse": Isolated, "order": Failed}}}
	changed, both := Turns(with, control)
	if len(changed) != 1 || changed[0] != (Turn{Probe: "a", Column: "checkout", Control: Failed, With: Isolated}) {
		t.Errorf("changed %+v: want checkout of a from failed to isolated, nothing of b (no control row)", changed)
	}
	if len(both) != 1 || both[0].Column != "order" {
		t.Errorf("failed both %+v: want order of a", both)
	}
}

func TestSettleOrdersColumns(t *testing.T) {
	e := &Explore{Compare: "resilience=none",
		Rows:    []ExploreRow{{Probe: Probe{ID: "a"}, Cells: map[string]string{"checkout": Isolated, "browse": Isolated, "invariant x": Held}}},
		Control: []ExploreRow{{Probe: Probe{ID: "a"}, Cells: map[string]string{"checkout": Failed, "order": Failed}}}}
	e.Settle()
	if got := strings.Join(e.Columns, ","); got != "browse,checkout,order,invariant x" {
		t.Errorf("columns %s: want endpoints in journey order from both maps, then invariants", got)
	}
	if len(e.Changed) != 1 {
		t.Errorf("changed %+v", e.Changed)
	}
}
