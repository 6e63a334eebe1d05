package results

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// An explore runs one short experiment per (target, fault kind) and reads
// each experiment's blast radius and invariants into a row of a resilience
// map: one column per endpoint and per invariant.

// Invariant cells of the map.
const (
	Held         = "held"
	Broken       = "broken"
	NotExercised = "not exercised"
)

// Probe is one experiment of an explore: one fault of one kind on one target.
type Probe struct {
	// ID names the experiment and its folder: "07-latency-orders-to-payments".
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Target string `json:"target"`
	// Setting says what the fault does, for people: "1.1s added (the
	// caller's timeout is 1s)".
	Setting string `json:"setting"`
	// Params are the fault's parameters as a scenario writes them.
	Params map[string]any `json:"params,omitempty"`
	// Severity orders probes: higher first.
	Severity int `json:"severity"`
}

// Describe says what the probe does in a few words: "payments down",
// "a 503 from inventory", "1.1s on orders->payments".
func (p Probe) Describe() string {
	edge := strings.Contains(p.Target, "->") || strings.HasSuffix(p.Target, ".broker")
	switch p.Kind {
	case "down":
		if edge {
			return "cutting " + p.Target
		}
		return p.Target + " unreachable"
	case "latency":
		return fmt.Sprintf("%v of latency on %s", p.Params["latency"], p.Target)
	case "http_error":
		return fmt.Sprintf("a %v from %s", p.Params["status"], p.Target)
	case "kill":
		return "killing " + p.Target
	}
	return p.Kind + " on " + p.Target
}

// ExploreRow is one experiment's line of the map.
type ExploreRow struct {
	Probe
	// Dir is the experiment's folder, relative to the explore's.
	Dir     string `json:"dir"`
	Verdict string `json:"verdict"`
	// Cells hold, per endpoint, its class during the fault (isolated,
	// degraded, failed; "" when it had no requests then) and, per
	// invariant ("invariant NAME"), held, broken or not exercised.
	Cells map[string]string `json:"cells"`
	// Details say each cell's figures: "success 41.0%, p95 3.1x".
	Details map[string]string `json:"details,omitempty"`
	// Cause names the edges whose calls failed during the fault, the
	// fallbacks they served, and the breakers that opened.
	Cause string `json:"cause,omitempty"`
	// Restarted says why the shop was started afresh after this experiment
	// (it had not come back to its baseline band, or an invariant broke).
	Restarted string  `json:"restarted,omitempty"`
	WallS     float64 `json:"wall_s"`
}

// InvariantColumn is the map's column of an invariant.
func InvariantColumn(name string) string { return "invariant " + name }

// ExploreRowOf reads an experiment's Result into its row.
func ExploreRowOf(p Probe, dir string, res *Result) ExploreRow {
	row := ExploreRow{Probe: p, Dir: dir, Verdict: res.Verdict, Cells: map[string]string{}, Details: map[string]string{}, WallS: res.WallS}
	fault := ""
	if len(res.Faults) > 0 {
		fault = res.Faults[0].Name
	}
	for _, im := range res.BlastRadius {
		if im.Fault != fault || im.Kind != "endpoint" {
			continue
		}
		row.Cells[im.Subject] = im.Class
		d := fmt.Sprintf("success %.1f%%", 100*im.SuccessRate)
		if im.P95Ratio > 0 {
			d += fmt.Sprintf(", p95 %.1fx", im.P95Ratio)
		}
		row.Details[im.Subject] = d
	}
	for _, in := range res.Invariants {
		c := InvariantColumn(in.Name)
		switch {
		case in.Pass && in.NotExercised:
			row.Cells[c] = NotExercised
		case in.Pass:
			row.Cells[c] = Held
		default:
			row.Cells[c], row.Details[c] = Broken, in.Detail
		}
	}
	for _, ph := range res.Phases {
		if ph.Name == fault {
			row.Cause = cause(ph.Edges, res.Breakers, res.Faults[0])
		}
	}
	if len(res.Faults) > 0 && res.Faults[0].Error != "" {
		row.Cause = "the fault was not applied: " + res.Faults[0].Error
	}
	return row
}

// cause names the edges that failed calls during the fault's phase, with
// the fallbacks they served, and the breakers that opened in it.
func cause(edges map[string]EdgeStats, breakers []BreakerTransition, f FaultRecord) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(edges)) {
		e := edges[name]
		if e.Failed < 1 && e.Fallbacks < 1 {
			continue
		}
		s := fmt.Sprintf("%s: %.0f of %.0f calls failed", name, e.Failed, e.Calls)
		if e.Fallbacks >= 1 {
			s += fmt.Sprintf(", %.0f fallbacks", e.Fallbacks)
		} else if e.Failed >= 1 {
			s += ", no fallback"
		}
		parts = append(parts, s)
	}
	opened := map[string]bool{}
	end := f.RemovedAt
	if end.IsZero() {
		end = time.Now()
	}
	for _, b := range breakers {
		if b.To == "open" && !b.At.Before(f.ApplyStartedAt) && b.At.Before(end) {
			opened[b.Edge] = true
		}
	}
	if len(opened) > 0 {
		parts = append(parts, "breaker opened on "+strings.Join(slices.Sorted(maps.Keys(opened)), ", "))
	}
	return strings.Join(parts, "; ")
}

// columns returns the row's columns whose cell is class, sorted.
func (r ExploreRow) columns(class string) []string {
	var cols []string
	for _, c := range slices.Sorted(maps.Keys(r.Cells)) {
		if r.Cells[c] == class {
			cols = append(cols, c)
		}
	}
	return cols
}

