package results

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Hypothesis is one hypothesis of a scenario: Expect, an expression of the
// hypothesis language (Compile), over the phase During ("" for the whole
// measured load).
type Hypothesis struct {
	Name, During, Expect string
}

// Measured is what a run measured besides the Result: the per-second
// series of every endpoint, from T0 for Duration seconds.
type Measured struct {
	Series   Series
	T0       time.Time
	Duration int
	// Endpoints are the endpoints hypotheses may name.
	Endpoints []string
	// Stages are the load's named stages: phases beside the faults'.
	Stages []NamedPhase
}

// NamedPhase is a stretch of the measured load with a name of its own (a
// named stage of a ramping load), in seconds from its start.
type NamedPhase struct {
	Name     string
	From, To int
}

// Judge fills the series, the phases, the breakers' reactions, the
// hypotheses, the blast radius, fault visibility and the verdict of res from
// m and what res already holds: faults, edges, breaker transitions, signals,
// invariants and thresholds.
func Judge(res *Result, hyps []Hypothesis, m Measured) {
	s, t0, duration, sig := m.Series, m.T0, m.Duration, res.Signals
	res.Series, res.DurationS = SeriesOf(s, duration), float64(duration)
	ws := windows(res.Faults, t0, duration)
	for _, st := range m.Stages {
		ws = append(ws, window{name: st.Name, from: min(st.From, duration), to: min(st.To, duration)})
	}
	byName := map[string]window{"": {name: "", from: 0, to: duration}}
	var base map[string]EndpointStats
	var baseW window
	for _, w := range ws {
		byName[w.name] = w
		st := phaseStats(s, w)
		res.Phases = append(res.Phases, Phase{Name: w.name, StartS: w.from, EndS: w.to,
			Start: t0.Add(time.Duration(w.from) * time.Second), End: t0.Add(time.Duration(w.to) * time.Second),
			Endpoints: st, Edges: edgeStats(res.Edges, w)})
		if w.name == "baseline" {
			base, baseW = st, w
		}
	}
	recovery := func(fault string, endpoint ...string) (float64, error) {
		w, ok := byName[fault]
		if !ok || fault == "" || fault == "baseline" || fault == "recovery" {
			return 0, fmt.Errorf("recovery_time: no fault %q", fault)
		}
		eps := endpoint
		if len(eps) == 0 {
			for e := range base {
				if e != "all" {
					eps = append(eps, e)
				}
			}
		}
		worst := 0.0
		for _, e := range eps {
			b, ok := base[e]
			if !ok {
				return 0, fmt.Errorf("recovery_time: endpoint %q had no requests in the baseline", e)
			}
			worst = math.Max(worst, recoveryTime(res.Series, e, bandOf(b), w.to, duration))
		}
		return worst, nil
	}
	for i := range res.Faults {
		f := &res.Faults[i]
		w := byName[f.Name]
		on, off := span{float64(w.from), float64(w.from)}, span{float64(w.to), float64(w.to)}
		at := func(t time.Time) float64 { return t.Sub(t0).Seconds() }
		if !f.AppliedAt.IsZero() {
			on = span{at(f.AppliedAt), at(f.AppliedAt)}
			if !f.ApplyStartedAt.IsZero() {
				on.start = at(f.ApplyStartedAt)
			}
		}
		if !f.RemovedAt.IsZero() {
			off = span{at(f.RemovedAt), at(f.RemovedAt)}
			if !f.RemoveStartedAt.IsZero() {
				off.start = at(f.RemoveStartedAt)
			}
		}
		f.Breakers = reactions(res.Breakers, on, off)
	}
	if a := res.Autoscale; a != nil {
		a.FailedDuringScaleDown = map[string]int64{}
		for svc := range a.Rules {
			a.FailedDuringScaleDown[svc] = FailedDuringScaleDown(res, s, svc)
		}
	}
	opened, closed := breakerFuncs(res.Faults)
	baseStats := map[string]Stats{}
	for e, st := range toStats(base, baseW.to-baseW.from, nil) {
		if base[e].Requests > 0 {
			baseStats[e] = st
		}
	}
	failed := 0
	for _, h := range hyps {
		hr := HypothesisResult{Name: h.Name, During: h.During, Expect: h.Expect}
		w := byName[h.During]
		stats := phaseStats(s, w)
		fns := Funcs{Recovery: recovery, Edge: edgeFunc(edgeStats(res.Edges, w)),
			BreakerOpened: opened, BreakerClosed: closed,
			Scale: scaleFunc(res, s, w), ScaledUp: scaledUpFunc(res, byName)}
		env := Env(toStats(stats, w.to-w.from, m.Endpoints), baseStats, fns)
		prog, err := Compile(h.Expect, m.Endpoints)
		if err == nil {
			err = baselineHas(h.Expect, baseStats)
		}
		if err == nil {
			hr.Pass, err = Eval(prog, env)
		}
		hr.Observed = observed(h.Expect, stats, base, fns)
		if err != nil {
			hr.Pass, hr.Observed = false, "error: "+err.Error()
		}
		if !hr.Pass {
			failed++
		}
		res.Hypotheses = append(res.Hypotheses, hr)
	}
	res.BlastRadius = BlastRadius(res)
	invisible := []string{}
	for i := range res.Faults {
		f := &res.Faults[i]
		if f.Unplanned { // its evidence is the exit itself, and it proves nothing either way
			continue
		}
		w := byName[f.Name]
		f.Visible, f.Evidence = visible(s, w, base, baseW, sig, afterS(w, ws, duration), reacted(*f, w, baseW, res.Edges))
		if !f.Visible {
			invisible = append(invisible, f.Name)
		}
	}
	broken, idle := 0, 0
	for _, inv := range res.Invariants {
		switch {
		case !inv.Pass:
			broken++
		case inv.NotExercised:
			idle++
		}
	}
	crossed := crossedThresholds(res.Thresholds)
	switch {
	case failed > 0 || broken > 0 || len(crossed) > 0:
		var why []string
		if failed > 0 {
			why = append(why, fmt.Sprintf("%d of %d hypotheses failed", failed, len(res.Hypotheses)))
		}
		if broken > 0 {
			why = append(why, fmt.Sprintf("%d of %d invariants broken", broken, len(res.Invariants)))
		}
		if len(crossed) > 0 {
			why = append(why, fmt.Sprintf("%d of %d k6 thresholds crossed (%s)", len(crossed), len(res.Thresholds), strings.Join(crossed, "; ")))
		}
		if res.Aborted != "" {
			why = append(why, res.Aborted)
		}
		res.Verdict, res.Reason = Fail, strings.Join(why, "; ")
	case len(invisible) > 0:
		res.Verdict, res.Reason = Inconclusive, fmt.Sprintf("fault %s had no observable effect, so the experiment proved nothing", strings.Join(invisible, ", "))
	default:
		held := []string{fmt.Sprintf("%d %s", len(res.Hypotheses), plural(len(res.Hypotheses), "hypothesis", "hypotheses"))}
		if n := len(res.Invariants) - idle; n > 0 || idle == 0 {
			held = append(held, fmt.Sprintf("%d %s", n, plural(n, "invariant", "invariants")))
		}
		res.Verdict, res.Reason = Pass, "all "+strings.Join(held, " and ")+" held"
		if len(res.Thresholds) > 0 {
			res.Reason += fmt.Sprintf(", and all %d k6 %s", len(res.Thresholds), plural(len(res.Thresholds), "threshold", "thresholds"))
		}
		if idle > 0 {
			res.Reason += fmt.Sprintf("; %d %s not exercised (the run gave %s nothing to check)", idle, plural(idle, "invariant", "invariants"), plural(idle, "it", "them"))
		}
	}
}

