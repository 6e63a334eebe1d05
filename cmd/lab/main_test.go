package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lab/internal/shoptest"
	"lab/lab/docker"
)

// TestMain lets the test binary act as lab itself: the runtimes start
// services as `EXE serve ...`, and TestUp starts `EXE up`.
func TestMain(m *testing.M) {
	if os.Getenv("LAB_TEST_MAIN") == "1" || (len(os.Args) > 1 && (os.Args[1] == "serve" || os.Args[1] == "k6")) {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	shoptest.RemoveTestImage()
	if plain.dir != "" {
		os.RemoveAll(plain.dir)
	}
	os.Exit(code)
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
		{[]string{"run", "baseline", "--repeat", "0"}, "--repeat 0: want a count from 1 to 100"},
		{[]string{"run", "baseline", "--repeat", "3", "--min-pass", "4"}, "--min-pass 4: want a count from 1 to --repeat's 3"},
		{[]string{"run", "baseline", "--min-pass", "1"}, "--min-pass: it counts runs of --repeat N"},
		{[]string{"run", "baseline", "--repeat", "2", "--compare", "resilience=none"}, "--repeat with --compare"},
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
// on each runtime: it uses the shop, sends SIGINT and checks that nothing is
// left behind: no process, no port, no temporary file, no container.
func TestUpServesUntilSIGINT(t *testing.T) {
	for _, rt := range []string{"process", "docker"} {
		t.Run(rt, func(t *testing.T) {
			var e *docker.Engine
			if rt == "docker" {
				e = shoptest.Docker(t)
			}
			up := startUp(t, rt, "--replicas", "catalog=2")
			if len(up.addrs) < 8 {
				t.Fatalf("no instance table; stderr:\n%s", up.stderr.String())
			}
			resp, err := http.Get(up.gateway + "/api/products")
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("browse %s: %v %v", up.gateway, err, resp)
			}
			resp.Body.Close()

			if err := up.cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			if err := up.cmd.Wait(); err != nil {
				t.Fatalf("lab up after SIGINT: %v, want exit 0; stderr:\n%s", err, up.stderr.String())
			}
			for _, a := range append(up.addrs, strings.TrimPrefix(up.gateway, "http://")) {
				if ap := netip.MustParseAddrPort(a); !ap.Addr().IsLoopback() {
					// A container's address on the run's network: the
					// network must be gone from this host. (Dialling it
					// proves nothing here: this machine's upstream accepts
					// a connection to any address it does not route.)
					if onHost(t, ap.Addr()) {
						t.Errorf("%s: its network is still on this host after lab up ended", a)
					}
					continue
				}
				if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
					c.Close()
					t.Errorf("%s still accepts connections after lab up ended", a)
				}
			}
			out, _ := exec.Command("pgrep", "-f", os.Args[0]+" serve").Output()
			if pids := strings.Fields(string(out)); len(pids) > 0 {
				t.Errorf("service processes left after lab up ended: %v", pids)
			}
			if left, _ := os.ReadDir(up.tmp); len(left) > 0 {
				t.Errorf("temporary files left after lab up ended: %v", left[0].Name())
			}
			if e != nil {
				if c, n, err := e.Labelled(context.Background(), up.run); err != nil || c+n > 0 {
					t.Errorf("run %s left %d containers and %d networks (%v)", up.run, c, n, err)
				}
			}
		})
	}
}

// onHost reports whether an interface of this host is on a subnet holding
// ip (a bridge of a run's network).
func onHost(t *testing.T, ip netip.Addr) bool {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.Contains(ip.AsSlice()) {
			return true
		}
	}
	return false
}

// TestCleanAfterSIGKILL kills `lab up --runtime docker` with SIGKILL, which
// it cannot catch: its containers stay, and `lab clean` removes every one.
func TestCleanAfterSIGKILL(t *testing.T) {
	e := shoptest.Docker(t)
	ctx := context.Background()
	up := startUp(t, "docker")
	if up.run == "" {
		t.Fatalf("lab up did not say its run id; stderr:\n%s", up.stderr.String())
	}
	if err := up.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = up.cmd.Wait()
	if c, n, err := e.Labelled(ctx, up.run); err != nil || c != 9 || n != 1 {
		t.Fatalf("after SIGKILL, run %s has %d containers and %d networks (%v), want 9 and 1 left", up.run, c, n, err)
	}
	var stdout, stderr bytes.Buffer
	if code := Main(ctx, []string{"clean"}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("lab clean: exit %d; %s", code, stderr.String())
	}
	if c, n, err := e.Labelled(ctx, up.run); err != nil || c+n > 0 {
		t.Fatalf("after lab clean, run %s has %d containers and %d networks (%v), want none; clean said %q",
			up.run, c, n, err, stdout.String())
	}
}

// runningUp is a `lab up` started by startUp, healthy.
type runningUp struct {
	cmd       *exec.Cmd
	gateway   string
	toxiproxy string   // its API's URL
	addrs     []string // every address in the instance table (127.0.0.1, or the run's network)
	run       string   // the docker run's id
	tmp       string   // its TMPDIR
	stderr    *syncBuffer
}

