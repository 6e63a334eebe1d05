package main

import (
	"net"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// listenIn listens on addr inside the network namespace ns: the socket is
// made on a thread that entered ns, and stays there; the thread, never
// unlocked, ends with its goroutine, and the namespace change with it.
func listenIn(t *testing.T, ns, addr string) net.Listener {
	t.Helper()
	type result struct {
		ln  net.Listener
		err error
	}
	got := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			got <- result{err: err}
			return
		}
		ln, err := net.Listen("tcp", addr)
		got <- result{ln, err}
	}()
	r := <-got
	if r.err != nil {
		t.Fatalf("listen on %s in %s: %v", addr, ns, r.err)
	}
	return r.ln
}
