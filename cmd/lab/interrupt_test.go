package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"lab/internal/shoptest"
	"lab/lab/docker"
	"lab/reports"
)

// TestInterruptsAtRandomPoints runs `lab run baseline` as a user does and
// sends it SIGINT or SIGTERM at points drawn (seed fixed) over a whole run's
// length: starting, warming up, loading, draining, reporting. Every time:
// exit 130 with "interrupted", no process or container or network left, no
// temporary file left, and a report.json that is either absent or whole.
// LAB_INTERRUPTS sets the points per runtime (default 4; 50 for the record
// in docs/robustness.md).
func TestInterruptsAtRandomPoints(t *testing.T) {
	n := 4
	if v, err := strconv.Atoi(os.Getenv("LAB_INTERRUPTS")); err == nil && v > 0 {
		n = v
	}
	for _, rt := range []string{"process", "docker"} {
		t.Run(rt, func(t *testing.T) {
			var e *docker.Engine
			if rt == "docker" {
				e = shoptest.Docker(t)
			}
			// A whole run gives the span the points are drawn over: the
			// second of two, since the first may build the image.
			var full time.Duration
			for range 2 {
				took, code, stderr := labRun(t, rt, nil, 0)
				if code != ExitOK {
					t.Fatalf("an uninterrupted run: exit %d; stderr:\n%s", code, stderr)
				}
				full = took
			}
			rng := rand.New(rand.NewPCG(1, uint64(len(rt))))
			landed := 0
			for i := range n {
				sig, at := syscall.SIGINT, time.Duration(rng.Int64N(int64(full)))
				if rng.IntN(2) == 1 {
					sig = syscall.SIGTERM
				}
				_, code, stderr := labRun(t, rt, &sig, at)
				if code == -1 { // the run had ended before the point
					t.Logf("point %d at %s: the run ended first", i, at.Round(time.Millisecond))
					continue
				}
				landed++
				if code != ExitInterrupted || !strings.Contains(stderr, "interrupted") {
					t.Errorf("point %d, %s at %s: exit %d, want 130 saying interrupted; stderr:\n%s", i, sig, at.Round(time.Millisecond), code, stderr)
				}
				if e != nil {
					if c, nw, err := e.Labelled(context.Background(), ""); err != nil || c+nw > 0 {
						t.Fatalf("point %d at %s: %d containers and %d networks left (%v)", i, at, c, nw, err)
					}
				}
				t.Logf("point %d, %s at %s: %s", i, sig, at.Round(time.Millisecond), lastLine(stderr))
			}
			t.Logf("%d of %d points landed inside a run of %s", landed, n, full.Round(time.Millisecond))
			if landed < n/2 {
				t.Errorf("only %d of %d points landed inside the run", landed, n)
			}
		})
	}
}

// labRun runs `lab run baseline --duration 3s` on rt; with sig, it sends
// sig after at. It returns how long the run took, its exit code (-1 when it
// ended before the signal) and its stderr, and checks it left nothing.
func labRun(t *testing.T, rt string, sig *syscall.Signal, at time.Duration) (time.Duration, int, string) {
	t.Helper()
	tmp, out := t.TempDir(), filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(os.Args[0], "run", "baseline", "--duration", "3s", "--runtime", rt, "--out", out)
	cmd.Env = append(os.Environ(), "LAB_TEST_MAIN=1", "TMPDIR="+tmp)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, _ := cmd.StdoutPipe()
	// finishedAt is when the run said it was done (its last line, after the
	// reports): a signal after that may rightly find nothing to interrupt.
	finished := make(chan time.Time, 1)
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "run folder:") {
				finished <- time.Now()
			}
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	kill := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer kill.Stop()
	var sent time.Time
	if sig != nil {
		select {
		case <-done:
			return time.Since(began), -1, stderr.String()
		case <-time.After(at):
		}
		sent = time.Now()
		if err := cmd.Process.Signal(*sig); err != nil {
			t.Fatal(err)
		}
	}
	err := <-done
	took := time.Since(began)
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	leftover(t, cmd.Process.Pid, tmp, out)
	if sig != nil && code == 0 {
		select {
		case at := <-finished:
			if at.Before(sent) { // done before the signal: nothing left to interrupt
				return took, -1, stderr.String()
			}
		default:
		}
	}
	return took, code, stderr.String()
}

// leftover fails t if the lab of pid left a process, a temporary file, or a
// report.json that is not whole.
func leftover(t *testing.T, pid int, tmp, out string) {
	t.Helper()
	procs, _ := exec.Command("pgrep", "-f", os.Args[0]+" (serve|k6)").Output()
	if p := strings.Fields(string(procs)); len(p) > 0 {
		t.Errorf("lab %d left processes: %v", pid, p)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("lab %d left %s in its temporary folder", pid, left[0].Name())
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err == nil {
		if _, err := reports.Decode("report.json", b); err != nil {
			t.Errorf("lab %d left a report.json that is not whole: %v", pid, err)
		}
	}
	if tmps, _ := filepath.Glob(filepath.Join(out, ".report*")); len(tmps) > 0 {
		t.Errorf("lab %d left half-written reports: %v", pid, tmps)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return fmt.Sprint(lines[len(lines)-1])
}
