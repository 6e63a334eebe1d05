package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"lab/lab"
	"lab/lab/skeleton"
	"lab/services/contract"
)

// SwarmRuntime is the swarm runtime: the broker, Toxiproxy and every
// instance run as swarm services of one task each (so that a fault can name
// catalog-2, and a kill ends that task alone), on an attachable overlay
// network of the run's own, through the Docker API of a swarm manager.
//
// The engine must already be a manager: the lab never changes an engine's
// mode (NotManagerError says how to make one). Every service carries the
// labels of the docker runtime (lab.run, lab.owner, lab.instance), and so do
// the containers of its tasks and the network, so Close, Clean and `lab
// clean` find them the same way.
//
// Where the docker runtime gives each container a fixed address, a swarm
// task gets its address from the overlay, anew at each start: services dial
// each other's proxies, and Toxiproxy the instances, by service name, which
// the swarm's DNS resolves to the task's address (endpoint mode dnsrr: no
// virtual IP in between, so a dead task's name fails at once, as a dead
// process's port does). The harness reaches each task through a port it
// publishes in host mode on the node it runs on (the ingress routing mesh
// is not used: it is one more proxy in every measured path, and on some
// hosts it answers nothing).
//
// A restart (the end of a kill fault) is a forced update of the unit's
// service, which starts a new task; pause, kill and stop go to the task's
// container through the engine of the node it runs on.
type SwarmRuntime struct {
	// Exe is the lab binary to put in the image (static).
	Exe string
	// Env is added to every task's environment.
	Env []string
	// Engine is the manager's engine; Start connects to one if it is nil.
	Engine *Engine
	// LoadExe is the static Linux lab binary that generator tasks run
	// (`lab k6 run`: Exe may be lab-serve, which has no k6), built into an
	// image of its own when it is not Exe; "" when there is none (a lab
	// of macOS or Windows), and the load cannot run as tasks.
	LoadExe string
	// Registry, if set, is a repository (HOST[:PORT]/REPO, ParseRegistry)
	// the lab pushes its image to, and the nodes pull it from; without
	// one, the lab copies its image to each node's engine.
	Registry string
}

var _ lab.Runtime = (*SwarmRuntime)(nil)

// Name returns "swarm".
func (r *SwarmRuntime) Name() string { return "swarm" }

// SpansNodes says that a swarm's shop runs on its nodes: node:NAME
// targets are its.
func (r *SwarmRuntime) SpansNodes() bool { return true }

// Describe names the engine once connected.
func (r *SwarmRuntime) Describe() string {
	if r.Engine == nil {
		return "swarm"
	}
	return "swarm (" + r.Engine.Name() + ")"
}

// NotManagerError says that the engine is no swarm manager, and how to make
// it one; the lab does not.
type NotManagerError struct {
	Endpoint string
	State    string // the engine's swarm state: inactive, pending, active (a worker)...
}

func (e *NotManagerError) Error() string {
	what := "is not in a swarm"
	if e.State == "active" {
		what = "is a swarm worker, not a manager"
	}
	return fmt.Sprintf("the engine at %s %s (swarm state %s), and the lab never changes an engine's mode: "+
		"make it a manager with `docker swarm init --advertise-addr 127.0.0.1` (a swarm of this machine alone; "+
		"`docker swarm leave --force` undoes it), or point DOCKER_HOST at a manager of your swarm", e.Endpoint, what, e.State)
}

// Swarm is what the swarm runtime needs to know of the engine's swarm.
type Swarm struct {
	NodeID string // the manager's own node
	Nodes  int
}

// CheckManager returns the engine's swarm, or a *NotManagerError.
func (e *Engine) CheckManager(ctx context.Context) (Swarm, error) {
	info, err := e.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return Swarm{}, fmt.Errorf("ask the engine: %w", err)
	}
	sw := info.Info.Swarm
	if sw.LocalNodeState != "active" || !sw.ControlAvailable {
		return Swarm{}, &NotManagerError{Endpoint: e.Endpoint, State: string(sw.LocalNodeState)}
	}
	return Swarm{NodeID: sw.NodeID, Nodes: sw.Nodes}, nil
}

