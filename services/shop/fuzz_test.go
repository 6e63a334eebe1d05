package shop_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"lab/internal/shoptest"
	"lab/lab"
)

func TestMain(m *testing.M) { shoptest.Main(m) }

// route is one place of the shop's APIs that takes outside input: a body,
// or an id in the path (the fuzzed bytes go in place of %s).
type route struct {
	instance, method, path string
	authed, inPath         bool
}

var routes = []route{
	{"gateway-1", http.MethodPost, "/api/users", false, false},
	{"gateway-1", http.MethodPost, "/api/login", false, false},
	{"gateway-1", http.MethodPost, "/api/orders", true, false},
	{"gateway-1", http.MethodGet, "/api/orders/%s", true, true},
	{"gateway-1", http.MethodGet, "/api/products/%s", false, true},
	{"users-1", http.MethodPost, "/users", false, false},
	{"users-1", http.MethodPost, "/login", false, false},
	{"inventory-1", http.MethodPost, "/reservations", false, false},
	{"inventory-1", http.MethodPost, "/reservations/%s/release", false, true},
	{"inventory-1", http.MethodGet, "/stock/%s", false, true},
	{"orders-1", http.MethodPost, "/orders", false, false},
	{"orders-1", http.MethodGet, "/orders/%s", false, true},
	{"payments-1", http.MethodPost, "/charges", false, false},
	{"catalog-1", http.MethodGet, "/products/%s", false, true},
}

// FuzzRequestBodies sends fuzzed bodies and path ids to every route of a
// real shop (the process runtime, each service its own process): no input
// may crash an instance or answer 500; each is refused with a 4xx, or
// served.
func FuzzRequestBodies(f *testing.F) {
	for i := range routes {
		f.Add(uint8(i), []byte(`{"email":"a@b.c","password":"secret123"}`))
		f.Add(uint8(i), []byte(`{"items":[{"product_id":"p-1","qty":1}]}`))
		f.Add(uint8(i), []byte(`{"order_id":"ord_1","items":[{"product_id":"p-1","qty":-3}],"amount_cents":12}`))
		f.Add(uint8(i), []byte(`{"user_id":"u","items":[{"product_id":"p-1","qty":1e300}]}`))
		f.Add(uint8(i), []byte("p-1"))
	}
	shop := shoptest.Start(f, lab.Shape{Seed: 1})
	addr := map[string]string{}
	for _, in := range shop.Instances() {
		addr[in.Name] = "http://" + in.Addr
	}
	addr["gateway-1"] = shop.GatewayURL()
	token := shoptest.MustLogin(f, shop.GatewayURL(), "fuzz@example.com").Token
	hc := &http.Client{Timeout: 10 * time.Second}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		r := routes[int(which)%len(routes)]
		path, rd := r.path, io.Reader(bytes.NewReader(body))
		if r.inPath {
			path, rd = fmt.Sprintf(r.path, url.PathEscape(string(body))), nil
		}
		req, err := http.NewRequest(r.method, addr[r.instance]+path, rd)
		if err != nil {
			return // not a request a client could send
		}
		if r.authed {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, path, err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusInternalServerError {
			t.Fatalf("%s %s %q: 500 %s", r.method, path, body, msg)
		}
		if resp, err := hc.Get(addr[r.instance] + "/healthz"); err != nil {
			t.Fatalf("%s down after %s %s %q: %v", r.instance, r.method, path, body, err)
		} else {
			resp.Body.Close()
		}
	})
}
