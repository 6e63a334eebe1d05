package results

import (
	"fmt"
	"slices"
)

// Repeat is `lab run NAME --repeat N`: the same scenario run N times with
// seeds derived from the base seed, every figure as a median and a range,
// every hypothesis and invariant as held in k of N. repeat.json holds it.
type Repeat struct {
	Scenario string `json:"scenario"`
	Summary  string `json:"summary"`
	Runtime  string `json:"runtime"`
	// Runs is how many runs were asked for; Done how many finished (fewer
	// when the repeat was interrupted).
	Runs    int `json:"runs"`
	Done    int `json:"done"`
	MinPass int `json:"min_pass"`
	// Seeds are the runs' seeds, in order; Folders their run folders.
	Seeds   []int64  `json:"seeds"`
	Folders []string `json:"folders"`
	// Verdicts are the runs' own.
	Verdicts    []string      `json:"verdicts"`
	Verdict     string        `json:"verdict"`
	Reason      string        `json:"reason"`
	Interrupted bool          `json:"interrupted,omitempty"`
	Hypotheses  []RepeatCheck `json:"hypotheses"`
	Invariants  []RepeatCheck `json:"invariants"`
	Phases      []RepeatPhase `json:"phases"`
	WallS       Spread        `json:"wall_s"`
}

// RepeatCheck is a hypothesis or invariant over the runs.
type RepeatCheck struct {
	Name   string `json:"name"`
	During string `json:"during,omitempty"`
	Expect string `json:"expect,omitempty"`
	Held   int    `json:"held"`
	Of     int    `json:"of"`
	// Observed is what each run observed, in run order.
	Observed []string `json:"observed"`
}

func (c *RepeatCheck) count(held bool, observed string) {
	c.Of++
	if held {
		c.Held++
	}
	c.Observed = append(c.Observed, observed)
}

// RepeatPhase is one phase's endpoints over the runs.
type RepeatPhase struct {
	Name      string                    `json:"name"`
	Endpoints map[string]RepeatEndpoint `json:"endpoints"`
}

// RepeatEndpoint is one endpoint's figures over the runs.
type RepeatEndpoint struct {
	Requests    Spread `json:"requests"`
	SuccessRate Spread `json:"success_rate"`
	P50         Spread `json:"p50_ms"`
	P95         Spread `json:"p95_ms"`
	P99         Spread `json:"p99_ms"`
	RPS         Spread `json:"rps"`
}

// Spread is a figure over the runs: its median, lowest and highest.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// SpreadOf returns the Median, lowest and highest of xs.
func SpreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	return Spread{Median: Median(xs), Min: slices.Min(xs), Max: slices.Max(xs)}
}

// Median is the middle of xs, the mean of the middle two for an even
// count; 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// RepeatSeed is the seed of run i (from 0) of a repeat from base: run 0 is
// the scenario as written, the others follow it.
func RepeatSeed(base int64, i int) int64 { return base + int64(i) }

