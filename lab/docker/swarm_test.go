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

// TestNoTwoTasksShareAPort: when the kernel hands out one free port twice,
// the second pick asks again. Two tasks of a run given one host-mode port
// is the likely cause of a CI failure: payments-1's task never reached its
// node while the other six instances ran, until the start timed out.
func TestNoTwoTasksShareAPort(t *testing.T) {
	answers := []string{"127.0.0.1:41000", "127.0.0.1:41000", "127.0.0.1:41002"}
	free := func() (string, error) {
		a := answers[0]
		answers = answers[1:]
		return a, nil
	}
	picked := map[int]bool{}
	first, err := pickFree(picked, free)
	if err != nil {
		t.Fatal(err)
	}
	second, err := pickFree(picked, free)
	if err != nil {
		t.Fatal(err)
	}
	if first != 41000 || second != 41002 {
		t.Fatalf("picked %d then %d, want 41000 then 41002", first, second)
	}
}
