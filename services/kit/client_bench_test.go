package kit_test

import (
	"io"
	"net/http"
	"testing"

	"lab/internal/shoptest"
	"lab/services/catalog"
	"lab/services/contract"
	"lab/services/shop"
)

// BenchmarkCall compares a call through the edge's policies (retry,
// breaker, bulkhead, timeout) with a plain HTTP call to the same service,
// in the same run. The caller is a real gateway instance, measured at the
// page it serves from one catalog call.
func BenchmarkCall(b *testing.B) {
	for _, preset := range []string{"none", "default"} {
		b.Run(preset, func(b *testing.B) {
			url := shoptest.Broker(b, map[string]string{"catalog.products": "10", contract.ResiliencePresetKey: preset})
			cat := shoptest.Serve(b, catalog.Service(), url, 1)
			gw, _ := shop.Lookup("gateway")
			gw.Callees = []string{"catalog"}
			base := shoptest.Serve(b, gw, url, 1)
			c := &http.Client{}
			get := func(u string) {
				resp, err := c.Get(u)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			b.Run("direct", func(b *testing.B) {
				for b.Loop() {
					get(cat + "/products?size=5")
				}
			})
			b.Run("via-gateway", func(b *testing.B) {
				for b.Loop() {
					get(base + "/api/products?size=5")
				}
			})
		})
	}
}
