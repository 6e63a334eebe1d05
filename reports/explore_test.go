package reports_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lab/internal/testtool"
	"lab/lab/results"
	"lab/reports"
)

// exploreMap is a compared map of three probes: the policies turn
// checkout under payments' outage from failed to isolated, inventory's
// outage fails checkout either way, and one invariant broke without them.
func exploreMap() *results.Explore {
	row := func(id, kind, target string, cells map[string]string) results.ExploreRow {
		return results.ExploreRow{Probe: results.Probe{ID: id, Kind: kind, Target: target, Setting: "every connection refused"},
			Dir: id, Verdict: results.Pass, Cells: cells}
	}
	ok := func(extra map[string]string) map[string]string {
		m := map[string]string{"browse": results.Isolated, "product": results.Isolated, "checkout": results.Isolated,
			"order": results.Isolated, "invariant charged-once": results.Held, "invariant stock-conserved": results.Held}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	e := &results.Explore{Load: "baseline", Kinds: []string{"down"}, Targets: "edges", Budget: "10m", Compare: "resilience=none",
		Runtime: "process", Seed: 1, Probes: make([]results.Probe, 3),
		Rows: []results.ExploreRow{
			row("01-down-orders-to-payments", "down", "orders->payments", ok(nil)),
			row("02-down-orders-to-inventory", "down", "orders->inventory", ok(map[string]string{"checkout": results.Failed})),
			row("03-down-gateway-to-catalog", "down", "gateway->catalog", ok(map[string]string{"browse": results.Degraded})),
		},
		Control: []results.ExploreRow{
			row("01-down-orders-to-payments", "down", "orders->payments", ok(map[string]string{"checkout": results.Failed, "invariant charged-once": results.Broken})),
			row("02-down-orders-to-inventory", "down", "orders->inventory", ok(map[string]string{"checkout": results.Failed})),
			row("03-down-gateway-to-catalog", "down", "gateway->catalog", ok(map[string]string{"browse": results.Failed, "product": results.Failed})),
		},
	}
	for i := range e.Control {
		e.Control[i].Dir = "control/" + e.Control[i].ID
	}
	e.Settle()
	return e
}

// TestExploreInEveryFormat: the map, its findings worst first and what the
// policies turn, in the terminal, explore.md and explore.json; every cell
// of explore.html links to its experiment's report.
func TestExploreInEveryFormat(t *testing.T) {
	e := exploreMap()
	var term strings.Builder
	reports.ExploreTerminal(&term, e)
	for _, want := range []string{"resilience map, as given", "control, with resilience=none", "FAILED", "DEGRADED",
		"1. cutting orders->inventory fails checkout", "2. cutting gateway->catalog degrades browse",
		"against resilience=none, cells turned from failed to isolated: 3; from failed to degraded: 1; worse as given: 0; failed either way: 1"} {
		if !strings.Contains(term.String(), want) {
			t.Errorf("terminal lacks %q:\n%s", want, term.String())
		}
	}
	dir := t.TempDir()
	if err := reports.WriteExplore(dir, e); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "explore.md"))
	for _, want := range []string{"| [01-down-orders-to-payments](01-down-orders-to-payments/report.md) |", "(control/02-down-orders-to-inventory/report.md)",
		"## What the change makes", "- 01-down-orders-to-payments, checkout: failed with resilience=none, isolated as given"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("explore.md lacks %q:\n%s", want, md)
		}
	}
	var back results.Explore
	data, _ := os.ReadFile(filepath.Join(dir, "explore.json"))
	if !strings.Contains(string(data), `"orders->payments"`) {
		t.Error(`explore.json escapes "->" as "-\u003e": it is read by people and jq`)
	}
	if err := json.Unmarshal(data, &back); err != nil || len(back.Changed) != 4 || back.Rows[1].Cells["checkout"] != results.Failed {
		t.Errorf("explore.json: %v, %d changed cells", err, len(back.Changed))
	}
	page, _ := os.ReadFile(filepath.Join(dir, "explore.html"))
	if n := strings.Count(string(page), `href="control/03-down-gateway-to-catalog/report.html"`); n < len(e.Columns) {
		t.Errorf("explore.html links control/03's report %d times, want from each of its %d cells", n, len(e.Columns))
	}
	if strings.Contains(string(page), "http://") || strings.Contains(string(page), "https://") {
		t.Error("explore.html fetches something: a map opened offline in class must be whole")
	}
}

// TestExploreHeatMapRendersInChromium opens explore.html in headless
// Chromium and counts the cells' colours: the failed cells red, the
// broken invariant purple, the rest green, as many as the map has.
func TestExploreHeatMapRendersInChromium(t *testing.T) {
	chromium := testtool.Require(t, "chromium", "chromium")
	dir := t.TempDir()
	e := exploreMap()
	if err := reports.WriteExplore(dir, e); err != nil {
		t.Fatal(err)
	}
	img := screenshot(t, chromium, filepath.Join(dir, "explore.html"), "1400,1600")
	// A cell is 64x34 pixels, less its text; the legend's swatches are small.
	const cell = 1500
	failed, broken, isolated := count(img, reports.FailedColor), count(img, reports.BrokenColor), count(img, reports.IsolatedColor)
	if failed < 5*cell {
		t.Errorf("%d pixels of failed red, want the map's 5 failed cells drawn", failed)
	}
	if broken < cell || broken > 3*cell {
		t.Errorf("%d pixels of broken purple, want the one broken invariant's cell", broken)
	}
	if isolated < 25*cell {
		t.Errorf("%d pixels of isolated green, want the map's 29 isolated or held cells", isolated)
	}
}
