package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as lab itself: the runtimes start
// services as `EXE serve ...`, and TestUp starts `EXE up`.
func TestMain(m *testing.M) {
	if os.Getenv("LAB_TEST_MAIN") == "1" || (len(os.Args) > 1 && os.Args[1] == "serve") {
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
