// Package skeleton is what every runtime does to bring a shop up, in one
// place; a runtime supplies only a Backend: where the broker, Toxiproxy and
// each instance run, and how each starts, is signalled and ends.
//
// Start, step by step:
//
//  1. create the run folder's data, logs and broker folders;
//  2. Prepare the backend (a network, Toxiproxy in the lab's own process);
//  3. plan every unit: the broker, Toxiproxy if it runs apart, one per
//     instance, each with its addresses known before it starts;
//  4. start the broker and Toxiproxy, and wait for both;
//  5. create the proxies through Toxiproxy's API, with its own client: one
//     per caller and callee instance, one per service's broker link, one
//     per gateway instance for the load (lab.Links);
//  6. write the config bucket: the shape's values and a route per caller and
//     instance naming the proxy to dial;
//  7. start every instance, a few at a time, and serve the gateway's front;
//  8. wait until every instance answers /readyz.
//
// The skeleton keeps each unit's runs: its log file and last lines, whether
// the harness asked it to end, and an Exit for every end nobody asked for.
// Close stops the instances, then the broker and Toxiproxy, then the backend.
package skeleton

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"lab/lab"
	"lab/lab/broker"
	"lab/services/contract"
)

// Backend is what a runtime supplies.
type Backend interface {
	// Prepare readies the place the shop runs in, before any unit is
	// planned; links are the proxies the shop will have.
	Prepare(ctx context.Context, p lab.Params, links []lab.Link) error
	// Broker and Instance plan a unit: its addresses are known, nothing runs.
	Broker() (Unit, error)
	Instance(service, name string) (Unit, error)
	// Toxiproxy plans the unit Toxiproxy runs in, or returns nil when it
	// runs in the lab's own process (started by Prepare).
	Toxiproxy() (Unit, error)
	// ToxiproxyURL is Toxiproxy's API as the harness reaches it, once its
	// unit has started.
	ToxiproxyURL() string
	// ProxyListen says where the i-th proxy of links listens, inside
	// Toxiproxy; Reach turns the address Toxiproxy reports for it into the
	// address services dial and the one the harness reaches it on.
	ProxyListen(i int) string
	Reach(listen string) (dial, host string)
	// KernelResets says whether the connections of a unit that ends are
	// reset by the system it ran on (a process's kernel). When not, the
	// skeleton disables the proxies in front of it while it is down, so that
	// callers fail at once as they would against a dead process.
	KernelResets() bool
	// Close releases what Prepare made, once every unit has ended.
	Close(ctx context.Context) error
}

// Unit is one thing the backend runs: the broker, Toxiproxy, an instance.
type Unit interface {
	Name() string
	// Upstream is where Toxiproxy, or a caller when there are no proxies,
	// reaches the unit.
	Upstream() string
	// Host is where the harness reaches it: an instance's HTTP address, the
	// broker's NATS address, Toxiproxy's API. It may change when a start
	// had to pick new ports, so it is read after Start.
	Host() string
	// Start starts a run with what the run needs; out takes its output.
	// wait blocks until that run has ended and says how (nil: status 0).
	Start(ctx context.Context, run Run, out io.Writer) (wait func() error, err error)
	// Signal sends sig to the current run and returns once it is sent (for
	// Pause and Resume, once the run's state has changed).
	Signal(ctx context.Context, sig Sig) error
	// Ident names the run for lab.Instance: its process id on this
	// machine, or its container's short id.
	Ident() (pid int, container string)
	// HostPID is the process id on this machine of the current run, or 0.
	HostPID(ctx context.Context) (int, error)
}

// Placed is a Unit of a runtime of several machines: Node names the one
// its runs go to.
type Placed interface{ Node() string }

// Run is what an instance's run needs to know.
type Run struct {
	Service, Instance string
	// BrokerDial is where the instance's broker link goes: its proxy.
	BrokerDial string
	Seed       int64
}

// Sig is a signal to a unit's run.
type Sig int

// Signals.
const (
	Term   Sig = iota // end, cleanly
	Kill              // end now
	Pause             // freeze every process of the run
	Resume            // thaw it
)

