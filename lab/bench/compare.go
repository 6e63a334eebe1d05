package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Pair is one metric measured on two runtimes in one invocation.
type Pair struct {
	Key   string  `json:"key"`
	Title string  `json:"title"`
	Unit  string  `json:"unit"`
	A     Metric  `json:"a"`     // the first runtime's (process)
	B     Metric  `json:"b"`     // the second's (docker)
	Ratio float64 `json:"ratio"` // B / A
	// Goal says what B must be, against A or on its own; "" if nothing.
	Goal string `json:"goal,omitempty"`
	Met  bool   `json:"met"`
}

// Comparison is `lab bench --runtime process,docker`.
type Comparison struct {
	A       string    `json:"a"`
	B       string    `json:"b"`
	Machine Machine   `json:"machine"`
	Runs    int       `json:"runs"`
	Began   time.Time `json:"began"`
	Seconds float64   `json:"seconds"`
	Pairs   []Pair    `json:"pairs"`
}

// Missed returns the pairs whose goal was not met or that could not be
// measured.
func (c *Comparison) Missed() []Pair {
	var out []Pair
	for _, p := range c.Pairs {
		if p.Goal != "" && !p.Met || p.A.Error != "" || p.B.Error != "" {
			out = append(out, p)
		}
	}
	return out
}

// goals are what the second runtime (docker) must reach, against the
// first (process) measured in the same invocation, or on its own.
var goals = map[string]struct {
	ratio bool // against A: B/A at least min
	min   float64
	max   float64 // on its own: B at most max
}{
	"browse_rps":            {ratio: true, min: 0.70},
	"checkout_per_s":        {ratio: true, min: 0.70},
	"hop_overhead_us":       {max: 100},
	"instances50_startup_s": {max: 15},
	"verdict_wall_s":        {max: 20},
	"startup_s":             {max: 5},
}

// Compare measures each metric of keys on a and b in turn, a then b, run
// after run, so that a busy minute of the machine slows both sides; each
// side's value is the median of its runs. a.Runs says how many.
func Compare(ctx context.Context, a, b Options, keys []string) (*Comparison, error) {
	runs := max(a.Runs, 1)
	c := &Comparison{A: a.Runtime.Name(), B: b.Runtime.Name(), Machine: ThisMachine(), Runs: runs, Began: time.Now()}
	for _, key := range Keys {
		if len(keys) > 0 && !slices.Contains(keys, key) || key == "image_build_s" || key == "child_init_ms" {
			continue
		}
		samples := [2][]float64{}
		var ms [2]Metric
		for run := range runs {
			for i, opts := range []Options{a, b} {
				opts.Runs, opts.Only, opts.Progress = 1, []string{key}, nil
				opts.Dir = filepath.Join(opts.Dir, fmt.Sprintf("%s-%s-%d", key, opts.Runtime.Name(), run+1))
				if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
					return c, err
				}
				res, err := Run(ctx, opts)
				if ctx.Err() != nil {
					return c, ctx.Err()
				}
				if err != nil {
					ms[i].Error = err.Error()
					continue
				}
				for _, m := range res.Metrics {
					ms[i].Detail = m.Detail
					if m.Error != "" {
						ms[i].Error = m.Error
					}
					samples[i] = append(samples[i], m.Samples...)
				}
			}
			if a.Progress != nil {
				fmt.Fprintf(a.Progress, "bench: %-26s run %d: %s %s, %s %s\n", key, run+1,
					c.A, last(samples[0], ms[0].Error), c.B, last(samples[1], ms[1].Error))
			}
		}
		p := pairOf(key, c.A, c.B, samples, ms)
		c.Pairs = append(c.Pairs, p)
		if a.Progress != nil {
			fmt.Fprintf(a.Progress, "bench: %-26s median: %s %g, %s %g %s; %s/%s %.2f\n", key, c.A, p.A.Value, c.B, p.B.Value, p.Unit, c.B, c.A, p.Ratio)
		}
	}
	c.Seconds = round(time.Since(c.Began).Seconds())
	return c, nil
}

// pairOf judges the samples of key on the runtimes a and b (errs: what
// kept a side from being measured) against the goal of key.
func pairOf(key, a, b string, samples [2][]float64, ms [2]Metric) Pair {
	p := Pair{Key: key}
	for i := range ms {
		m := target(key, []string{a, b}[i])
		m.Detail = ms[i].Detail
		var err error
		if ms[i].Error != "" {
			err = fmt.Errorf("%s", ms[i].Error)
		}
		m.finish(samples[i], err)
		if i == 0 {
			p.A = m
		} else {
			p.B = m
		}
	}
	p.Title, p.Unit = p.A.Title, p.A.Unit
	if p.A.Value != 0 {
		p.Ratio = round(p.B.Value / p.A.Value)
	}
	if g, ok := goals[key]; ok {
		if g.ratio {
			p.Goal = fmt.Sprintf("%s at least %.0f%% of %s's", b, g.min*100, a)
			p.Met = p.A.Error == "" && p.B.Error == "" && p.Ratio >= g.min
		} else {
			p.Goal = fmt.Sprintf("%s at most %g %s", b, g.max, p.Unit)
			p.Met = p.B.Error == "" && p.B.Value <= g.max
		}
	}
	return p
}

// last says the latest sample, or the error that kept it from being taken.
func last(xs []float64, err string) string {
	if err != "" {
		return "failed: " + err
	}
	if len(xs) == 0 {
		return "-"
	}
	return fmt.Sprintf("%g", xs[len(xs)-1])
}
