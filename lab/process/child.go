package process

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"lab/lab"
)

// child is one instance run as a child process `lab serve SERVICE`. Its
// address stays the same across restarts, so proxies never change upstream.
type child struct {
	service, name string
	addr          string
	logPath       string
	last          *lab.Tail

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the current process has exited
	waitErr error
	asked   bool     // the harness asked the current process to end
	pending *os.File // the listening socket made before the first start
	paused  bool
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

// running reports whether the current process has not exited yet.
func (c *child) running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// signal sends sig to the current process; asked marks an exit the harness wanted.
func (c *child) signal(sig syscall.Signal, asked bool) (<-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		return nil, fmt.Errorf("%s is not running", c.name)
	}
	if asked {
		c.asked = true
	}
	if err := c.cmd.Process.Signal(sig); err != nil {
		return c.done, fmt.Errorf("signal %s: %w", c.name, err)
	}
	switch sig {
	case syscall.SIGSTOP:
		c.paused = true
	case syscall.SIGCONT:
		c.paused = false
	}
	return c.done, nil
}

// stop ends the current process: SIGTERM, then SIGKILL after grace.
func (c *child) stop(grace time.Duration) {
	if !c.running() {
		return
	}
	done, err := c.signal(syscall.SIGTERM, true)
	if err != nil {
		return
	}
	_, _ = c.signal(syscall.SIGCONT, true) // a paused process cannot handle SIGTERM
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	if done, err := c.signal(syscall.SIGKILL, true); err == nil {
		<-done
	}
}

// state reads the process state letter from /proc (R, S, T, Z...), or "".
func (c *child) state() string {
	c.mu.Lock()
	pid := 0
	if c.cmd != nil && c.cmd.Process != nil {
		pid = c.cmd.Process.Pid
	}
	c.mu.Unlock()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// pid (comm) STATE ...; comm may hold spaces, so cut at the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return ""
	}
	return string(b[i+2])
}

func (c *child) pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}
