package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"lab/lab"
	"lab/lab/skeleton"
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

// Start builds the image if it is not there yet (outside the start
// timeout: a cold build takes its own time), then brings the shop up; see
// the package doc and lab/skeleton.
func (r *Runtime) Start(ctx context.Context, p lab.Params) (lab.Shop, error) {
	e, own := r.Engine, false
	if e == nil {
		var err error
		if e, err = Connect(ctx, 5*time.Second); err != nil {
			return nil, err
		}
		own = true
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
	b.netName = "lab-" + b.run
	b.bg, b.stopBg = context.WithCancel(context.Background())
	return skeleton.Start(ctx, p, b)
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
	netName   string
	p         lab.Params
	dirs      map[string]string // data, logs, broker: absolute host folders

	// bg is for log followers and waiters, which outlive Start; Close
	// cancels it once every container is gone.
	bg      context.Context
	stopBg  context.CancelFunc
	follows sync.WaitGroup

	toxiproxy  *box
	frontPorts []int
}

func (b *backend) labels() map[string]string {
	host, _ := os.Hostname()
	return map[string]string{LabelRun: b.run, LabelOwner: host + "/" + strconv.Itoa(os.Getpid())}
}

// Prepare removes what crashed runs left, creates the run's network and
// plans the ports Toxiproxy publishes: its API and the load's proxies.
func (b *backend) Prepare(ctx context.Context, p lab.Params, links []lab.Link) error {
	b.p = p
	b.dirs = map[string]string{}
	for _, d := range []string{"data", "logs", "broker"} {
		abs, err := filepath.Abs(filepath.Join(p.Dir, d))
		if err != nil {
			return fmt.Errorf("create %s dir: %w", d, err)
		}
		b.dirs[d] = abs
	}
	if n, err := Clean(ctx, b.e, CleanOptions{}); err == nil && n > 0 {
		b.progress("clean      removed %d things left by crashed runs", n)
	}
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout) // as a container's: see create
	_, err := b.e.cli.NetworkCreate(nctx, b.netName, client.NetworkCreateOptions{Driver: "bridge", Labels: b.labels()})
	cancel()
	if err != nil {
		return fmt.Errorf("create network %s: %w", b.netName, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create network %s: %w", b.netName, err)
	}
	b.progress("run        %s (network %s; every container is labelled %s=%s)", b.run, b.netName, LabelRun, b.run)
	for i, l := range links {
		if l.Front() {
			b.frontPorts = append(b.frontPorts, firstProxy+i)
		}
	}
	return nil
}

func (b *backend) progress(format string, args ...any) {
	if b.p.Progress != nil {
		fmt.Fprintf(b.p.Progress, format+"\n", args...)
	}
}

func (b *backend) Broker() (skeleton.Unit, error) {
	bx, err := b.newBox(lab.Broker, brokerPort, func(skeleton.Run) spec {
		return spec{cmd: []string{"serve", "broker", "--store", "/broker", "--host", "0.0.0.0",
			"--port", strconv.Itoa(brokerPort)}, mounts: map[string]string{b.dirs["broker"]: "/broker"}}
	}, brokerPort)
	return bx, err
}

func (b *backend) Toxiproxy() (skeleton.Unit, error) {
	var err error
	b.toxiproxy, err = b.newBox("toxiproxy", apiPort, func(skeleton.Run) spec {
		return spec{cmd: []string{"serve", "toxiproxy", "--api", fmt.Sprintf("0.0.0.0:%d", apiPort)}}
	}, append([]int{apiPort}, b.frontPorts...)...)
	return b.toxiproxy, err
}

func (b *backend) Instance(_, name string) (skeleton.Unit, error) {
	return b.newBox(name, servicePort, func(run skeleton.Run) spec {
		return spec{cmd: []string{"serve", run.Service, "--instance", run.Instance,
			"--nats", "nats://" + run.BrokerDial, "--data", "/data",
			"--seed", strconv.FormatInt(run.Seed, 10),
			"--listen", fmt.Sprintf("0.0.0.0:%d", servicePort)},
			mounts: map[string]string{b.dirs["data"]: "/data"}}
	}, servicePort)
}

func (b *backend) ToxiproxyURL() string { return "http://" + b.toxiproxy.host(apiPort) }

// Proxies listen on fixed ports of the Toxiproxy container: services dial
// toxiproxy:PORT on the run's network, the harness the port published on
// loopback (the load's proxies only).
func (b *backend) ProxyListen(i int) string { return fmt.Sprintf("0.0.0.0:%d", firstProxy+i) }

func (b *backend) Reach(listen string) (dial, host string) {
	_, port, _ := net.SplitHostPort(listen)
	p, _ := strconv.Atoi(port)
	return "toxiproxy:" + port, b.toxiproxy.host(p)
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
