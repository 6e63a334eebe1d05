package shoptest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"lab/lab/broker"
	"lab/services/contract"
	"lab/services/kit"
)

// Broker starts an embedded broker for the test and returns its URL, after
// writing config into the config bucket.
func Broker(tb testing.TB, config map[string]string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := broker.Start(ctx, tb.TempDir(), "127.0.0.1", 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Close)
	nc, err := nats.Connect(b.URL())
	if err != nil {
		tb.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(ctx, contract.ConfigBucket)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range config {
		if _, err := kv.PutString(ctx, k, v); err != nil {
			tb.Fatal(err)
		}
	}
	return b.URL()
}

// Serve runs one instance of svc in this process against the broker at url
// and returns its base URL once it is ready. It stops when the test ends.
func Serve(tb testing.TB, svc kit.Service, url string, seed int64) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- kit.Run(ctx, svc, kit.Params{Instance: svc.Name + "-1", Listener: ln, NATSURL: url,
			DataDir: tb.TempDir(), Seed: seed, Logger: slog.New(slog.DiscardHandler)})
	}()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("%s stopped with %v", svc.Name, err)
		}
	})
	Eventually(tb, 10*time.Second, svc.Name+" ready", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base
}
