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
		eff := "-"
		if s.Efficiency != nil {
			eff = fmt.Sprintf("%.2f", *s.Efficiency)
			if s.AtLeast {
				eff = "at least " + eff
			}
		}
		rows = append(rows, []string{s.Endpoint, fmt.Sprintf("%s x%d", s.Service, s.Replicas), fmt.Sprintf("%.0f", s.PeakRPS),
			fmt.Sprintf("%.0f", s.PerReplica), fmt.Sprintf("%.1f", s.LowP95), knee, eff})
	}
	return rows
}

var scalingHeader = []string{"endpoint", "served by", "peak req/s", "per replica", "low-load p95 ms", "latency bends at", "scaling efficiency"}

func scalingTerminal(w io.Writer, r *results.Result) {
	rows := scalingRows(r)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nscaling: throughput per replica and where latency bends upward (fault windows left out)")
	termGrid(w, scalingHeader, rows)
}

func scalingMarkdown(w io.Writer, r *results.Result) {
	rows := scalingRows(r)
	if len(rows) == 0 {
		return
	}
	fmt.Fprint(w, "\n**Scaling** (fault windows left out):\n\n")
	mdGrid(w, scalingHeader, rows)
}
