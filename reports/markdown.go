package reports

import (
	"fmt"
	"io"
	"lab/lab/results"
	"sort"
	"strings"
)

// markdown is report.md: a compact summary for a pull-request comment.
type markdown struct{}

func (markdown) Write(w io.Writer, r *results.Result) error {
	icon := map[string]string{results.Pass: "PASS", results.Fail: "FAIL", results.Inconclusive: "INCONCLUSIVE"}[r.Verdict]
	fmt.Fprintf(w, "## lab: %s: **%s**\n\n%s\n\n%s\n\n", r.Scenario, icon, r.Summary, r.Reason)
	worstChanges(w, r)
	if c := r.Compare; c != nil {
		fmt.Fprintf(w, "**Compared with `%s=%s`** (control: %s). %s\n\n", c.Key, c.Value, c.Control.Verdict, c.Summary)
	}
	if len(r.Hypotheses) > 0 {
		fmt.Fprintln(w, "| | hypothesis | during | observed |\n|---|---|---|---|")
		for _, h := range r.Hypotheses {
			fmt.Fprintf(w, "| %s | %s (`%s`) | %s | %s |\n", mark(h.Pass), h.Name, h.Expect, orWhole(h.During), h.Observed)
		}
		fmt.Fprintln(w)
	}
	if len(r.Thresholds) > 0 {
		fmt.Fprintln(w, "| | k6 threshold | expression | observed |\n|---|---|---|---|")
		for _, th := range r.Thresholds {
			fmt.Fprintf(w, "| %s | `%s` | `%s` | %s |\n", mark(th.Pass), th.Name, th.Expression, th.Observed)
		}
		fmt.Fprintln(w)
	}
	if r.Aborted != "" {
		fmt.Fprintf(w, "**Load aborted:** %s\n\n", r.Aborted)
	}
	if p := placement(r); p != "" {
		fmt.Fprintf(w, "**Placement:** %s\n\n", p)
	}
	if g := generators(r); g != "" {
		fmt.Fprintf(w, "**Load:** %s\n\n", g)
	}
	if len(r.Invariants) > 0 {
		fmt.Fprintln(w, "| | invariant | detail |\n|---|---|---|")
		for _, inv := range r.Invariants {
			m, detail := mark(inv.Pass), inv.Detail
			if inv.NotExercised {
				m, detail = "N/A", "not exercised: "+detail
			}
			fmt.Fprintf(w, "| %s | %s | %s |\n", m, inv.Name, detail)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "| phase | endpoint | requests | success | p95 ms | p99 ms |\n|---|---|---:|---:|---:|---:|")
	for _, p := range r.Phases {
		for _, e := range sortedEndpoints(p.Endpoints) {
			st := p.Endpoints[e]
			fmt.Fprintf(w, "| %s | %s | %d | %.2f%% | %.1f | %.1f |\n", p.Name, e, st.Requests, 100*st.SuccessRate, st.P95, st.P99)
		}
	}
	if len(r.BlastRadius) > 0 {
		fmt.Fprint(w, "\n**Blast radius** (each fault's window against the baseline):\n\n")
		blastMatrix(r, blastCell, false).markdown(w, "")
		fmt.Fprint(w, "\n**Recovery** (from each fault's end until back in the baseline band):\n\n")
		blastMatrix(r, recoveryCell, true).markdown(w, "")
	}
	scalingMarkdown(w, r)
	autoscaleMarkdown(w, r)
	if len(r.Faults) > 0 {
		fmt.Fprintln(w, "\n| fault | kind | target | late | evidence |\n|---|---|---|---:|---|")
		for _, f := range r.Faults {
			fmt.Fprintf(w, "| %s | %s | `%s` | %.1f ms | %s |\n", f.Name, f.Kind, f.Target, f.LateMS, strings.ReplaceAll(f.Evidence, "|", "/"))
		}
	}
	return nil
}

func orWhole(s string) string {
	if s == "" {
		return "whole run"
	}
	return s
}

// worstChanges names the three endpoints that fared worst in a fault's
// window against the baseline: a pull request's reader sees them first.
func worstChanges(w io.Writer, r *results.Result) {
	var bad []results.Impact
	for _, im := range r.BlastRadius {
		if im.Kind == "endpoint" && im.Class != results.Isolated {
			bad = append(bad, im)
		}
	}
	sort.SliceStable(bad, func(i, j int) bool {
		if bad[i].SuccessDrop != bad[j].SuccessDrop {
			return bad[i].SuccessDrop > bad[j].SuccessDrop
		}
		return bad[i].P95Ratio > bad[j].P95Ratio
	})
	if len(bad) == 0 {
		if len(r.BlastRadius) > 0 {
			fmt.Fprint(w, "Every endpoint stayed within its baseline band during every fault.\n\n")
		}
		return
	}
	fmt.Fprint(w, "**Worst changes against the baseline:**\n")
	for _, im := range bad[:min(3, len(bad))] {
		fmt.Fprintf(w, "- `%s` during %s: %s, %.1f%% ok (%.1f points less), p95 x%.1f\n",
			im.Subject, im.Fault, im.Class, 100*im.SuccessRate, 100*im.SuccessDrop, im.P95Ratio)
	}
	fmt.Fprintln(w)
}
