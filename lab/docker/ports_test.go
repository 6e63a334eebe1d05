package docker

import (
	"errors"
	"net"
	"testing"

	"lab/lab/skeleton"
)

// TestPortTaken: both ways an engine says a published port was taken start
// the container again on new ports; any other error does not.
func TestPortTaken(t *testing.T) {
	for msg, want := range map[string]bool{
		"Bind for 127.0.0.1:45759 failed: port is already allocated": true,
		"driver failed programming external connectivity on endpoint x: Error starting userland proxy: " +
			"listen tcp4 127.0.0.2:45759: bind: address already in use": true,
		"No such image: lab:abc": false,
	} {
		if got := portTaken(errors.New(msg)); got != want {
			t.Errorf("portTaken(%q) = %v, want %v", msg, got, want)
		}
	}
}

// TestFreeAddrOnTheEnginesAddress: a port taken on 127.0.0.2 (an engine
// reached there publishes there) is never offered for it, though it may be
// free on 127.0.0.1.
func TestFreeAddrOnTheEnginesAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	defer ln.Close()
	for range 200 {
		addr, err := skeleton.FreeAddrOn("127.0.0.2")
		if err != nil {
			t.Fatal(err)
		}
		if addr == ln.Addr().String() {
			t.Fatalf("offered %s, which is taken", addr)
		}
		if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.2" {
			t.Fatalf("offered %s, want an address on 127.0.0.2", addr)
		}
	}
}
