// Package process is the process runtime: Toxiproxy runs inside the lab
// process, the broker is a child `lab serve broker`, and every instance of a
// service is a child `lab serve SERVICE`, each on a 127.0.0.1 port of its own.
// The skeleton (lab/skeleton) does the wiring; this package says how a
// child starts, is signalled and ends.
//
// Each child's listening socket, the broker's too, is opened before it first
// starts and handed to it as fd 3, so its address is known to the proxies
// before it runs and stays the same across restarts, with no port race.
//
// Children are in their own process group (a Ctrl-C reaches lab, which stops
// them in order) and get SIGKILL if lab itself dies.
package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"lab/internal/lifeline"
	"lab/lab"
	"lab/lab/mesh"
	"lab/lab/skeleton"
)

// Runtime is the process runtime.
type Runtime struct {
	// Command runs the lab binary; Start appends "serve SERVICE flags...".
	// It is usually {os.Executable()}.
	Command []string
	// Env is added to the children's environment.
	Env []string
}

var _ lab.Runtime = (*Runtime)(nil)

// Name returns "process".
func (r *Runtime) Name() string { return "process" }

// Start brings the shop up; see lab/skeleton.
func (r *Runtime) Start(ctx context.Context, p lab.Params) (lab.Shop, error) {
	if len(r.Command) == 0 {
		return nil, errors.New("process runtime: no command to run services with")
	}
	return skeleton.Start(ctx, p, &backend{rt: r})
}

// backend runs every unit as a child process on this machine.
type backend struct {
	rt   *Runtime
	p    lab.Params
	mesh *mesh.Mesh
	kids []*child
}

func (b *backend) Prepare(_ context.Context, p lab.Params, _ []lab.Link) error {
	b.p = p
	m, err := mesh.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	b.mesh = m
	return nil
}

func (b *backend) Broker() (skeleton.Unit, error) { return b.Instance("", lab.Broker) }

func (b *backend) Instance(_, name string) (skeleton.Unit, error) {
	c := &child{b: b, name: name}
	f, err := c.listen()
	if err != nil {
		return nil, err
	}
	c.pending = f
	return b.add(c), nil
}

func (b *backend) add(c *child) *child {
	b.kids = append(b.kids, c)
	return c
}

// Toxiproxy runs in the lab's own process.
func (b *backend) Toxiproxy() (skeleton.Unit, error) { return nil, nil }

func (b *backend) ToxiproxyURL() string { return b.mesh.URL() }

// Proxies listen on loopback ports of their own; services and the harness
// alike reach them there.
func (b *backend) ProxyListen(int) string                  { return "127.0.0.1:0" }
func (b *backend) Reach(listen string) (dial, host string) { return listen, listen }

// A child's kernel resets its connections when it dies.
func (b *backend) KernelResets() bool { return true }

func (b *backend) Close(context.Context) error {
	var errs []error
	for _, c := range b.kids {
		if c.pending != nil {
			errs = append(errs, c.pending.Close())
			c.pending = nil
		}
	}
	if b.mesh != nil {
		errs = append(errs, b.mesh.Close())
	}
	return errors.Join(errs...)
}

// args are the child's arguments after the lab binary's own.
func (b *backend) args(c *child, run skeleton.Run) []string {
	args := append([]string{}, b.rt.Command[1:]...)
	if c.name == lab.Broker {
		return append(args, "serve", "broker", "--store", filepath.Join(b.p.Dir, "broker"), "--listen-fd", "3")
	}
	return append(args, "serve", run.Service,
		"--instance", c.name,
		"--nats", "nats://"+run.BrokerDial,
		"--data", filepath.Join(b.p.Dir, "data"),
		"--seed", strconv.FormatInt(run.Seed, 10),
		"--listen-fd", "3")
}

// start starts a child process for c's run.
func (b *backend) start(c *child, run skeleton.Run, out io.Writer) (func() error, error) {
	f, err := c.listen()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(b.rt.Command[0], b.args(c, run)...)
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), b.rt.Env...)
	if err := lifeline.Attach(cmd); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", c.name, err)
	}
	c.mu.Lock()
	c.cmd = cmd
	c.mu.Unlock()
	return cmd.Wait, nil
}
