//go:build unix

package process_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"lab/internal/shoptest"
	"lab/lab"
	"lab/services/contract"
)

func proxy(t *testing.T, s lab.Shop, name string) *toxiproxy.Proxy {
	t.Helper()
	p, err := toxiproxy.NewClient(s.ToxiproxyURL()).Proxy(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func metric(t *testing.T, s lab.Shop, instance string, parts ...string) float64 {
	t.Helper()
	return scrapeCounter(t, "http://"+shoptest.Instance(t, s, instance).Addr+"/metrics", parts...)
}

// TestBreakerOpensHalfOpensAndCloses takes payments away in sync mode: the
// breaker on orders->payments opens, checkout keeps answering through the
// fallback, and once payments is back the breaker goes half-open and closes.
func TestBreakerOpensHalfOpensAndCloses(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 1, Config: map[string]string{
		contract.PaymentModeKey:                          "sync",
		contract.ResilienceEdgeKey("orders", "payments"): `{"retries":0,"breaker":{"failures":3,"window":3,"delay":"300ms","successes":2}}`,
	}})
	sh := shoptest.MustLogin(t, s.GatewayURL(), "ada@example.com")
	order := map[string]any{"items": []map[string]int{{"product_id": 1, "qty": 1}}}
	edge := proxy(t, s, lab.EdgeProxy("orders", "payments-1"))
	if err := edge.Disable(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		if r, err := sh.Do(http.MethodPost, "/api/orders", order); err != nil || r.Code != http.StatusAccepted {
			t.Fatalf("checkout %d with payments away: %v %+v, want 202 through the fallback", i, err, r)
		}
	}
	if n := metric(t, s, "orders-1", `shop_edge_calls_total{callee="payments"`, `outcome="breaker_open"`); n < 1 {
		t.Fatalf("no call was refused by an open breaker")
	}
	if err := edge.Enable(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(350 * time.Millisecond) // the breaker's delay: nothing to poll, the breaker only moves on a call
	for i := 0; i < 3; i++ {
		if r, err := sh.Do(http.MethodPost, "/api/orders", order); err != nil || r.Code != http.StatusCreated {
			t.Fatalf("checkout %d after payments came back: %v %+v, want 201", i, err, r)
		}
	}
	var res struct{ Transitions []contract.Transition }
	if err := shoptest.GetJSON("http://"+shoptest.Instance(t, s, "orders-1").Addr+"/admin/resilience", &res); err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, tr := range res.Transitions {
		seq = append(seq, tr.To)
	}
	if got := strings.Join(seq, ","); got != "open,half-open,closed" {
		t.Fatalf("breaker went %q, want open,half-open,closed", got)
	}
}

// TestRetriesStayBounded black-holes inventory under naive retries: each
// product page makes exactly one attempt and three retries, no more.
func TestRetriesStayBounded(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 1, Config: map[string]string{contract.ResiliencePresetKey: "naive-retries"}})
	if _, err := proxy(t, s, lab.EdgeProxy("gateway", "inventory-1")).AddToxic("hole", "timeout", "downstream", 1, toxiproxy.Attributes{"timeout": 0}); err != nil {
		t.Fatal(err)
	}
	anon := &shoptest.Shopper{Base: s.GatewayURL()}
	for i := 0; i < 3; i++ {
		r, err := anon.Do(http.MethodGet, "/api/products/5", nil)
		if err != nil || r.Code != http.StatusGatewayTimeout {
			t.Fatalf("product page with inventory black-holed: %v %+v, want 504 (no fallback in naive-retries)", err, r)
		}
	}
	attempts := metric(t, s, "gateway-1", `shop_edge_attempts_total{callee="inventory"`)
	retries := metric(t, s, "gateway-1", `shop_edge_retries_total{callee="inventory"`)
	if attempts != 12 || retries != 9 {
		t.Fatalf("3 pages made %v attempts and %v retries, want 12 and 9", attempts, retries)
	}
}

// TestBulkheadRejects lets two calls at a time through to a slowed catalog.
func TestBulkheadRejects(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 1, Config: map[string]string{
		contract.ResilienceEdgeKey("gateway", "catalog"): `{"retries":0,"bulkhead":2,"bulkhead_wait":"0s","timeout":"2s"}`,
	}})
	if _, err := proxy(t, s, lab.EdgeProxy("gateway", "catalog-1")).AddToxic("slow", "latency", "downstream", 1, toxiproxy.Attributes{"latency": 300}); err != nil {
		t.Fatal(err)
	}
	anon := &shoptest.Shopper{Base: s.GatewayURL()}
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := anon.Do(http.MethodGet, "/api/products", nil)
			mu.Lock()
			codes[r.Code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[http.StatusOK] < 1 || codes[http.StatusServiceUnavailable] < 1 {
		t.Fatalf("statuses %v: want some served and some rejected by the bulkhead", codes)
	}
	if n := metric(t, s, "gateway-1", `shop_edge_bulkhead_rejections_total{callee="catalog"`); n != float64(codes[http.StatusServiceUnavailable]) {
		t.Fatalf("%v rejections counted for %d refused pages", n, codes[http.StatusServiceUnavailable])
	}
}

// TestFallbackServedOnlyWithAPolicy takes inventory away: the default
// policy serves the product page without stock; "none" fails it.
func TestFallbackServedOnlyWithAPolicy(t *testing.T) {
	for _, tc := range []struct {
		preset string
		code   int
	}{{"default", http.StatusOK}, {"none", http.StatusServiceUnavailable}} {
		t.Run(tc.preset, func(t *testing.T) {
			s := shoptest.Start(t, lab.Shape{Seed: 1, Config: map[string]string{contract.ResiliencePresetKey: tc.preset}})
			if err := proxy(t, s, lab.EdgeProxy("gateway", "inventory-1")).Disable(); err != nil {
				t.Fatal(err)
			}
			r, err := (&shoptest.Shopper{Base: s.GatewayURL()}).Do(http.MethodGet, "/api/products/3", nil)
			if err != nil || r.Code != tc.code {
				t.Fatalf("product page: %v %+v, want %d", err, r, tc.code)
			}
			fallbacks := metric(t, s, "gateway-1", `shop_edge_fallbacks_total{callee="inventory"`)
			if tc.code == http.StatusOK && (r.Body["stock_status"] != "unknown" || fallbacks != 1) {
				t.Fatalf("page %+v, %v fallbacks counted; want stock unknown, one fallback", r.Body, fallbacks)
			}
		})
	}
}
