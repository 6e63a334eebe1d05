//go:build unix

package process_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"lab/internal/shoptest"
	"lab/lab"
	"lab/services/contract"
)

// TestScaleUpAndDownUnderLoad grows catalog from one instance to three and
// takes two away again while four shoppers browse without pause, with no
// resilience policy (no retry to hide a call that met a leaving instance):
// every new instance gets its proxies and routes before it registers, takes
// a share of the browsing, and every instance that leaves drains first, so
// no request fails and no exit is reported as unplanned.
func TestScaleUpAndDownUnderLoad(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 3, Most: map[string]int{"catalog": 3},
		Config: map[string]string{contract.ResiliencePresetKey: "none"}})
	sc, ok := s.(lab.Scaler)
	if !ok {
		t.Fatal("the process runtime's shop is no lab.Scaler")
	}
	ctx := context.Background()
	if _, err := sc.AddInstance(ctx, "gateway"); err == nil {
		t.Fatal("a gateway was added; its front is made with the shop")
	}
	if err := sc.RemoveInstance(ctx, "gateway-1"); err == nil {
		t.Fatal("the gateway was removed; its front is made with the shop")
	}

	// Browsing, bounded: until stop, and 60 s at the most.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var served, failed atomic.Int64
	var firstFailure atomic.Value
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			anon := &shoptest.Shopper{Base: s.GatewayURL()}
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				select {
				case <-stop:
					return
				default:
				}
				r, err := anon.Do(http.MethodGet, "/api/products?size=5", nil)
				if err != nil || r.Code != http.StatusOK {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, r.Code)
					continue
				}
				served.Add(1)
			}
		}()
	}
	listings := func(name string) float64 {
		return scrapeCounter(t, "http://"+shoptest.Instance(t, s, name).Addr+"/metrics", `shop_http_requests_total{code="200"`, `route="GET /products"`)
	}

	for _, want := range []string{"catalog-2", "catalog-3"} {
		in, err := sc.AddInstance(ctx, "catalog")
		if err != nil {
			t.Fatal(err)
		}
		if in.Name != want {
			t.Fatalf("added %s, want %s", in.Name, want)
		}
		shoptest.Eventually(t, 10*time.Second, want+" takes a share of the browsing", func() bool { return listings(want) >= 20 })
	}
	route := routeOf(t, s, "gateway", "catalog-3")
	px := slices.IndexFunc(s.Proxies(), func(p lab.Proxy) bool { return p.Name == "gateway->catalog-3" })
	if px < 0 || s.Proxies()[px].Listen != route {
		t.Fatalf("gateway's route to catalog-3 is %q; want its proxy's address (proxies %v)", route, s.Proxies())
	}

	gone := shoptest.Instance(t, s, "catalog-2")
	for _, name := range []string{"catalog-2", "catalog-1"} {
		before := served.Load()
		if err := sc.RemoveInstance(ctx, name); err != nil {
			t.Fatal(err)
		}
		shoptest.Eventually(t, 5*time.Second, "browsing goes on after "+name+" left", func() bool { return served.Load() > before+50 })
	}
	close(stop)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d browses failed while catalog scaled (first: %v); scaling must fail none", n, n+served.Load(), firstFailure.Load())
	}
	var names []string
	for _, in := range s.Instances() {
		names = append(names, in.Name)
	}
	if slices.Contains(names, "catalog-1") || slices.Contains(names, "catalog-2") || !slices.Contains(names, "catalog-3") {
		t.Fatalf("instances %v, want catalog-3 alone of catalog", names)
	}
	for _, p := range s.Proxies() {
		if p.Name == "gateway->catalog-2" || p.Name == "orders->catalog-1" {
			t.Fatalf("proxy %s outlived its instance", p.Name)
		}
	}
	if err := syscall.Kill(gone.PID, 0); err == nil {
		t.Fatalf("catalog-2 (pid %d) still runs after it was removed", gone.PID)
	}
	select {
	case e := <-s.Exits():
		t.Fatalf("an instance that was asked to leave was reported as an unplanned exit: %+v", e)
	default:
	}
	t.Logf("%d browses while catalog went 1 -> 3 -> 1, none failed", served.Load())
}

// routeOf reads the route caller dials to reach instance from the config bucket.
func routeOf(t *testing.T, s lab.Shop, caller, instance string) string {
	t.Helper()
	nc, err := nats.Connect(s.BrokerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, contract.ConfigBucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, contract.RouteKey(caller, instance))
	if err != nil {
		t.Fatalf("route %s -> %s: %v", caller, instance, err)
	}
	return string(e.Value())
}
