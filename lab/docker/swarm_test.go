package docker

import (
	"errors"
	"testing"
)

// TestOverlayLookupFailed: a start is explained as the overlay's failure
// only when a lookup of the run's own names failed.
func TestOverlayLookupFailed(t *testing.T) {
	const prefix = "lab-1a2b3c4d-"
	for _, c := range []struct {
		err  string
		want bool
	}{
		{"instance users-1: exited while starting (exit status 1); last log lines:\n  connect: dial tcp: lookup lab-1a2b3c4d-toxiproxy on 127.0.0.11:53: read udp 10.0.1.5:41234->127.0.0.11:53: i/o timeout", true},
		{"broker: nats: lookup lab-1a2b3c4d-broker on 127.0.0.11:53: no such host", true},
		{"not ready: Get \"http://lab-1a2b3c4d-gateway-1:8080/readyz\": dial tcp: lookup lab-1a2b3c4d-gateway-1: server misbehaving", true},
		{"dial tcp: lookup lab-99999999-toxiproxy on 127.0.0.11:53: i/o timeout", false}, // another run's
		{"dial tcp 10.0.1.7:8474: connect: connection refused", false},
		{"lookup lab-1a2b3c4d-broker: found", false},
	} {
		if got := overlayLookupFailed(errors.New(c.err), prefix); got != c.want {
			t.Errorf("overlayLookupFailed(%q) = %v, want %v", c.err, got, c.want)
		}
	}
}
