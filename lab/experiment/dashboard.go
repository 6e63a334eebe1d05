package experiment

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"lab/lab/results"
	"lab/load"
)

// dashboard is the live view of a run on a terminal: redrawn in place every
// second, large enough to read on a projector. Per endpoint the last
// second's rate, errors and p95; each breaker that is not closed; the
// faults in force.
type dashboard struct {
	w     io.Writer
	lines int // drawn last time, to move the cursor back over
}

func (d *dashboard) draw(header string, c *load.Collector, last int, edges []results.EdgeSecond, active []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", header)
	fmt.Fprintf(&b, "  %-10s %8s %9s %10s\n", "endpoint", "req/s", "errors", "p95 ms")
	eps := c.Endpoints()
	sort.Slice(eps, func(i, j int) bool { return results.EndpointRank(eps[i]) < results.EndpointRank(eps[j]) })
	for _, e := range eps {
		var line string
		c.At(e, last, func(a *results.Agg) {
			line = fmt.Sprintf("  %-10s %8d %8.1f%% %10.1f\n", e, a.Requests, 100*(1-a.SuccessRate()), a.Quantile(0.95))
		})
		if line == "" {
			line = fmt.Sprintf("  %-10s %8d %8s %10s\n", e, 0, "-", "-")
		}
		b.WriteString(line)
	}
	latest := map[string]results.EdgeSecond{}
	for _, e := range edges {
		latest[e.Edge] = e
	}
	var breakers []string
	for name, e := range latest {
		if e.Breaker != 0 {
			breakers = append(breakers, name+" "+map[int]string{1: "OPEN", 2: "HALF-OPEN"}[e.Breaker])
		}
	}
	sort.Strings(breakers)
	if len(breakers) == 0 {
		breakers = []string{"all closed"}
	}
	fmt.Fprintf(&b, "  breakers: %s\n", strings.Join(breakers, ", "))
	fmt.Fprintf(&b, "  faults:   %s\n", orNone(active))
	if d.lines > 0 {
		fmt.Fprintf(d.w, "\x1b[%dA\x1b[J", d.lines) // back to the top of the last drawing, and clear
	}
	io.WriteString(d.w, b.String())
	d.lines = strings.Count(b.String(), "\n")
}
