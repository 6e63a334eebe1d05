package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lab/lab/results"
)

func readMap(t *testing.T, dir string) *results.Explore {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "explore.json"))
	if err != nil {
		return nil
	}
	var e results.Explore
	if err := json.Unmarshal(b, &e); err != nil {
		return nil // written aside and renamed, so whole; a parse error is a bug the next read shows
	}
	return &e
}

// TestExploreComparesResumesAndMaps runs a two-probe explore with its
// control (resilience=none) as a user does, interrupts it once the first
// experiment is in the map, resumes it from its folder, and checks the
// map: every probe on both sides, the experiment run before the interrupt
// kept as it was, a folder of evidence per cell, and the policies turning
// at least one cell from failed to isolated or degraded (payments' outage
// behind the fallback on orders->payments).
func TestExploreComparesResumesAndMaps(t *testing.T) {
	out := filepath.Join(t.TempDir(), "map")
	args := []string{"explore", "--runtime", "process", "--kinds", "down", "--only", "orders->payments,gateway->inventory",
		"--load", "payment-outage", "--compare", "resilience=none", "--budget", "5m", "--out", out}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- Main(ctx, args, &stdout, &stderr) }()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if e := readMap(t, out); e != nil && len(e.Rows) >= 1 {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("explore ended (exit %d) before its first experiment was in the map\n%s", code, stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no experiment in the map after 3 minutes\n%s", stderr.String())
		}
	}
	cancel()
	if code := <-done; code != ExitInterrupted {
		t.Fatalf("interrupted explore: exit %d, want %d\n%s", code, ExitInterrupted, stderr.String())
	}
	first := readMap(t, out)
	if first == nil || !first.Interrupted || first.Done || len(first.Rows) == 0 {
		t.Fatalf("after the interrupt explore.json says %+v; want interrupted, not done, the finished row kept", first)
	}
	if !strings.Contains(stdout.String(), "lab explore --resume "+out) && !strings.Contains(stderr.String(), "lab explore --resume "+out) {
		t.Errorf("the interrupted explore does not say how to resume:\n%s\n%s", stdout.String(), stderr.String())
	}

	stdout.Reset()
	stderr.Reset()
	if code := Main(context.Background(), []string{"explore", "--runtime", "process", "--resume", out}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	e := readMap(t, out)
	if e == nil || !e.Done || e.Interrupted || len(e.Rows) != 2 || len(e.Control) != 2 {
		t.Fatalf("after the resume: %+v; want done with 2 rows and 2 control rows", e)
	}
	if e.Rows[0].ID != first.Rows[0].ID || e.Rows[0].WallS != first.Rows[0].WallS {
		t.Errorf("the resume ran %s again (wall %.3f, was %.3f)", e.Rows[0].ID, e.Rows[0].WallS, first.Rows[0].WallS)
	}
	for _, r := range append(append([]results.ExploreRow{}, e.Rows...), e.Control...) {
		if _, err := os.Stat(filepath.Join(out, r.Dir, "report.html")); err != nil {
			t.Errorf("%s: its cells link to %s/report.html: %v", r.ID, r.Dir, err)
		}
		if r.Cells["checkout"] == "" || r.Cells["invariant charged-once"] == "" {
			t.Errorf("%s: cells %v; want checkout and the invariants", r.Dir, r.Cells)
		}
	}
	turned := false
	for _, c := range e.Changed {
		turned = turned || c.Control == results.Failed && (c.With == results.Isolated || c.With == results.Degraded)
	}
	if !turned {
		t.Errorf("no cell turned from failed by the policies: changed %+v\ncontrol %+v\nrows %+v", e.Changed, e.Control, e.Rows)
	}
	for _, f := range []string{"explore.md", "explore.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(stdout.String(), "against resilience=none, cells turned") {
		t.Errorf("the terminal does not sum the compare:\n%s", stdout.String())
	}
}

// TestExploreRefusesBadInput: bad settings exit 2 before anything starts,
// and a complete explore is not resumed.
func TestExploreRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	done := filepath.Join(dir, "done")
	if err := os.MkdirAll(done, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(done, "explore.json"), []byte(`{"load":"baseline","done":true,"probes":[{"id":"01"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--kinds", "slow"}, `unknown kind "slow"`},
		{[]string{"--targets", "pods"}, `--targets "pods"`},
		{[]string{"--budget", "soon"}, `--budget "soon"`},
		{[]string{"--budget", "10s"}, "one experiment takes about 17s"},
		{[]string{"--load", "black-friday"}, "ramps over stages"},
		{[]string{"--only", "payments"}, "--only payments: not one of --targets edges"},
		{[]string{"--compare", "none"}, "want KEY=VALUE"},
		{[]string{"--kinds", "kill"}, "nothing to run"},
		{[]string{"--resume", done}, "that explore is complete"},
		{[]string{"--resume", done, "--kinds", "down"}, "--kinds comes from the folder"},
		{[]string{"--resume", filepath.Join(dir, "none")}, "no such file"},
	} {
		var stdout, stderr bytes.Buffer
		args := []string{"explore", "--runtime", "process"}
		if tt.args[0] != "--resume" {
			args = append(args, "--out", filepath.Join(dir, "x"))
		}
		code := Main(context.Background(), append(args, tt.args...), &stdout, &stderr)
		if code != ExitBadInput || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("explore %v: exit %d, %q; want %d and %q", tt.args, code, stderr.String(), ExitBadInput, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a refused explore left its folder behind")
	}
}
