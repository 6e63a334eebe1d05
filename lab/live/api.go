package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
type API struct {
	Live  *faults.Live
	Shape lab.Shape
	Log   io.Writer

	srv *http.Server
	url string
}

// Start serves the API on a free 127.0.0.1 port.
func (a *API) Start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the control api: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /faults", a.list)
	mux.HandleFunc("POST /faults", a.add)
	mux.HandleFunc("DELETE /faults/{name}", a.remove)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	a.url = "http://" + ln.Addr().String()
	go func() { _ = a.srv.Serve(ln) }()
	return nil
}

// URL is the API's base URL.
func (a *API) URL() string { return a.url }

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
