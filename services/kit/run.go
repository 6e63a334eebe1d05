package kit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"lab/services/contract"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Service describes one of the shop's services to Run.
type Service struct {
	// Name is the service's name: "orders".
	Name string
	// Callees are the services it calls over HTTP; Run gives it a Client for each.
	Callees []string
	// Schema is the SQL run on its database at every start (idempotent).
	Schema string
	// Setup adds the service's routes to in.Mux and starts its workers and
	// consumers. It runs once, before the instance registers.
	Setup func(ctx context.Context, in *Instance) error
}

// Params are what one instance of a service is started with.
type Params struct {
	Instance string       // "orders-1"
	Listener net.Listener // where to serve HTTP; Run closes it
	NATSURL  string       // the broker, through this service's broker proxy
	DataDir  string       // the folder of the service's SQLite file, shared by replicas
	Seed     int64        // the run's seed, for seeded data and decisions
	Logger   *slog.Logger // JSON log; nil for stderr
}

// Instance is a running instance as its service's code sees it.
type Instance struct {
	Service string
	Name    string
	Seed    int64
	DB      *sql.DB
	NC      *nats.Conn
	JS      jetstream.JetStream
	Config  *Config
	Dir     *Directory
	Log     *slog.Logger
	Metrics *Metrics
	Mux     *http.ServeMux
	Outbox  *Outbox

	ctx           context.Context
	clients       map[string]*Client
	consumeFaults *faultSet[contract.ConsumeFault]
	wg            sync.WaitGroup
	stops         []func()
}

// Client returns the client for callee, which must be one of the Service's Callees.
func (in *Instance) Client(callee string) *Client {
	c, ok := in.clients[callee]
	if !ok {
		panic("kit: " + in.Service + " does not call " + callee)
	}
	return c
}

// Go runs f in the background until the instance stops; Run waits for it.
func (in *Instance) Go(f func(ctx context.Context)) {
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		f(in.ctx)
	}()
}

// Consume binds the durable consumer name to subjects, handling each event with h.
func (in *Instance) Consume(name string, subjects []string, h Handler) error {
	stop, err := consume(in.ctx, in.JS, in.Metrics, in.Log, in.consumeFaults, name, subjects, h)
	if err != nil {
		return err
	}
	in.stops = append(in.stops, stop)
	return nil
}

// StartTimeout bounds steps 1 to 4 of Run.
const StartTimeout = 15 * time.Second