// StopGrace is how long a unit may take to end after Term before it is killed.
const StopGrace = 5 * time.Second

// Start brings a shop up on b; see the package doc. On error it returns the
// partial shop with the error; the caller must Close it either way.
func Start(ctx context.Context, p lab.Params, b Backend) (lab.Shop, error) {
	timeout := p.StartTimeout
	if timeout == 0 {
		timeout = lab.DefaultStartTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s := &Shop{b: b, p: p, units: map[string]*unit{}, highest: map[string]int{}, exits: make(chan lab.Exit, 64)}
	if err := s.start(ctx); err != nil {
		if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("%w (start timeout %s)", err, timeout)
		}
		return s, err
	}
	return s, nil
}

// Shop is a shop the skeleton brought up.
type Shop struct {
	b Backend
	p lab.Params

	broker, toxiproxy *unit
	apiURL            string
	gatewayURL        string
	gatewayDials      []string // the load's fronts as units reach them
	front             io.Closer

	// mu guards what AddInstance and RemoveInstance change; scale lets one
	// of them run at a time.
	mu        sync.RWMutex
	scale     sync.Mutex
	instances []*unit          // in start order
	units     map[string]*unit // instances and the broker, by name: what Do reaches
	proxies   []lab.Proxy
	highest   map[string]int // the highest instance number each service had
	nextProxy int            // the index of the next proxy's listen address

	waiters  sync.WaitGroup
	exits    chan lab.Exit
	closing  atomic.Bool
	closed   sync.Once
	closeErr error
}

var _ lab.Shop = (*Shop)(nil)

// Backend returns the backend the shop runs on.
func (s *Shop) Backend() Backend { return s.b }

func (s *Shop) progress(format string, args ...any) {
	if s.p.Progress != nil {
		fmt.Fprintf(s.p.Progress, format+"\n", args...)
	}
}

func (s *Shop) start(ctx context.Context) error {
	began := time.Now()
	for _, d := range []string{"data", "logs", "broker"} {
		if err := os.MkdirAll(filepath.Join(s.p.Dir, d), 0o755); err != nil {
			return fmt.Errorf("create %s dir: %w", d, err)
		}
	}
	links := lab.Links(s.p.Shape)
	if err := s.b.Prepare(ctx, s.p, links); err != nil {
		return err
	}

	// 3. Units.
	bu, err := s.b.Broker()
	if err != nil {
		return err
	}
	s.broker = s.newUnit(bu, lab.Broker)
	s.units[lab.Broker] = s.broker
	tu, err := s.b.Toxiproxy()
	if err != nil {
		return err
	}
	if tu != nil {
		s.toxiproxy = s.newUnit(tu, "toxiproxy")
	}
	for _, svc := range contract.Services {
		for i := 1; i <= s.p.Shape.ReplicasOf(svc); i++ {
			name := lab.InstanceName(svc, i)
			iu, err := s.b.Instance(svc, name)
			if err != nil {
				return err
			}
			u := s.newUnit(iu, svc)
			s.units[name] = u
			s.instances = append(s.instances, u)
			s.highest[svc] = i
		}
	}

	// 4. Broker and Toxiproxy.
	first := []*unit{s.broker}
	if s.toxiproxy != nil {
		first = append(first, s.toxiproxy)
	}
	if err := s.startAll(ctx, first, nil); err != nil {
		return err
	}
	brokerURL := "nats://" + s.broker.Host()
	if err := broker.WaitReady(ctx, brokerURL); err != nil {
		return fmt.Errorf("%w; broker log:\n  %s", err, JoinLines(s.broker.last.Lines()))
	}
	s.apiURL = s.b.ToxiproxyURL()
	if s.toxiproxy != nil {
		if err := PollReady(ctx, s.apiURL+"/version", s.toxiproxy.ended); err != nil {
			return fmt.Errorf("toxiproxy: %w", err)
		}
	}
	s.progress("broker     %s, toxiproxy %s (%s)", brokerURL, s.apiURL, time.Since(began).Round(time.Millisecond))

	// 5. Proxies; 6. routes.
	config, brokerDial, fronts, err := s.wire(links)
	if err != nil {
		return err
	}
	if err := broker.WriteConfig(ctx, brokerURL, config); err != nil {
		return err
	}
	s.progress("proxies    %d, api %s", len(s.proxies), s.apiURL)

	// 7. Instances, and the front.
	err = s.startAll(ctx, s.instances, func(u *unit) Run {
		return Run{Service: u.service, Instance: u.Name(), BrokerDial: brokerDial[u.service], Seed: s.p.Shape.Seed}
	})
	if err != nil {
		return err
	}
	s.progress("instances  %d started (%s)", len(s.instances), time.Since(began).Round(time.Millisecond))
	if s.p.Shape.NoProxies { // the gateways' own addresses, known once they started
		for _, u := range s.instances {
			if u.service == "gateway" {
				fronts = append(fronts, u.Host())
				s.gatewayDials = append(s.gatewayDials, u.Upstream())
			}
		}
	}
	if s.gatewayURL, s.front, err = ServeFront(fronts); err != nil {
		return err
	}

	// 8. Ready.
	return s.waitReady(ctx)
}

