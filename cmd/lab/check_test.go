package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"lab/scenarios"
)

// TestCheck: lab check passes every built-in scenario, and refuses each
// malformed scenario (its first line as the golden file of the scenarios'
// tests says) and each malformed live file with its position, exit 2.
func TestCheck(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), append([]string{"check"}, scenarios.Names()...), &stdout, &stderr); code != ExitOK {
		t.Fatalf("lab check on the built-ins: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if n := strings.Count(stdout.String(), ": ok (scenario)"); n != len(scenarios.Names()) {
		t.Fatalf("%d built-ins ok, want %d:\n%s", n, len(scenarios.Names()), stdout.String())
	}
	bad, _ := filepath.Glob("../../scenarios/testdata/bad/*.yaml")
	live, _ := filepath.Glob("../../scenarios/testdata/live/*.yaml")
	if len(bad) < 20 || len(live) < 15 {
		t.Fatalf("corpus: %d scenarios, %d live files", len(bad), len(live))
	}
	located := regexp.MustCompile(`^[^:]+\.yaml:\d+:\d+: `)
	for _, f := range append(bad, live...) {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(context.Background(), []string{"check", f}, &stdout, &stderr); code != ExitBadInput {
				t.Fatalf("exit %d, want 2\n%s", code, stdout.String())
			}
			first, _, _ := strings.Cut(stdout.String(), "\n")
			golden, err := os.ReadFile(strings.TrimSuffix(f, ".yaml") + ".golden")
			switch {
			case err == nil:
				want := strings.ReplaceAll(strings.TrimSpace(string(golden)), "testdata/", "../../scenarios/testdata/")
				if first != want {
					t.Errorf("first problem\n got: %s\nwant: %s", first, want)
				}
			case !strings.HasPrefix(filepath.Base(f), "empty") && !located.MatchString(first):
				t.Errorf("the problem is not located: %q", first)
			}
		})
	}
}
