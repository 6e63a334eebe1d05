package reports

import (
	"fmt"
	"io"
	"math"

	"lab/internal/table"
	"lab/lab/results"
)

// DiffOptions are the thresholds beyond which Diff flags a change as a
// regression of B against A.
type DiffOptions struct {
	// MaxSuccessDrop is the largest drop in success rate not flagged
	// (0.01: one point).
	MaxSuccessDrop float64
	// MaxP95Ratio is the largest ratio of B's p95 over A's not flagged...
	MaxP95Ratio float64
	// ...unless B's p95 is within MinP95DeltaMS of A's: on a 2 ms
	// endpoint, 3 ms is noise, not a regression.
	MinP95DeltaMS float64
}

// DefaultDiff are the thresholds of `lab diff` unless told otherwise.
var DefaultDiff = DiffOptions{MaxSuccessDrop: 0.01, MaxP95Ratio: 1.5, MinP95DeltaMS: 5}

// DiffRow compares one endpoint over one phase in two runs.
type DiffRow struct {
	Phase    string                `json:"phase"`
	Endpoint string                `json:"endpoint"`
	A        results.EndpointStats `json:"a"`
	B        results.EndpointStats `json:"b"`
	// Regression names what crossed a threshold, or is "".
	Regression string `json:"regression,omitempty"`
}

// Diff compares every endpoint of every phase that both runs have, B
// against A (A: main; B: the branch).
func Diff(a, b *results.Result, o DiffOptions) []DiffRow {
	var out []DiffRow
	for _, pa := range a.Phases {
		var pb *results.Phase
		for i := range b.Phases {
			if b.Phases[i].Name == pa.Name {
				pb = &b.Phases[i]
			}
		}
		if pb == nil {
			continue
		}
		for _, e := range sortedEndpoints(pa.Endpoints) {
			sb, ok := pb.Endpoints[e]
			if !ok {
				continue
			}
			row := DiffRow{Phase: pa.Name, Endpoint: e, A: pa.Endpoints[e], B: sb}
			drop := row.A.SuccessRate - sb.SuccessRate
			switch {
			case drop > o.MaxSuccessDrop:
				row.Regression = fmt.Sprintf("success -%.2f points", 100*drop)
			case row.A.P95 > 0 && sb.P95/row.A.P95 > o.MaxP95Ratio && sb.P95-row.A.P95 > o.MinP95DeltaMS:
				row.Regression = fmt.Sprintf("p95 x%.2f", sb.P95/row.A.P95)
			}
			out = append(out, row)
		}
	}
	return out
}

// Regressions counts the flagged rows, and a verdict that went from pass to
// anything else.
func Regressions(a, b *results.Result, rows []DiffRow) int {
	n := 0
	for _, r := range rows {
		if r.Regression != "" {
			n++
		}
	}
	if a.Verdict == results.Pass && b.Verdict != results.Pass {
		n++
	}
	return n
}

// DiffTable writes the comparison a person reads: both runs' figures per
// endpoint and phase, and what regressed.
func DiffTable(w io.Writer, a, b *results.Result, rows []DiffRow) {
	fmt.Fprintf(w, "A: %s, %s (%s runtime, seed %d)\nB: %s, %s (%s runtime, seed %d)\n\n",
		a.Scenario, a.Verdict, a.Runtime, a.Seed, b.Scenario, b.Verdict, b.Runtime, b.Seed)
	t := table.New(w)
	t.Header("phase", "endpoint", "success A", "success B", "p50 A", "p50 B", "p95 A", "p95 B", "p99 A", "p99 B", "regression")
	ms := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	for _, r := range rows {
		t.Append(r.Phase, r.Endpoint, pct(r.A.SuccessRate), pct(r.B.SuccessRate), ms(r.A.P50), ms(r.B.P50),
			ms(r.A.P95), ms(r.B.P95), ms(r.A.P99), ms(r.B.P99), orDash(r.Regression))
	}
	t.Render()
	if a.Verdict != b.Verdict {
		fmt.Fprintf(w, "verdict: %s in A, %s in B\n", a.Verdict, b.Verdict)
	}
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
