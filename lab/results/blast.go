package results

import (
	"maps"
	"math"
	"slices"
	"strings"
)

// Classes of the blast radius.
const (
	Isolated = "isolated" // within the baseline band
	Degraded = "degraded" // out of band: slower, or up to 10 points less successful
	Failed   = "failed"   // 10 points or more less successful
)

// FailedDrop is the drop in success rate, against the baseline, from which
// an endpoint or service counts as failed during a fault.
const FailedDrop = 0.10

// Impact is one cell of the blast radius: how one endpoint, or one service
// as its callers saw it, fared during one fault's window against the
// baseline.
type Impact struct {
	Fault   string `json:"fault"`
	Subject string `json:"subject"` // an endpoint, a service called over the network, or one instance of it
	Kind    string `json:"kind"`    // "endpoint", "service" or "instance" (of a service that ran more than one)
	// Node is the node an instance ran on, on a runtime of several.
	Node        string  `json:"node,omitempty"`
	SuccessRate float64 `json:"success_rate"`
	// SuccessDrop is the baseline's success rate minus the window's (0.05:
	// five points less).
	SuccessDrop float64 `json:"success_drop"`
	// P95Ratio is the window's p95 over the baseline's: an endpoint's, or
	// the calls' to a service as its callers saw them.
	P95Ratio float64 `json:"p95_ratio,omitempty"`
	Class    string  `json:"class"`
	// RecoveryS is, for endpoints, the time from the fault's end until the
	// endpoint was back in its baseline band for two seconds running (0:
	// it never left); nil when it did not come back before the run ended.
	RecoveryS *float64 `json:"recovery_s,omitempty"`
}

// classify places a window's figures against the baseline band (the same
// band that decides whether a fault was visible).
func classify(drop float64, p95, baseP95 float64) string {
	switch {
	case drop >= FailedDrop-1e-9: // 1 - 0.9 is 0.0999...: ten points are ten points

		return Failed
	case drop > 0.02 || p95 > math.Max(2*baseP95, baseP95+20):
		return Degraded
	}
	return Isolated
}

// BlastRadius computes, from a Result's phases and series, for every
// fault's window each endpoint's and each called service's change against
// the baseline, and each endpoint's recovery after the fault.
func BlastRadius(res *Result) []Impact {
	var basePhase *Phase
	for i := range res.Phases {
		if res.Phases[i].Name == "baseline" {
			basePhase = &res.Phases[i]
		}
	}
	if basePhase == nil {
		return nil
	}
	base := basePhase.Endpoints
	baseSvc, baseP95 := serviceSuccess(basePhase.Edges), serviceP95(basePhase.Edges)
	several := severalInstances(res.Phases)
	var out []Impact
	for _, f := range res.Faults {
		var ph *Phase
		for i := range res.Phases {
			if res.Phases[i].Name == f.Name {
				ph = &res.Phases[i]
			}
		}
		if ph == nil {
			continue
		}
		for _, e := range slices.Sorted(maps.Keys(base)) {
			b, st := base[e], ph.Endpoints[e]
			if e == "all" || st.Requests == 0 {
				continue
			}
			im := Impact{Fault: f.Name, Subject: e, Kind: "endpoint", SuccessRate: st.SuccessRate,
				SuccessDrop: b.SuccessRate - st.SuccessRate}
			if b.P95 > 0 {
				im.P95Ratio = st.P95 / b.P95
			}
			im.Class = classify(im.SuccessDrop, st.P95, b.P95)
			if rt := recoveryTime(res.Series, e, bandOf(b), ph.EndS, int(res.DurationS)); rt != Never {
				v := rt / 1000
				im.RecoveryS = &v
			}
			out = append(out, im)
		}
		during, duringP95 := serviceSuccess(ph.Edges), serviceP95(ph.Edges)
		for _, svc := range slices.Sorted(maps.Keys(during)) {
			rate, baseRate := during[svc], 1.0
			if r, ok := baseSvc[svc]; ok {
				baseRate = r
			}
			drop := baseRate - rate
			im := Impact{Fault: f.Name, Subject: svc, Kind: "service", SuccessRate: rate, SuccessDrop: drop}
			// The same band as endpoints: success, and the p95 of the calls
			// to it as its callers saw them.
			p95, b95 := duringP95[svc], baseP95[svc]
			if b95 > 0 && p95 > 0 {
				im.P95Ratio = p95 / b95
			}
			if b95 == 0 || p95 == 0 {
				p95, b95 = 0, 0
			}
			im.Class = classify(drop, p95, b95)
			out = append(out, im)
		}
		out = append(out, instanceImpacts(f.Name, ph.Edges, basePhase.Edges, several, res.Placement)...)
	}
	return out
}

