// Package mesh runs Toxiproxy embedded in the lab process: one proxy on
// every edge of the shop, and Toxiproxy's own HTTP API on a loopback port so
// its stock clients (the toxiproxy CLI, the Go client) work against it.
package mesh

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sort"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Mesh is a running Toxiproxy server with its API.
type Mesh struct {
	srv  *toxiproxy.ApiServer
	http *http.Server
	url  string

	mu      sync.Mutex
	proxies []*toxiproxy.Proxy
}

// Start runs a Toxiproxy server whose API listens on apiAddr
// ("127.0.0.1:0" for any free port).
func Start(apiAddr string) (*Mesh, error) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	ln, err := net.Listen("tcp", apiAddr)
	if err != nil {
		return nil, fmt.Errorf("listen for toxiproxy api: %w", err)
	}
	m := &Mesh{
		srv:  srv,
		url:  "http://" + ln.Addr().String(),
		http: &http.Server{Handler: withPprof(srv.Routes()), ReadHeaderTimeout: 5 * time.Second},
	}
	go func() { _ = m.http.Serve(ln) }()
	return m, nil
}

// withPprof serves the process's profiles under /debug/pprof/ beside the
// Toxiproxy API: the proxies are the lab's hottest path under load.
func withPprof(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.Handle("/", api)
	return mux
}

// URL is the base URL of the Toxiproxy API.
func (m *Mesh) URL() string { return m.url }

// Add creates and starts a proxy from listen to upstream and returns the
// address it listens on (listen may have port 0).
func (m *Mesh) Add(name, listen, upstream string) (string, error) {
	p := toxiproxy.NewProxy(m.srv, name, listen, upstream)
	if err := m.srv.Collection.Add(p, true); err != nil {
		return "", fmt.Errorf("add proxy %s: %w", name, err)
	}
	m.mu.Lock()
	m.proxies = append(m.proxies, p)
	m.mu.Unlock()
	return p.Listen, nil
}

// Names returns the names of the proxies, sorted.
func (m *Mesh) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, p := range m.proxies {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}

// Close stops every proxy (closing their connections) and the API.
func (m *Mesh) Close() error {
	err := m.srv.Collection.Clear()
	return errors.Join(err, m.http.Close())
}

// ServeMain runs `serve toxiproxy --api ADDR` until ctx ends: Toxiproxy as a
// process of its own, in the docker runtime's Toxiproxy container.
func ServeMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve toxiproxy", flag.ContinueOnError)
	api := fs.String("api", "0.0.0.0:8474", "address of the Toxiproxy HTTP API")
	if err := fs.Parse(args); err != nil {
		return err
	}
	net.DefaultResolver = boundedResolver(lookupTimeout, "")
	m, err := Start(*api)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return m.Close()
}

// lookupTimeout bounds one DNS exchange of Toxiproxy's container. The
// engine's DNS answers for the run's containers at once; only a name it
// does not know (a killed container's) waits, and that answer is "gone".
const lookupTimeout = 300 * time.Millisecond

// boundedResolver is the Go resolver with every exchange cut at timeout,
// asking server (host:port), or the system's resolvers when it is "".
//
// Toxiproxy dials each upstream with net.Dial, in its accept loop and with
// no deadline, and a proxy cannot be disabled until that dial returns. In
// the docker runtime it dials instances by name; the name of a killed
// container is not the engine DNS's, which asked the host's resolvers,
// and on a machine whose resolvers do not answer each lookup waited out
// the resolver's timeouts: the disable that resets a killed instance's
// connections ran into Toxiproxy's 25 s API timeout (a 503 page), and
// crash-orders lost its restart in 3 runs of 10.
func boundedResolver(timeout time.Duration, server string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		if server != "" {
			address = server
		}
		c, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		limit := time.Now().Add(timeout)
		if u, ok := c.(*net.UDPConn); ok { // still a PacketConn: the resolver frames UDP by that
			return boundedUDP{u, limit}, u.SetDeadline(limit)
		}
		return boundedConn{c, limit}, c.SetDeadline(limit)
	}}
}

// boundedUDP and boundedConn keep the resolver from moving their deadline
// past limit (it sets its own, 5 s an attempt, after it dials).
type boundedUDP struct {
	*net.UDPConn
	limit time.Time
}

func (c boundedUDP) SetDeadline(t time.Time) error { return c.UDPConn.SetDeadline(earlier(t, c.limit)) }
func (c boundedUDP) SetReadDeadline(t time.Time) error {
	return c.UDPConn.SetReadDeadline(earlier(t, c.limit))
}

type boundedConn struct {
	net.Conn
	limit time.Time
}

func (c boundedConn) SetDeadline(t time.Time) error { return c.Conn.SetDeadline(earlier(t, c.limit)) }
func (c boundedConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(earlier(t, c.limit))
}

func earlier(t, limit time.Time) time.Time {
	if t.IsZero() || t.After(limit) {
		return limit
	}
	return t
}
