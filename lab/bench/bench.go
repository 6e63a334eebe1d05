// Package bench is `lab bench`: how fast the lab is, measured against the
// raw numbers and against the targets the lab sets itself (docs/BENCHMARKS.md).
//
// Every figure is the median of Runs measurements, and every comparison
// (proxied against direct, k6 against wrk, a latency fault against none) is
// taken within one run, alternating, so that a machine busy with something
// else slows both sides alike.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"lab/lab"
	"lab/lab/results"
)

// Options say what to measure and with what.
type Options struct {
	// Runtime starts the shops measured.
	Runtime lab.Runtime
	// Command runs the lab binary (for k6 and `lab run`).
	Command []string
	// Children is the program every child of the runtime runs (lab-serve,
	// or the lab binary itself); child_init_ms measures its init.
	Children string
	// ImageBuild, if not nil, builds the docker image from nothing and says
	// how long it took (the docker runtime only).
	ImageBuild func(ctx context.Context) (time.Duration, error)
	// Warm, if not nil, readies the runtime before any start is timed (the
	// docker runtime builds its image, so that starts are warm ones).
	Warm func(ctx context.Context) error
	// Runs is how many times each figure is measured; the median is kept.
	Runs int
	// Only, if not empty, names the metrics to measure (their keys).
	Only []string
	// Dir holds the shops' data and the k6 runs; it must exist.
	Dir string
	// Progress receives a line per measurement.
	Progress io.Writer
}

// Metric is one measured figure and its target.
type Metric struct {
	Key    string  `json:"key"`
	Title  string  `json:"title"`
	Unit   string  `json:"unit"`
	Value  float64 `json:"value"`
	Target float64 `json:"target"`
	// Higher says that higher values are better (rates); else lower are.
	Higher  bool      `json:"higher_is_better"`
	Met     bool      `json:"met"`
	Samples []float64 `json:"samples"`
	// Detail says how the value was measured, with the raw figures.
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Result is one `lab bench`.
type Result struct {
	Runtime string    `json:"runtime"`
	Machine Machine   `json:"machine"`
	Runs    int       `json:"runs"`
	Began   time.Time `json:"began"`
	Seconds float64   `json:"seconds"`
	Metrics []Metric  `json:"metrics"`
}

// MarshalJSON writes every metric's value under its key at the top level
// (verdict_wall_s, browse_rps...) beside the detailed list.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	b, err := json.Marshal(plain(r))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, x := range r.Metrics {
		if x.Error == "" {
			m[x.Key] = x.Value
		} else {
			m[x.Key] = nil
		}
	}
	return json.Marshal(m)
}

// Missed returns the metrics that missed their target or failed. An
// informative figure (no target) is never among them, even when it could
// not be measured: it says something of the machine, not of the lab.
func (r Result) Missed() []Metric {
	var out []Metric
	for _, m := range r.Metrics {
		if !m.Met && m.Target != 0 {
			out = append(out, m)
		}
	}
	return out
}

// Machine is what the figures were taken on.
type Machine struct {
	CPUs   int    `json:"cpus"`
	Model  string `json:"cpu_model"`
	MemMB  int    `json:"mem_mb"`
	OS     string `json:"os"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
}

// ThisMachine describes the machine lab runs on.
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemMB = kb / 1024
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// Keys lists every metric `lab bench` can measure, in the order it does.
// The closed loops come before the ramps: a ramp drives the shop past its
// knee, its breakers open, and a closed loop begun while one is still open
// spins on fast 503s (seen once: 48% of k6's requests failed).
var Keys = []string{
	"child_init_ms", "image_build_s", "startup_s", "instances50_startup_s", "rss_mb",
	"hop_overhead_us", "latency_fault_error_pct", "fault_apply_p99_ms",
	"k6_share_of_wrk", "proxied_throughput_ratio", "browse_rps", "checkout_per_s",
	"verdict_wall_s",
}

// target returns the metric with its title, unit and target for runtime.
func target(key, runtime string) Metric {
	docker := strings.HasPrefix(runtime, "docker") // "docker (Docker Engine 20.10.24)"
	pick := func(process, dock float64) float64 {
		if docker {
			return dock
		}
		return process
	}
	switch key {
	case "child_init_ms":
		return Metric{Key: key, Title: "a child's package init", Unit: "ms", Target: 25}
	case "image_build_s":
		return Metric{Key: key, Title: "image build, from nothing", Unit: "s", Target: 15}
	case "startup_s":
		return Metric{Key: key, Title: "shop healthy", Unit: "s", Target: pick(1, 5)}
	case "instances50_startup_s":
		return Metric{Key: key, Title: "50 instances healthy", Unit: "s", Target: pick(5, 15)}
	case "rss_mb":
		return Metric{Key: key, Title: "lab and shop at rest, resident (Pss)", Unit: "MB", Target: 400}
	case "hop_overhead_us":
		return Metric{Key: key, Title: "proxy hop, p50 over direct", Unit: "µs", Target: pick(50, 100)}
	case "latency_fault_error_pct":
		return Metric{Key: key, Title: "100 ms latency fault, error", Unit: "%", Target: 2}
	case "fault_apply_p99_ms":
		return Metric{Key: key, Title: "fault lands after its time, p99", Unit: "ms", Target: 5}
	case "browse_rps":
		return Metric{Key: key, Title: "browse, p99 < 50 ms", Unit: "req/s", Target: 5000, Higher: true}
	case "checkout_per_s":
		return Metric{Key: key, Title: "checkout, p99 < 50 ms", Unit: "orders/s", Target: 500, Higher: true}
	case "k6_share_of_wrk":
		return Metric{Key: key, Title: "k6's rate, share of wrk's", Unit: "%", Target: 0, Higher: true}
	case "proxied_throughput_ratio":
		return Metric{Key: key, Title: "throughput with proxies / without", Unit: "%", Target: 70, Higher: true}
	case "verdict_wall_s":
		return Metric{Key: key, Title: "lab run baseline --duration 10s", Unit: "s", Target: pick(13, 20)}
	}
	return Metric{Key: key, Title: key}
}

// CheckOnly returns an error naming the first unknown key of only.
func CheckOnly(only []string) error {
	for _, k := range only {
		if !slices.Contains(Keys, k) {
			return fmt.Errorf("unknown metric %q (want some of %s)", k, strings.Join(Keys, ", "))
		}
	}
	return nil
}

// finish sets the value as the median of the samples and judges it.
func (m *Metric) finish(samples []float64, err error) {
	m.Samples = samples
	if err != nil {
		m.Error = err.Error()
		return
	}
	if len(samples) == 0 {
		m.Error = "nothing measured"
		return
	}
	m.Value = round(results.Median(samples))
	switch {
	case m.Target == 0: // informative only
		m.Met = true
	case m.Higher:
		m.Met = m.Value >= m.Target
	default:
		m.Met = m.Value <= m.Target
	}
}

// quantile returns the q-quantile (0..1) of xs, nearest rank.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// round keeps three significant decimals, enough for every figure here.
func round(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	return math.Round(x*1000) / 1000
}