func toStats(in map[string]EndpointStats, seconds int, names []string) map[string]Stats {
	out := map[string]Stats{}
	for _, n := range append(names, "all") {
		out[n] = Stats{SuccessRate: 1}
	}
	for e, st := range in {
		out[e] = Stats{Requests: float64(st.Requests), SuccessRate: st.SuccessRate, ErrorRate: 1 - st.SuccessRate,
			P50: st.P50, P95: st.P95, P99: st.P99, RPS: st.RPS}
	}
	return out
}

var (
	fieldRef = regexp.MustCompile(`\b([a-z_][a-z0-9_-]*)\.(` + strings.Join(StatFields, "|") + `)\b`)
	callRef  = regexp.MustCompile(`\b(` + strings.Join(slices.Concat(TimeFuncs, EdgeFuncs, ScaleFuncs), "|") +
		`)\(\s*"([^"]+)"\s*(?:,\s*"([^"]+)"\s*)?\)`)
)

// baselineHas says which endpoint code reads in the baseline that had no
// requests there: its figures would read 0 and prove nothing.
func baselineHas(code string, base map[string]Stats) error {
	for _, m := range baselineRefs(code) {
		if _, ok := base[m[1]]; !ok {
			return fmt.Errorf("%s: %s had no requests in the baseline", strings.TrimSpace(m[0]), m[1])
		}
	}
	return nil
}

