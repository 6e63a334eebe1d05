package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as lab itself: the runtimes start
// services as `EXE serve ...`, and TestUp starts `EXE up`.
func TestMain(m *testing.M) {
	if os.Getenv("LAB_TEST_MAIN") == "1" || (len(os.Args) > 1 && (os.Args[1] == "serve" || os.Args[1] == "k6")) {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestBadInputExitsTwo(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"up", "--replicas", "catalog=0"}, "want a count from 1 to 50"},
		{[]string{"up", "--replicas", "basket=2"}, `unknown service "basket"`},
		{[]string{"up", "--replicas", "catalog"}, "want svc=N"},
		{[]string{"up", "--runtime", "vm"}, `--runtime "vm"`},
		{[]string{"up", "--payment-mode", "cash"}, "want sync or async"},
		{[]string{"up", "--set", "novalue"}, "want key=value"},
		{[]string{"nosuchcommand"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Main(context.Background(), tt.args, &out, &errb); code != ExitBadInput {
				t.Fatalf("exit %d, want %d; stderr: %s", code, ExitBadInput, errb.String())
			}
			if !strings.Contains(errb.String(), tt.want) {
				t.Fatalf("stderr %q does not say %q", errb.String(), tt.want)
			}
		})
	}
}

// TestBadScenariosExitTwoAndLeaveNothing runs every malformed scenario of
// the corpus through lab run: exit 2, the file's position in the message, and
// no run folder created.
func TestBadScenariosExitTwoAndLeaveNothing(t *testing.T) {
	files, _ := filepath.Glob("../../scenarios/testdata/bad/*.yaml")
	if len(files) < 20 {
		t.Fatalf("corpus has %d files", len(files))
	}
	for _, f := range files {
		out := filepath.Join(t.TempDir(), "run")
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), []string{"run", f, "--out", out, "--runtime", "process"}, &stdout, &stderr)
		if code != ExitBadInput {
			t.Errorf("%s: exit %d, want %d; stderr %s", f, code, ExitBadInput, stderr.String())
		}
		if !strings.Contains(stderr.String(), filepath.Base(f)) {
			t.Errorf("%s: stderr %q does not name the file", f, stderr.String())
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a run folder was created for bad input", f)
		}
	}
}

// TestRunInterruptedBySIGINT interrupts lab run in the middle of a fault:
// the fault is removed, the shop stopped, a partial report written, exit 130.
func TestRunInterruptedBySIGINT(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(os.Args[0], "run", "payment-outage", "--out", out, "--runtime", "process")
	cmd.Env = append(os.Environ(), "LAB_TEST_MAIN=1")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if strings.Contains(lines.Text(), "faults: payments-down") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	go func() {
		for lines.Scan() {
		}
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("lab run after SIGINT: %v, want exit %d", err, ExitInterrupted)
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatalf("no partial report: %v", err)
	}
	var rep struct {
		Interrupted bool `json:"interrupted"`
		Faults      []struct {
			AppliedAt string `json:"applied_at"`
			RemovedAt string `json:"removed_at"`
		} `json:"faults"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || len(rep.Faults) != 1 || rep.Faults[0].AppliedAt == "" || rep.Faults[0].RemovedAt == "" {
		t.Fatalf("report %s: want interrupted, with the fault applied and removed", b)
	}
	left, _ := exec.Command("pgrep", "-f", os.Args[0]+" (serve|k6)").Output()
	if pids := strings.Fields(string(left)); len(pids) > 0 {
		t.Fatalf("processes left after the interrupted run: %v", pids)
	}
}

// TestUpServesUntilSIGINT runs `lab up` as its own process, as a user does,
// uses the shop, sends SIGINT and checks that nothing is left behind.
func TestUpServesUntilSIGINT(t *testing.T) {
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "up", "--replicas", "catalog=2")
	cmd.Env = append(os.Environ(), "LAB_TEST_MAIN=1", "TMPDIR="+tmp)
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	var gateway string
	var addrs []string
	deadline := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for lines.Scan() {
		l := lines.Text()
		if g, ok := strings.CutPrefix(l, "gateway: "); ok {
			gateway = g
		}
		for _, f := range strings.Fields(l) {
			if strings.HasPrefix(f, "127.0.0.1:") {
				addrs = append(addrs, f)
			}
		}
		if strings.HasPrefix(l, "up;") {
			break
		}
	}
	if gateway == "" || len(addrs) < 8 {
		t.Fatalf("no gateway line or instance table; stderr:\n%s", stderr.String())
	}
	resp, err := http.Get(gateway + "/api/products")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("browse %s: %v %v", gateway, err, resp)
	}
	resp.Body.Close()

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	go func() {
		for lines.Scan() {
		}
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("lab up after SIGINT: %v, want exit 0; stderr:\n%s", err, stderr.String())
	}
	for _, a := range append(addrs, strings.TrimPrefix(gateway, "http://")) {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after lab up ended", a)
		}
	}
	out, _ := exec.Command("pgrep", "-f", os.Args[0]+" serve").Output()
	if pids := strings.Fields(string(out)); len(pids) > 0 {
		t.Errorf("service processes left after lab up ended: %v", pids)
	}
	left, _ := os.ReadDir(tmp)
	if len(left) > 0 {
		t.Errorf("temporary files left after lab up ended: %v", left[0].Name())
	}
}
