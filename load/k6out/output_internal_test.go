package k6out

import (
	"lab/load"
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