// startUp starts `lab up --runtime rt args...` as its own process and returns
// once it says it is up. The process is killed when the test ends.
func startUp(t *testing.T, rt string, args ...string) *runningUp {
	t.Helper()
	u := &runningUp{tmp: t.TempDir(), stderr: &syncBuffer{}}
	u.cmd = exec.Command(os.Args[0], append([]string{"up", "--runtime", rt}, args...)...)
	u.cmd.Env = append(os.Environ(), "LAB_TEST_MAIN=1", "TMPDIR="+u.tmp)
	stdout, _ := u.cmd.StdoutPipe()
	u.cmd.Stderr = u.stderr
	if err := u.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.cmd.Process.Kill() })
	deadline := time.AfterFunc(2*time.Minute, func() { u.cmd.Process.Kill() })
	defer deadline.Stop()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		l := lines.Text()
		if g, ok := strings.CutPrefix(l, "gateway: "); ok {
			u.gateway = g
		}
		if x, ok := strings.CutPrefix(l, "toxiproxy: "); ok {
			u.toxiproxy = x
		}
		for _, f := range strings.Fields(l) {
			if _, err := netip.ParseAddrPort(f); err == nil {
				u.addrs = append(u.addrs, f)
			}
		}
		if strings.HasPrefix(l, "up;") {
			break
		}
	}
	go func() {
		for lines.Scan() {
		}
	}()
	if u.gateway == "" {
		t.Fatalf("lab up --runtime %s: no gateway line; stderr:\n%s", rt, u.stderr.String())
	}
	for _, l := range strings.Split(u.stderr.String(), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "run" {
			u.run = f[1]
		}
	}
	return u
}

// syncBuffer is a bytes.Buffer a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPaymentOutageOnDocker runs the scenario a new user tries first on the
// docker runtime: the same verdict as on the process runtime (pass, exit 0),
// the runtime in the report, and no container or network left afterwards.
func TestPaymentOutageOnDocker(t *testing.T) {
	e := shoptest.Docker(t)
	out := filepath.Join(t.TempDir(), "run")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"run", "payment-outage", "--runtime", "docker", "--out", out}, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("lab run payment-outage --runtime docker: exit %d, want 0\n%s\n%s", code, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Runtime, Verdict string
		Hypotheses       []struct{ Pass bool }
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.Runtime, "docker (Docker Engine ") || rep.Verdict != "pass" || len(rep.Hypotheses) < 3 {
		t.Fatalf("report: runtime %q, verdict %q, %d hypotheses; want docker with its engine named, pass", rep.Runtime, rep.Verdict, len(rep.Hypotheses))
	}
	if logs, _ := os.ReadDir(filepath.Join(out, "logs")); len(logs) < 9 {
		t.Errorf("%d logs in the run folder, want one per container (9)", len(logs))
	}
	if c, n, err := e.Labelled(context.Background(), ""); err != nil || c+n > 0 {
		t.Fatalf("after the run, %d containers and %d networks are labelled lab.run (%v), want none", c, n, err)
	}
}

// TestDiffFailsOnARegression: lab diff of a run whose checkout failed in the
// outage against one where it held exits 1 with --fail-on, 0 without, and 2
// for a folder with no report.
func TestDiffFailsOnARegression(t *testing.T) {
	t.Setenv("COLUMNS", "200") // the flags whole on one line
	runOf := func(scenario string, seed int, verdict string, checkout float64) string {
		dir := t.TempDir()
		rep := fmt.Sprintf(`{"scenario":%q,"verdict":%q,"runtime":"process","seed":%d,"phases":[
			{"name":"baseline","start_s":0,"end_s":8,"endpoints":{"checkout":{"requests":120,"success_rate":1,"p95_ms":40}}},
			{"name":"payments-down","start_s":8,"end_s":16,"endpoints":{"checkout":{"requests":120,"success_rate":%g,"p95_ms":40}}}]}`,
			scenario, verdict, seed, checkout)
		if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte(rep), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	run := func(verdict string, checkout float64) string { return runOf("payment-outage", 1, verdict, checkout) }
	main, branch := run("pass", 1), run("fail", 0.0089)
	other, reseeded := runOf("baseline", 1, "pass", 1), runOf("payment-outage", 2, "pass", 1)
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"diff", main, branch, "--fail-on"}, ExitFail},
		{[]string{"diff", main, branch}, ExitOK},
		{[]string{"diff", main, main, "--fail-on"}, ExitOK},
		{[]string{"diff", main, t.TempDir()}, ExitBadInput},
		{[]string{"diff", main, other}, ExitBadInput},
		{[]string{"diff", main, reseeded}, ExitBadInput},
		{[]string{"diff", main, reseeded, "--force"}, ExitOK},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), tt.args, &stdout, &stderr); code != tt.want {
			t.Errorf("lab %s: exit %d, want %d\n%s%s", strings.Join(tt.args, " "), code, tt.want, stdout.String(), stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	Main(context.Background(), []string{"diff", main, branch}, &stdout, &stderr)
	if !strings.Contains(stdout.String(), "success -99.11 points") || !strings.Contains(stdout.String(), "\n2 regressions\n") {
		t.Errorf("lab diff does not flag checkout's drop and the verdict:\n%s", stdout.String())
	}
	stdout.Reset()
	if code := Main(context.Background(), []string{"diff", main, branch, "--json", "--fail-on"}, &stdout, &stderr); code != ExitFail {
		t.Errorf("lab diff --json --fail-on: exit %d, want %d", code, ExitFail)
	}
	var d diffJSON
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil || d.Regressions != 2 || d.VerdictB != "fail" || len(d.Rows) != 2 ||
		d.Rows[1].Phase != "payments-down" || d.Rows[1].Regression == "" || d.Rows[1].B.SuccessRate != 0.0089 {
		t.Errorf("lab diff --json: %+v (%v) in\n%s", d, err, stdout.String())
	}
	stdout.Reset()
	Main(context.Background(), []string{"diff", main, runOf("payment-outage", 1, "pass", 0.0089)}, &stdout, &stderr)
	if !strings.Contains(stdout.String(), "\n1 regression\n") {
		t.Errorf("one regression is not said as one:\n%s", stdout.String())
	}
}
