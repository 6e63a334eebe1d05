package kit_test

import (
	"net/http"
	"testing"
	"time"

	"lab/internal/shoptest"
	"lab/services/catalog"
	"lab/services/contract"
)

// TestHTTPErrorBoundedByCount fails exactly the next three requests.
func TestHTTPErrorBoundedByCount(t *testing.T) {
	url := shoptest.Broker(t, map[string]string{
		"catalog.products":                          "10",
		contract.HTTPFaultKey("catalog-1", "three"): `{"status":503,"share":1,"count":3}`,
	})
	base := shoptest.Serve(t, catalog.Service(), url, 1)
	var got []int
	for i := 0; i < 5; i++ {
		r, err := (&shoptest.Shopper{Base: base}).Do(http.MethodGet, "/products/1", nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Code)
	}
	want := []int{503, 503, 503, 200, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	// Probes are never faulted.
	if r, _ := (&shoptest.Shopper{Base: base}).Do(http.MethodGet, "/healthz", nil); r.Code != 200 {
		t.Fatalf("healthz answered %d under a fault", r.Code)
	}
}

func TestHTTPDelay(t *testing.T) {
	url := shoptest.Broker(t, map[string]string{
		"catalog.products":                         "10",
		contract.HTTPFaultKey("catalog-1", "slow"): `{"delay_ms":150,"share":1}`,
	})
	base := shoptest.Serve(t, catalog.Service(), url, 1)
	r, err := (&shoptest.Shopper{Base: base}).Do(http.MethodGet, "/products/1", nil)
	if err != nil || r.Code != 200 {
		t.Fatalf("%v %+v", err, r)
	}
	if r.Took < 150*time.Millisecond || r.Took > 400*time.Millisecond {
		t.Fatalf("took %s, want about 150ms", r.Took)
	}
}
