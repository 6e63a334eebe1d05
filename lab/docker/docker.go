package docker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/moby/client"

	"lab/lab"
	"lab/lab/broker"
	"lab/services/contract"
)

// Ports inside the containers.
const (
	servicePort  = 8080
	brokerPort   = 4222
	apiPort      = 8474  // Toxiproxy's API
	firstProxy   = 10000 // proxies listen from here up, one port each
	StopGrace    = 5 * time.Second
	imageTimeout = 2 * time.Minute // a cold build; the start timeout bounds the rest
)

// Runtime is the docker runtime.
type Runtime struct {
	// Exe is the lab binary to put in the image. It must be static
	// (CGO_ENABLED=0): the image has nothing else.
	Exe string
	// Env is added to every container's environment.
	Env []string
	// Engine is the engine to use; Start connects to one if it is nil.
	Engine *Engine
}

var _ lab.Runtime = (*Runtime)(nil)

// Name returns "docker".
func (r *Runtime) Name() string { return "docker" }

// Start brings the shop up; see the package doc.
func (r *Runtime) Start(ctx context.Context, p lab.Params) (lab.Shop, error) {
	e, own := r.Engine, false
	if e == nil {
		var err error
		if e, err = Connect(ctx, 5*time.Second); err != nil {
			return nil, err
		}
		own = true
	}
	image, err := r.image(ctx, e, p.Progress)
	if err != nil {
		if own {
			e.Close()
		}
		return nil, err
	}
	timeout := p.StartTimeout
	if timeout == 0 {
		timeout = lab.DefaultStartTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	s := &shop{rt: r, e: e, ownEngine: own, p: p, image: image, run: hex.EncodeToString(id), boxes: map[string]*box{},
		exits: make(chan lab.Exit, 64), bg: context.Background()}
	s.netName = "lab-" + s.run
	if err := s.startAll(ctx); err != nil {
		if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("%w (start timeout %s)", err, timeout)
		}
		return s, err
	}
	return s, nil
}

func (r *Runtime) image(ctx context.Context, e *Engine, progress io.Writer) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, imageTimeout)
	defer cancel()
	began := time.Now()
	tag, built, err := e.EnsureImage(ctx, r.Exe)
	if err != nil {
		return "", err
	}
	if progress != nil {
		how := "cached"
		if built {
			how = "built in " + time.Since(began).Round(time.Millisecond).String()
		}
		fmt.Fprintf(progress, "image      %s (%s)\n", tag, how)
	}
	return tag, nil
}

// RunID returns the id of the run of a shop this runtime started (the value
// of its lab.run labels), or "" for a shop of another runtime.
func RunID(s lab.Shop) string {
	if ds, ok := s.(*shop); ok {
		return ds.run
	}
	return ""
}

type shop struct {
	rt        *Runtime
	e         *Engine
	ownEngine bool // Start connected it: Close closes it
	p         lab.Params
	image     string
	run       string
	netName   string
	netID     string
	bg        context.Context // for log followers and waiters, which outlive Start

	broker, toxiproxy *box
	brokerURL, apiURL string
	gatewayURL        string
	front             io.Closer
	proxies           []lab.Proxy

	boxes    map[string]*box // instances and the broker, by name
	order    []*box          // instances, in start order
	waiters  sync.WaitGroup
	exits    chan lab.Exit
	closing  atomic.Bool
	closed   sync.Once
	closeErr error
}

var _ lab.Shop = (*shop)(nil)

func (s *shop) progress(format string, args ...any) {
	if s.p.Progress != nil {
		fmt.Fprintf(s.p.Progress, format+"\n", args...)
	}
}

func (s *shop) labels() map[string]string {
	host, _ := os.Hostname()
	return map[string]string{LabelRun: s.run, LabelOwner: host + "/" + strconv.Itoa(os.Getpid())}
}

func (s *shop) newBox(service, name string, ports ...int) (*box, error) {
	b := &box{service: service, name: name, alias: name, ports: map[string]string{}, last: &lab.Tail{},
		logPath: filepath.Join(s.p.Dir, "logs", name+".log")}
	for _, p := range ports {
		addr, err := lab.FreeAddr()
		if err != nil {
			return nil, err
		}
		b.ports[fmt.Sprintf("%d/tcp", p)] = addr
	}
	return b, nil
}

// host returns where the host reaches port of b.
func (b *box) host(port int) string { return b.ports[fmt.Sprintf("%d/tcp", port)] }

