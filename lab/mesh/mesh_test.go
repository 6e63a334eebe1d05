package mesh_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"lab/lab/mesh"
)

// hop returns a trivial HTTP server's URL, directly and through a proxy.
func hop(tb testing.TB) (direct, proxied string) {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	tb.Cleanup(srv.Close)
	m, err := mesh.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	listen, err := m.Add("bench", "127.0.0.1:0", srv.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	return srv.URL, "http://" + listen
}

func get(tb testing.TB, c *http.Client, url string) {
	tb.Helper()
	if err := fetch(c, url); err != nil {
		tb.Fatal(err)
	}
}

// fetch GETs url and wants the server's own "ok": a 502 of a proxy that
// could not reach it is an error, not a hop measured.
func fetch(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || string(body) != "ok" {
		return fmt.Errorf("GET %s: %s %q, want 200 ok", url, resp.Status, body)
	}
	return nil
}

// BenchmarkHop measures one keep-alive request at a time, directly and
// through a Toxiproxy proxy with no toxic, and reports the median.
func BenchmarkHop(b *testing.B) {
	direct, proxied := hop(b)
	for _, tc := range []struct{ name, url string }{{"direct", direct}, {"proxied", proxied}} {
		b.Run(tc.name, func(b *testing.B) {
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			get(b, c, tc.url)
			var ds []time.Duration
			for b.Loop() {
				start := time.Now()
				get(b, c, tc.url)
				ds = append(ds, time.Since(start))
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-us")
		})
	}
}

// BenchmarkHopParallel measures throughput with 20 concurrent workers.
func BenchmarkHopParallel(b *testing.B) {
	direct, proxied := hop(b)
	for _, tc := range []struct{ name, url string }{{"direct", direct}, {"proxied", proxied}} {
		b.Run(tc.name, func(b *testing.B) {
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.SetParallelism(10)
			var failed atomic.Pointer[error]
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := fetch(c, tc.url); err != nil { // Fatal may not be called from these goroutines
						failed.CompareAndSwap(nil, &err)
						return
					}
				}
			})
			if err := failed.Load(); err != nil {
				b.Fatal(*err)
			}
		})
	}
}

// TestProxyForwards is the guard that the benchmark measures a working hop.
func TestProxyForwards(t *testing.T) {
	_, proxied := hop(t)
	get(t, http.DefaultClient, proxied)
}
