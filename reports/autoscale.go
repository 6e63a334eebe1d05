package reports

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"lab/lab/results"
)

// autoscaleRows are the scale events' rows, shared by every format: when,
// what moved, on what reading, how long the new capacity took, and why.
func autoscaleRows(r *results.Result) [][]string {
	if r.Autoscale == nil {
		return nil
	}
	var rows [][]string
	for _, e := range r.Autoscale.Events {
		took := fmt.Sprintf("%.2f s", e.DoneAtS-e.AtS)
		if e.LagS != nil {
			took += fmt.Sprintf(" (%.2f s from the crossing)", *e.LagS)
		}
		what := fmt.Sprintf("%d -> %d", e.From, e.To)
		if len(e.Instances) > 0 {
			what += " (" + strings.Join(e.Instances, ", ") + ")"
		}
		why := e.Reason
		if e.Error != "" {
			why = "FAILED: " + e.Error + "; " + why
		}
		rows = append(rows, []string{fmt.Sprintf("%+.1f s", e.AtS), e.Service, what, took, why})
	}
	return rows
}

var autoscaleHeader = []string{"at", "service", "replicas", "serving (up) or stopped (down) after", "why"}

// autoscaleSummary says per autoscaled service its range and its scale-downs' failures.
func autoscaleSummary(r *results.Result) []string {
	if r.Autoscale == nil {
		return nil
	}
	var out []string
	for _, svc := range slices.Sorted(maps.Keys(r.Autoscale.Rules)) {
		rule := r.Autoscale.Rules[svc]
		lo, hi := 0, 0
		for _, x := range r.Autoscale.Replicas {
			if x.Service != svc {
				continue
			}
			if lo == 0 || x.Replicas < lo {
				lo = x.Replicas
			}
			hi = max(hi, x.Replicas)
		}
		ups, downs := 0, 0
		for _, e := range r.Autoscale.Events {
			if e.Service == svc && e.Up() {
				ups++
			} else if e.Service == svc {
				downs++
			}
		}
		out = append(out, fmt.Sprintf("%s: %d to %d replicas (min %d, max %d, %s target %g); %d scale-ups, %d scale-downs, %d requests failed during scale-down",
			svc, lo, hi, rule.Min, rule.Max, rule.Metric, rule.Target, ups, downs, r.Autoscale.FailedDuringScaleDown[svc]))
	}
	return out
}

func autoscaleTerminal(w io.Writer, r *results.Result) {
	lines := autoscaleSummary(r)
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "\nautoscaling: "+strings.Join(lines, "\n             "))
	if rows := autoscaleRows(r); len(rows) > 0 {
		termGrid(w, autoscaleHeader, rows)
	}
}

func autoscaleMarkdown(w io.Writer, r *results.Result) {
	lines := autoscaleSummary(r)
	if len(lines) == 0 {
		return
	}
	fmt.Fprint(w, "\n**Autoscaling**: "+strings.Join(lines, "; ")+"\n\n")
	if rows := autoscaleRows(r); len(rows) > 0 {
		mdGrid(w, autoscaleHeader, rows)
	}
}