func (s *shop) startAll(ctx context.Context) error {
	began := time.Now()
	dirs := map[string]string{}
	for _, d := range []string{"data", "logs", "broker"} {
		abs, err := filepath.Abs(filepath.Join(s.p.Dir, d))
		if err == nil {
			err = os.MkdirAll(abs, 0o755)
		}
		if err != nil {
			return fmt.Errorf("create %s dir: %w", d, err)
		}
		dirs[d] = abs
	}
	// 2. Leftovers of crashed runs.
	if n, err := Clean(ctx, s.e, CleanOptions{}); err == nil && n > 0 {
		s.progress("clean      removed %d things left by crashed runs", n)
	}
	// 3. Network.
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout) // as a container's: see create
	res, err := s.e.cli.NetworkCreate(nctx, s.netName, client.NetworkCreateOptions{Driver: "bridge", Labels: s.labels()})
	cancel()
	if err != nil {
		return fmt.Errorf("create network %s: %w", s.netName, err)
	}
	s.netID = res.ID
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create network %s: %w", s.netName, err)
	}
	s.progress("run        %s (network %s; every container is labelled %s=%s)", s.run, s.netName, LabelRun, s.run)

	// 4. Broker and Toxiproxy; their ports are planned with the proxies'.
	links := lab.Links(s.p.Shape)
	var frontPorts []int
	proxyPort := map[string]int{}
	for i, l := range links {
		proxyPort[l.Name] = firstProxy + i
		if l.Front() {
			frontPorts = append(frontPorts, firstProxy+i)
		}
	}
	if s.broker, err = s.newBox(lab.Broker, lab.Broker, brokerPort); err != nil {
		return err
	}
	if s.toxiproxy, err = s.newBox("toxiproxy", "toxiproxy", append([]int{apiPort}, frontPorts...)...); err != nil {
		return err
	}
	s.boxes[lab.Broker] = s.broker
	err = s.parallel(ctx, []*box{s.broker, s.toxiproxy}, func(b *box) spec {
		if b == s.broker {
			return spec{cmd: []string{"serve", "broker", "--store", "/broker", "--host", "0.0.0.0",
				"--port", strconv.Itoa(brokerPort)}, mounts: map[string]string{dirs["broker"]: "/broker"}}
		}
		return spec{cmd: []string{"serve", "toxiproxy", "--api", fmt.Sprintf("0.0.0.0:%d", apiPort)}}
	})
	if err != nil {
		return err
	}
	s.brokerURL = "nats://" + s.broker.host(brokerPort)
	s.apiURL = "http://" + s.toxiproxy.host(apiPort)
	if err := broker.WaitReady(ctx, s.brokerURL); err != nil {
		return fmt.Errorf("%w; broker log:\n  %s", err, lab.JoinLines(s.broker.last.Lines()))
	}
	if err := lab.PollReady(ctx, s.apiURL+"/version", s.toxiproxy.ended); err != nil {
		return fmt.Errorf("toxiproxy: %w", err)
	}
	s.progress("broker     %s, toxiproxy %s (%s)", s.brokerURL, s.apiURL, time.Since(began).Round(time.Millisecond))

	// 5. Proxies; 6. routes.
	for _, svc := range contract.Services {
		for i := 1; i <= s.p.Shape.ReplicasOf(svc); i++ {
			name := lab.InstanceName(svc, i)
			b, err := s.newBox(svc, name, servicePort)
			if err != nil {
				return err
			}
			s.boxes[name] = b
			s.order = append(s.order, b)
		}
	}
	config := map[string]string{}
	for k, v := range s.p.Shape.Config {
		config[k] = v
	}
	type apiProxy struct {
		Name     string `json:"name"`
		Listen   string `json:"listen"`
		Upstream string `json:"upstream"`
		Enabled  bool   `json:"enabled"`
	}
	var populate []apiProxy
	var fronts []string
	var gateways []*box // without proxies, the load goes straight to these
	brokerLinks := map[string]string{}
	for _, l := range links {
		upstream := fmt.Sprintf("%s:%d", lab.Broker, brokerPort)
		if l.Target != lab.Broker {
			upstream = fmt.Sprintf("%s:%d", l.Target, servicePort)
		}
		port := proxyPort[l.Name]
		dial := upstream // no proxies: callers dial their callee
		if !s.p.Shape.NoProxies {
			populate = append(populate, apiProxy{l.Name, fmt.Sprintf("0.0.0.0:%d", port), upstream, true})
			dial = fmt.Sprintf("toxiproxy:%d", port)
			s.proxies = append(s.proxies, lab.Proxy{Name: l.Name, Listen: dial, Upstream: upstream})
		}
		switch {
		case l.Routed():
			config[contract.RouteKey(l.Caller, l.Target)] = dial
		case l.Front() && s.p.Shape.NoProxies:
			gateways = append(gateways, s.boxes[l.Target])
		case l.Front():
			fronts = append(fronts, s.toxiproxy.host(port))
		default:
			brokerLinks[l.Caller] = dial
		}
	}
	if len(populate) > 0 {
		if err := postJSON(ctx, s.apiURL+"/populate", populate); err != nil {
			return fmt.Errorf("create proxies: %w", err)
		}
	}
	sort.Slice(s.proxies, func(i, j int) bool { return s.proxies[i].Name < s.proxies[j].Name })
	if !s.p.Shape.NoProxies {
		if s.gatewayURL, s.front, err = lab.ServeFront(fronts); err != nil {
			return err
		}
	}
	if err := broker.WriteConfig(ctx, s.brokerURL, config); err != nil {
		return err
	}
	s.progress("proxies    %d, api %s", len(s.proxies), s.apiURL)

	// 7. Instances.
	err = s.parallel(ctx, s.order, func(b *box) spec {
		return spec{cmd: []string{"serve", b.service, "--instance", b.name,
			"--nats", "nats://" + brokerLinks[b.service], "--data", "/data",
			"--seed", strconv.FormatInt(s.p.Shape.Seed, 10),
			"--listen", fmt.Sprintf("0.0.0.0:%d", servicePort)},
			mounts: map[string]string{dirs["data"]: "/data"}}
	})
	if err != nil {
		return err
	}
	s.progress("instances  %d started (%s)", len(s.order), time.Since(began).Round(time.Millisecond))
	if s.p.Shape.NoProxies { // the gateways' own ports, known once they started (createAndStart may pick again)
		for _, gw := range gateways {
			fronts = append(fronts, gw.host(servicePort))
		}
		if s.gatewayURL, s.front, err = lab.ServeFront(fronts); err != nil {
			return err
		}
	}
	return s.waitReady(ctx)
}

