package broker

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"lab/services/contract"
)

// A broker served on a listener its parent made answers on that listener's
// address, with JetStream and the shop's buckets, and lets go of its clients
// when it closes.
func TestServeOnAListenerMadeBeforehand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	b, err := Serve(ctx, t.TempDir(), ln)
	if err != nil {
		t.Fatal(err)
	}
	if b.URL() != "nats://"+addr {
		t.Fatalf("URL %s, want nats://%s", b.URL(), addr)
	}
	closed := make(chan struct{})
	nc, err := nats.Connect(b.URL(), nats.NoReconnect(), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, contract.ConfigBucket)
	if err != nil {
		t.Fatalf("the shop's config bucket: %v", err)
	}
	if _, err := kv.PutString(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if e, err := kv.Get(ctx, "k"); err != nil || string(e.Value()) != "v" {
		t.Fatalf("get k: %v", err)
	}
	b.Close()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("the client was not let go when the broker closed")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the listener still accepts after Close")
	}
}
