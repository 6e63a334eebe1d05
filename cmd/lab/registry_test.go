package main

import (
	"io"
	"log"
	"net"
	"net/http/httptest"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// testRegistry serves a container registry (go-containerregistry's, its
// blobs in a folder of the test) on 127.0.0.1:PORT of this machine and, at
// the same address, inside each network namespace given, forwarded to it:
// the same image name reaches the same registry from every node, and no
// engine's configuration changes (engines take a registry on 127.0.0.0/8
// as insecure of their own accord). It returns HOST:PORT.
func testRegistry(t *testing.T, netns ...string) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)),
		registry.WithBlobHandler(registry.NewDiskBlobHandler(t.TempDir()))))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	for _, ns := range netns {
		ln := listenIn(t, ns, addr)
		t.Cleanup(func() { ln.Close() })
		go forward(ln, "tcp", addr, nil)
	}
	return addr
}

// forward copies every connection ln accepts to and from a connection to
// addr on network ("tcp", "unix"), calling accepted, if set, for each.
func forward(ln net.Listener, network, addr string, accepted func()) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if accepted != nil {
			accepted()
		}
		go func() {
			defer c.Close()
			up, err := net.Dial(network, addr)
			if err != nil {
				return
			}
			defer up.Close()
			go func() {
				_, _ = io.Copy(up, c)
				if cw, ok := up.(interface{ CloseWrite() error }); ok {
					_ = cw.CloseWrite()
				}
			}()
			_, _ = io.Copy(c, up)
		}()
	}
}
