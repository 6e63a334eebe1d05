// Package broker runs NATS with JetStream embedded in the lab process: the
// shop's event broker, its registry and its config store.
package broker

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
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
	url string
	ln  net.Listener // the listener Serve was given, if any
}

// Start runs a NATS server with JetStream on host (127.0.0.1 unless the
// broker runs in a container) and port (0 for any free one), storing
// JetStream files under dir, and creates the shop's stream and buckets. The
// file store survives a restart of the broker on the same dir.
func Start(ctx context.Context, dir, host string, port int) (*Broker, error) {
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return start(ctx, dir, &server.Options{Host: host, Port: port}, nil)
}

// Serve is Start on a listening socket the caller made: NATS itself listens
// on no port; every connection accepted on ln is joined to an in-process
// client connection of the server. A parent that opens ln before the broker
// starts knows its address with no race for the port, as with every other
// child of the process runtime. Close closes ln.
func Serve(ctx context.Context, dir string, ln net.Listener) (*Broker, error) {
	return start(ctx, dir, &server.Options{DontListen: true}, ln)
}

func start(ctx context.Context, dir string, opts *server.Options, ln net.Listener) (*Broker, error) {
	opts.ServerName = "lab-broker"
	opts.JetStream = true
	opts.StoreDir = dir
	opts.NoSigs = true
	opts.NoLog = true
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("configure broker: %w", err)
	}
	srv.Start()
	b := &Broker{srv: srv, ln: ln}
	if !srv.ReadyForConnections(ReadyTimeout) {
		b.Close()
		return nil, fmt.Errorf("start broker: not ready within %s", ReadyTimeout)
	}
	connect := []nats.Option{}
	if ln != nil {
		b.url = "nats://" + ln.Addr().String()
		connect = append(connect, nats.InProcessServer(srv))
		go b.bridge()
	} else {
		b.url = srv.ClientURL()
	}
	nc, err := nats.Connect(b.url, connect...)
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
func (b *Broker) URL() string { return b.url }

// bridge accepts connections on b.ln until it is closed and joins each to an
// in-process connection of the server. Either side ending closes the other.
func (b *Broker) bridge() {
	for {
		conn, err := b.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil { // out of files, say: wait, as NATS's own accept loop does
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go func() {
			pipe, err := b.srv.InProcessConn()
			if err != nil {
				conn.Close()
				return
			}
			go func() {
				_, _ = io.Copy(pipe, conn)
				pipe.Close()
			}()
			_, _ = io.Copy(conn, pipe)
			conn.Close()
		}()
	}
}

// Close stops the broker and waits for it to be down.
func (b *Broker) Close() {
	if b.ln != nil {
		b.ln.Close()
	}
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
}

// ServeMain runs `serve broker --store DIR (--host H --port N | --listen-fd FD)` until ctx ends: the
// broker as a process of its own, so faults can kill, pause and restart it.
func ServeMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve broker", flag.ContinueOnError)
	store := fs.String("store", "broker", "JetStream's store folder; it survives a restart")
	host := fs.String("host", "127.0.0.1", "client address (0.0.0.0 in a container)")
	port := fs.Int("port", 4222, "client port")
	fd := fs.Int("listen-fd", -1, "serve on this inherited listening socket instead of --host and --port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var b *Broker
	var err error
	if *fd >= 0 {
		ln, lerr := net.FileListener(os.NewFile(uintptr(*fd), "listener"))
		if lerr != nil {
			return fmt.Errorf("listen: %w", lerr)
		}
		b, err = Serve(ctx, *store, ln)
	} else {
		b, err = Start(ctx, *store, *host, *port)
	}
	if err != nil {
		return err
	}
	<-ctx.Done()
	b.Close()
	return nil
}
