// Package export sends a run to the observability stack people have:
// Prometheus remote write (prom-rw) and OpenTelemetry metrics over OTLP/HTTP
// (otlp). Both carry the same series, built once from the Result: each
// endpoint's second by second figures, each edge's counters and breaker
// state, the fault windows, and the verdict and hypotheses.
package export

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"lab/lab/results"
)

// Target is one --export value, KIND=URL.
type Target struct {
	Kind string // prom-rw or otlp
	URL  string
}

// Kinds are the --export kinds.
var Kinds = []string{"prom-rw", "otlp"}

// ParseTarget reads KIND=URL. The URL must be http or https on a loopback
// host: the lab sends traffic only to addresses it owns. A Prometheus or a
// collector elsewhere is reached through a local one (an agent, a
// collector, an ssh tunnel), as is usual.
func ParseTarget(s string) (Target, error) {
	kind, raw, ok := strings.Cut(s, "=")
	if !ok || (kind != "prom-rw" && kind != "otlp") {
		return Target{}, fmt.Errorf("--export %q: want KIND=URL, KIND one of %s (prom-rw=http://127.0.0.1:9090/api/v1/write, otlp=http://127.0.0.1:4318)",
			s, strings.Join(Kinds, ", "))
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Target{}, fmt.Errorf("--export %s: %q is not an http(s) URL", kind, raw)
	}
	if !loopback(u.Hostname()) {
		return Target{}, fmt.Errorf("--export %s: %s is not on this machine's loopback; the lab sends traffic only to addresses it owns: "+
			"export to a local Prometheus agent or OpenTelemetry Collector that forwards", kind, u.Host)
	}
	if kind == "otlp" && (u.Path == "" || u.Path == "/") {
		u.Path = "/v1/metrics" // OTLP/HTTP's path for metrics under a base URL
	}
	return Target{Kind: kind, URL: u.String()}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Series is one series: a metric name, its labels (without the name), and
// its samples in time order.
type Series struct {
	Name    string
	Unit    string // OTLP's unit: "s", "1", "{request}/s"
	Labels  map[string]string
	Samples []Sample
}

// Sample is one value at one time.
type Sample struct {
	T time.Time
	V float64
}

// LoadStart is when second 0 of the run's series began: the measured load's
// start, as its first phase says.
func LoadStart(r *results.Result) time.Time {
	if len(r.Phases) > 0 {
		return r.Phases[0].Start.Add(-time.Duration(r.Phases[0].StartS) * time.Second)
	}
	return r.Started
}

// Build turns a run into its series, every one labelled with the run's
// scenario, seed and id (run, such as its folder's name).
func Build(r *results.Result, run string) []Series {
	base := map[string]string{"lab_scenario": r.Scenario, "lab_run": run, "lab_seed": fmt.Sprint(r.Seed)}
	with := func(kv ...string) map[string]string {
		m := make(map[string]string, len(base)+len(kv)/2)
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	start := LoadStart(r)
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	var out []Series
	index := map[string]int{}
	add := func(name, unit string, labels map[string]string, t time.Time, v float64) {
		key := name + "\x00" + labelKey(labels)
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, Series{Name: name, Unit: unit, Labels: labels})
		}
		out[i].Samples = append(out[i].Samples, Sample{T: t, V: v})
	}
	seconds := map[int]bool{}
	for _, s := range r.Series {
		seconds[s.S] = true
		t := at(s.S)
		add("lab_endpoint_requests_per_second", "{request}/s", with("endpoint", s.Endpoint), t, float64(s.Requests))
		add("lab_endpoint_failed_per_second", "{request}/s", with("endpoint", s.Endpoint), t, float64(s.Failed))
		if s.Requests > 0 {
			for _, q := range []struct {
				q string
				v float64
			}{{"0.5", s.P50}, {"0.95", s.P95}, {"0.99", s.P99}} {
				add("lab_endpoint_latency_seconds", "s", with("endpoint", s.Endpoint, "quantile", q.q), t, q.v/1000)
			}
		}
	}
	for _, e := range r.Edges {
		t := at(e.S)
		for _, c := range []struct {
			name string
			v    float64
		}{{"calls", e.Calls}, {"failed", e.Failed}, {"attempts", e.Attempts}, {"retries", e.Retries},
			{"timeouts", e.Timeouts}, {"rejections", e.Rejections}, {"fallbacks", e.Fallbacks}} {
			add("lab_edge_"+c.name+"_per_second", "{call}/s", with("edge", e.Edge), t, c.v)
		}
		add("lab_edge_breaker_state", "1", with("edge", e.Edge), t, float64(e.Breaker))
	}
	var secs []int
	for s := range seconds {
		secs = append(secs, s)
	}
	sort.Ints(secs)
	for _, f := range r.Faults {
		for _, s := range secs {
			t, v := at(s), 0.0
			// in force at some time in the second [t, t+1s)
			if !f.AppliedAt.IsZero() && t.Add(time.Second).After(f.AppliedAt) && (f.RemovedAt.IsZero() || t.Before(f.RemovedAt)) {
				v = 1
			}
			add("lab_fault_active", "1", with("fault", f.Name, "kind", f.Kind, "target", f.Target), t, v)
		}
	}
	end := r.Ended
	if end.IsZero() && len(secs) > 0 {
		end = at(secs[len(secs)-1] + 1)
	}
	add("lab_run_verdict", "1", with("verdict", r.Verdict), end, 1)
	for _, h := range r.Hypotheses {
		v := 0.0
		if h.Pass {
			v = 1
		}
		add("lab_hypothesis_held", "1", with("hypothesis", h.Name, "during", h.During), end, v)
	}
	return out
}

// labelKey writes labels in name order, for telling series apart.
func labelKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + m[k] + "\x00")
	}
	return b.String()
}