// instanceImpacts are one fault's impacts on each instance of a service
// that ran several (several), as all its callers' attempts saw it: a node
// fault, or one replica's, shows as the instances it hit and only those.
// An instance without attempts in the window has no cell there.
func instanceImpacts(fault string, during, base map[string]EdgeStats, several map[string]bool, nodes map[string]string) []Impact {
	now, then := instanceCalls(during), instanceCalls(base)
	var out []Impact
	for _, inst := range slices.Sorted(maps.Keys(now)) {
		c, b := now[inst], then[inst]
		if !several[inst] || c.Attempts == 0 {
			continue
		}
		rate, baseRate := 1-c.Failed/c.Attempts, 1.0
		if b.Attempts > 0 {
			baseRate = 1 - b.Failed/b.Attempts
		}
		im := Impact{Fault: fault, Subject: inst, Kind: "instance", Node: nodes[inst], SuccessRate: rate, SuccessDrop: baseRate - rate}
		p95, b95 := c.P95, b.P95
		if p95 > 0 && b95 > 0 {
			im.P95Ratio = p95 / b95
		} else {
			p95, b95 = 0, 0
		}
		im.Class = classify(im.SuccessDrop, p95, b95)
		out = append(out, im)
	}
	return out
}

// instanceCalls merges, per callee instance, every caller's attempts to it.
func instanceCalls(edges map[string]EdgeStats) map[string]InstanceCalls {
	out := map[string]InstanceCalls{}
	for _, e := range edges {
		for inst, c := range e.Instances {
			out[inst] = out[inst].add(c)
		}
	}
	for inst, c := range out {
		c.P95 = bucketQuantile(c.Latency, 0.95)
		out[inst] = c
	}
	return out
}

// severalInstances names the callee instances of services that had more
// than one with attempts in some phase: one instance's row would only
// repeat its service's.
func severalInstances(phases []Phase) map[string]bool {
	of := map[string]map[string]bool{} // service -> its instances
	for _, ph := range phases {
		for name, e := range ph.Edges {
			_, callee, _ := strings.Cut(name, "->")
			for inst := range e.Instances {
				if of[callee] == nil {
					of[callee] = map[string]bool{}
				}
				of[callee][inst] = true
			}
		}
	}
	out := map[string]bool{}
	for _, insts := range of {
		for inst := range insts {
			out[inst] = len(insts) > 1
		}
	}
	return out
}

// serviceP95 returns, per callee service, the p95 in ms of its callers'
// attempts, all edges into it together.
func serviceP95(edges map[string]EdgeStats) map[string]float64 {
	merged := map[string]map[string]float64{}
	for name, e := range edges {
		_, callee, ok := strings.Cut(name, "->")
		if !ok {
			continue
		}
		merged[callee] = AddBuckets(merged[callee], e.Latency)
	}
	out := map[string]float64{}
	for svc, b := range merged {
		out[svc] = bucketQuantile(b, 0.95)
	}
	return out
}

// serviceSuccess returns, per callee service, the share of its callers'
// calls that succeeded (after retries and fallbacks).
func serviceSuccess(edges map[string]EdgeStats) map[string]float64 {
	calls, failed := map[string]float64{}, map[string]float64{}
	for name, e := range edges {
		_, callee, ok := strings.Cut(name, "->")
		if !ok || e.Calls == 0 {
			continue
		}
		calls[callee] += e.Calls
		failed[callee] += e.Failed
	}
	out := map[string]float64{}
	for svc, n := range calls {
		out[svc] = 1 - failed[svc]/n
	}
	return out
}
