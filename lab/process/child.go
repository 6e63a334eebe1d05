package process

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"time"

	"lab/lab/skeleton"
)

// child is one unit run as a child process: an instance `lab serve
// SERVICE`, or the broker. Its address stays the same across restarts, so
// proxies never change upstream.
type child struct {
	b    *backend
	name string
	addr string

	mu      sync.Mutex
	cmd     *exec.Cmd
	pending *os.File // the listening socket made before the first start
}

var _ skeleton.Unit = (*child)(nil)

func (c *child) Name() string     { return c.name }
func (c *child) Upstream() string { return c.addr }
func (c *child) Host() string     { return c.addr }

func (c *child) Start(_ context.Context, run skeleton.Run, out io.Writer) (func() error, error) {
	return c.b.start(c, run, out)
}

func (c *child) Ident() (int, string) { return c.pid(), "" }

func (c *child) HostPID(context.Context) (int, error) { return c.pid(), nil }

// Signal signals the child's process; where the system shows a process's
// state (Linux), Pause and Resume return once it is stopped or running.
func (c *child) Signal(_ context.Context, sig skeleton.Sig) error {
	c.mu.Lock()
	p := c.cmd
	c.mu.Unlock()
	if p == nil || p.Process == nil {
		return fmt.Errorf("%s is not running", c.name)
	}
	if err := signal(p.Process, sig); err != nil {
		return fmt.Errorf("signal %s: %w", c.name, err)
	}
	if sig != skeleton.Pause && sig != skeleton.Resume || !statesKnown {
		return nil
	}
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if st := state(c.pid()); (sig == skeleton.Pause) == (st == "T") {
			return nil
		}
	}
	return fmt.Errorf("process state did not change")
}

// listen makes the instance's listening socket, on its fixed address once it
// has one, and returns it as a file to hand to the child.
func (c *child) listen() (*os.File, error) {
	if c.pending != nil {
		f := c.pending
		c.pending = nil
		return f, nil
	}
	addr := c.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(2 * time.Second); ; {
		ln, err = net.Listen("tcp", addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // the old process's socket is still closing
	}
	if err != nil {
		return nil, fmt.Errorf("listen for %s: %w", c.name, err)
	}
	defer ln.Close()
	c.addr = ln.Addr().String()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, fmt.Errorf("listen for %s: %w", c.name, err)
	}
	return f, nil
}

func (c *child) pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}
