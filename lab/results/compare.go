package results

import (
	"fmt"
	"math"
	"sort"
)

// AttachControl records ctl as the control run of res, with the deltas per
// endpoint and phase and a sentence saying which configuration held.
func AttachControl(res, ctl *Result, key, value string) {
	c := &Compare{Key: key, Value: value, Control: ControlResult{Verdict: ctl.Verdict, Reason: ctl.Reason,
		Phases: ctl.Phases, Hypotheses: ctl.Hypotheses, Invariants: ctl.Invariants, Faults: ctl.Faults,
		Replicas: ctl.Replicas, Scaling: ctl.Scaling}}
	scalingEfficiency(res.Scaling, ctl.Scaling)
	byPhase := map[string]Phase{}
	for _, p := range ctl.Phases {
		byPhase[p.Name] = p
	}
	for _, p := range res.Phases {
		cp, ok := byPhase[p.Name]
		if !ok {
			continue
		}
		for e, st := range p.Endpoints {
			cst, ok := cp.Endpoints[e]
			if !ok || e == "register" {
				continue
			}
			d := CompareDelta{Phase: p.Name, Endpoint: e, SuccessRate: st.SuccessRate, ControlSuccess: cst.SuccessRate,
				P95: st.P95, ControlP95: cst.P95, SuccessDeltaPts: 100 * (st.SuccessRate - cst.SuccessRate)}
			if cst.P95 > 0 {
				d.P95Ratio = st.P95 / cst.P95
			}
			c.Deltas = append(c.Deltas, d)
		}
	}
	sort.Slice(c.Deltas, func(i, j int) bool {
		a, b := c.Deltas[i], c.Deltas[j]
		if math.Abs(a.SuccessDeltaPts) != math.Abs(b.SuccessDeltaPts) {
			return math.Abs(a.SuccessDeltaPts) > math.Abs(b.SuccessDeltaPts)
		}
		return a.Phase+a.Endpoint < b.Phase+b.Endpoint
	})
	c.Summary = summarize(res, ctl, c)
	res.Compare = c
}

func held(r *Result) string {
	n := 0
	for _, h := range r.Hypotheses {
		if h.Pass {
			n++
		}
	}
	return fmt.Sprintf("%s, %d of %d hypotheses held", r.Verdict, n, len(r.Hypotheses))
}

func summarize(res, ctl *Result, c *Compare) string {
	s := fmt.Sprintf("As written the scenario's verdict is %s; with %s=%s it is %s.", held(res), c.Key, c.Value, held(ctl))
	if len(c.Deltas) > 0 {
		d := c.Deltas[0]
		if math.Abs(d.SuccessDeltaPts) >= 0.5 {
			s += fmt.Sprintf(" The largest difference: %s during %s succeeded %.1f%% of the time as written against %.1f%% with %s=%s (p95 %.1fms against %.1fms).",
				d.Endpoint, d.Phase, 100*d.SuccessRate, 100*d.ControlSuccess, c.Key, c.Value, d.P95, d.ControlP95)
		} else {
			worst := c.Deltas[0]
			for _, x := range c.Deltas {
				if x.Endpoint != "all" && math.Abs(x.P95-x.ControlP95) > math.Abs(worst.P95-worst.ControlP95) {
					worst = x
				}
			}
			s += fmt.Sprintf(" Success rates stayed within half a point; the largest latency difference: %s during %s, p95 %.1fms as written against %.1fms.",
				worst.Endpoint, worst.Phase, worst.P95, worst.ControlP95)
		}
	}
	return s
}
