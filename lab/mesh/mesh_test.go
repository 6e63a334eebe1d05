package mesh_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
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
	resp, err := c.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
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
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					get(b, c, tc.url)
				}
			})
		})
	}
}

// TestProxyForwards is the guard that the benchmark measures a working hop.
func TestProxyForwards(t *testing.T) {
	_, proxied := hop(t)
	get(t, http.DefaultClient, proxied)
}
