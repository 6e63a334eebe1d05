package docker_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"lab/internal/shoptest"
	"lab/lab"
	"lab/lab/docker"
	"lab/lab/skeleton"
	"lab/services/contract"
)

func TestMain(m *testing.M) {
	shoptest.ServeIfChild()
	code := m.Run()
	shoptest.RemoveTestImage()
	os.Exit(code)
}

func TestStaticRefusesADynamicBinary(t *testing.T) {
	err := docker.Static("/bin/ls")
	if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Fatalf("Static(/bin/ls) = %v, want an error naming CGO_ENABLED=0", err)
	}
	script := filepath.Join(t.TempDir(), "lab")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := docker.Static(script); err == nil || !strings.Contains(err.Error(), "not a Linux binary") {
		t.Fatalf("Static(a script) = %v, want an error saying it is not a Linux binary", err)
	}
	exe, _ := os.Executable()
	if err := docker.Static(exe); err != nil {
		t.Fatalf("the test binary (CGO_ENABLED=0) is not static: %v", err)
	}
}

func TestImageIsBuiltOnceThenReused(t *testing.T) {
	e := shoptest.Docker(t)
	ctx := context.Background()
	exe, _ := os.Executable()
	tag, _, err := e.EnsureImage(ctx, exe)
	if err != nil {
		t.Fatal(err)
	}
	again, built, err := e.EnsureImage(ctx, exe)
	if err != nil || built || again != tag {
		t.Fatalf("second EnsureImage = %q, built %v, %v; want %q reused", again, built, err, tag)
	}
	labels, err := e.ImageLabels(ctx, tag)
	if err != nil || labels[docker.LabelImage] != "true" {
		t.Fatalf("image %s labels %v (%v), want %s=true", tag, labels, err, docker.LabelImage)
	}
}