// observed writes the values an expression looked at: in the phase judged
// and, for baseline.ENDPOINT.FIGURE, in the baseline.
func observed(code string, stats, base map[string]EndpointStats, fns Funcs) string {
	seen := map[string]bool{}
	var parts []string
	figures := func(label string, st EndpointStats) string {
		return fmt.Sprintf("%s: %d req, %.2f%% ok, p50 %.1fms, p95 %.1fms, p99 %.1fms",
			label, st.Requests, 100*st.SuccessRate, st.P50, st.P95, st.P99)
	}
	var baseParts []string
	for _, m := range baselineRefs(code) {
		if st, ok := base[m[1]]; ok && st.Requests > 0 && !seen[m[0]] {
			seen[m[0]] = true
			baseParts = append(baseParts, "baseline "+m[1]+" "+figure(st, m[2]))
		}
	}
	for _, m := range fieldRef.FindAllStringSubmatch(baselineRef.ReplaceAllString(stringLit.ReplaceAllString(code, `""`), " "), -1) {
		e := m[1]
		if seen[e] {
			continue
		}
		seen[e] = true
		parts = append(parts, figures(e, stats[e]))
	}
	for _, m := range callRef.FindAllStringSubmatch(code, -1) {
		call := strings.TrimSpace(m[0])
		var v float64
		var err error
		isTime := true
		switch m[1] {
		case "recovery_time":
			if m[3] != "" {
				v, err = fns.Recovery(m[2], m[3])
			} else {
				v, err = fns.Recovery(m[2])
			}
		case "breaker_opened_after", "ejected_after":
			v, err = fns.BreakerOpened(m[2], m[3])
		case "breaker_closed_after":
			v, err = fns.BreakerClosed(m[2], m[3])
		case "scaled_up_after":
			v, err = fns.ScaledUp(m[2], m[3])
		case "replicas", "failed_during_scale_down":
			v, err = fns.Scale(m[1], m[2])
			isTime = false
		default:
			v, err = fns.Edge(m[1], m[2])
			isTime = false
		}
		switch {
		case err != nil:
			parts = append(parts, err.Error())
		case math.IsInf(v, 1):
			parts = append(parts, call+": never")
		case isTime:
			parts = append(parts, fmt.Sprintf("%s = %.2fs", call, v/1000))
		default:
			parts = append(parts, fmt.Sprintf("%s = %.2f", call, v))
		}
	}
	sort.Strings(parts)
	return strings.Join(append(parts, baseParts...), "; ")
}

// figure writes one of an endpoint's figures by its name in expressions.
func figure(st EndpointStats, field string) string {
	switch field {
	case "requests":
		return fmt.Sprintf("%d req", st.Requests)
	case "success_rate":
		return fmt.Sprintf("%.2f%% ok", 100*st.SuccessRate)
	case "error_rate":
		return fmt.Sprintf("%.2f%% errors", 100*(1-st.SuccessRate))
	case "p50":
		return fmt.Sprintf("p50 %.1fms", st.P50)
	case "p95":
		return fmt.Sprintf("p95 %.1fms", st.P95)
	case "p99":
		return fmt.Sprintf("p99 %.1fms", st.P99)
	}
	return fmt.Sprintf("%.1f req/s", st.RPS)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// drainAfterS bounds how long after a fault's end its waiting events may
// still surface and count as its effect.
const drainAfterS = 5

// afterS is how many seconds after w's end count as w's aftermath: up to
// drainAfterS, and never into another fault's window or past the load.
func afterS(w window, ws []window, duration int) int {
	end := min(w.to+drainAfterS, duration)
	for _, o := range ws {
		if o.name != w.name && o.name != "baseline" && o.name != "recovery" && o.from >= w.to && o.from < end {
			end = o.from
		}
	}
	return max(0, end-w.to)
}
