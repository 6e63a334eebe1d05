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
