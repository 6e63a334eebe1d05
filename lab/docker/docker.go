// Package docker is the docker runtime: every instance of a service, the
// broker and Toxiproxy run as containers of one image that holds the
// program of the lab's children (lab-serve, or the lab binary itself),
// built here FROM scratch (no registry is reachable, so nothing is ever
// pulled), on a network of the run's own. It is built on testcontainers-go:
// the engine is found as the user's other integration tests find it (see
// Connect), the image is built and each container created and started
// through it; the network, signals, waits and logs go through the Docker
// client it returns.
//
// The skeleton (lab/skeleton) wires the shop; this package supplies where
// each unit runs: before the skeleton starts, the image exists (tag
// lab:<hash of the binary's Go build ID>, built from the binary when
// missing, kept for the next run); Prepare removes what runs of dead lab
// processes left behind (see Clean) and creates the run's network,
// lab-<run>, with a fixed address for every unit (see createNetwork); the
// broker (`serve broker`), Toxiproxy (`serve toxiproxy`) and each instance
// are a container on it. Services dial their proxies at Toxiproxy's
// address; Toxiproxy dials instances as Upstream says.
//
// The harness and the load reach the containers at their addresses when
// this host holds the run's bridge (see routable), else through ports the
// engine publishes on its host's address (Engine.Host: 127.0.0.1 for a
// local socket), fixed for the run so that they survive a restart, and read
// back from the engine's answer. Everything the run creates carries the
// label lab.run=<run>, and lab.owner=<host>/<pid> so that `lab clean` can
// tell the leftovers of a crashed lab from the containers of one still
// running.
package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"lab/lab"
	"lab/lab/skeleton"
	"lab/services/contract"
)

// Labels on everything the docker runtime creates.
const (
	LabelRun      = "lab.run"      // the run's id
	LabelOwner    = "lab.owner"    // HOST/PID of the lab process that made it
	LabelInstance = "lab.instance" // the instance a container runs
	LabelImage    = "lab.image"    // on images the runtime built
)

// Ports inside the containers.
const (
	servicePort  = 8080
	brokerPort   = 4222
	apiPort      = 8474            // Toxiproxy's API
	firstProxy   = 10000           // proxies listen from here up, one port each
	imageTimeout = 2 * time.Minute // a cold build; the start timeout bounds the rest
)

// StopGrace is how long a container may take to stop after SIGTERM.
const StopGrace = skeleton.StopGrace

// Runtime is the docker runtime.
type Runtime struct {
	// Exe is the lab binary to put in the image. It must be static
	// (CGO_ENABLED=0): the image has nothing else.
	Exe string
	// Env is added to every container's environment.
	Env []string
	// Engine is the engine to use; Start connects to one if it is nil.
	Engine *Engine
}

var _ lab.Runtime = (*Runtime)(nil)

// Name returns "docker".
func (r *Runtime) Name() string { return "docker" }

// Describe names the engine and its version once connected: "docker
// (Podman Engine 4.3.1)", for the report and the first lines of output.
func (r *Runtime) Describe() string {
	if r.Engine == nil {
		return "docker"
	}
	return "docker (" + r.Engine.Name() + ")"
}

// Start builds the image if it is not there yet (outside the start
// timeout: a cold build takes its own time), then brings the shop up; see
// the package doc and lab/skeleton.
func (r *Runtime) Start(ctx context.Context, p lab.Params) (lab.Shop, error) {
	e, own, err := engineOr(ctx, r.Engine)
	if err != nil {
		return nil, err
	}
	image, err := r.image(ctx, e, p.Progress)
	if err != nil {
		if own {
			e.Close()
		}
		return nil, err
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	b := &backend{rt: r, e: e, ownEngine: own, image: image, run: hex.EncodeToString(id)}
	b.prefix = "lab-" + b.run + "-"
	b.bg, b.stopBg = context.WithCancel(context.Background())
	return skeleton.Start(ctx, p, b)
}

// engineOr returns e, or connects to the engine when e is nil; own says
// the caller connected it and closes it.
func engineOr(ctx context.Context, e *Engine) (_ *Engine, own bool, err error) {
	if e != nil {
		return e, false, nil
	}
	if e, err = Connect(ctx, 5*time.Second); err != nil {
		return nil, false, err
	}
	return e, true, nil
}

func (r *Runtime) image(ctx context.Context, e *Engine, progress io.Writer) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, imageTimeout)
	defer cancel()
	began := time.Now()
	tag, built, err := e.EnsureImage(ctx, r.Exe)
	if err != nil {
		return "", err
	}
	if progress != nil {
		how := "cached"
		if built {
			how = "built in " + time.Since(began).Round(time.Millisecond).String()
		}
		fmt.Fprintf(progress, "image      %s (%s)\n", tag, how)
	}
	return tag, nil
}

// RunID returns the id of the run of a shop this runtime started (the value
// of its lab.run labels), or "" for a shop of another runtime.
func RunID(s lab.Shop) string {
	if ss, ok := s.(*skeleton.Shop); ok {
		if b, ok := ss.Backend().(*backend); ok {
			return b.run
		}
	}
	return ""
}

// backend runs every unit as a container on a network of the run's own.
type backend struct {
	rt        *Runtime
	e         *Engine
	ownEngine bool // Start connected it: Close closes it
	image     string
	run       string
	netName   string // the run's network, lab-<run>
	prefix    string // of the run's container names: lab-<run>-
	p         lab.Params
	dirs      map[string]string // data, logs, broker: absolute host folders

	// bg is for log followers and waiters, which outlive Start; Close
	// cancels it once every container is gone.
	bg      context.Context
	stopBg  context.CancelFunc
	follows sync.WaitGroup

	toxiproxy  *box
	frontPorts []int

	// direct: the harness and the load reach the containers at their
	// addresses on the run's network, not through published ports.
	direct bool

	// The run's subnet, when units have fixed addresses (createNetwork).
	mu      sync.Mutex // guards next
	subnet  netip.Prefix
	gateway netip.Addr
	next    netip.Addr
}