// TestShopRunsInContainers brings the shop up in containers and uses it as
// the harness does: a checkout through the gateway's proxy, a latency fault
// through Toxiproxy's API, kills and restarts through Do, an exit nobody
// asked for, and a Close that leaves nothing of the run behind.
func TestShopRunsInContainers(t *testing.T) {
	e := shoptest.Docker(t)
	ctx := context.Background()
	s := shoptest.StartDocker(t, e, lab.Shape{Seed: 3, Replicas: map[string]int{"catalog": 2},
		Config: map[string]string{contract.PaymentModeKey: "sync"}})
	run := docker.RunID(s)
	if c, n, err := e.Labelled(ctx, run); err != nil || c != 10 || n != 1 {
		t.Fatalf("run %s: %d containers and %d networks (%v), want 10 (8 instances, broker, toxiproxy) and 1", run, c, n, err)
	}

	sh := shoptest.MustLogin(t, s.GatewayURL(), "grace@example.com")
	checkout := func() string {
		t.Helper()
		r, err := sh.Do(http.MethodPost, "/api/orders", map[string]any{"items": []map[string]int{{"product_id": 4, "qty": 1}}})
		if err != nil || (r.Code != http.StatusCreated && r.Code != http.StatusAccepted) {
			t.Fatalf("checkout: %v %+v", err, r)
		}
		return r.Body["id"].(string)
	}
	paid := func(id string) {
		t.Helper()
		shoptest.Eventually(t, 10*time.Second, "order "+id+" paid", func() bool {
			r, err := sh.Do(http.MethodGet, "/api/orders/"+id, nil)
			return err == nil && r.Body["status"] == "paid"
		})
	}
	paid(checkout())

	// Every instance's own port answers from the host.
	for _, in := range s.Instances() {
		var m map[string]any
		if err := shoptest.GetJSON("http://"+in.Addr+"/readyz", &m); err != nil {
			t.Fatalf("%s at %s: %v", in.Name, in.Addr, err)
		}
	}

	// A latency fault on both catalog edges from the gateway slows browsing.
	tp := toxiproxy.NewClient(s.ToxiproxyURL())
	for _, name := range []string{"gateway->catalog-1", "gateway->catalog-2"} {
		p, err := tp.Proxy(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.AddToxic("slow", "latency", "downstream", 1, toxiproxy.Attributes{"latency": 200}); err != nil {
			t.Fatal(err)
		}
		defer p.RemoveToxic("slow")
	}
	for i := 0; i < 2; i++ {
		r, err := sh.Do(http.MethodGet, "/api/products?size=3", nil)
		if err != nil || r.Code != http.StatusOK || r.Took < 200*time.Millisecond {
			t.Fatalf("browse with 200ms on the catalog edges: %v %d in %s, want 200 in 200ms or more", err, r.Code, r.Took)
		}
	}

	// Kill and start payments: no exit is reported, the instance comes back
	// on the same address, and sync checkouts are paid again.
	if err := s.Do(ctx, "payments-1", lab.Kill); err != nil {
		t.Fatal(err)
	}
	if err := s.Do(ctx, "payments-1", lab.Start); err != nil {
		t.Fatal(err)
	}
	pay := shoptest.Instance(t, s, "payments-1")
	if err := skeleton.PollReady(ctxFor(t, 20*time.Second), "http://"+pay.Addr+"/readyz", nil); err != nil {
		t.Fatalf("payments-1 after a restart: %v", err)
	}
	paid(checkout())

	// Pause and resume the broker's container.
	if err := s.Do(ctx, lab.Broker, lab.Pause); err != nil {
		t.Fatal(err)
	}
	broker := containerOf(t, ctx, e, run, "broker")
	if st, _ := e.ContainerState(ctx, broker); st != "paused" {
		t.Fatalf("broker after Pause: %s, want paused", st)
	}
	if err := s.Do(ctx, lab.Broker, lab.Resume); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.ContainerState(ctx, broker); st != "running" {
		t.Fatalf("broker after Resume: %s, want running", st)
	}

	// An end nobody asked for is reported with the instance's last lines.
	users := shoptest.Instance(t, s, "users-1")
	if err := e.KillContainer(ctx, users.Container); err != nil {
		t.Fatal(err)
	}
	select {
	case ex := <-s.Exits():
		if ex.Instance != "users-1" || len(ex.Last) == 0 {
			t.Fatalf("exit %+v, want users-1 with its last log lines", ex)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("users-1 was killed behind the runtime's back and no exit was reported")
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if c, n, err := e.Labelled(ctx, run); err != nil || c != 0 || n != 0 {
		t.Fatalf("after Close, run %s has %d containers and %d networks (%v), want none", run, c, n, err)
	}
}

// TestCleanLeavesLiveLabsAlone: without flags, Clean removes what labs that
// no longer run left behind, and not what a running lab owns.
func TestCleanLeavesLiveLabsAlone(t *testing.T) {
	e := shoptest.Docker(t)
	ctx := context.Background()
	host, _ := os.Hostname()
	dead, live := fmt.Sprintf("t%d", time.Now().UnixNano()), fmt.Sprintf("u%d", time.Now().UnixNano())
	// A pid above the kernel's pid_max (4194304) never runs.
	if err := e.CreateNetwork(ctx, "lab-"+dead, map[string]string{docker.LabelRun: dead, docker.LabelOwner: host + "/99999999"}); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateNetwork(ctx, "lab-"+live, map[string]string{docker.LabelRun: live, docker.LabelOwner: host + "/" + strconv.Itoa(os.Getpid())}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.Clean(ctx, e, docker.CleanOptions{Run: live}) })
	if _, err := docker.Clean(ctx, e, docker.CleanOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, n, _ := e.Labelled(ctx, dead); n != 0 {
		t.Errorf("the network of a dead lab is still there")
	}
	if _, n, _ := e.Labelled(ctx, live); n != 1 {
		t.Errorf("the network of a live lab was removed")
	}
}

func containerOf(t *testing.T, ctx context.Context, e *docker.Engine, run, name string) string {
	t.Helper()
	id, err := e.ContainerNamed(ctx, "lab-"+run+"-"+name)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestImageTagFollowsTheBinary: the same binary, wherever it lies, has one
// tag; another binary another.
func TestImageTagFollowsTheBinary(t *testing.T) {
	exe, _ := os.Executable()
	copyOf := filepath.Join(t.TempDir(), "lab")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyOf, data, 0o755); err != nil {
		t.Fatal(err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	if id, err := docker.GoBuildID(exe); err != nil || !strings.Contains(id, "/") {
		t.Fatalf("build ID of the test binary: %q, %v; want actionID/contentID", id, err)
	}
	a, errA := docker.ImageTag(exe)
	b, errB := docker.ImageTag(copyOf)
	c, errC := docker.ImageTag(goTool)
	if errA != nil || errB != nil || errC != nil {
		t.Fatal(errA, errB, errC)
	}
	if a != b || a == c || !strings.HasPrefix(a, "lab:") || len(a) != len("lab:")+16 {
		t.Fatalf("tags: test binary %s, its copy %s, the go tool %s; want the first two equal, the third apart", a, b, c)
	}
}
