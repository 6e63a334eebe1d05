// Package broker runs NATS with JetStream embedded in the lab process: the
// shop's event broker, its registry and its config store.
package broker

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"lab/services/kit"
)

// ReadyTimeout bounds the start of the server.
const ReadyTimeout = 10 * time.Second

// Broker is a running embedded NATS server.
type Broker struct {
	srv *server.Server
}

// Start runs a NATS server with JetStream on host (127.0.0.1 unless the
// broker runs in a container) and port (0 for any free one), storing
// JetStream files under dir, and creates the shop's stream and buckets. The
// file store survives a restart of the broker on the same dir.
func Start(ctx context.Context, dir, host string, port int) (*Broker, error) {
	if port == 0 {
		port = server.RANDOM_PORT
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: "lab-broker",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("configure broker: %w", err)
	}
	srv.Start()
	b := &Broker{srv: srv}
	if !srv.ReadyForConnections(ReadyTimeout) {
		b.Close()
		return nil, fmt.Errorf("start broker: not ready within %s", ReadyTimeout)
	}
	nc, err := nats.Connect(b.URL())
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("connect to broker: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("open jetstream: %w", err)
	}
	if err := kit.SetupBroker(ctx, js); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// URL is the client URL of the broker, nats://HOST:PORT.
func (b *Broker) URL() string { return b.srv.ClientURL() }

// Close stops the broker and waits for it to be down.
func (b *Broker) Close() {
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
}

// ServeMain runs `serve broker --store DIR --host H --port N` until ctx ends: the
// broker as a process of its own, so faults can kill, pause and restart it.
func ServeMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve broker", flag.ContinueOnError)
	store := fs.String("store", "broker", "JetStream's store folder; it survives a restart")
	host := fs.String("host", "127.0.0.1", "client address (0.0.0.0 in a container)")
	port := fs.Int("port", 4222, "client port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := Start(ctx, *store, *host, *port)
	if err != nil {
		return err
	}
	<-ctx.Done()
	b.Close()
	return nil
}
