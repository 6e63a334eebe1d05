package scenarios_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lab/lab/results"
	"lab/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestMalformedScenarios reads every file in testdata/bad and checks its
// one-line error against the golden file beside it.
func TestMalformedScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) < 20 {
		t.Fatalf("want at least 20 malformed scenarios, have %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := scenarios.Open(f, nil)
			if err == nil {
				t.Fatal("no error")
			}
			var se *scenarios.Error
			if !errors.As(err, &se) || !errors.Is(err, scenarios.ErrBadScenario) {
				t.Fatalf("error %v is not a *scenarios.Error", err)
			}
			got := err.Error()
			if strings.Contains(got, "\n") {
				t.Fatalf("error spans lines: %q", got)
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				os.WriteFile(golden, []byte(got+"\n"), 0o644)
			}
			want, _ := os.ReadFile(golden)
			if got != strings.TrimSpace(string(want)) {
				t.Fatalf("error\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestBuiltinsAreValid(t *testing.T) {
	names := scenarios.Names()
	if len(names) < 6 {
		t.Fatalf("want at least 6 built-in scenarios, have %v", names)
	}
	for _, n := range names {
		sc, err := scenarios.Builtin(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if sc.Summary == "" || sc.Teaches == "" || sc.Watch == "" || sc.Try == "" {
			t.Errorf("%s: want summary, teaches, watch and try for lab explain", n)
		}
	}
}

func TestSetOverrides(t *testing.T) {
	sc, err := scenarios.Open("payment-outage", []string{"load.rate=55", "shop.replicas.catalog=3", "shop.config.payments.latency=5ms", "seed=9"})
	if err != nil {
		t.Fatal(err)
	}
	sh := sc.Shape()
	if sc.Load.Rate != 55 || sh.ReplicasOf("catalog") != 3 || sh.Config["payments.latency"] != "5ms" || sh.Seed != 9 {
		t.Fatalf("overrides not applied: rate %d, shape %+v", sc.Load.Rate, sh)
	}
	if _, err := scenarios.Open("payment-outage", []string{"duration=5s"}); err == nil || !strings.Contains(err.Error(), "too short for payment-outage") {
		t.Fatalf("shortening past a fault: %v, want a too-short error", err)
	}
	if _, err := scenarios.Open("baseline", []string{"load.colour=red"}); err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Fatalf("unknown --set key: %v", err)
	}
}

func TestRewriteDurations(t *testing.T) {
	tests := []struct{ in, want string }{
		{"browse.p95 < 200ms", "browse.p95 < 200"},
		{`recovery_time("x") < 10s`, `recovery_time("x") < 10000`},
		{"checkout.p99 <= 1.5s && order.p50 < 250us", "checkout.p99 <= 1500 && order.p50 < 0.25"},
		{"browse.p95 < 2m", "browse.p95 < 120000"},
		{"browse.p95 < 100", "browse.p95 < 100"},
	}
	for _, tt := range tests {
		if got := results.Rewrite(tt.in); got != tt.want {
			t.Errorf("Rewrite(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestTooShortDurationNamesTheShortestThatFits: a --duration shorter than
// the timeline is refused with the scenario's name, the fault in the way
// and the shortest duration that fits, which then runs.
func TestTooShortDurationNamesTheShortestThatFits(t *testing.T) {
	_, err := scenarios.Open("payment-outage", []string{"duration=10s"})
	want := "--duration: 10s is too short for payment-outage: its fault payments-down runs from 8s to 16s; want --duration 16s or more"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
	if _, err := scenarios.Open("payment-outage", []string{"duration=16s"}); err != nil {
		t.Fatalf("the shortest that fits: %v", err)
	}
	if _, err := scenarios.Open("black-friday", []string{"duration=10s"}); err == nil || !strings.Contains(err.Error(), "stages that last 1m0s") {
		t.Fatalf("a ramp: %v", err)
	}
}