// Start checks that the engine is a manager, makes the image, then brings
// the shop up.
func (r *SwarmRuntime) Start(ctx context.Context, p lab.Params) (lab.Shop, error) {
	e, own, err := engineOr(ctx, r.Engine)
	if err != nil {
		return nil, err
	}
	closeOwn := func() {
		if own {
			e.Close()
		}
	}
	sw, err := e.CheckManager(ctx)
	if err != nil {
		closeOwn()
		return nil, err
	}
	dr := &Runtime{Exe: r.Exe}
	image, err := dr.image(ctx, e, p.Progress)
	if err != nil {
		closeOwn()
		return nil, err
	}
	ns, err := e.nodes(ctx, sw, true)
	if err != nil {
		closeOwn()
		return nil, err
	}
	began := time.Now()
	var auth string
	if r.Registry != "" {
		auth = registryAuth(r.Registry)
	}
	image, n, err := r.distribute(ctx, e, image, auth, ns)
	if err != nil {
		closeNodes(ns)
		closeOwn()
		return nil, err
	}
	switch {
	case p.Progress == nil:
	case r.Registry != "":
		fmt.Fprintf(p.Progress, "image      %s pushed in %s; each node pulls it\n", image, time.Since(began).Round(time.Millisecond))
	case n > 0:
		fmt.Fprintf(p.Progress, "image      copied to %d %s in %s (saved from the manager's engine, loaded into each node's)\n",
			n, lab.Plural(n, "node", "nodes"), time.Since(began).Round(time.Millisecond))
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	b := &swarmBackend{rt: r, e: e, ownEngine: own, image: image, auth: auth, run: hex.EncodeToString(id), nodes: ns,
		pack: p.Shape.Placement == lab.PlacementPack}
	b.prefix = "lab-" + b.run + "-"
	b.bg, b.stopBg = context.WithCancel(context.Background())
	shop, err := skeleton.Start(ctx, p, b)
	if err != nil && overlayLookupFailed(err, b.prefix) {
		err = fmt.Errorf("%w\n%s", err, overlayHint)
	}
	return shop, err
}

// overlayHint explains a start whose services resolved no name of the
// run's on its overlay network.
const overlayHint = `the run's services could not resolve each other's names on its overlay network: ` +
	`the swarm's nodes must reach each other on TCP and UDP port 7946 and UDP port 4789 (docs/cluster.md), ` +
	`and no other process may hold port 7946 on a node; an engine that left a swarm keeps it at times ` +
	`(moby/moby#31913), and then no later swarm of that engine resolves a name until it is restarted`

// overlayLookupFailed reports whether err quotes a failed lookup of one of
// the run's service names (they all start with prefix).
func overlayLookupFailed(err error, prefix string) bool {
	s := err.Error()
	return strings.Contains(s, "lookup "+prefix) && (strings.Contains(s, "i/o timeout") || strings.Contains(s, "no such host") ||
		strings.Contains(s, "server misbehaving"))
}

// distribute makes image reachable from every node: pushed to the
// registry, whose reference it returns, or copied to each node's engine
// that lacks it (how many it returns).
func (r *SwarmRuntime) distribute(ctx context.Context, e *Engine, image, auth string, ns []*node) (string, int, error) {
	ctx, cancel := context.WithTimeout(ctx, imageTimeout)
	defer cancel()
	if r.Registry != "" {
		pushed, err := pushImage(ctx, e.cli, image, r.Registry, auth)
		return pushed, 0, err
	}
	n, err := copyImage(ctx, e.cli, image, ns)
	return image, n, err
}

// swarmBackend runs every unit as a swarm service of one task.
type swarmBackend struct {
	rt        *SwarmRuntime
	e         *Engine
	ownEngine bool
	image     string
	auth      string // the registry's credentials for the nodes' pulls, when the image is in one
	run       string
	netName   string
	netID     string
	prefix    string
	p         lab.Params
	dirs      map[string]string

	bg      context.Context
	stopBg  context.CancelFunc
	follows sync.WaitGroup

	toxiproxy  *task
	frontPorts []int
	// the host ports the run's tasks publish (pickPort)
	portsMu sync.Mutex
	picked  map[int]bool

	// nodes: the manager first; pack puts every instance on its node.
	nodes []*node
	pack  bool

	// the generator tasks' image, made at the first one's start
	loadOnce  sync.Once
	loadImage string
	loadErr   error
}

// place picks the node of an instance among those its service's
// constraints allow: spread takes them in turn, in the order of the shop's
// instances (every service's first, in the order of contract.Services, then
// every second...), so that a run's placement is the same every time and a
// service's replicas alternate; pack takes the first (the manager's node
// when it is allowed).
func (b *swarmBackend) place(svc, name string) (*node, error) {
	var ok []*node
	var cs []lab.Constraint
	for _, s := range b.p.Shape.Constraints[svc] {
		c, err := lab.ParseConstraint(s)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	for _, n := range b.nodes {
		all := true
		for _, c := range cs {
			all = all && holds(c, n)
		}
		if all {
			ok = append(ok, n)
		}
	}
	if len(ok) == 0 {
		var names []string
		for _, n := range b.nodes {
			names = append(names, fmt.Sprintf("%s (%s)", n.name, n.role))
		}
		return nil, fmt.Errorf("%s: no node satisfies %s (nodes: %s)", name, strings.Join(b.p.Shape.Constraints[svc], ", "), strings.Join(names, ", "))
	}
	if b.pack {
		return ok[0], nil
	}
	i := 0
	for n := 1; n <= maxMost(b.p.Shape); n++ {
		for _, s := range contract.Services {
			if n > b.p.Shape.MostOf(s) {
				continue
			}
			if lab.InstanceName(s, n) == name {
				return ok[i%len(ok)], nil
			}
			i++
		}
	}
	return ok[0], nil
}

func maxMost(s lab.Shape) int {
	most := 1
	for _, svc := range contract.Services {
		most = max(most, s.MostOf(svc))
	}
	return most
}

func (b *swarmBackend) labels() map[string]string {
	return (&backend{run: b.run}).labels()
}

func (b *swarmBackend) progress(format string, args ...any) {
	if b.p.Progress != nil {
		fmt.Fprintf(b.p.Progress, format+"\n", args...)
	}
}

// Prepare removes what crashed runs left and creates the run's overlay
// network, attachable so that a container outside the swarm's services
// (a debugging shell) can join it.
func (b *swarmBackend) Prepare(ctx context.Context, p lab.Params, links []lab.Link) error {
	b.p = p
	var err error
	if b.dirs, err = runDirs(p); err != nil {
		return err
	}
	if n, err := clean(ctx, b.e, CleanOptions{}, b.nodes); err == nil && n > 0 {
		b.progress("clean      removed %d things left by crashed runs", n)
	}
	b.netName = "lab-" + b.run
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()
	made, err := b.e.cli.NetworkCreate(nctx, b.netName, client.NetworkCreateOptions{Driver: "overlay", Attachable: true, Labels: b.labels()})
	if err != nil {
		return fmt.Errorf("create overlay network %s: %w", b.netName, err)
	}
	b.netID = made.ID
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create network %s: %w", b.netName, err)
	}
	var names []string
	for _, n := range b.nodes {
		names = append(names, n.name)
	}
	how := "spread over"
	if b.pack {
		how = "packed on the first of"
	}
	b.progress("run        %s on a swarm of %d %s, instances %s %s (overlay network %s; every service is labelled %s=%s)",
		b.run, len(b.nodes), lab.Plural(len(b.nodes), "node", "nodes"), how, strings.Join(names, ", "), b.netName, LabelRun, b.run)
	for i, l := range links {
		if l.Front() {
			b.frontPorts = append(b.frontPorts, firstProxy+i)
		}
	}
	return nil
}

// The broker and Toxiproxy run on the manager's own node: the broker's
// store is a folder of the run there, and the harness reaches both there.
func (b *swarmBackend) Broker() (skeleton.Unit, error) {
	return b.newTask("", "broker", brokerPort, func(skeleton.Run) spec {
		return spec{cmd: []string{"serve", "broker", "--store", "/broker", "--host", "0.0.0.0",
			"--port", strconv.Itoa(brokerPort)}, mounts: map[string]string{b.dirs["broker"]: "/broker"}}
	}, b.nodes[0], brokerPort)
}

func (b *swarmBackend) Toxiproxy() (skeleton.Unit, error) {
	var err error
	b.toxiproxy, err = b.newTask("", "toxiproxy", apiPort, func(skeleton.Run) spec {
		return spec{cmd: []string{"serve", "toxiproxy", "--api", fmt.Sprintf("0.0.0.0:%d", apiPort)}}
	}, b.nodes[0], append([]int{apiPort}, b.frontPorts...)...)
	return b.toxiproxy, err
}

func (b *swarmBackend) Instance(service, name string) (skeleton.Unit, error) {
	n, err := b.place(service, name)
	if err != nil {
		return nil, err
	}
	return b.newTask(service, name, servicePort, func(run skeleton.Run) spec {
		return spec{cmd: []string{"serve", run.Service, "--instance", run.Instance,
			"--nats", "nats://" + run.BrokerDial, "--data", "/data",
			"--seed", strconv.FormatInt(run.Seed, 10),
			"--listen", fmt.Sprintf("0.0.0.0:%d", servicePort)},
			mounts: map[string]string{b.dirs["data"]: "/data"}}
	}, n, servicePort)
}

func (b *swarmBackend) ToxiproxyURL() string { return "http://" + b.toxiproxy.host(apiPort) }

func (b *swarmBackend) ProxyListen(i int) string { return fmt.Sprintf("0.0.0.0:%d", firstProxy+i) }

// Reach: services dial Toxiproxy's service by name on the overlay; the
// harness a port it publishes (the load's proxies only).
func (b *swarmBackend) Reach(listen string) (dial, host string) {
	_, port, _ := net.SplitHostPort(listen)
	p, _ := strconv.Atoi(port)
	return net.JoinHostPort(b.toxiproxy.service(), port), b.toxiproxy.host(p)
}

// A killed task's connections through Toxiproxy are left hanging.
func (b *swarmBackend) KernelResets() bool { return false }

// Close removes every service of the run, their containers and the
// network, by label.
func (b *swarmBackend) Close(ctx context.Context) error {
	_, err := clean(ctx, b.e, CleanOptions{Run: b.run}, b.nodes)
	// The manager removes an overlay network a while after it answers
	// the remove, and lists it until then: a run that ended, or was
	// interrupted, seemed to leave its network for some seconds. Wait
	// until it is gone, so that what the lab leaves is what there is.
	if b.netID != "" {
		err = errors.Join(err, b.networkGone(ctx))
	}
	b.stopBg()
	b.follows.Wait()
	closeNodes(b.nodes)
	if b.ownEngine {
		err = errors.Join(err, b.e.Close())
	}
	return err
}

// networkGone waits, networkDetach at most, until the run's network is
// no longer listed, removing it again if it is still there to remove.
func (b *swarmBackend) networkGone(ctx context.Context) error {
	deadline := time.Now().Add(networkDetach)
	f := make(client.Filters).Add("label", LabelRun+"="+b.run)
	for {
		ns, err := b.e.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
		if err != nil {
			return fmt.Errorf("list networks: %w", err)
		}
		if len(ns.Items) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("network %s still there %s after its remove", b.netName, networkDetach)
		}
		for _, nw := range ns.Items {
			_, _ = b.e.cli.NetworkRemove(ctx, nw.ID, client.NetworkRemoveOptions{})
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("network %s: %w", b.netName, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