// wire creates the proxies of links and returns the config bucket's
// values, where each service's broker link goes, and the load's fronts.
func (s *Shop) wire(links []lab.Link) (config, brokerDial map[string]string, fronts []string, err error) {
	config, brokerDial = map[string]string{}, map[string]string{}
	for k, v := range s.p.Shape.Config {
		config[k] = v
	}
	upstream := func(l lab.Link) string { return s.units[l.Target].Upstream() }
	dial := map[string]string{}
	host := map[string]string{}
	if s.p.Shape.NoProxies { // callers dial their callee
		for _, l := range links {
			dial[l.Name] = upstream(l)
		}
	} else {
		var want []toxiproxy.Proxy
		for i, l := range links {
			want = append(want, toxiproxy.Proxy{Name: l.Name, Listen: s.b.ProxyListen(i), Upstream: upstream(l), Enabled: true})
		}
		made, err := toxiproxy.NewClient(s.apiURL).Populate(want)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("create proxies: %w", err)
		}
		s.mu.Lock()
		for _, px := range made {
			dial[px.Name], host[px.Name] = s.b.Reach(px.Listen)
			s.proxies = append(s.proxies, lab.Proxy{Name: px.Name, Listen: dial[px.Name], Upstream: px.Upstream})
		}
		sort.Slice(s.proxies, func(i, j int) bool { return s.proxies[i].Name < s.proxies[j].Name })
		s.nextProxy = len(links)
		s.mu.Unlock()
	}
	for _, l := range links {
		if _, ok := dial[l.Name]; !ok {
			return nil, nil, nil, fmt.Errorf("create proxies: toxiproxy made no proxy %s", l.Name)
		}
		switch {
		case l.Routed():
			config[contract.RouteKey(l.Caller, l.Target)] = dial[l.Name]
		case l.Front():
			if !s.p.Shape.NoProxies {
				fronts = append(fronts, host[l.Name])
				s.gatewayDials = append(s.gatewayDials, dial[l.Name])
			}
		default:
			brokerDial[l.Caller] = dial[l.Name]
		}
	}
	return config, brokerDial, fronts, nil
}

// startAll starts units, a few at a time; runOf says what each run needs
// (nil: nothing, for the broker and Toxiproxy).
func (s *Shop) startAll(ctx context.Context, units []*unit, runOf func(*unit) Run) error {
	sem := make(chan struct{}, 8)
	errs := make([]error, len(units))
	var wg sync.WaitGroup
	for i, u := range units {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var run Run
			if runOf != nil {
				run = runOf(u)
			}
			errs[i] = s.startUnit(ctx, u, run)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// waitReady polls every instance's /readyz until all answer 200.
func (s *Shop) waitReady(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(s.instances))
	for i, u := range s.instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := PollReady(ctx, "http://"+u.Host()+"/readyz", u.ended); err != nil {
				errs[i] = fmt.Errorf("%s: %w", u.Name(), err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