func (b *backend) labels() map[string]string {
	host, _ := os.Hostname()
	return map[string]string{LabelRun: b.run, LabelOwner: host + "/" + strconv.Itoa(os.Getpid())}
}

// Prepare removes what crashed runs left, creates the run's network and
// plans the ports Toxiproxy publishes: its API and the load's proxies.
func (b *backend) Prepare(ctx context.Context, p lab.Params, links []lab.Link) error {
	b.p = p
	var err error
	if b.dirs, err = runDirs(p); err != nil {
		return err
	}
	if n, err := Clean(ctx, b.e, CleanOptions{}); err == nil && n > 0 {
		b.progress("clean      removed %d things left by crashed runs", n)
	}
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout) // as a container's: see create
	// Not testcontainers' network.New: it goes through a provider of its
	// own, which on Podman looks for a default network named "podman" and,
	// not finding it, creates one that nobody removes.
	b.netName = "lab-" + b.run
	units := 2 // the broker and Toxiproxy
	for _, svc := range contract.Services {
		units += p.Shape.MostOf(svc) // room for what an autoscaler may add
	}
	err = b.createNetwork(nctx, units)
	cancel()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create network %s: %w", b.netName, err)
	}
	how := "units by name"
	if b.subnet.IsValid() {
		how = "units at fixed addresses in " + b.subnet.String()
	}
	b.progress("run        %s on %s (network %s, %s; every container is labelled %s=%s)", b.run, b.e.Name(), b.netName, how, LabelRun, b.run)
	if b.e.Remote() {
		b.progress("note       the engine is on %s: the run folder %s is bind-mounted into its containers, so that machine must see it at the same path", b.e.Host, filepath.Dir(b.dirs["data"]))
	}
	b.direct = b.routable()
	if b.direct {
		b.progress("reach      the containers at their addresses in %s: this host's bridge, no published port", b.subnet)
	} else {
		b.progress("reach      the containers through ports published on %s", b.e.Bind)
	}
	for i, l := range links {
		if l.Front() {
			b.frontPorts = append(b.frontPorts, firstProxy+i)
		}
	}
	return nil
}

// runDirs are the run folder's data, logs and broker folders, absolute:
// what containers mount.
func runDirs(p lab.Params) (map[string]string, error) {
	dirs := map[string]string{}
	for _, d := range []string{"data", "logs", "broker"} {
		abs, err := filepath.Abs(filepath.Join(p.Dir, d))
		if err != nil {
			return nil, fmt.Errorf("create %s dir: %w", d, err)
		}
		dirs[d] = abs
	}
	return dirs, nil
}

func (b *backend) progress(format string, args ...any) {
	if b.p.Progress != nil {
		fmt.Fprintf(b.p.Progress, format+"\n", args...)
	}
}

func (b *backend) Broker() (skeleton.Unit, error) {
	bx, err := b.newBox("", lab.Broker, brokerPort, func(skeleton.Run) spec {
		return spec{cmd: []string{"serve", "broker", "--store", "/broker", "--host", "0.0.0.0",
			"--port", strconv.Itoa(brokerPort)}, mounts: map[string]string{b.dirs["broker"]: "/broker"}}
	}, brokerPort)
	return bx, err
}

func (b *backend) Toxiproxy() (skeleton.Unit, error) {
	var err error
	b.toxiproxy, err = b.newBox("", "toxiproxy", apiPort, func(skeleton.Run) spec {
		return spec{cmd: []string{"serve", "toxiproxy", "--api", fmt.Sprintf("0.0.0.0:%d", apiPort)}}
	}, append([]int{apiPort}, b.frontPorts...)...)
	return b.toxiproxy, err
}

func (b *backend) Instance(service, name string) (skeleton.Unit, error) {
	return b.newBox(service, name, servicePort, func(run skeleton.Run) spec {
		return spec{cmd: []string{"serve", run.Service, "--instance", run.Instance,
			"--nats", "nats://" + run.BrokerDial, "--data", "/data",
			"--seed", strconv.FormatInt(run.Seed, 10),
			"--listen", fmt.Sprintf("0.0.0.0:%d", servicePort)},
			mounts: map[string]string{b.dirs["data"]: "/data"}}
	}, servicePort)
}

func (b *backend) ToxiproxyURL() string { return "http://" + b.toxiproxy.host(apiPort) }

// Proxies listen on fixed ports of the Toxiproxy container: services dial
// its address on the run's network, the harness the port published on
// loopback (the load's proxies only).
func (b *backend) ProxyListen(i int) string { return fmt.Sprintf("0.0.0.0:%d", firstProxy+i) }

func (b *backend) Reach(listen string) (dial, host string) {
	_, port, _ := net.SplitHostPort(listen)
	p, _ := strconv.Atoi(port)
	return b.toxiproxy.on(p), b.toxiproxy.host(p)
}

// A killed container's connections through Toxiproxy are left hanging.
func (b *backend) KernelResets() bool { return false }

// Close removes every container of the run and its network, by label, so
// that a container whose create raced a failure goes too; then it stops the
// log followers and closes the engine if Start connected it.
func (b *backend) Close(ctx context.Context) error {
	_, err := removeRun(ctx, b.e, b.run)
	b.stopBg()
	b.follows.Wait()
	if b.ownEngine {
		err = errors.Join(err, b.e.Close())
	}
	return err
}
