//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"lab/internal/shoptest"
)

// TestUnplannedExitIsRecorded is a chaos test of the lab itself: while
// `lab run` loads the shop, notifications-1 is killed from outside (its
// process SIGKILLed, or its container removed). The lab must say which
// within a second, finish the run (a verdict, not exit 3), and record the
// exit in report.json as an unplanned fault with its time.
func TestUnplannedExitIsRecorded(t *testing.T) {
	for _, rt := range []string{"process", "docker"} {
		t.Run(rt, func(t *testing.T) {
			if rt == "docker" {
				shoptest.Docker(t)
			}
			out := filepath.Join(t.TempDir(), "run")
			cmd := exec.Command(os.Args[0], "run", "baseline", "--duration", "6s", "--runtime", rt, "--out", out)
			cmd.Env = append(os.Environ(), "LAB_TEST_MAIN=1", "TMPDIR="+t.TempDir())
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			kill := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
			defer kill.Stop()
			lines := bufio.NewScanner(stderr)
			var log strings.Builder
			for lines.Scan() {
				log.WriteString(lines.Text() + "\n")
				if strings.HasPrefix(lines.Text(), "load started") {
					break
				}
			}
			killed := time.Now()
			switch rt {
			case "process":
				pid := childServing(t, cmd.Process.Pid, "notifications-1")
				if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			case "docker":
				names, err := exec.Command("docker", "ps", "--filter", "label=lab.owner", "--format", "{{.Names}}").Output()
				if err != nil {
					t.Fatal(err)
				}
				var target string
				for _, n := range strings.Fields(string(names)) {
					if strings.HasSuffix(n, "-notifications-1") {
						target = n
					}
				}
				if target == "" {
					t.Fatalf("no notifications-1 container among %q", names)
				}
				killed = time.Now()
				if b, err := exec.Command("docker", "rm", "-f", target).CombinedOutput(); err != nil {
					t.Fatalf("docker rm -f %s: %v %s", target, err, b)
				}
			}
			noticed := time.Duration(0)
			for lines.Scan() {
				log.WriteString(lines.Text() + "\n")
				if noticed == 0 && strings.Contains(lines.Text(), "notifications-1 exited unasked") {
					noticed = time.Since(killed)
				}
			}
			err := cmd.Wait()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
			if noticed == 0 || noticed > time.Second {
				t.Errorf("the lab noticed the exit after %s, want within a second; stderr:\n%s", noticed, log.String())
			}
			t.Logf("noticed %s after the kill; exit %d", noticed.Round(time.Millisecond), code)
			if code != ExitOK && code != ExitFail {
				t.Fatalf("exit %d, want a verdict (0 or 1); stderr:\n%s", code, log.String())
			}
			b, err := os.ReadFile(filepath.Join(out, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			var rep struct {
				Reason string `json:"reason"`
				Faults []struct {
					Name, Kind, Target string
					Unplanned          bool
					AppliedAt          time.Time `json:"applied_at"`
				} `json:"faults"`
			}
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Faults) != 1 || rep.Faults[0].Kind != "unplanned_exit" || rep.Faults[0].Target != "notifications-1" ||
				!rep.Faults[0].Unplanned || rep.Faults[0].AppliedAt.Sub(killed).Abs() > time.Second {
				t.Fatalf("faults %+v, want one unplanned_exit of notifications-1 at %s", rep.Faults, killed.Format(time.TimeOnly))
			}
			if !strings.Contains(rep.Reason, "unplanned: notifications-1 exited unasked") {
				t.Errorf("the verdict's reason does not say: %q", rep.Reason)
			}
		})
	}
}

// childServing returns the PID of the process below pid that serves instance.
func childServing(t *testing.T, pid int, instance string) int {
	t.Helper()
	for _, c := range descendants(pid) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(c) + "/cmdline")
		if strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), "--instance "+instance+" ") {
			return c
		}
	}
	t.Fatalf("no process of lab %d serves %s", pid, instance)
	return 0
}
