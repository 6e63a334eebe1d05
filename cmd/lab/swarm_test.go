package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"lab/internal/shoptest"
	"lab/lab/results"
)

// cluster is a swarm the test made of this machine's engine (the manager)
// and workers, each a second dockerd in a network namespace of its own,
// joined over a veth pair and labelled lab.engine with its socket.
type cluster struct {
	advertise string   // the manager's address on the veth pairs, or 127.0.0.1
	workers   []string // their sockets
	netns     []string // their network namespaces
}

// swarmCluster makes the engine a swarm manager for the test, with workers
// more nodes, and undoes it all when the test ends: the workers leave and
// stop, their namespaces and folders go, and the manager leaves the swarm.
// The lab itself never changes an engine's mode; its tests do, here. An
// engine that is in a swarm already is not the test's to change: skipped.
func swarmCluster(t *testing.T, workers int) *cluster {
	t.Helper()
	shoptest.Docker(t)
	if state := dockerOut(t, "", "info", "--format", "{{.Swarm.LocalNodeState}}"); state != "inactive" {
		t.Skipf("the engine is in a swarm already (%s): not the test's to change", state)
	}
	// The engine keeps the gossip port of a swarm it left now and then
	// (moby/moby#31913): a new swarm's overlay then resolves no name, and
	// every service fails its start with "lookup ...: i/o timeout". Only a
	// restart of the daemon frees it; say so instead of that.
	if ln, err := net.Listen("tcp", ":7946"); err != nil {
		t.Fatalf("port 7946 (swarm gossip) is taken, though the engine is in no swarm: an engine that left a swarm keeps it at times "+
			"(moby/moby#31913), and a new swarm's names then resolve nowhere; restart the Docker daemon: %v", err)
	} else {
		ln.Close()
	}
	for _, tool := range []string{"ip", "nsenter", "unshare", "dockerd"} {
		if _, err := exec.LookPath(tool); err != nil && workers > 0 {
			needTool(t, tool, err)
		}
	}
	c := &cluster{advertise: "127.0.0.1"}
	type node struct{ ns, dir, host, addr string }
	var nodes []node
	for i := range workers {
		// 10.213.N.0/30 is no one's: the test makes both ends.
		n := node{ns: fmt.Sprintf("labswarm%d-%d", os.Getpid()%10000, i), host: fmt.Sprintf("10.213.%d.1", i), addr: fmt.Sprintf("10.213.%d.2", i)}
		n.dir = t.TempDir()
		nodes = append(nodes, n)
		c.advertise = nodes[0].host
		t.Cleanup(func() {
			sock := "unix://" + filepath.Join(n.dir, "docker.sock")
			_ = exec.Command("docker", "-H", sock, "swarm", "leave", "--force").Run()
			if b, err := os.ReadFile(filepath.Join(n.dir, "pid")); err == nil {
				_ = exec.Command("kill", strings.TrimSpace(string(b))).Run()
				deadline := time.Now().Add(20 * time.Second)
				for time.Now().Before(deadline) && exec.Command("kill", "-0", strings.TrimSpace(string(b))).Run() == nil {
					time.Sleep(100 * time.Millisecond)
				}
			}
			_ = exec.Command("ip", "netns", "del", n.ns).Run()
			_ = exec.Command("ip", "link", "del", n.ns+"h").Run()
			// vfs keeps a whole copy of every layer: unmount and remove it all
			_ = exec.Command("sh", "-c", "grep ' "+n.dir+"' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r umount -l").Run()
		})
		for _, args := range [][]string{
			{"ip", "netns", "add", n.ns},
			{"ip", "link", "add", n.ns + "h", "type", "veth", "peer", "name", n.ns + "n"},
			{"ip", "link", "set", n.ns + "n", "netns", n.ns},
			{"ip", "addr", "add", n.host + "/30", "dev", n.ns + "h"},
			{"ip", "link", "set", n.ns + "h", "up"},
			{"ip", "-n", n.ns, "addr", "add", n.addr + "/30", "dev", n.ns + "n"},
			{"ip", "-n", n.ns, "link", "set", n.ns + "n", "up"},
			{"ip", "-n", n.ns, "link", "set", "lo", "up"},
		} {
			run(t, args...)
		}
		if err := os.WriteFile(filepath.Join(n.dir, "daemon.json"), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		// Its own UTS namespace, so that the node has a name of its own.
		script := fmt.Sprintf("hostname lab-node%d && exec dockerd --config-file %[2]s/daemon.json --data-root %[2]s/data --exec-root %[2]s/exec "+
			"--pidfile %[2]s/pid -H unix://%[2]s/docker.sock --bridge=none --iptables=false --storage-driver=vfs", i+2, n.dir)
		d := exec.Command("nsenter", "--net=/var/run/netns/"+n.ns, "unshare", "--uts", "sh", "-c", script)
		logf, err := os.Create(filepath.Join(n.dir, "dockerd.log"))
		if err != nil {
			t.Fatal(err)
		}
		d.Stdout, d.Stderr = logf, logf
		if err := d.Start(); err != nil {
			t.Fatalf("start the worker's dockerd: %v", err)
		}
		go func() { _ = d.Wait(); logf.Close() }()
		sock := "unix://" + filepath.Join(n.dir, "docker.sock")
		deadline := time.Now().Add(30 * time.Second)
		for exec.Command("docker", "-H", sock, "version").Run() != nil {
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(n.dir, "dockerd.log"))
				t.Fatalf("the worker's dockerd did not answer within 30s:\n%s", lastLines(string(log), 20))
			}
			time.Sleep(200 * time.Millisecond)
		}
		c.workers = append(c.workers, sock)
		c.netns = append(c.netns, n.ns)
	}
	run(t, "docker", "swarm", "init", "--advertise-addr", c.advertise)
	t.Cleanup(func() { _ = exec.Command("docker", "swarm", "leave", "--force").Run() })
	token := dockerOut(t, "", "swarm", "join-token", "-q", "worker")
	for i, sock := range c.workers {
		run(t, "docker", "-H", sock, "swarm", "join", "--advertise-addr", nodes[i].addr, "--token", token, c.advertise+":2377")
		id := dockerOut(t, sock, "info", "--format", "{{.Swarm.NodeID}}")
		run(t, "docker", "node", "update", "--label-add", "lab.engine="+sock, id)
	}
	return c
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if b, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

