package promtext_test

import (
	"fmt"
	"strings"
	"testing"

	"lab/internal/promtext"
)

func TestScan(t *testing.T) {
	in := `# HELP shop_edge_breaker_state The edge's circuit breaker.
# TYPE shop_edge_breaker_state gauge
shop_edge_breaker_state{callee="payments"} 1
shop_http_request_duration_seconds_bucket{route="GET /api/products",le="0.005"} 42
shop_outbox_pending 3
go_goroutines 17
shop_broken{a="b"} notanumber
`
	var got []string
	err := promtext.Scan(strings.NewReader(in), "shop_", func(name string, l map[string]string, v float64) {
		got = append(got, fmt.Sprintf("%s %s|%s %g", name, l["callee"]+l["route"], l["le"], v))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"shop_edge_breaker_state payments| 1",
		"shop_http_request_duration_seconds_bucket GET /api/products|0.005 42",
		"shop_outbox_pending | 3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestScanReadsWhatARegexpMisread: a label value with an escaped quote or
// backslash, and a sample with a trailing timestamp (whose last field is
// the timestamp, not the value).
func TestScanReadsWhatARegexpMisread(t *testing.T) {
	in := `shop_http_requests_total{route="GET /api/products/{id}",note="say \"hi\", \\o/"} 7 1764150000000
shop_outbox_pending 3 1764150000000
shop_edge_breaker_state{callee="payments"} 2
`
	type sample struct {
		name   string
		labels map[string]string
		v      float64
	}
	var got []sample
	if err := promtext.Scan(strings.NewReader(in), "shop_", func(n string, l map[string]string, v float64) {
		got = append(got, sample{n, l, v})
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].v != 7 || got[0].labels["note"] != `say "hi", \o/` || got[0].labels["route"] != "GET /api/products/{id}" ||
		got[1].v != 3 || got[2].v != 2 || got[2].labels["callee"] != "payments" {
		t.Fatalf("got %+v", got)
	}
}

// FuzzScan: no /metrics answer an instance serves panics the scraper.
func FuzzScan(f *testing.F) {
	f.Add("shop_a{b=\"c\"} 1\nshop_d 2 123\n# HELP x\n")
	f.Add("shop_x{a=\"\\\"\",b=\"\\\\\"} 1e3\n")
	f.Add("shop_{=\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		_ = promtext.Scan(strings.NewReader(in), "shop_", func(string, map[string]string, float64) {})
		_ = promtext.Scan(strings.NewReader(in), "", func(string, map[string]string, float64) {})
	})
}
