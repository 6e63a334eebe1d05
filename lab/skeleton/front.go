package skeleton

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// ServeFront returns the gateway's public URL over the load's proxies in
// front of each gateway instance: the proxy itself for one gateway, or a
// round-robin HTTP proxy on a 127.0.0.1 port over all of them. The closer
// stops that proxy; it is a no-op for one gateway.
func ServeFront(fronts []string) (string, io.Closer, error) {
	switch len(fronts) {
	case 0:
		return "", nil, errors.New("serve the gateway front: no gateway")
	case 1:
		return "http://" + fronts[0], io.NopCloser(nil), nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen for the gateway front: %w", err)
	}
	var next atomic.Uint64
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		target := &url.URL{Scheme: "http", Host: fronts[next.Add(1)%uint64(len(fronts))]}
		r.SetURL(target)
		r.Out.Host = r.In.Host
	}}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), srv, nil
}

// PollReady polls url (an instance's /readyz) every 10 ms until it answers
// 200, ctx ends, or ended (if not nil) returns an error: the instance is gone.
func PollReady(ctx context.Context, url string, ended func() error) error {
	hc := &http.Client{Timeout: 500 * time.Millisecond}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	last := "no answer"
	for {
		if ended != nil {
			if err := ended(); err != nil {
				return err
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := hc.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %s: %w", last, ctx.Err())
		case <-tick.C:
		}
	}
}

// FreeAddrOn returns host:PORT with a port free on host a moment ago, for
// an engine that publishes there (127.0.0.2 for one reached at that
// address): a port free on 127.0.0.1 may be taken on another loopback
// address. A host that is not this machine's is probed on 127.0.0.1, the
// best the lab can tell from here.
func FreeAddrOn(host string) (string, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return FreeAddr()
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// FreeAddr returns a 127.0.0.1 address whose port was free a moment ago,
// for a server that must be told its address before it starts.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
