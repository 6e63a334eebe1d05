// Package gateway is the shop's only public entry. It serves the Gateway API
// of the design:
//
//	GET  /api/products            the catalog, paged (?page=&size=)
//	GET  /api/products/{id}       a product with its stock; when inventory does
//	                              not answer and the edge's policy has a
//	                              fallback, still served with "stock_status":
//	                              "unknown"
//	POST /api/users               register
//	POST /api/login               a token
//	POST /api/orders              checkout (Authorization: Bearer TOKEN)
//	GET  /api/orders/{id}         an order of the token's user
//	GET  /healthz
//
// Tokens are verified here with the shared secret from config, never by
// calling users, so shoppers who are logged in keep shopping during a users
// outage. Each client (the token's user, else the remote address) is rate
// limited by "gateway.rate_limit" requests per second (0, the default: off)
// with a burst of "gateway.rate_burst".
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"lab/services/contract"
	"lab/services/kit"
)

// Service returns the gateway service.
func Service() kit.Service {
	return kit.Service{Name: "gateway", Callees: []string{"users", "catalog", "inventory", "orders"}, Setup: setup}
}

type gateway struct {
	in      *kit.Instance
	limiter *limiter
}

func setup(_ context.Context, in *kit.Instance) error {
	g := &gateway{in: in, limiter: &limiter{cfg: in.Config, clients: map[string]*rate.Limiter{}}}
	route := func(pattern string, h http.HandlerFunc) { in.Mux.Handle(pattern, g.limited(h)) }
	route("GET /api/products", g.products)
	route("GET /api/products/{id}", g.product)
	route("POST /api/users", g.forward("users", "/users"))
	route("POST /api/login", g.forward("users", "/login"))
	route("POST /api/orders", g.authed(g.checkout))
	route("GET /api/orders/{id}", g.authed(g.order))
	return nil
}

// relay writes the callee's answer or the failure of the call.
func relay(w http.ResponseWriter, err error, body json.RawMessage, okCode int) {
	var se *kit.StatusError
	switch {
	case errors.As(err, &se):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(se.Code)
		_, _ = w.Write([]byte(se.Body))
	case err != nil:
		kit.WriteError(w, kit.FailureStatus(err), err.Error())
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(okCode)
		_, _ = w.Write(body)
	}
}

func (g *gateway) products(w http.ResponseWriter, r *http.Request) {
	var body json.RawMessage
	path := "/products"
	if q := r.URL.RawQuery; q != "" {
		path += "?" + q
	}
	err := g.in.Client("catalog").Do(r.Context(), http.MethodGet, path, nil, &body)
	relay(w, err, body, http.StatusOK)
}

func (g *gateway) product(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var product map[string]any
	if err := g.in.Client("catalog").Do(r.Context(), http.MethodGet, "/products/"+id, nil, &product); err != nil {
		relay(w, err, nil, 0)
		return
	}
	var stock struct {
		Available int `json:"available"`
	}
	inv := g.in.Client("inventory")
	if err := inv.Do(r.Context(), http.MethodGet, "/stock/"+id, nil, &stock); err != nil {
		if !inv.Policy().Fallback {
			relay(w, err, nil, 0)
			return
		}
		inv.FellBack()
		product["stock"] = nil
		product["stock_status"] = "unknown"
	} else {
		product["stock"] = stock.Available
		product["stock_status"] = "known"
	}
	kit.WriteJSON(w, http.StatusOK, product)
}

// forward passes a JSON body on to path of callee and relays the answer.
func (g *gateway) forward(callee, path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in json.RawMessage
		if !kit.ReadJSON(w, r, &in) {
			return
		}
		var out json.RawMessage
		err := g.in.Client(callee).Do(r.Context(), http.MethodPost, path, in, &out)
		code := http.StatusOK
		if path == "/users" {
			code = http.StatusCreated
		}
		relay(w, err, out, code)
	}
}

type userKey struct{}

// authed verifies the bearer token and passes its user on in the context.
func (g *gateway) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		secret, _ := g.in.Config.Raw(contract.AuthSecretKey)
		c, err := kit.VerifyToken([]byte(secret), strings.TrimSpace(token), time.Now())
		if !ok || err != nil {
			kit.WriteError(w, http.StatusUnauthorized, "a valid bearer token is required")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), userKey{}, c.Subject)))
	}
}

func (g *gateway) checkout(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Items json.RawMessage `json:"items"`
	}
	if !kit.ReadJSON(w, r, &req) {
		return
	}
	user := r.Context().Value(userKey{}).(string)
	var resp struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	err := g.in.Client("orders").Do(r.Context(), http.MethodPost, "/orders",
		map[string]any{"user_id": user, "items": req.Items}, &resp)
	if err != nil {
		relay(w, err, nil, 0)
		return
	}
	code := http.StatusAccepted
	if resp.Status != "pending" {
		code = http.StatusCreated
	}
	kit.WriteJSON(w, code, resp)
}

func (g *gateway) order(w http.ResponseWriter, r *http.Request) {
	var o map[string]any
	if err := g.in.Client("orders").Do(r.Context(), http.MethodGet, "/orders/"+r.PathValue("id"), nil, &o); err != nil {
		relay(w, err, nil, 0)
		return
	}
	if o["user_id"] != r.Context().Value(userKey{}) {
		kit.WriteError(w, http.StatusNotFound, "no order "+r.PathValue("id"))
		return
	}
	kit.WriteJSON(w, http.StatusOK, o)
}

// limiter is the per-client token bucket.
type limiter struct {
	cfg     *kit.Config
	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

func (l *limiter) allow(client string) bool {
	limit := l.cfg.Float("rate_limit", 0)
	if limit <= 0 {
		return true
	}
	burst := l.cfg.Int("rate_burst", int(limit))
	l.mu.Lock()
	lim, ok := l.clients[client]
	if !ok || lim.Limit() != rate.Limit(limit) || lim.Burst() != max(burst, 1) {
		lim = rate.NewLimiter(rate.Limit(limit), max(burst, 1))
		l.clients[client] = lim
	}
	l.mu.Unlock()
	return lim.Allow()
}

func (g *gateway) limited(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := r.RemoteAddr
		if host, _, err := net.SplitHostPort(client); err == nil {
			client = host
		}
		if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			client = "token:" + token
		}
		if !g.limiter.allow(client) {
			w.Header().Set("Retry-After", "1")
			kit.WriteError(w, http.StatusTooManyRequests, "rate limit exceeded")
			return
		}
		h.ServeHTTP(w, r)
	})
}
