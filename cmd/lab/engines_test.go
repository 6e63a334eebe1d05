package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lab/internal/shoptest"
)

// PodmanHostEnv names the Podman socket the engine tests use (default
// unix:///run/podman/podman.sock, where `podman system service` serves it);
// RequirePodmanEnv=1 turns a Podman that does not answer from a skip into a
// failure: CI sets it.
const (
	PodmanHostEnv    = "LAB_PODMAN_HOST"
	RequirePodmanEnv = "LAB_REQUIRE_PODMAN"
)

// engineRun runs lab as a user does, its own process, with DOCKER_HOST set
// to host: testcontainers-go finds an engine once per process.
func engineRun(t *testing.T, host string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return labWithEnv(t, []string{"DOCKER_HOST=" + host}, args...)
}

// labWithEnv runs lab as its own process with env added to this one's.
func labWithEnv(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "LAB_TEST_MAIN=1"), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	timer := time.AfterFunc(4*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// engineThings lists what an engine holds: containers, networks, volumes
// and images, by id, through the docker CLI pointed at host.
func engineThings(t *testing.T, host string) map[string][]string {
	t.Helper()
	things := map[string][]string{}
	for kind, args := range map[string][]string{
		"container": {"ps", "-aq", "--no-trunc"},
		"network":   {"network", "ls", "-q", "--no-trunc"},
		"volume":    {"volume", "ls", "-q"},
		"image":     {"images", "-q", "--no-trunc"},
		"lab-image": {"images", "-q", "--no-trunc", "--filter", "label=lab.image"},
	} {
		cmd := exec.Command("docker", args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s (DOCKER_HOST=%s): %v\n%s", strings.Join(args, " "), host, err, out)
		}
		ids := strings.Fields(string(out))
		slices.Sort(ids)
		things[kind] = slices.Compact(ids)
	}
	return things
}

// leftBehind says what after holds that before did not, but for the lab's
// own images (label lab.image), which are kept for the next run.
func leftBehind(before, after map[string][]string) []string {
	var left []string
	for kind, ids := range after {
		if kind == "lab-image" {
			continue
		}
		for _, id := range ids {
			if !slices.Contains(before[kind], id) && !(kind == "image" && slices.Contains(after["lab-image"], id)) {
				left = append(left, kind+" "+id)
			}
		}
	}
	return left
}

func reportRuntime(t *testing.T, out string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct{ Runtime, Verdict string }
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Runtime
}

// podmanHost returns the Podman socket's address, skipping t when Podman
// does not answer (failing it under LAB_REQUIRE_PODMAN=1).
func podmanHost(t *testing.T) string {
	t.Helper()
	host := os.Getenv(PodmanHostEnv)
	if host == "" {
		host = "unix:///run/podman/podman.sock"
	}
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "unix" {
		t.Fatalf("%s=%s: want unix:///PATH", PodmanHostEnv, host)
	}
	c, err := net.DialTimeout("unix", u.Path, time.Second)
	if err != nil {
		if os.Getenv(RequirePodmanEnv) == "1" {
			t.Fatalf("%s=1 and no Podman at %s: %v", RequirePodmanEnv, host, err)
		}
		t.Skipf("no Podman at %s (set %s=1 to fail instead): %v", host, RequirePodmanEnv, err)
	}
	c.Close()
	return host
}

// TestEngineFromDockerContext: with DOCKER_HOST unset, the engine is the
// Docker CLI's current context's, as `docker` itself would use (here a
// context naming Podman's socket, made with the docker CLI).
func TestEngineFromDockerContext(t *testing.T) {
	host := podmanHost(t)
	cfg := t.TempDir()
	mk := exec.Command("docker", "context", "create", "lab-podman", "--docker", "host="+host)
	mk.Env = append(os.Environ(), "DOCKER_CONFIG="+cfg)
	if b, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("docker context create: %v\n%s", err, b)
	}
	use := exec.Command("docker", "context", "use", "lab-podman")
	use.Env = mk.Env
	if b, err := use.CombinedOutput(); err != nil {
		t.Fatalf("docker context use: %v\n%s", err, b)
	}
	env := []string{"DOCKER_CONFIG=" + cfg}
	t.Setenv("DOCKER_HOST", "") // if set here, it would win over the context
	os.Unsetenv("DOCKER_HOST")
	_, stderr, code := labWithEnv(t, env, "clean")
	if code != ExitOK {
		t.Fatalf("lab clean: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "engine: Podman Engine 4.") || !strings.Contains(stderr, "from docker context lab-podman") {
		t.Fatalf("lab clean did not find Podman through the context:\n%s", stderr)
	}
}

// TestPaymentOutageOnPodman: the scenario a new user tries first, on
// Podman's Docker API (rootful, `podman system service`), found through
// DOCKER_HOST: exit 0, Podman and its version named in the first line and
// the report, and nothing left on the engine (containers, networks,
// volumes, images other than the lab's own).
func TestPaymentOutageOnPodman(t *testing.T) {
	host := podmanHost(t)
	before := engineThings(t, host)
	out := filepath.Join(t.TempDir(), "run")
	stdout, stderr, code := engineRun(t, host, "run", "payment-outage", "--runtime", "docker", "--out", out)
	t.Cleanup(func() { removeTestImageOn(t, host) })
	if code != ExitOK {
		t.Fatalf("lab run payment-outage on Podman: exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	if first, _, _ := strings.Cut(stderr, "\n"); !strings.HasPrefix(first, "runtime: docker, Podman Engine 4.") || !strings.Contains(first, "from DOCKER_HOST") {
		t.Errorf("first line %q does not name Podman and its version", first)
	}
	if rt := reportRuntime(t, out); !strings.HasPrefix(rt, "docker (Podman Engine 4.") {
		t.Errorf("report's runtime %q does not name Podman and its version", rt)
	}
	if left := leftBehind(before, engineThings(t, host)); len(left) > 0 {
		t.Errorf("left on Podman after the run: %v", left)
	}
}

// removeTestImageOn removes the image of this test binary from the engine
// at host (shoptest.RemoveTestImage does so on the default engine).
func removeTestImageOn(t *testing.T, host string) {
	cmd := exec.Command("docker", "images", "-q", "--filter", "label=lab.image")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
	ids, _ := cmd.Output()
	for _, id := range strings.Fields(string(ids)) {
		rm := exec.Command("docker", "rmi", "-f", id)
		rm.Env = cmd.Env
		if b, err := rm.CombinedOutput(); err != nil {
			t.Logf("remove image %s: %v %s", id, err, b)
		}
	}
}

// TestEngineOverTCP: an engine reached over TCP, here a second socket of
// the same engine, on 127.0.0.2 (a forwarder to its unix socket): the API
// goes over TCP, the ports are published on the engine's host, 127.0.0.2,
// and the harness reaches every container there (a harness that assumed
// 127.0.0.1 would find nothing listening and fail to start the shop).
func TestEngineOverTCP(t *testing.T) {
	shoptest.Docker(t)
	sock := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		sock = strings.TrimPrefix(h, "unix://")
	}
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this machine: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	var conns atomic.Int64
	go forward(ln, "unix", sock, func() { conns.Add(1) })
	host := "tcp://" + ln.Addr().String()
	before := engineThings(t, "unix://"+sock)
	out := filepath.Join(t.TempDir(), "run")
	stdout, stderr, code := engineRun(t, host, "run", "baseline", "--duration", "4s", "--runtime", "docker", "--out", out)
	if code != ExitOK {
		t.Fatalf("lab run baseline over TCP: exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	first, _, _ := strings.Cut(stderr, "\n")
	if !strings.Contains(first, "at "+host) || !strings.Contains(first, "ports on 127.0.0.2") {
		t.Errorf("first line %q: want the engine at %s, ports on 127.0.0.2", first, host)
	}
	if conns.Load() == 0 {
		t.Error("no API connection went over TCP")
	}
	if left := leftBehind(before, engineThings(t, "unix://"+sock)); len(left) > 0 {
		t.Errorf("left on the engine after the run: %v", left)
	}
}
