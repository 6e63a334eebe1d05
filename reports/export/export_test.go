package export

import (
	"slices"
	"strings"
	"testing"
	"time"

	"lab/lab/results"
)

func TestParseTarget(t *testing.T) {
	ok := map[string]Target{
		"prom-rw=http://127.0.0.1:9090/api/v1/write": {"prom-rw", "http://127.0.0.1:9090/api/v1/write"},
		"otlp=http://localhost:4318":                 {"otlp", "http://localhost:4318/v1/metrics"},
		"otlp=https://[::1]:4318/custom":             {"otlp", "https://[::1]:4318/custom"},
		"prom-rw=http://127.1.2.3/w":                 {"prom-rw", "http://127.1.2.3/w"},
	}
	for in, want := range ok {
		got, err := ParseTarget(in)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"prom-rw=http://10.0.0.5:9090/api/v1/write": "loopback",
		"otlp=http://collector.example.com:4318":    "loopback",
		"graphite=http://127.0.0.1:2003":            "want KIND=URL",
		"prom-rw":                                   "want KIND=URL",
		"prom-rw=127.0.0.1:9090":                    "not an http(s) URL",
		"otlp=ftp://127.0.0.1/x":                    "not an http(s) URL",
	}
	for in, want := range bad {
		if _, err := ParseTarget(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", in, err, want)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"prom-rw=http://127.0.0.1:9090/api/v1/write", "otlp=http://localhost:4318", "otlp=http://[::1", "x=y=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTarget(s)
		if err != nil {
			return
		}
		// What is accepted is re-accepted as it is, and is on loopback.
		again, err := ParseTarget(got.Kind + "=" + got.URL)
		if err != nil || again != got {
			t.Fatalf("%q accepted as %+v, which reads back as %+v, %v", s, got, again, err)
		}
	})
}

// TestBuild checks the series of a small synthetic run: a second's figures
// at that second's time, latency only for seconds with requests, a fault
// in force in every second it touched, and the verdict at the run's end.
func TestBuild(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	r := &results.Result{Scenario: "s", Seed: 7, Verdict: "pass", Ended: t0.Add(10 * time.Second),
		Phases: []results.Phase{{Name: "baseline", Start: t0.Add(2 * time.Second), StartS: 2}},
		Series: []results.Second{
			{S: 0, Endpoint: "browse", Requests: 10, Failed: 1, P50: 2, P95: 5, P99: 9},
			{S: 1, Endpoint: "browse", Requests: 0},
			{S: 2, Endpoint: "browse", Requests: 12},
			{S: 3, Endpoint: "browse", Requests: 11},
		},
		Faults: []results.FaultRecord{{Name: "f", Kind: "latency", Target: "catalog",
			AppliedAt: t0.Add(1500 * time.Millisecond), RemovedAt: t0.Add(2500 * time.Millisecond)}},
		Hypotheses: []results.HypothesisResult{{Name: "h", Pass: false}},
	}
	got := map[string]Series{}
	for _, s := range Build(r, "run-1") {
		if s.Labels["lab_run"] != "run-1" || s.Labels["lab_seed"] != "7" || s.Labels["lab_scenario"] != "s" {
			t.Errorf("%s: labels %v", s.Name, s.Labels)
		}
		got[s.Name+"/"+s.Labels["quantile"]] = s
	}
	req := got["lab_endpoint_requests_per_second/"]
	if len(req.Samples) != 4 || !req.Samples[2].T.Equal(t0.Add(2*time.Second)) || req.Samples[2].V != 12 {
		t.Errorf("requests: %+v", req.Samples)
	}
	if p95 := got["lab_endpoint_latency_seconds/0.95"]; len(p95.Samples) != 3 || p95.Samples[0].V != 0.005 {
		t.Errorf("p95: %+v (a second without requests has no latency)", p95.Samples)
	}
	var window []float64
	for _, s := range got["lab_fault_active/"].Samples {
		window = append(window, s.V)
	}
	if !slices.Equal(window, []float64{0, 1, 1, 0}) {
		t.Errorf("fault in force by second: %v, want [0 1 1 0] (1.5 s to 2.5 s)", window)
	}
	if v := got["lab_run_verdict/"]; len(v.Samples) != 1 || v.Labels["verdict"] != "pass" || !v.Samples[0].T.Equal(r.Ended) {
		t.Errorf("verdict: %+v", v)
	}
	if h := got["lab_hypothesis_held/"]; len(h.Samples) != 1 || h.Samples[0].V != 0 || h.Labels["hypothesis"] != "h" {
		t.Errorf("hypothesis: %+v", h)
	}
}