// Run runs one instance of svc until ctx ends; see the package doc for its
// steps. It returns nil after a clean stop.
func Run(ctx context.Context, svc Service, p Params) (err error) {
	log := p.Logger
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	log = log.With("service", svc.Name, "instance", p.Instance)
	defer p.Listener.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	startCtx, startCancel := context.WithTimeout(ctx, StartTimeout)
	defer startCancel()

	// 1. Database and broker.
	if err := os.MkdirAll(p.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	schema := svc.Schema + OutboxSchema
	// One file per service, shared by its replicas (WAL allows several
	// processes), so idempotency keys hold across replicas.
	db, err := OpenDB(filepath.Join(p.DataDir, svc.Name+".db"), schema)
	if err != nil {
		return err
	}
	defer db.Close()
	nc, err := nats.Connect(p.NATSURL, nats.Name(p.Instance), nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond), nats.Timeout(2*time.Second),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("broker link lost", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("broker link back") }))
	if err != nil {
		return fmt.Errorf("connect to broker %s: %w", p.NATSURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("open jetstream: %w", err)
	}

	// 2. Config.
	cfgKV, err := js.KeyValue(startCtx, contract.ConfigBucket)
	if err != nil {
		return fmt.Errorf("bind bucket %s: %w", contract.ConfigBucket, err)
	}
	cfg := NewConfig(svc.Name, p.Instance, nil)
	if err := cfg.Watch(ctx, cfgKV); err != nil {
		return err
	}
	setCPUs(cfg)
	cfg.OnChange(func(string, string) { setCPUs(cfg) })

	// 3. Directory.
	regKV, err := js.KeyValue(startCtx, contract.RegistryBucket)
	if err != nil {
		return fmt.Errorf("bind bucket %s: %w", contract.RegistryBucket, err)
	}
	dir := NewDirectory(svc.Name, cfg)
	if err := dir.Watch(ctx, regKV); err != nil {
		return err
	}

	// 4. The service itself.
	m := NewMetrics(svc.Name, p.Instance)
	in := &Instance{
		Service: svc.Name, Name: p.Instance, Seed: p.Seed,
		DB: db, NC: nc, JS: js, Config: cfg, Dir: dir, Log: log, Metrics: m,
		Mux: http.NewServeMux(), ctx: ctx, clients: map[string]*Client{},
	}
	in.Outbox = &Outbox{db: db, js: js, m: m, log: log, kick: make(chan struct{}, 1)}
	count := func() (float64, error) { // at every scrape, bounded: the pool has one connection
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		n, err := in.Outbox.Pending(ctx)
		return float64(n), err
	}
	m.outbox.count.Store(&count)
	in.consumeFaults = newFaultSet[contract.ConsumeFault](cfg, contract.ConsumeFaultPrefix(p.Instance))
	trans := &transitions{}
	dir.OnEjection = recordEjections(svc.Name, m, trans, log)
	for _, c := range svc.Callees {
		in.clients[c] = newClient(svc.Name, c, dir, cfg, m, trans)
	}
	defer func() {
		for _, stop := range in.stops {
			stop()
		}
		cancel()
		in.wg.Wait()
	}()
	if err := svc.Setup(startCtx, in); err != nil {
		return fmt.Errorf("set up %s: %w", svc.Name, err)
	}
	in.Go(in.Outbox.relay)

	// 5. Serve, register, heartbeat.
	var ready, draining atomic.Bool
	hbCtx, hbCancel := context.WithCancel(ctx)
	defer hbCancel()
	gone := make(chan struct{}) // closed once the registration is deleted
	in.Mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "instance": p.Instance})
	})
	in.Mux.HandleFunc("/debug/pprof/", pprof.Index) // profiles of the instance, for `go tool pprof`
	in.Mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	in.Mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			WriteError(w, http.StatusServiceUnavailable, "draining")
			return
		}
		if !ready.Load() {
			for _, c := range svc.Callees {
				if len(dir.Instances(c)) == 0 {
					WriteError(w, http.StatusServiceUnavailable, "no instance of "+c+" yet")
					return
				}
			}
			ready.Store(true) // latched: later outages of callees are not ours
		}
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ready", "instance": p.Instance})
	})
	in.Mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	in.Mux.HandleFunc("GET /admin/outbox", func(w http.ResponseWriter, r *http.Request) {
		n, err := in.Outbox.Pending(r.Context())
		if err != nil {
			WriteError(w, http.StatusInternalServerError, err.Error())
			return
		}
		WriteJSON(w, http.StatusOK, map[string]int{"pending": n})
	})
	// POST /admin/drain: the first step of a graceful scale-down. The
	// instance deletes its registration and stops its heartbeat, so callers
	// stop picking it, and keeps serving what still arrives until the
	// harness stops it (SIGTERM, after which Shutdown finishes in-flight
	// requests). It answers once the registration is gone.
	in.Mux.HandleFunc("POST "+contract.AdminDrainPath, func(w http.ResponseWriter, r *http.Request) {
		draining.Store(true)
		hbCancel()
		select {
		case <-gone:
		case <-r.Context().Done():
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{"status": "draining", "instance": p.Instance})
	})
	in.Mux.HandleFunc("GET /admin/resilience", func(w http.ResponseWriter, r *http.Request) {
		policies := map[string]Policy{}
		for _, c := range in.clients {
			policies[svc.Name+"->"+c.Callee] = c.Policy()
		}
		WriteJSON(w, http.StatusOK, map[string]any{"instance": p.Instance, "policies": policies, "transitions": trans.all()})
	})
	srv := &http.Server{
		Handler:           serve(in.Mux, m, &capacity{cfg: cfg, m: m}, newHTTPFaults(p.Instance, cfg), log),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(p.Listener) }()
	reg := Registration{Service: svc.Name, Instance: p.Instance, Addr: p.Listener.Addr().String(), PID: os.Getpid()}
	if err := heartbeat(hbCtx, regKV, reg, log, gone); err != nil {
		srv.Close()
		return err
	}
	log.Info("serving", "addr", reg.Addr)

	// 6. Stop.
	select {
	case <-ctx.Done():
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	hbCancel()
	shutCtx, shutCancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer shutCancel()
	_ = srv.Shutdown(shutCtx)
	log.Info("stopped")
	return nil
}

// setCPUs sets how many CPUs the instance's Go runtime runs on at once
// (GOMAXPROCS) from "SVC.cpus": 1 unless set, as a container given one CPU;
// 0 for every CPU of the machine. With the Go default, nine runtimes of two
// threads each on a two-core machine woke and spun threads for one another's
// work: the gateway's direct p50 went 142 -> 117 µs and the proxy hop
// 55 -> 40 µs with one (docs/BENCHMARKS.md).
func setCPUs(cfg *Config) {
	n := cfg.Int("cpus", 1)
	if n <= 0 {
		n = runtime.NumCPU()
	}
	if runtime.GOMAXPROCS(0) != n {
		runtime.GOMAXPROCS(n)
	}
}
