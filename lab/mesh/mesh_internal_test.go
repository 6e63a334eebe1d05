package mesh

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestLookupsAreBounded: against a resolver that never answers (the host's,
// on a machine with no network, asked for a killed container's name), a
// lookup gives up within a few exchanges of lookupTimeout, where Go's
// default waits 5 s an attempt; Toxiproxy's dial, and so the disable of a
// proxy, waits no longer.
func TestLookupsAreBounded(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() { // read every query, answer none
		buf := make([]byte, 512)
		for {
			if _, _, err := silent.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	r := boundedResolver(100*time.Millisecond, silent.LocalAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err = r.LookupHost(ctx, "orders-1")
	took := time.Since(start)
	if err == nil {
		t.Fatal("a resolver that never answers resolved orders-1")
	}
	if took > 2*time.Second {
		t.Fatalf("the lookup took %s against a silent resolver; want a few exchanges of 100ms", took)
	}
	t.Logf("gave up after %s: %v", took.Round(time.Millisecond), err)
}
