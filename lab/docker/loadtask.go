package docker

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"lab/lab"
	"lab/lab/skeleton"
	"lab/load"
)

// LoadHost runs the run's k6 generators as swarm tasks (--load-nodes on a
// swarm), one service of one task each, like the shop's instances: on the
// run's overlay (they load the gateway through its load proxy there), the
// script's archive a swarm config of the run mounted as a file, the stream
// served on a port published in host mode on the task's node (the harness
// dials it: a task on a worker may not reach the harness), the summary and
// file outputs in a folder of the run on the manager's node or a volume of
// the node's elsewhere, copied back through the node's engine. Generator i
// runs on the i-th node, round robin, the manager's first. Every one of
// them carries the run's labels, so Close and `lab clean` remove them with
// the rest.
func (b *swarmBackend) LoadHost(gateways []string) load.Host {
	return &loadHost{b: b, gateways: gateways}
}

var _ skeleton.LoadBackend = (*swarmBackend)(nil)

type loadHost struct {
	b        *swarmBackend
	gateways []string
}

func (h *loadHost) Gateways() []string { return h.gateways }

func (h *loadHost) StartGenerator(ctx context.Context, lt load.Task) (load.Generator, error) {
	b := h.b
	image, err := b.generatorImage(ctx)
	if err != nil {
		return nil, err
	}
	n := b.nodes[(lt.Index-1)%len(b.nodes)]
	name := fmt.Sprintf("k6-%d", lt.Index)
	labels := b.labels()
	labels[LabelInstance] = name
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	made, err := b.e.cli.ConfigCreate(cctx, client.ConfigCreateOptions{Spec: swarm.ConfigSpec{
		Annotations: swarm.Annotations{Name: b.prefix + name, Labels: labels}, Data: lt.Archive}})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("create config %s (the script's archive): %w", b.prefix+name, err)
	}
	dir := filepath.Join(b.p.Dir, "load", name) // the task's folder on the manager's node; a volume elsewhere
	if n.manager {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	files := []*swarm.ConfigReference{{ConfigID: made.ID, ConfigName: b.prefix + name,
		File: &swarm.ConfigReferenceFileTarget{Name: load.TaskArchive, UID: "0", GID: "0", Mode: 0o444}}}
	t, err := b.newTask("", name, lt.Port, func(skeleton.Run) spec {
		return spec{cmd: lt.Args, env: lt.Env, configs: files, mounts: map[string]string{dir: load.TaskDir}, image: image}
	}, n, lt.Port)
	if err != nil {
		return nil, err
	}
	wait, err := t.Start(ctx, skeleton.Run{}, lt.Log)
	if err != nil {
		return nil, err
	}
	return &loadTask{t: t, wait: wait}, nil
}

// ErrNoLoadExe says that a swarm runtime has no lab binary for generator
// tasks (SwarmRuntime.LoadExe is ""): `lab run` says it before anything
// starts.
var ErrNoLoadExe = errors.New("--load-nodes on a swarm runs the generators as tasks of the lab binary itself (lab k6 run), " +
	"and this lab is no static Linux binary (the shop's image holds only lab-serve, without k6): run the load from this machine " +
	"(leave out --load-nodes), or run a lab built on Linux with make build")

// generatorImage is the image generator tasks run: the shop's when its
// program is the lab itself, else one of the lab binary (the shop's is
// lab-serve, which has no k6), built once per binary and copied to the
// nodes, or pushed to the registry, as the shop's.
func (b *swarmBackend) generatorImage(ctx context.Context) (string, error) {
	b.loadOnce.Do(func() {
		exe := b.rt.LoadExe
		switch {
		case exe == "":
			b.loadErr = ErrNoLoadExe
			return
		case exe == b.rt.Exe:
			b.loadImage = b.image
			return
		}
		began := time.Now()
		image, err := (&Runtime{Exe: exe}).image(ctx, b.e, nil)
		n := 0
		if err == nil {
			image, n, err = b.rt.distribute(ctx, b.e, image, b.auth, b.nodes)
		}
		if err != nil {
			b.loadErr = fmt.Errorf("the generators' image: %w", err)
			return
		}
		b.loadImage = image
		copied := ""
		if n > 0 {
			copied = fmt.Sprintf(", copied to %d %s", n, lab.Plural(n, "node", "nodes"))
		}
		b.progress("image      %s for the generator tasks (the lab binary: the shop's image holds lab-serve, without k6), ready in %s%s",
			image, time.Since(began).Round(time.Millisecond), copied)
	})
	return b.loadImage, b.loadErr
}

// loadTask is one generator's task.
type loadTask struct {
	t    *task
	wait func() error
}

func (g *loadTask) Node() string   { return g.t.node.name }
func (g *loadTask) Stream() string { return g.t.Host() }
func (g *loadTask) Wait() error    { return g.wait() }

// Signal goes to the task's container through its node's engine.
func (g *loadTask) Signal(kill bool) error {
	sig := "SIGINT"
	if kill {
		sig = "SIGKILL"
	}
	ctx, cancel := context.WithTimeout(context.Background(), createTimeout)
	defer cancel()
	_, err := g.t.node.cli.ContainerKill(ctx, g.t.current(), client.ContainerKillOptions{Signal: sig})
	return err
}

// Fetch copies a file out of the ended task's container, through its
// node's engine.
func (g *loadTask) Fetch(path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := g.t.node.cli.CopyFromContainer(ctx, g.t.current(), client.CopyFromContainerOptions{SourcePath: path})
	if err != nil {
		return nil, err
	}
	defer r.Content.Close()
	tr := tar.NewReader(r.Content)
	for {
		h, err := tr.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%s: not a file", path)
			}
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			return io.ReadAll(tr)
		}
	}
}
