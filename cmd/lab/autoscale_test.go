//go:build unix

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"lab/internal/shoptest"
	"lab/lab/results"
)

// TestAutoscaleUpAndDown runs the lab's autoscaler end to end on real
// instances, on each runtime: browsing jumps sixfold, catalog grows from one
// replica while busy (new instances behind their own proxies, serving), and
// shrinks again once the load falls, with no retry to hide a request that a
// leaving instance dropped: none may fail. The report holds every event
// with its reason, the replicas of every second, and the scale-up's lag;
// nothing the autoscaler started outlives the run.
func TestAutoscaleUpAndDown(t *testing.T) {
	for _, rt := range []string{"process", "docker"} {
		t.Run(rt, func(t *testing.T) {
			if rt == "docker" {
				shoptest.Docker(t)
			}
			out := filepath.Join(t.TempDir(), "run")
			cmd := exec.Command(os.Args[0], "run", "testdata/autoscale.yaml", "--runtime", rt, "--out", out)
			cmd.Env = append(os.Environ(), "LAB_TEST_MAIN=1", "TMPDIR="+t.TempDir())
			kill := time.AfterFunc(3*time.Minute, func() { cmd.Process.Kill() })
			defer kill.Stop()
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("lab run: %v\n%s", err, b)
			}
			var r results.Result
			raw, err := os.ReadFile(filepath.Join(out, "report.json"))
			if err == nil {
				err = json.Unmarshal(raw, &r)
			}
			if err != nil {
				t.Fatal(err)
			}
			a := r.Autoscale
			if a == nil || len(a.Events) == 0 {
				t.Fatalf("no autoscale record in report.json:\n%s", b)
			}
			var up, down *results.ScaleEvent
			for i, e := range a.Events {
				if e.Error != "" {
					t.Errorf("event %+v failed", e)
				}
				if e.Up() && up == nil {
					up = &a.Events[i]
				}
				if !e.Up() && up != nil && down == nil {
					down = &a.Events[i]
				}
			}
			if up == nil || up.AtS < 4 || up.LagS == nil || len(up.Instances) != up.To-up.From || !strings.Contains(up.Reason, "requests in flight per replica") {
				t.Fatalf("first scale-up %+v: want one after the jump at 4 s, with its instances, lag and reason", up)
			}
			if down == nil || down.AtS < 13 {
				t.Fatalf("no scale-down after the load fell at 13 s: %+v", a.Events)
			}
			if n := a.FailedDuringScaleDown["catalog"]; n != 0 {
				t.Fatalf("%d requests failed during catalog's scale-downs", n)
			}
			most := 0
			for _, x := range a.Replicas {
				most = max(most, x.Replicas)
			}
			if last := a.Replicas[len(a.Replicas)-1]; most < 2 || last.Replicas >= most {
				t.Fatalf("replicas went up to %d and ended at %d; want up, then down", most, last.Replicas)
			}
			if r.Verdict != results.Pass {
				t.Fatalf("verdict %s (%s)\n%s", r.Verdict, r.Reason, b)
			}
			added := up.Instances[0]
			if log, err := os.ReadFile(filepath.Join(out, "logs", added+".log")); err != nil || !strings.Contains(string(log), "serving") {
				t.Fatalf("%s's log: %v %q; the added instance must have served", added, err, log)
			}
			if rt == "docker" { // what this lab made, and only that: other labs may run beside the test
				host, _ := os.Hostname()
				owner := "label=lab.owner=" + host + "/" + strconv.Itoa(cmd.Process.Pid)
				left, _ := exec.Command("docker", "ps", "-a", "--filter", owner, "--format", "{{.Names}}").Output()
				if len(strings.TrimSpace(string(left))) > 0 {
					t.Fatalf("containers left after the run: %s", left)
				}
			}
			t.Logf("%s: catalog 1 -> %d (first scale-up %+.1fs, serving %.2fs after the crossing), %d events, 0 failed during scale-down",
				rt, most, up.AtS, *up.LagS, len(a.Events))
		})
	}
}