func dockerOut(t *testing.T, host string, args ...string) string {
	t.Helper()
	if host != "" {
		args = append([]string{"-H", host}, args...)
	}
	b, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return strings.TrimSpace(string(b))
}

func needTool(t *testing.T, tool string, err error) {
	t.Helper()
	if os.Getenv(shoptest.RequireDockerEnv) == "1" {
		t.Fatalf("%s=1 and no %s: %v", shoptest.RequireDockerEnv, tool, err)
	}
	t.Skipf("no %s: %v", tool, err)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// swarmLeft lists the services, configs, networks, volumes and containers of lab
// runs still on the engine at host.
func swarmLeft(t *testing.T, host string) []string {
	t.Helper()
	var left []string
	for _, args := range [][]string{
		{"ps", "-a", "--filter", "label=lab.run", "--format", "container {{.Names}}"},
		{"network", "ls", "--filter", "label=lab.run", "--format", "network {{.Name}}"},
		{"volume", "ls", "--filter", "label=lab.run", "--format", "volume {{.Name}}"},
	} {
		if out := dockerOut(t, host, args...); out != "" {
			left = append(left, strings.Split(out, "\n")...)
		}
	}
	if host == "" {
		for _, kind := range []string{"service", "config"} {
			if out := dockerOut(t, host, kind, "ls", "--filter", "label=lab.run", "--format", kind+" {{.Name}}"); out != "" {
				left = append(left, strings.Split(out, "\n")...)
			}
		}
	}
	return left
}

// TestSwarmNeedsAManager: an engine that is no swarm manager is not made
// one: exit 3, with the command that would.
func TestSwarmNeedsAManager(t *testing.T) {
	shoptest.Docker(t)
	if state := dockerOut(t, "", "info", "--format", "{{.Swarm.LocalNodeState}}"); state != "inactive" {
		t.Skipf("the engine is in a swarm (%s)", state)
	}
	stdout, stderr, code := labWithEnv(t, nil, "run", "baseline", "--runtime", "swarm", "--out", filepath.Join(t.TempDir(), "run"))
	if code != ExitCannotRun || !strings.Contains(stderr, "docker swarm init --advertise-addr 127.0.0.1") || !strings.Contains(stderr, "never changes an engine's mode") {
		t.Fatalf("exit %d, want %d with the command that makes a manager\n%s\n%s", code, ExitCannotRun, stdout, stderr)
	}
	if state := dockerOut(t, "", "info", "--format", "{{.Swarm.LocalNodeState}}"); state != "inactive" {
		t.Fatalf("the lab changed the engine's swarm state to %s", state)
	}
}

// TestSwarmOneNode: crash-orders on a swarm of this machine alone (a kill
// of orders' task, and its restart as a new task, through the engine):
// exit 0, and no service, network, volume or container of the run left;
// then the lab make builds, whose generator task runs the lab binary's
// image beside the shop's lab-serve one.
func TestSwarmOneNode(t *testing.T) {
	swarmCluster(t, 0)
	out := filepath.Join(t.TempDir(), "run")
	stdout, stderr, code := labWithEnv(t, nil, "run", "crash-orders", "--runtime", "swarm", "--out", out)
	if code != ExitOK {
		t.Fatalf("lab run crash-orders --runtime swarm: exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	if first, _, _ := strings.Cut(stderr, "\n"); !strings.HasPrefix(first, "runtime: swarm, 1 node, manager Docker Engine") {
		t.Errorf("first line %q does not name the swarm", first)
	}
	if rt := reportRuntime(t, out); !strings.HasPrefix(rt, "swarm (") {
		t.Errorf("report's runtime %q", rt)
	}
	if left := swarmLeft(t, ""); len(left) > 0 {
		t.Errorf("left after the run: %v", left)
	}

	// The lab make builds runs its shop from lab-serve, which has no k6:
	// its generator tasks run an image of the lab binary itself. (The test
	// binary is both, so the runs above do not tell.)
	exe := buildLab(t, t.TempDir())
	out = filepath.Join(t.TempDir(), "made")
	made := exec.Command(exe, "run", "baseline", "--duration", "4s", "--runtime", "swarm", "--load-nodes", "1", "--out", out)
	made.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir())
	b, err := made.CombinedOutput()
	if err != nil {
		t.Fatalf("the made lab, baseline --load-nodes 1 on a swarm: %v\n%s", err, b)
	}
	var gens struct {
		Load *results.LoadGenerators `json:"load_generators"`
	}
	readReport(t, out, &gens)
	if gens.Load == nil || len(gens.Load.Nodes) != 1 {
		t.Errorf("the made lab's generators %+v: want one task", gens.Load)
	}
	if left := swarmLeft(t, ""); len(left) > 0 {
		t.Errorf("left after the made lab's run: %v", left)
	}
}

// TestSwarmTwoNodes: a swarm of this machine's engine and a worker (a
// second dockerd in a network namespace). baseline spreads the instances
// over both and passes, and so does the made lab's with a generator task
// on each node; `lab up --replicas catalog=4` puts catalog on both
// and prints where; node-cut (payment-outage with payments alone on the
// worker) cuts the worker's link: its targets are the edges into the
// worker's one instance and its broker link, and only those, and the
// verdict is payment-outage's. Nothing of a run is left on either node.
func TestSwarmTwoNodes(t *testing.T) {
	c := swarmCluster(t, 1)
	worker := c.workers[0]
	manager := dockerOut(t, "", "info", "--format", "{{.Name}}")

	out := filepath.Join(t.TempDir(), "baseline")
	stdout, stderr, code := labWithEnv(t, nil, "run", "baseline", "--runtime", "swarm", "--out", out)
	if code != ExitOK {
		t.Fatalf("baseline on two nodes: exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("baseline (the image copied to the worker in it): %s", lineStarting(stderr, "shop ready"))
	nodes := reportPlacement(t, out)
	if nodes["users-1"] != "lab-node2" || nodes["gateway-1"] != manager || nodes["broker"] != manager {
		t.Errorf("baseline's placement %v: want the instances spread, gateway-1 and the broker on %s, users-1 on lab-node2", nodes, manager)
	}

	// --load-nodes 2: a k6 generator as a task on each node, each its
	// execution segment, their streams dialed and merged: every phase's
	// counts those of the one generator's run (within 2%, or 2 requests),
	// and the merged counts the sum of the generators' own k6 summaries,
	// copied back from their tasks.
	// The lab make builds runs it, as users do: its shop runs lab-serve,
	// its generator tasks an image of the lab binary, copied to the worker.
	out2 := filepath.Join(t.TempDir(), "baseline-2")
	made := exec.Command(buildLab(t, t.TempDir()), "run", "baseline", "--runtime", "swarm", "--load-nodes", "2", "--out", out2)
	made.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir())
	var madeOut, madeErr strings.Builder
	made.Stdout, made.Stderr = &madeOut, &madeErr
	if err := made.Run(); err != nil {
		t.Fatalf("the made lab, baseline --load-nodes 2 on two nodes: %v\n%s\n%s", err, madeOut.String(), madeErr.String())
	}
	stderr = madeErr.String()
	sameLoad(t, out, out2)
	var gens struct {
		Load *results.LoadGenerators `json:"load_generators"`
	}
	readReport(t, out2, &gens)
	if gens.Load == nil || strings.Join(gens.Load.Nodes, " ") != manager+" lab-node2" {
		t.Errorf("generators %+v: want one on %s, one on lab-node2", gens.Load, manager)
	}
	t.Logf("%s", lineStarting(stderr, "load: "))

	up := exec.Command(os.Args[0], "up", "--runtime", "swarm", "--replicas", "catalog=4")
	up.Env = append(os.Environ(), "LAB_TEST_MAIN=1")
	var upOut strings.Builder
	up.Stdout, up.Stderr = &upOut, &upOut
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(upOut.String(), "Ctrl-C stops everything") && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	_ = up.Process.Signal(os.Interrupt)
	_ = up.Wait()
	shown := upOut.String()
	for i, want := range []string{manager, "lab-node2", manager, "lab-node2"} {
		line := lineOf(shown, fmt.Sprintf("catalog-%d ", i+1))
		if !strings.Contains(line, " "+want+" ") {
			t.Errorf("lab up: catalog-%d's line %q does not say it runs on %s\n%s", i+1, line, want, shown)
		}
	}

	out = filepath.Join(t.TempDir(), "node-cut")
	stdout, stderr, code = labWithEnv(t, nil, "run", "testdata/node-cut.yaml", "--runtime", "swarm", "--out", out)
	if code != ExitOK {
		t.Fatalf("node-cut: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "placement: lab-node2: catalog-2, payments-1; "+manager+": broker, catalog-1,") {
		t.Errorf("node-cut's placement line:\n%s", stdout)
	}
	targets := reportTargets(t, out)
	if want := "gateway->catalog-2 orders->catalog-2 orders->payments-1 payments.broker"; strings.Join(targets, " ") != want {
		t.Errorf("the worker's cut reached %v, want %s, and only those", targets, want)
	}
	// The blast radius shows the cut as the instances on the worker, and
	// only those: catalog-2 hit, catalog-1 (the manager's) isolated.
	var rep struct {
		BlastRadius []results.Impact `json:"blast_radius"`
	}
	readReport(t, out, &rep)
	hit := map[string]string{}
	for _, im := range rep.BlastRadius {
		if im.Kind == "instance" {
			hit[im.Subject+" on "+im.Node] = im.Class
		}
	}
	if hit["catalog-2 on lab-node2"] == "" || hit["catalog-2 on lab-node2"] == results.Isolated ||
		hit["catalog-1 on "+manager] != results.Isolated || len(hit) != 2 {
		t.Errorf("node-cut's blast radius by instance %v: want catalog-2 on lab-node2 hit, catalog-1 on %s isolated, no other", hit, manager)
	}
	t.Logf("node-cut's blast radius by instance: %v", hit)
	for _, host := range []string{"", worker} {
		if left := swarmLeft(t, host); len(left) > 0 {
			t.Errorf("left on %q after the runs: %v", host, left)
		}
	}

	// SIGTERM while generator tasks load on both nodes: exit 130, and no
	// service, config, volume or container of theirs left on either node.
	term := exec.Command(os.Args[0], "run", "baseline", "--runtime", "swarm", "--load-nodes", "2", "--out", filepath.Join(t.TempDir(), "term"))
	term.Env = append(os.Environ(), "LAB_TEST_MAIN=1")
	var termErr syncBuffer
	term.Stderr = &termErr
	if err := term.Start(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(3 * time.Minute)
	for !strings.Contains(termErr.String(), "load: 2 k6 generators as tasks") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	_ = term.Process.Signal(syscall.SIGTERM)
	_ = term.Wait()
	if code := term.ProcessState.ExitCode(); code != ExitInterrupted {
		t.Errorf("SIGTERM while the generator tasks load: exit %d, want 130\n%s", code, termErr.String())
	}
	for _, host := range []string{"", worker} {
		if left := swarmLeft(t, host); len(left) > 0 {
			t.Errorf("SIGTERM while the generator tasks load: left on %q: %v", host, left)
		}
	}

	// Interrupted while the services start, and while the load runs: exit
	// 130, and nothing of the run on either node.
	for _, p := range []struct {
		sig syscall.Signal
		at  time.Duration
	}{{syscall.SIGINT, 2 * time.Second}, {syscall.SIGTERM, 11 * time.Second}} {
		_, code, stderr := labRun(t, "swarm", &p.sig, p.at)
		if code != -1 && code != ExitInterrupted {
			t.Errorf("%s at %s: exit %d, want 130\n%s", p.sig, p.at, code, stderr)
		}
		for _, host := range []string{"", worker} {
			if left := swarmLeft(t, host); len(left) > 0 {
				t.Errorf("%s at %s: left on %q: %v\n%s", p.sig, p.at, host, left, stderr)
			}
		}
		t.Logf("%s at %s: exit %d, %s", p.sig, p.at, code, lastLine(stderr))
	}

	// The image the lab copied to the worker goes with lab clean --images.
	if dockerOut(t, worker, "images", "-q", "--filter", "label=lab.image") == "" {
		t.Error("no lab image on the worker: the lab did not copy it there")
	}
	if stdout, stderr, code := labWithEnv(t, nil, "clean", "--images"); code != ExitOK {
		t.Fatalf("lab clean --images: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if left := dockerOut(t, worker, "images", "-q", "--filter", "label=lab.image"); left != "" {
		t.Errorf("lab clean --images left the worker's lab images: %s", left)
	}

	// With --registry, the lab pushes its image there and the worker pulls
	// it (no copy): a registry of the test's at 127.0.0.1:PORT on both nodes.
	reg := testRegistry(t, c.netns[0])
	out = filepath.Join(t.TempDir(), "registry")
	stdout, stderr, code = labWithEnv(t, nil, "run", "baseline", "--runtime", "swarm", "--registry", reg+"/lab", "--out", out)
	if code != ExitOK {
		t.Fatalf("baseline with --registry %s/lab: exit %d\n%s\n%s", reg, code, stdout, stderr)
	}
	// The worker's image is the registry's, pulled: a copy would be lab:<hash>.
	if pulled := dockerOut(t, worker, "images", "--format", "{{.Repository}}", "--filter", "label=lab.image"); pulled != reg+"/lab" {
		t.Errorf("the worker's lab images %q: want %s/lab, pulled from the registry", pulled, reg)
	}
	t.Logf("with --registry (the push and the pull in it): %s", lineStarting(stderr, "shop ready"))
	for _, host := range []string{"", worker} {
		if left := swarmLeft(t, host); len(left) > 0 {
			t.Errorf("left on %q after the registry run: %v", host, left)
		}
	}

	// A node without lab.engine: a run refuses it with the command that
	// labels it; lab clean leaves it out and succeeds.
	id := dockerOut(t, worker, "info", "--format", "{{.Swarm.NodeID}}")
	run(t, "docker", "node", "update", "--label-rm", "lab.engine", id)
	stdout, stderr, code = labWithEnv(t, nil, "run", "baseline", "--runtime", "swarm", "--out", filepath.Join(t.TempDir(), "unlabelled"))
	if code != ExitCannotRun || !strings.Contains(stderr, "docker node update --label-add lab.engine=") {
		t.Errorf("a run with an unlabelled node: exit %d, want 3 with the command that labels it\n%s\n%s", code, stdout, stderr)
	}
	if stdout, stderr, code := labWithEnv(t, nil, "clean"); code != ExitOK {
		t.Errorf("lab clean with an unlabelled node: exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
}

// sameLoad checks that run b, with several generators, counted the
// requests of run a, with one, and that b's merged counts are the sums of
// its generators' own k6 summaries (shoptest.SameLoad, GeneratorsAddUp).
//
// Register and login are left out of the first check: the journeys
// register each VU's shopper once and log it in every 25 calls, so their
// counts follow how many VUs the arrival rate kept busy, which a generator
// on another node (a longer round trip) raises: 4 registrations with one
// generator on the manager, 7 with one task on each node, where the same
// two tasks both on the manager made 4. Every other endpoint is the
// plan's iterations.
func sameLoad(t *testing.T, a, b string) {
	t.Helper()
	type report struct {
		Phases []results.Phase            `json:"phases"`
		K6     map[string]results.K6Check `json:"k6"`
	}
	var one, two report
	readReport(t, a, &one)
	readReport(t, b, &two)
	shoptest.SameLoad(t, one.Phases, two.Phases, "register", "login", "all")
	shoptest.GeneratorsAddUp(t, two.K6, 2)
}

// lineStarting is the first line of s that starts with prefix.
func lineStarting(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func lineOf(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "│ "+prefix) {
			return l
		}
	}
	return ""
}

func reportPlacement(t *testing.T, out string) map[string]string {
	t.Helper()
	var rep struct {
		Placement map[string]string `json:"placement"`
	}
	readReport(t, out, &rep)
	return rep.Placement
}

func reportTargets(t *testing.T, out string) []string {
	t.Helper()
	var rep struct {
		Faults []struct {
			Targets []string `json:"targets"`
		} `json:"faults"`
	}
	readReport(t, out, &rep)
	if len(rep.Faults) != 1 {
		t.Fatalf("faults %+v, want one", rep.Faults)
	}
	return rep.Faults[0].Targets
}

func readReport(t *testing.T, out string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestNodeTargetNeedsASwarm: a scenario with a node:NAME target on a
// runtime of one machine is bad input, refused before anything starts: no
// shop, no run folder.
func TestNodeTargetNeedsASwarm(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	var stdout, stderr strings.Builder
	code := Main(context.Background(), []string{"run", "testdata/node-cut.yaml", "--runtime", "process", "--out", out}, &stdout, &stderr)
	if code != ExitBadInput || !strings.Contains(stderr.String(), `target "node:lab-node2" names a node`) ||
		!strings.Contains(stderr.String(), "--runtime swarm") || strings.Contains(stderr.String(), "shop ready") {
		t.Fatalf("exit %d, %q: want %d, the node target refused before the shop started", code, stderr.String(), ExitBadInput)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the run folder %s was made: %v", out, err)
	}
}
