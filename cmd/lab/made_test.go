package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lab/lab/bench"
)

// plain is the lab as `go build` makes it, built once for the tests that
// run it as a user would (version, completion in a shell).
var plain struct {
	once sync.Once
	dir  string
	exe  string
	err  error
}

// plainLab returns the path of the lab built by `go build`, building it at
// the first call; TestMain removes it.
func plainLab(t *testing.T) string {
	t.Helper()
	plain.once.Do(func() {
		if plain.dir, plain.err = os.MkdirTemp("", "lab-test-build-"); plain.err != nil {
			return
		}
		plain.exe = filepath.Join(plain.dir, "lab")
		if b, err := exec.Command("go", "build", "-o", plain.exe, ".").CombinedOutput(); err != nil {
			plain.err = fmt.Errorf("go build: %v\n%s", err, b)
		}
	})
	if plain.err != nil {
		t.Fatal(plain.err)
	}
	return plain.exe
}

// buildLab builds lab as `make build` does, lab-serve inside it, into dir:
// lab-serve's blob is written to dir and the build reads it there through
// -overlay, so the tree is left as it is.
func buildLab(t *testing.T, dir string) string {
	t.Helper()
	mod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(mod)))
	gen := exec.Command("go", "run", "./internal/servebin/gen", "-o", dir)
	gen.Dir = root
	if b, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("go run ./internal/servebin/gen: %v\n%s", err, b)
	}
	replace := map[string]string{}
	for _, f := range []string{"lab-serve.gz", "lab-serve.sha256", "lab-serve.target"} {
		replace[filepath.Join(root, "internal", "servebin", "blob", f)] = filepath.Join(dir, f)
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": replace})
	if err := os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "lab")
	build := exec.Command("go", "build", "-overlay", filepath.Join(dir, "overlay.json"), "-o", exe, "./cmd/lab")
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/lab: %v\n%s", err, b)
	}
	return exe
}

// TestMadeLabRunsChildrenFromLabServe: the lab that `make build` makes is
// one file, and its children are lab-serve, written once to the user's
// cache folder: `lab version` names it, every child of `lab up` runs it,
// none is left after Ctrl-C, and its init runs none of the harness's
// packages (testcontainers-go's walk of every process, k6).
func TestMadeLabRunsChildrenFromLabServe(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the cache folder is set through XDG_CACHE_HOME, which only Linux reads")
	}
	dir := t.TempDir()
	exe := buildLab(t, dir)
	cache := filepath.Join(dir, "cache")
	env := append(os.Environ(), "XDG_CACHE_HOME="+cache)

	version := exec.Command(exe, "version")
	version.Env = env
	out, err := version.CombinedOutput()
	if err != nil {
		t.Fatalf("lab version: %v\n%s", err, out)
	}
	prefix := filepath.Join(cache, "lab", "lab-serve-")
	var serve string
	for _, l := range strings.Split(string(out), "\n") {
		if p, ok := strings.CutPrefix(l, "children: "); ok && strings.HasPrefix(p, prefix) {
			serve = p
		}
	}
	if serve == "" {
		t.Fatalf("lab version does not name lab-serve in %s:\n%s", cache, out)
	}

	up := exec.Command(exe, "up", "--runtime", "process", "--dir", filepath.Join(dir, "run"))
	up.Env = env
	stdout, _ := up.StdoutPipe()
	var stderr bytes.Buffer
	up.Stderr = &stderr
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { up.Process.Kill(); up.Wait() })
	timer := time.AfterFunc(time.Minute, func() { up.Process.Kill() })
	defer timer.Stop()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "up;") {
	}
	go func() {
		for lines.Scan() {
		}
	}()
	kids, _ := exec.Command("pgrep", "-f", "^"+serve+" serve ").Output()
	if n := len(strings.Fields(string(kids))); n != 8 {
		t.Fatalf("%d children run lab-serve, want 8 (the broker and 7 instances); lab up said:\n%s", n, stderr.String())
	}
	if err := up.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := up.Wait(); err != nil {
		t.Fatalf("lab up after SIGINT: %v\n%s", err, stderr.String())
	}
	if left, _ := exec.Command("pgrep", "-f", "^"+serve).Output(); len(left) > 0 {
		t.Fatalf("children left after Ctrl-C: %s", left)
	}

	trace := exec.Command(serve, "serve")
	trace.Env = append(env, "GODEBUG=inittrace=1")
	var traced bytes.Buffer
	trace.Stderr = &traced
	_ = trace.Run() // no service named: it exits after its init
	tr, err := bench.ParseInitTrace(traced.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tr.Names {
		for _, h := range []string{"github.com/testcontainers/", "go.k6.io/k6", "github.com/shirou/gopsutil"} {
			if strings.HasPrefix(p, h) {
				t.Errorf("lab-serve's init runs %s", p)
			}
		}
	}
	t.Logf("lab-serve: %d packages, %.2f ms of init, main reached %.1f ms after the start", tr.Packages, tr.Clock, tr.MainAt)
}
