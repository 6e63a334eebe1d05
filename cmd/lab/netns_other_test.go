//go:build !linux

package main

import (
	"net"
	"testing"
)

// listenIn needs Linux's network namespaces.
func listenIn(t *testing.T, ns, addr string) net.Listener {
	t.Skipf("listen in network namespace %s: only on Linux", ns)
	return nil
}