// Aggregate judges runs, the finished runs of a repeat of want runs: each
// hypothesis must have held in at least minPass of want runs, every
// invariant in every run (data that broke once is broken). A run that was
// inconclusive counts its hypotheses as they were judged, and the repeat is
// inconclusive when the hypotheses held but more runs than want-minPass
// were. Runs must be of one scenario.
func Aggregate(runs []*Result, folders []string, want, minPass int) *Repeat {
	rep := &Repeat{Runs: want, Done: len(runs), MinPass: minPass, Seeds: []int64{}, Folders: folders,
		Verdicts: []string{}, Hypotheses: []RepeatCheck{}, Invariants: []RepeatCheck{}, Phases: []RepeatPhase{}}
	if len(runs) == 0 {
		rep.Verdict, rep.Reason = Inconclusive, "no run finished"
		return rep
	}
	rep.Scenario, rep.Summary, rep.Runtime = runs[0].Scenario, runs[0].Summary, runs[0].Runtime
	var walls []float64
	inconclusive := 0
	for _, r := range runs {
		rep.Seeds = append(rep.Seeds, r.Seed)
		rep.Verdicts = append(rep.Verdicts, r.Verdict)
		walls = append(walls, r.WallS)
		if r.Verdict == Inconclusive {
			inconclusive++
		}
	}
	rep.WallS = SpreadOf(walls)

	// Hypotheses and invariants, by name, in the order first seen.
	hyps, invs := map[string]int{}, map[string]int{}
	for _, r := range runs {
		for _, h := range r.Hypotheses {
			i, ok := hyps[h.Name]
			if !ok {
				i = len(rep.Hypotheses)
				hyps[h.Name] = i
				rep.Hypotheses = append(rep.Hypotheses, RepeatCheck{Name: h.Name, During: h.During, Expect: h.Expect})
			}
			rep.Hypotheses[i].count(h.Pass, h.Observed)
		}
		for _, in := range r.Invariants {
			i, ok := invs[in.Name]
			if !ok {
				i = len(rep.Invariants)
				invs[in.Name] = i
				rep.Invariants = append(rep.Invariants, RepeatCheck{Name: in.Name})
			}
			rep.Invariants[i].count(in.Pass, in.Detail)
		}
	}

	// Phases and endpoints that every run has.
	for _, p := range runs[0].Phases {
		rp := RepeatPhase{Name: p.Name, Endpoints: map[string]RepeatEndpoint{}}
		for e := range p.Endpoints {
			var req, ok, p50, p95, p99, rps []float64
			all := true
			for _, r := range runs {
				st, found := endpointOf(r, p.Name, e)
				if !found {
					all = false
					break
				}
				req, ok = append(req, float64(st.Requests)), append(ok, st.SuccessRate)
				p50, p95, p99, rps = append(p50, st.P50), append(p95, st.P95), append(p99, st.P99), append(rps, st.RPS)
			}
			if all {
				rp.Endpoints[e] = RepeatEndpoint{Requests: SpreadOf(req), SuccessRate: SpreadOf(ok),
					P50: SpreadOf(p50), P95: SpreadOf(p95), P99: SpreadOf(p99), RPS: SpreadOf(rps)}
			}
		}
		rep.Phases = append(rep.Phases, rp)
	}

	var short []string
	for _, h := range rep.Hypotheses {
		if h.Held < minPass {
			short = append(short, fmt.Sprintf("%q held in %d of %d", h.Name, h.Held, want))
		}
	}
	for _, in := range rep.Invariants {
		if in.Held < in.Of {
			short = append(short, fmt.Sprintf("invariant %s broke in %d of %d", in.Name, in.Of-in.Held, in.Of))
		}
	}
	switch {
	case len(short) > 0:
		rep.Verdict = Fail
		rep.Reason = fmt.Sprintf("%s (each hypothesis must hold in %d of %d runs, each invariant in all)", joinAnd(short), minPass, want)
	case len(runs) < want:
		rep.Verdict, rep.Reason = Inconclusive, fmt.Sprintf("%d of %d runs finished", len(runs), want)
	case inconclusive > want-minPass:
		rep.Verdict, rep.Reason = Inconclusive, fmt.Sprintf("%d of %d runs were inconclusive (a fault had no observable effect)", inconclusive, want)
	default:
		rep.Verdict = Pass
		rep.Reason = fmt.Sprintf("every hypothesis held in at least %d of %d runs, every invariant in all", minPass, want)
	}
	return rep
}

func endpointOf(r *Result, phase, endpoint string) (EndpointStats, bool) {
	for _, p := range r.Phases {
		if p.Name == phase {
			st, ok := p.Endpoints[endpoint]
			return st, ok
		}
	}
	return EndpointStats{}, false
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	out := xs[0]
	for _, x := range xs[1 : len(xs)-1] {
		out += ", " + x
	}
	return out + " and " + xs[len(xs)-1]
}
