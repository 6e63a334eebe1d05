package live

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"lab/faults"
	"lab/lab"
	"lab/scenarios"
)

// API serves the control API of a running shop on loopback:
//
//	GET    /faults         the faults in force (JSON list of faults.Active)
//	POST   /faults         add one: a fault entry in YAML or JSON, as in a live file
//	DELETE /faults/{name}  remove one
//
// Every request must carry `Authorization: Bearer TOKEN`, the token Start
// makes (other local users reach loopback too; only the owner steers);
// without it the answer is 401 and nothing changes. A handler that panics
// answers 500 and is logged; the faults in force and the shop stay.
type API struct {
	Live  *faults.Live
	Shape lab.Shape
	Log   io.Writer

	srv   *http.Server
	url   string
	token string
}

// Start makes a new token and serves the API on a free 127.0.0.1 port.
func (a *API) Start() error {
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return fmt.Errorf("make the control api's token: %w", err)
	}
	a.token = hex.EncodeToString(tok)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the control api: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /faults", a.list)
	mux.HandleFunc("POST /faults", a.add)
	mux.HandleFunc("DELETE /faults/{name}", a.remove)
	a.srv = &http.Server{Handler: a.guard(mux), ReadHeaderTimeout: 5 * time.Second}
	a.url = "http://" + ln.Addr().String()
	go func() { _ = a.srv.Serve(ln) }()
	return nil
}

// guard refuses a request without the token and turns a panic into a 500.
func (a *API) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(a.token)) != 1 {
			http.Error(w, "the control api wants the token of this lab up (lab fault reads it from the control file)", http.StatusUnauthorized)
			return
		}
		defer func() {
			if v := recover(); v != nil {
				fmt.Fprintf(a.Log, "control api: %s %s failed: %v; the faults in force are unchanged\n", r.Method, r.URL.Path, v)
				http.Error(w, fmt.Sprintf("internal error: %v", v), http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// URL is the API's base URL.
func (a *API) URL() string { return a.url }

// Token is what every request must carry as `Authorization: Bearer TOKEN`.
func (a *API) Token() string { return a.token }

// Close stops serving.
func (a *API) Close() error { return a.srv.Close() }

func (a *API) list(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	list := a.Live.List()
	if list == nil {
		list = []faults.Active{}
	}
	_ = json.NewEncoder(w).Encode(list)
}

func (a *API) add(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// One entry, checked exactly as a live file's: YAML (JSON is YAML too).
	spec, err := scenarios.ParseEntry("fault", body, a.Shape)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), applyTimeout)
	defer cancel()
	c, err := a.Live.Add(ctx, faults.FromAPI, spec)
	if err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	fmt.Fprintln(a.Log, c)
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(c)
}

func (a *API) remove(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), applyTimeout)
	defer cancel()
	c, err := a.Live.Remove(ctx, r.PathValue("name"))
	if errors.Is(err, faults.ErrNotActive) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(a.Log, c)
	_ = json.NewEncoder(w).Encode(c)
}
