package reports

import (
	"fmt"
	"io"
	"lab/lab/results"
)

// scalingRows are the scaling table's rows, shared by every format.
func scalingRows(r *results.Result) [][]string {
	var rows [][]string
	for _, s := range r.Scaling {
		knee := "did not bend"
		if s.KneeRPS > 0 {
			knee = fmt.Sprintf("%.0f req/s (p95 %.1f ms)", s.KneeRPS, s.KneeP95)
		}
		eff := efficiency(s)
		rows = append(rows, []string{s.Endpoint, fmt.Sprintf("%s x%d", s.Service, s.Replicas), fmt.Sprintf("%.0f", s.PeakRPS),
			fmt.Sprintf("%.0f", s.PerReplica), fmt.Sprintf("%.1f", s.LowP95), knee, eff})
	}
	return rows
}

// efficiency is the scaling efficiency with what it was read from: both
// sides' knees (or the peak of a side that did not bend).
func efficiency(s results.Scaling) string {
	if s.ControlReplicas == 0 {
		return "-"
	}
	side := func(replicas int, knee, peak float64) string {
		if knee > 0 {
			return fmt.Sprintf("x%d bends at %.0f", replicas, knee)
		}
		return fmt.Sprintf("x%d did not bend by %.0f", replicas, peak)
	}
	ctl, exp := side(s.ControlReplicas, s.ControlKneeRPS, s.ControlPeakRPS), side(s.Replicas, s.KneeRPS, s.PeakRPS)
	if s.ControlReplicas > s.Replicas {
		ctl, exp = exp, ctl
	}
	eff := "unknown"
	if s.Efficiency != nil {
		eff = fmt.Sprintf("%.2f", *s.Efficiency)
	}
	switch {
	case s.AtLeast:
		eff = "at least " + eff
	case s.AtMost:
		eff = "at most " + eff
	}
	return fmt.Sprintf("%s (%s, %s req/s)", eff, ctl, exp)
}

var scalingHeader = []string{"endpoint", "served by", "peak req/s", "per replica", "low-load p95 ms", "latency bends at", "scaling efficiency"}

func scalingTerminal(w io.Writer, r *results.Result) {
	rows := scalingRows(r)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nscaling: throughput per replica and where latency bends upward (fault windows left out)")
	termGrid(w, scalingHeader, rows)
	if r.Ramp != "" {
		fmt.Fprintln(w, r.Ramp)
	}
}

func scalingMarkdown(w io.Writer, r *results.Result) {
	rows := scalingRows(r)
	if len(rows) == 0 {
		return
	}
	fmt.Fprint(w, "\n**Scaling** (fault windows left out):\n\n")
	mdGrid(w, scalingHeader, rows)
	if r.Ramp != "" {
		fmt.Fprintf(w, "\n%s\n", r.Ramp)
	}
}
