package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"lab/internal/table"
	"lab/lab/results"
)

func sortedEndpoints[V any](m map[string]V) []string {
	var out []string
	for e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := results.EndpointRank(out[i]), results.EndpointRank(out[j])
		if a != b {
			return a < b
		}
		return out[i] < out[j]
	})
	return out
}

func mark(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// Terminal writes the tables a person reads after a run: phases by
// endpoint, hypotheses with what was observed, faults with their times.
func Terminal(w io.Writer, r *results.Result) {
	fmt.Fprintf(w, "\n%s: %s\n\n", r.Scenario, r.Summary)
	if p := placement(r); p != "" {
		fmt.Fprintf(w, "placement: %s\n\n", p)
	}
	if g := generators(r); g != "" {
		fmt.Fprintf(w, "load: %s\n\n", g)
	}
	t := table.New(w)
	t.Header("phase", "seconds", "endpoint", "requests", "success", "p50 ms", "p95 ms", "p99 ms", "req/s")
	for _, p := range r.Phases {
		for _, e := range sortedEndpoints(p.Endpoints) {
			st := p.Endpoints[e]
			t.Append(p.Name, fmt.Sprintf("%d-%d", p.StartS, p.EndS), e, fmt.Sprint(st.Requests),
				fmt.Sprintf("%.2f%%", 100*st.SuccessRate), fmt.Sprintf("%.1f", st.P50), fmt.Sprintf("%.1f", st.P95),
				fmt.Sprintf("%.1f", st.P99), fmt.Sprintf("%.1f", st.RPS))
		}
	}
	t.Render()

	if len(r.Hypotheses) > 0 {
		fmt.Fprintln(w)
		t = table.New(w)
		t.Header("", "hypothesis", "during", "expect", "observed")
		for _, h := range r.Hypotheses {
			during := h.During
			if during == "" {
				during = "whole run"
			}
			t.Append(mark(h.Pass), h.Name, during, h.Expect, wrap(h.Observed))
		}
		t.Render()
	}
	if len(r.Thresholds) > 0 {
		fmt.Fprintln(w)
		t = table.New(w)
		t.Header("", "k6 threshold", "expression", "observed")
		for _, th := range r.Thresholds {
			t.Append(mark(th.Pass), th.Name, th.Expression, wrap(th.Observed))
		}
		t.Render()
	}
	if r.Aborted != "" {
		fmt.Fprintf(w, "\nload aborted: %s\n", r.Aborted)
	}
	if len(r.Faults) > 0 {
		fmt.Fprintln(w)
		t = table.New(w)
		t.Header("fault", "kind", "target", "applied", "removed", "late", "visible")
		start := measuredStart(r)
		for _, f := range r.Faults {
			applied, removed := since(start, f.AppliedAt), since(start, f.RemovedAt)
			vis := "no: " + f.Evidence
			if f.Visible {
				vis = "yes: " + f.Evidence
			}
			if f.Error != "" {
				vis = "error: " + f.Error
			}
			t.Append(f.Name, f.Kind, f.Target, applied, removed, fmt.Sprintf("%.1fms", f.LateMS), wrap(vis))
		}
		t.Render()
	}
	if len(r.BlastRadius) > 0 {
		fmt.Fprintln(w, "\nblast radius: each fault's window against the baseline")
		blastMatrix(r, blastCell, false).terminal(w, "")
		fmt.Fprintln(w, "\nrecovery: from each fault's end until back in the baseline band")
		blastMatrix(r, recoveryCell, true).terminal(w, "")
	}
	scalingTerminal(w, r)
	autoscaleTerminal(w, r)
	edgesTable(w, r)
	breakerLines(w, r)
	compareTable(w, r)
	for _, inv := range r.Invariants {
		if inv.NotExercised {
			fmt.Fprintf(w, "N/A  invariant %s: not exercised: %s\n", inv.Name, inv.Detail)
			continue
		}
		fmt.Fprintf(w, "%s invariant %s: %s\n", mark(inv.Pass), inv.Name, inv.Detail)
	}
	fmt.Fprintf(w, "\nverdict: %s (%s)\n", strings.ToUpper(r.Verdict), r.Reason)
}

// wrap breaks a long "a; b; c" into lines.
func wrap(s string) string { return strings.ReplaceAll(s, "; ", "\n") }

// measuredStart is when the measured load began: the first phase's start.
func measuredStart(r *results.Result) time.Time {
	if len(r.Phases) == 0 {
		return r.Started
	}
	return r.Phases[0].Start
}

// since says when t was after the measured load began, "+8.003s", or "-"
// for no time: the terminal's fault table and the page's say it alike.
func since(start, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%+.3fs", t.Sub(start).Seconds())
}
