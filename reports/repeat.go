package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"

	"lab/internal/table"
	"lab/lab/results"
)

// A repeat's folder holds repeat.json, repeat.md and junit.xml for the
// whole, and a run folder per run (run-1, run-2, ...) with its own reports.

// WriteRepeat writes repeat.json, repeat.md and junit.xml of rep into dir,
// each aside and renamed.
func WriteRepeat(dir string, rep *results.Repeat) error {
	return writeSet(dir, []namedFile{
		{"repeat.json", indentedJSON(rep)},
		{"repeat.md", func(w io.Writer) error { return repeatMarkdown(w, rep) }},
		{"junit.xml", func(w io.Writer) error { return repeatJUnit(w, rep) }},
	})
}

// spread writes a figure over the runs: "12.3 (10.1-15.0)", or the one
// value when every run measured the same.
func spread(s results.Spread, format string) string {
	m := fmt.Sprintf(format, s.Median)
	lo, hi := fmt.Sprintf(format, s.Min), fmt.Sprintf(format, s.Max)
	if lo == hi {
		return m
	}
	return m + " (" + lo + "-" + hi + ")"
}

func percentSpread(s results.Spread) results.Spread {
	return results.Spread{Median: 100 * s.Median, Min: 100 * s.Min, Max: 100 * s.Max}
}

// RepeatTerminal writes the tables of a repeat: each phase's endpoints as
// medians with their ranges, each hypothesis and invariant as k of N.
func RepeatTerminal(w io.Writer, rep *results.Repeat) {
	fmt.Fprintf(w, "\n%s: %s\n%d of %d runs, seeds %v; figures are medians (lowest-highest)\n\n", rep.Scenario, rep.Summary, rep.Done, rep.Runs, rep.Seeds)
	t := table.New(w)
	t.Header("phase", "endpoint", "requests", "success %", "p50 ms", "p95 ms", "p99 ms")
	for _, p := range rep.Phases {
		for _, e := range sortedEndpoints(p.Endpoints) {
			st := p.Endpoints[e]
			t.Append(p.Name, e, spread(st.Requests, "%.0f"), spread(percentSpread(st.SuccessRate), "%.2f"),
				spread(st.P50, "%.1f"), spread(st.P95, "%.1f"), spread(st.P99, "%.1f"))
		}
	}
	t.Render()
	fmt.Fprintln(w)
	t = table.New(w)
	t.Header("", "held", "hypothesis", "during", "expect")
	for _, h := range rep.Hypotheses {
		t.Append(mark(h.Held >= rep.MinPass), fmt.Sprintf("%d of %d", h.Held, rep.Runs), h.Name, orWhole(h.During), h.Expect)
	}
	for _, in := range rep.Invariants {
		t.Append(mark(in.Held == in.Of), fmt.Sprintf("%d of %d", in.Held, in.Of), "invariant "+in.Name, "", "")
	}
	t.Render()
	fmt.Fprintf(w, "\nverdict: %s (%s)\n", strings.ToUpper(rep.Verdict), rep.Reason)
}

func repeatMarkdown(w io.Writer, rep *results.Repeat) error {
	fmt.Fprintf(w, "## lab: %s, %d runs: **%s**\n\n%s\n\n%s\n\n", rep.Scenario, rep.Done, strings.ToUpper(rep.Verdict), rep.Summary, rep.Reason)
	fmt.Fprintln(w, "| | held | hypothesis | during |\n|---|---|---|---|")
	for _, h := range rep.Hypotheses {
		fmt.Fprintf(w, "| %s | %d of %d | %s (`%s`) | %s |\n", mark(h.Held >= rep.MinPass), h.Held, rep.Runs, h.Name, h.Expect, orWhole(h.During))
	}
	for _, in := range rep.Invariants {
		fmt.Fprintf(w, "| %s | %d of %d | invariant %s | |\n", mark(in.Held == in.Of), in.Held, in.Of, in.Name)
	}
	fmt.Fprintln(w, "\n| phase | endpoint | success % | p95 ms, median (range) |\n|---|---|---|---|")
	for _, p := range rep.Phases {
		for _, e := range sortedEndpoints(p.Endpoints) {
			st := p.Endpoints[e]
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", p.Name, e, spread(percentSpread(st.SuccessRate), "%.2f"), spread(st.P95, "%.1f"))
		}
	}
	_, err := fmt.Fprintf(w, "\nSeeds %v; each run's own report is in its folder (%s).\n", rep.Seeds, strings.Join(rep.Folders, ", "))
	return err
}

// repeatJUnit is one test case per hypothesis and invariant, passing when
// it held often enough, saying k of N and what each run observed.
func repeatJUnit(w io.Writer, rep *results.Repeat) error {
	host, _ := os.Hostname()
	s := jSuite{Name: "lab." + rep.Scenario, Hostname: host, Time: fmt.Sprintf("%.3f", rep.WallS.Median*float64(rep.Done)),
		Properties: []jProperty{{"verdict", rep.Verdict}, {"reason", rep.Reason}, {"runtime", rep.Runtime},
			{"runs", fmt.Sprint(rep.Runs)}, {"min_pass", fmt.Sprint(rep.MinPass)}, {"seeds", fmt.Sprint(rep.Seeds)}}}
	add := func(class, name string, pass bool, c results.RepeatCheck, need int) {
		jc := jCase{Name: fmt.Sprintf("%s (held in %d of %d)", name, c.Held, rep.Runs), Classname: "lab." + rep.Scenario + "." + class, Time: "0"}
		if !pass {
			var body strings.Builder
			for i, o := range c.Observed {
				fmt.Fprintf(&body, "run %d (seed %d): %s\n", i+1, rep.Seeds[i], o)
			}
			jc.Failure = &jFailure{Message: fmt.Sprintf("held in %d of %d runs, want %d", c.Held, rep.Runs, need), Type: class, Body: body.String()}
			s.Failures++
		}
		s.Cases = append(s.Cases, jc)
		s.Tests++
	}
	for _, h := range rep.Hypotheses {
		add("hypothesis", h.Name, h.Held >= rep.MinPass, h, rep.MinPass)
	}
	for _, in := range rep.Invariants {
		add("invariant", in.Name, in.Held == in.Of, in, in.Of)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	return enc.Encode(s)
}
