package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSoakTogglesAndSamples runs a short soak: the faults go on and off
// through both the file and the API without an error, every process is
// sampled, the Toxiproxy API is timed each second, and the verdict's table
// is printed. (Whether a 12-second soak finds growth is not asked: the
// judgement is tested on synthetic series in lab/soak.)
func TestSoakTogglesAndSamples(t *testing.T) {
	out := filepath.Join(t.TempDir(), "soak.json")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"soak", "--runtime", "process", "--duration", "12s", "--sample", "2s",
		"--toggle", "1s", "--rate", "20", "--json", out}, &stdout, &stderr)
	if code != ExitOK && code != ExitFail {
		t.Fatalf("lab soak: exit %d, want 0 or 1\n%s\n%s", code, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Samples []struct {
			Usage map[string]struct{ Memory_MB, Goroutines, FDs float64 } `json:"usage"`
		} `json:"samples"`
		Toggles      map[string]int `json:"toggles"`
		ToggleErrors []string       `json:"toggle_errors"`
		Requests     int64          `json:"requests"`
		Verdict      struct {
			Trends   []any   `json:"trends"`
			APIP99Ms float64 `json:"api_p99_ms"`
		} `json:"verdict"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Samples) < 4 {
		t.Fatalf("%d samples in 12 s at one per 2 s, want at least 4", len(got.Samples))
	}
	last := got.Samples[len(got.Samples)-1].Usage
	for _, p := range []string{"lab", "gateway-1", "catalog-1", "orders-1", "payments-1"} {
		if u, ok := last[p]; !ok || u.Goroutines == 0 || u.FDs == 0 {
			t.Errorf("no usage of %s in the last sample: %+v", p, last)
		}
	}
	if got.Toggles["file"] < 3 || got.Toggles["api"] < 3 || len(got.ToggleErrors) > 0 {
		t.Errorf("toggles %v, errors %v: want at least 3 by each way, no error", got.Toggles, got.ToggleErrors)
	}
	if got.Requests < 100 || got.Verdict.APIP99Ms <= 0 || len(got.Verdict.Trends) < 24 {
		t.Errorf("requests %d, API p99 %v, %d trends", got.Requests, got.Verdict.APIP99Ms, len(got.Verdict.Trends))
	}
	if !strings.Contains(stdout.String(), "Toxiproxy API:") || !strings.Contains(stdout.String(), "last third") {
		t.Errorf("no table:\n%s", stdout.String())
	}
}