// Worst returns the row's worst class: failed, broken, degraded or
// isolated, and the columns that have it.
func (r ExploreRow) Worst() (string, []string) {
	for _, class := range []string{Failed, Broken, Degraded} {
		if cols := r.columns(class); len(cols) > 0 {
			return class, cols
		}
	}
	return Isolated, nil
}

// rank orders findings: broken invariants and failed endpoints first, the
// more of them the earlier, then degraded ones; 0 for a row with none.
func (r ExploreRow) rank() int {
	score := 0
	for _, c := range r.Cells {
		switch c {
		case Broken:
			score += 1000
		case Failed:
			score += 100
		case Degraded:
			score++
		}
	}
	return score
}

// Findings are the rows that failed or degraded anything, worst first, each
// said in a sentence: "a 503 from inventory fails checkout, order
// (orders->inventory: 40 of 52 calls failed, no fallback)".
func Findings(rows []ExploreRow) []string {
	var bad []ExploreRow
	for _, r := range rows {
		if r.rank() > 0 {
			bad = append(bad, r)
		}
	}
	slices.SortStableFunc(bad, func(a, b ExploreRow) int { return cmp.Compare(b.rank(), a.rank()) })
	var out []string
	for _, r := range bad {
		var said []string
		for _, class := range []string{Broken, Failed, Degraded} {
			var names []string
			for _, c := range r.columns(class) {
				names = append(names, strings.TrimPrefix(c, "invariant "))
			}
			if len(names) > 0 {
				verb := map[string]string{Broken: "breaks", Failed: "fails", Degraded: "degrades"}[class]
				said = append(said, verb+" "+strings.Join(names, ", "))
			}
		}
		s := r.Describe() + " " + strings.Join(said, " and ")
		if r.Cause != "" {
			s += " (" + r.Cause + ")"
		}
		out = append(out, s)
	}
	return out
}

// Turn is one cell of a compared map: its class without the change
// (the control) and with it.
type Turn struct {
	Probe   string `json:"probe"`
	Column  string `json:"column"`
	Control string `json:"control"`
	With    string `json:"with"`
}

// Turns compares two maps of the same probes cell by cell: every cell
// whose class differs, and every endpoint that failed in both.
func Turns(with, control []ExploreRow) (changed, failedBoth []Turn) {
	byID := map[string]ExploreRow{}
	for _, r := range control {
		byID[r.ID] = r
	}
	for _, r := range with {
		c, ok := byID[r.ID]
		if !ok {
			continue
		}
		cols := map[string]bool{}
		for k := range r.Cells {
			cols[k] = true
		}
		for k := range c.Cells {
			cols[k] = true
		}
		for _, col := range slices.Sorted(maps.Keys(cols)) {
			t := Turn{Probe: r.ID, Column: col, Control: c.Cells[col], With: r.Cells[col]}
			switch {
			case t.Control == "" || t.With == "":
			case t.Control != t.With:
				changed = append(changed, t)
			case t.With == Failed || t.With == Broken:
				failedBoth = append(failedBoth, t)
			}
		}
	}
	return changed, failedBoth
}

// Skip is a probe the explore did not run, and why.
type Skip struct {
	Probe
	Why string `json:"why"`
}

// Explore is an explore's whole record (explore.json): its settings, the
// probes it planned, the rows it ran, and for a compare the control's.
type Explore struct {
	Load    string   `json:"load"`
	Sets    []string `json:"sets,omitempty"`
	Kinds   []string `json:"kinds"`
	Targets string   `json:"targets"`
	Only    []string `json:"only,omitempty"`
	Budget  string   `json:"budget"`
	Compare string   `json:"compare,omitempty"`
	Runtime string   `json:"runtime"`
	Seed    int64    `json:"seed"`
	// Each experiment's timeline, in seconds: a baseline, the fault, a
	// recovery.
	BaselineS int     `json:"baseline_s"`
	FaultS    int     `json:"fault_s"`
	RecoveryS int     `json:"recovery_s"`
	Probes    []Probe `json:"probes"`
	// NotApplicable are the kind and target pairs that cannot go together
	// ("kill on an edge"), said once.
	NotApplicable []string     `json:"not_applicable,omitempty"`
	Skipped       []Skip       `json:"skipped,omitempty"`
	Rows          []ExploreRow `json:"rows"`
	Control       []ExploreRow `json:"control,omitempty"`
	Columns       []string     `json:"columns"`
	Findings      []string     `json:"findings"`
	Changed       []Turn       `json:"changed,omitempty"`
	FailedBoth    []Turn       `json:"failed_both,omitempty"`
	Done          bool         `json:"done"`
	Interrupted   bool         `json:"interrupted,omitempty"`
	Started       time.Time    `json:"started"`
	WallS         float64      `json:"wall_s"`
}

// Settle fills what follows from the rows: the columns (endpoints in
// order, then invariants), the findings, and for a compare the turns.
func (e *Explore) Settle() {
	eps, invs := map[string]bool{}, map[string]bool{}
	for _, rows := range [][]ExploreRow{e.Rows, e.Control} {
		for _, r := range rows {
			for c := range r.Cells {
				if strings.HasPrefix(c, "invariant ") {
					invs[c] = true
				} else {
					eps[c] = true
				}
			}
		}
	}
	endpoints := slices.Sorted(maps.Keys(eps))
	slices.SortStableFunc(endpoints, func(a, b string) int { return cmp.Compare(EndpointRank(a), EndpointRank(b)) })
	e.Columns = append(endpoints, slices.Sorted(maps.Keys(invs))...)
	e.Findings = Findings(e.Rows)
	if e.Compare != "" {
		e.Changed, e.FailedBoth = Turns(e.Rows, e.Control)
	}
}
