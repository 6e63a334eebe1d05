package k6out

import (
	"lab/load"
	"net"
	"testing"
	"time"

	"go.k6.io/k6/output"
)

// TestStartReachesTheHarnessBeforeTheFirstFlush: the harness begins a
// run's timeline when "start" arrives, so it must not wait in the buffer
// for the first periodic flush, 250 ms later (it did, and every verdict
// came a quarter second late).
func TestStartReachesTheHarnessBeforeTheFirstFlush(t *testing.T) {
	c, err := load.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	o, err := NewOutput(output.Params{ConfigArgument: c.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	defer o.Stop()
	select {
	case <-c.Started():
	case <-time.After(200 * time.Millisecond):
		t.Fatalf("no start %s after Start; the first flush is at 250 ms", time.Since(began).Round(time.Millisecond))
	}
}

// TestServedOutputIsDialed: an output that serves its stream (a generator
// on another machine) waits in Start for the collector to dial it, then
// streams as a dialing one does, to its "end".
func TestServedOutputIsDialed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o, err := NewOutput(output.Params{ConfigArgument: load.ServePrefix + addr})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() { started <- o.Start() }()
	c := load.Dial([]string{addr})
	defer c.Close()
	select {
	case err := <-started:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return once dialed")
	}
	select {
	case <-c.Started():
	case <-time.After(5 * time.Second):
		t.Fatal("the collector heard no start")
	}
	if err := o.Stop(); err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
}
