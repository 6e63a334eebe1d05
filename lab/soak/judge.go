package soak

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"lab/lab"
)

// MaxAPIP99Ms is the bound on the Toxiproxy API's p99 answer time.
const MaxAPIP99Ms = 50

// Trend is one series of a soak (a process's memory, goroutines or
// descriptors) judged for a steady climb.
type Trend struct {
	Process string  `json:"process"`
	Metric  string  `json:"metric"` // memory_mb, goroutines, fds
	First   float64 `json:"first"`  // median of the first third of the samples
	Middle  float64 `json:"middle"` // of the middle third
	Last    float64 `json:"last"`   // of the last third
	Allowed float64 `json:"allowed"`
	Pass    bool    `json:"pass"`
}

// Verdict is a soak's outcome.
type Verdict struct {
	Trends   []Trend `json:"trends"`
	APIP99Ms float64 `json:"api_p99_ms"`
	APIPass  bool    `json:"api_pass"`
	Pass     bool    `json:"pass"`
	// Reason says why, in a sentence.
	Reason string `json:"reason"`
}

// slack is, per metric, the growth from the first third to the last that
// is noise rather than a leak, whatever the level: a heap's or a resident
// set's breathing, the goroutines of connections that come and go.
var slack = map[string]float64{"memory_mb": 16, "goroutines": 20, "fds": 20}

// Judge looks for a steady climb in every series of r and checks the API's
// p99. A series climbs steadily when its last third's median exceeds its
// first third's by more than max(25%, the metric's slack) and its middle
// third did not fall below its first: growth that kept on, rather than one
// late spike or a level reached early and held. The first sample is left
// out: it is taken while the first load segment is still ramping up.
func Judge(r *Run) Verdict {
	v := Verdict{Pass: true, APIP99Ms: quantile(r.APIMs, 0.99)}
	v.APIPass = v.APIP99Ms < MaxAPIP99Ms
	samples := r.Samples
	if len(samples) > 0 {
		samples = samples[1:]
	}
	procs := names(samples)
	var climbed []string
	for _, proc := range procs {
		for _, metric := range []string{"memory_mb", "goroutines", "fds"} {
			var xs []float64
			for _, s := range samples {
				if u, ok := s.Usage[proc]; ok {
					xs = append(xs, pick(u, metric))
				}
			}
			t := trend(proc, metric, xs)
			v.Trends = append(v.Trends, t)
			if !t.Pass {
				climbed = append(climbed, fmt.Sprintf("%s %s %.0f -> %.0f", proc, metric, t.First, t.Last))
			}
		}
	}
	var gone []string
	for _, name := range names(r.Samples) {
		for _, smp := range samples {
			if slices.Contains(smp.Silent, name) {
				gone = append(gone, fmt.Sprintf("%s from %s", name, smp.At))
				break
			}
		}
	}
	switch {
	case len(r.Exits) > 0:
		v.Pass, v.Reason = false, fmt.Sprintf("%d %s ended unasked: %s", len(r.Exits), lab.Plural(len(r.Exits), "instance", "instances"), strings.Join(r.Exits, "; "))
	case len(gone) > 0:
		v.Pass, v.Reason = false, "stopped answering /metrics: "+strings.Join(gone, ", ")
	case len(samples) < 3:
		v.Pass, v.Reason = false, fmt.Sprintf("%d samples: too few to see a trend (want at least 3 after the first)", len(samples))
	case len(climbed) > 0:
		v.Pass, v.Reason = false, fmt.Sprintf("%d series climbed steadily: %v", len(climbed), climbed)
	case !v.APIPass:
		v.Pass, v.Reason = false, fmt.Sprintf("the Toxiproxy API's p99 was %.1f ms, over %d ms", v.APIP99Ms, MaxAPIP99Ms)
	default:
		v.Reason = fmt.Sprintf("no series climbed over %d samples; the Toxiproxy API's p99 was %.1f ms", len(samples), v.APIP99Ms)
	}
	return v
}

func trend(proc, metric string, xs []float64) Trend {
	t := Trend{Process: proc, Metric: metric, Pass: true}
	if len(xs) < 3 {
		return t
	}
	n := len(xs) / 3
	t.First, t.Middle, t.Last = median(xs[:n]), median(xs[n:len(xs)-n]), median(xs[len(xs)-n:])
	t.Allowed = max(0.25*t.First, slack[metric])
	t.Pass = t.Last-t.First <= t.Allowed || t.Middle < t.First
	return t
}

func pick(u Usage, metric string) float64 {
	switch metric {
	case "memory_mb":
		return u.MemoryMB
	case "goroutines":
		return u.Goroutines
	}
	return u.FDs
}

// names lists every process any sample read or found silent, sorted.
func names(samples []Sample) []string {
	seen := map[string]bool{}
	for _, s := range samples {
		for name := range s.Usage {
			seen[name] = true
		}
		for _, name := range s.Silent {
			seen[name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func median(xs []float64) float64 { return quantile(xs, 0.5) }
