package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lab/internal/shoptest"
	"lab/lab/bench"
)

// benchJSON runs lab bench with args and returns its figures by key; every
// measurement must have been taken (exit 0 or 1, never 3).
func benchJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	t.Setenv("LAB_TEST_MAIN", "1") // `lab run` is this test binary too
	path := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), append([]string{"bench", "--runs", "1", "--json", path}, args...), &stdout, &stderr)
	if code != ExitOK && code != ExitFail {
		t.Fatalf("lab bench %s: exit %d\n%s\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	t.Logf("lab bench %s:\n%s", strings.Join(args, " "), stdout.String())
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// within checks that m[key] was measured and lies in (lo, hi): the bounds
// are the ones no working lab can be outside of, whatever the machine.
func within(t *testing.T, m map[string]any, key string, lo, hi float64) {
	t.Helper()
	v, ok := m[key].(float64)
	if !ok {
		t.Errorf("%s: %v, want a figure", key, m[key])
		return
	}
	if v <= lo || v >= hi {
		t.Errorf("%s = %g, want within (%g, %g)", key, v, lo, hi)
	}
}

// TestBenchMeasuresEveryMetric runs the whole bench once on the process
// runtime. Each bound is what a broken measurement would cross: a latency
// fault that never landed measures 100% error, a proxy that is not in the
// path measures no hop, a no-proxies shop that still has them measures a
// ratio near 100% only by chance, a verdict faster than its 10 s load was
// no run.
func TestBenchMeasuresEveryMetric(t *testing.T) {
	args := []string{"--runtime", "process"}
	if _, err := exec.LookPath("wrk"); err != nil {
		if os.Getenv("LAB_REQUIRE_TOOLS") == "1" {
			t.Fatalf("LAB_REQUIRE_TOOLS=1 and no wrk: %v", err)
		}
		var keys []string
		for _, k := range bench.Keys {
			if k != "k6_share_of_wrk" {
				keys = append(keys, k)
			}
		}
		args = append(args, "--only", strings.Join(keys, ","))
	}
	m := benchJSON(t, args...)
	if m["runtime"] != "process" {
		t.Errorf("runtime %v", m["runtime"])
	}
	within(t, m, "startup_s", 0, 30)
	within(t, m, "instances50_startup_s", 0, 90)
	within(t, m, "rss_mb", 20, 4000)
	within(t, m, "hop_overhead_us", 0, 20000)
	within(t, m, "latency_fault_error_pct", -1, 50)
	within(t, m, "fault_apply_p99_ms", -1, 1000)
	// A knee of 0 is a measurement (no second of the ramp had p99 under
	// 50 ms: one run on a busy machine can); a knee that could not be
	// measured is null, and fails here.
	within(t, m, "browse_rps", -1, 1e6)
	within(t, m, "checkout_per_s", -1, 1e6)
	within(t, m, "proxied_throughput_ratio", 0, 200)
	within(t, m, "verdict_wall_s", 10, 120)
	if _, err := exec.LookPath("wrk"); err == nil {
		within(t, m, "k6_share_of_wrk", 0, 500)
	}
	if _, ok := m["image_build_s"]; ok {
		t.Error("image_build_s measured on the process runtime")
	}
}

// TestBenchOnDocker measures what the docker runtime adds: a cold image
// build, a warm start, the memory of the containers' processes, the hop
// through the Toxiproxy container, and a shop of containers without proxies.
func TestBenchOnDocker(t *testing.T) {
	shoptest.Docker(t)
	m := benchJSON(t, "--runtime", "docker", "--only", "image_build_s,startup_s,rss_mb,hop_overhead_us,proxied_throughput_ratio")
	if rt, _ := m["runtime"].(string); !strings.HasPrefix(rt, "docker (Docker Engine ") { // the engine and its version
		t.Errorf("runtime %v", m["runtime"])
	}
	within(t, m, "image_build_s", 0, 120)
	within(t, m, "startup_s", 0, 60)
	within(t, m, "rss_mb", 20, 4000)
	within(t, m, "hop_overhead_us", 0, 50000)
	within(t, m, "proxied_throughput_ratio", 0, 200)
}

func TestBenchBadInputExitsTwo(t *testing.T) {
	for _, args := range [][]string{{"bench", "--only", "speed"}, {"bench", "--runs", "0"}} {
		var out, errb bytes.Buffer
		if code := Main(context.Background(), args, &out, &errb); code != ExitBadInput {
			t.Errorf("%v: exit %d, want 2; %s", args, code, errb.String())
		}
	}
}

// TestUpWithoutProxiesRefusesNetworkFaults: `lab up --no-proxies` with a
// live fault file holding a latency fault exits 2 at the fault's line, and
// starts nothing.
func TestUpWithoutProxiesRefusesNetworkFaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faults.yaml")
	if err := os.WriteFile(path, []byte("faults:\n  - name: slow\n    target: catalog\n    kind: latency\n    latency: 300ms\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"up", "--no-proxies", "--runtime", "process", "--faults", path}, &out, &errb)
	if code != ExitBadInput || !strings.Contains(errb.String(), "faults.yaml:3") || !strings.Contains(errb.String(), "without proxies") {
		t.Fatalf("exit %d, stderr %q; want 2 naming faults.yaml:3 and the missing proxies", code, errb.String())
	}
}

// TestBenchComparesRuntimes: --runtime process,docker measures both in
// turn and gives docker's figure against process's, with its goal.
func TestBenchComparesRuntimes(t *testing.T) {
	shoptest.Docker(t)
	path := filepath.Join(t.TempDir(), "compare.json")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"bench", "--runtime", "process,docker", "--only", "startup_s", "--runs", "1", "--json", path}, &stdout, &stderr)
	if code != ExitOK && code != ExitFail {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c bench.Comparison
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.A != "process" || c.B != "docker" || len(c.Pairs) != 1 {
		t.Fatalf("comparison %s", b)
	}
	p := c.Pairs[0]
	if p.Key != "startup_s" || p.A.Value <= 0 || p.B.Value <= 0 || p.Ratio != math.Round(p.B.Value/p.A.Value*1000)/1000 || p.Goal != "docker at most 5 s" {
		t.Fatalf("pair %+v", p)
	}
	if !strings.Contains(stdout.String(), "docker/process") {
		t.Errorf("no ratio column:\n%s", stdout.String())
	}
}
