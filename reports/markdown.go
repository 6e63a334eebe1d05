package reports

import (
	"fmt"
	"io"
	"strings"

	"lab/lab/experiment"
)

// markdown is report.md: a compact summary for a pull-request comment.
type markdown struct{}

func (markdown) Write(w io.Writer, r *experiment.Result) error {
	icon := map[string]string{experiment.Pass: "PASS", experiment.Fail: "FAIL", experiment.Inconclusive: "INCONCLUSIVE"}[r.Verdict]
	fmt.Fprintf(w, "## lab: %s: **%s**\n\n%s\n\n%s\n\n", r.Scenario, icon, r.Summary, r.Reason)
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
	fmt.Fprintln(w, "| phase | endpoint | requests | success | p95 ms | p99 ms |\n|---|---|---:|---:|---:|---:|")
	for _, p := range r.Phases {
		for _, e := range sortedEndpoints(p.Endpoints) {
			st := p.Endpoints[e]
			fmt.Fprintf(w, "| %s | %s | %d | %.2f%% | %.1f | %.1f |\n", p.Name, e, st.Requests, 100*st.SuccessRate, st.P95, st.P99)
		}
	}
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
