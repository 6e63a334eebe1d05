package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// ErrNoEngine is returned by Connect when no Docker engine answers.
var ErrNoEngine = errors.New("docker: no engine answered")

// Engine is a connection to a Docker-compatible engine (Docker Engine,
// Podman's Docker API), found and reached through testcontainers-go.
type Engine struct {
	tc  *testcontainers.DockerProvider
	cli client.APIClient
	// Version is the engine's version, and Product its name as it reports
	// it ("Docker Engine", "Podman Engine").
	Version, Product string
	// Endpoint is the engine's API, and Source where it was found
	// (DOCKER_HOST, a docker context, ~/.testcontainers.properties, the
	// default or a rootless socket).
	Endpoint, Source string
	// Host is the address the engine's published ports are reached on,
	// from the engine's endpoint (testcontainers' DaemonHost): 127.0.0.1
	// for a local socket, the host of a tcp:// endpoint otherwise.
	Host string
	// Bind is the host address the runtime publishes ports on: Host when it
	// is a loopback address (the shop is reachable from this machine only),
	// every address of the engine's host otherwise.
	Bind string
	// Local says the engine runs on this machine, reached over a socket.
	Local bool
}

// Name says which engine this is, with its version, for the first line of
// output and the report's runtime.
func (e *Engine) Name() string { return e.Product + " " + e.Version }

// Podman reports whether the engine is Podman's Docker API.
func (e *Engine) Podman() bool { return strings.Contains(strings.ToLower(e.Product), "podman") }

// Connect finds the engine the way testcontainers-go (and so the user's
// other integration tests) does, in its documented order, with the Docker
// CLI's contexts where the CLI reads them: tc.host in
// ~/.testcontainers.properties, DOCKER_HOST, the current docker context
// (see discover), the default socket, docker.host in the properties, a
// rootless socket; it asks the engine's version and returns an error
// wrapping ErrNoEngine if none answers within timeout.
//
// Ryuk, testcontainers' reaper, is turned off through its documented
// setting (TESTCONTAINERS_RYUK_DISABLED=true): its image cannot be pulled
// here, and the lab removes what it made by its labels (see Clean).
// testcontainers' own log lines are not the lab's output and are dropped.
func Connect(ctx context.Context, timeout time.Duration) (*Engine, error) {
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	tclog.SetDefault(tclog.NewNoopLogger())
	source, err := discover()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type answer struct {
		e   *Engine
		err error
	}
	done := make(chan answer, 1)
	go func() { // testcontainers finds the host without a deadline of its own
		e, err := connect(ctx)
		done <- answer{e, err}
	}()
	failed := func(err error) error {
		if errors.Is(ctx.Err(), context.Canceled) { // interrupted, not a silent engine
			return fmt.Errorf("find the engine: %w", ctx.Err())
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w within %s", ErrNoEngine, timeout)
		}
		return fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	select {
	case a := <-done:
		if a.err != nil {
			return nil, failed(a.err)
		}
		a.e.Source = source
		return a.e, nil
	case <-ctx.Done():
		go func() { // close what a late answer opened
			if a := <-done; a.e != nil {
				a.e.Close()
			}
		}()
		return nil, failed(ctx.Err())
	}
}

func connect(ctx context.Context) (*Engine, error) {
	// The first call finds the host (testcontainers keeps it for the
	// process) under ctx's deadline; the provider then reuses it.
	dc, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, err
	}
	v, err := dc.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		dc.Close()
		return nil, err
	}
	dc.Close()
	product := "Docker Engine"
	for _, c := range v.Components {
		if strings.Contains(c.Name, "Podman") {
			product = c.Name
		}
	}
	// The engine's default network, which testcontainers looks for before
	// every create, and creates ("reaper_default", left behind) when it
	// finds none: Podman's Docker API calls its own "bridge" too, where
	// testcontainers' Podman provider looks for "podman".
	p, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(tclog.NewNoopLogger()),
		testcontainers.WithDefaultBridgeNetwork(testcontainers.Bridge))
	if err != nil {
		return nil, err
	}
	e := &Engine{tc: p, cli: p.Client(), Version: v.Version, Product: product, Endpoint: p.Client().DaemonHost()}
	host, local, err := daemonHost(ctx, p, e.Endpoint)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("the engine's address: %w", err)
	}
	e.Host, e.Bind = reachOf(host)
	e.Local = local
	return e, nil
}

// daemonHost is where the engine's published ports are reached:
// testcontainers' DaemonHost (TESTCONTAINERS_HOST_OVERRIDE, the host of a
// tcp:// endpoint, or for a socket "localhost", or the gateway when this
// process runs in a container), except that a socket's engine which
// reports this very host's name is on this machine, whatever /.dockerenv
// says: these machines have one (testcontainers then took the default
// route's gateway, which does not publish the engine's ports, for the
// engine's address).
func daemonHost(ctx context.Context, p *testcontainers.DockerProvider, endpoint string) (host string, local bool, err error) {
	u, err := url.Parse(endpoint)
	if _, override := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); err == nil && !override && (u.Scheme == "unix" || u.Scheme == "npipe") {
		info, err := p.Client().Info(ctx, client.InfoOptions{})
		if me, herr := os.Hostname(); err == nil && herr == nil && info.Info.Name == me {
			return "127.0.0.1", true, nil
		}
	}
	host, err = p.DaemonHost(ctx)
	return host, false, err
}

// reachOf turns the daemon's host into the address the harness dials and
// the one ports are published on.
func reachOf(host string) (dial, bind string) {
	if host == "localhost" || host == "" {
		host = "127.0.0.1" // never ::1: the engine publishes on IPv4
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return host, host
	}
	return host, "0.0.0.0"
}

// Remote reports whether the engine runs on another machine, whose file
// system the runtime's bind mounts cannot reach.
func (e *Engine) Remote() bool {
	u, err := url.Parse(e.Endpoint)
	return err == nil && (u.Scheme == "tcp" || u.Scheme == "http" || u.Scheme == "https") && e.Bind != e.Host
}

// Close closes the connection.
func (e *Engine) Close() error { return e.tc.Close() }