// parallel creates and starts a container for each box, a few at a time.
func (s *shop) parallel(ctx context.Context, boxes []*box, specOf func(*box) spec) error {
	sem := make(chan struct{}, 8)
	errs := make([]error, len(boxes))
	var wg sync.WaitGroup
	for i, b := range boxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = s.createAndStart(ctx, b, specOf(b))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// createAndStart creates and starts b's container. The host ports it
// publishes were free when picked, but another process may take one before
// the engine binds it ("port is already allocated": seen once in ten
// 50-instance starts here); then the container is removed and created again
// on ports picked anew, up to portTries times.
func (s *shop) createAndStart(ctx context.Context, b *box, sp spec) error {
	for try := 1; ; try++ {
		err := s.create(ctx, b, sp)
		if err == nil {
			err = s.start(ctx, b)
		}
		if err == nil || try == portTries || !strings.Contains(err.Error(), "port is already allocated") {
			return err
		}
		if _, rmErr := s.e.cli.ContainerRemove(ctx, b.id, client.ContainerRemoveOptions{Force: true}); rmErr != nil {
			return errors.Join(err, rmErr)
		}
		for port := range b.ports {
			addr, ferr := lab.FreeAddr()
			if ferr != nil {
				return errors.Join(err, ferr)
			}
			b.ports[port] = addr
		}
		s.progress("ports      %s: a published port was taken before the engine bound it; new ports, try %d", b.name, try+1)
	}
}

// portTries bounds how often createAndStart picks new ports.
const portTries = 3

// waitReady polls every instance's /readyz until all answer 200.
func (s *shop) waitReady(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(s.order))
	for i, b := range s.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := lab.PollReady(ctx, "http://"+b.host(servicePort)+"/readyz", b.ended); err != nil {
				errs[i] = fmt.Errorf("%s: %w", b.name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ended returns an error once the container's current run has ended.
func (b *box) ended() error {
	if b.running() {
		return nil
	}
	b.mu.Lock()
	err := b.waitErr
	b.mu.Unlock()
	return fmt.Errorf("exited while starting (%v); last log lines:\n  %s", err, lab.JoinLines(b.last.Lines()))
}

func postJSON(ctx context.Context, url string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("%s: %s %s", url, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
