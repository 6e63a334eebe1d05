package reports

import (
	"fmt"
	"io"
	"sort"

	"lab/internal/table"
	"lab/lab/results"
)

// edgesTable shows, per phase, the edges where the resilience patterns did
// something: retries, timeouts, rejections, fallbacks, ejections, failures.
func edgesTable(w io.Writer, r *results.Result) {
	t := table.New(w)
	t.Header("phase", "edge", "calls", "failed", "unsent", "attempts/call", "retries", "timeouts", "rejected", "fallbacks", "ejected")
	rows := 0
	for _, p := range r.Phases {
		var edges []string
		for e, st := range p.Edges {
			if st.Retries+st.Timeouts+st.Rejections+st.Fallbacks+st.Ejections+st.Failed > 0 {
				edges = append(edges, e)
			}
		}
		sort.Strings(edges)
		for _, e := range edges {
			st := p.Edges[e]
			t.Append(p.Name, e, fmt.Sprint(st.Calls), fmt.Sprint(st.Failed), fmt.Sprint(st.Unsent), fmt.Sprintf("%.2f", st.Amplification),
				fmt.Sprint(st.Retries), fmt.Sprint(st.Timeouts), fmt.Sprint(st.Rejections), fmt.Sprint(st.Fallbacks), fmt.Sprint(st.Ejections))
			rows++
		}
	}
	if rows > 0 {
		fmt.Fprintln(w)
		t.Render()
	}
}

// breakerLines says how breakers, and outlier ejections, answered each fault.
func breakerLines(w io.Writer, r *results.Result) {
	for _, f := range r.Faults {
		for _, b := range f.Breakers {
			if b.Ejection {
				out, back := "", "still out when the run ended"
				if b.OpenedAfterS != nil {
					out = fmt.Sprintf("ejected %.2fs after it began", *b.OpenedAfterS)
				}
				if b.ClosedAfterS != nil {
					back = fmt.Sprintf("back in rotation %.2fs after it ended", *b.ClosedAfterS)
				}
				fmt.Fprintf(w, "ejection %s during %s: %s, %s\n", b.Edge, f.Name, out, back)
				continue
			}
			opened, closed := "did not open", "did not close again"
			if b.OpenedAfterS != nil {
				opened = fmt.Sprintf("opened %.2fs after it began", *b.OpenedAfterS)
			}
			if b.ClosedAfterS != nil {
				closed = fmt.Sprintf("closed %.2fs after it ended", *b.ClosedAfterS)
			}
			fmt.Fprintf(w, "breaker %s during %s: %s, %s\n", b.Edge, f.Name, opened, closed)
		}
	}
}

// compareTable shows the experiment against the control.
func compareTable(w io.Writer, r *results.Result) {
	c := r.Compare
	if c == nil {
		return
	}
	fmt.Fprintf(w, "\ncompared with %s=%s (control verdict: %s)\n", c.Key, c.Value, c.Control.Verdict)
	t := table.New(w)
	ctl := c.Key + "=" + c.Value
	t.Header("phase", "endpoint", "success as written", "success "+ctl, "p95 as written", "p95 "+ctl)
	deltas := append([]results.CompareDelta{}, c.Deltas...)
	sort.Slice(deltas, func(i, j int) bool {
		if deltas[i].Phase != deltas[j].Phase {
			return phaseIndex(r, deltas[i].Phase) < phaseIndex(r, deltas[j].Phase)
		}
		return results.EndpointRank(deltas[i].Endpoint) < results.EndpointRank(deltas[j].Endpoint)
	})
	for _, d := range deltas {
		t.Append(d.Phase, d.Endpoint, fmt.Sprintf("%.2f%%", 100*d.SuccessRate), fmt.Sprintf("%.2f%%", 100*d.ControlSuccess),
			fmt.Sprintf("%.1fms", d.P95), fmt.Sprintf("%.1fms", d.ControlP95))
	}
	t.Render()
	for _, h := range c.Control.Hypotheses {
		fmt.Fprintf(w, "control %s %s: %s\n", mark(h.Pass), h.Name, h.Observed)
	}
	fmt.Fprintf(w, "\n%s\n", c.Summary)
}

func phaseIndex(r *results.Result, name string) int {
	for i, p := range r.Phases {
		if p.Name == name {
			return i
		}
	}
	return len(r.Phases)
}
