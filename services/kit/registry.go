package kit

import (
	"context"
	"encoding/json"
	"fmt"
	"lab/services/contract"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Registration is an instance's entry in the registry bucket, under the key
// "<service>.<instance>".
type Registration struct {
	Service  string `json:"service"`
	Instance string `json:"instance"`
	Addr     string `json:"addr"`
	PID      int    `json:"pid"`
}

// heartbeat puts reg every HeartbeatEvery until ctx ends, then deletes it
// and closes gone.
func heartbeat(ctx context.Context, kv jetstream.KeyValue, reg Registration, log *slog.Logger, gone chan<- struct{}) error {
	key := reg.Service + "." + reg.Instance
	val, _ := json.Marshal(reg)
	put := func() error {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err := kv.Put(pctx, key, val)
		return err
	}
	if err := put(); err != nil {
		return fmt.Errorf("register %s: %w", key, err)
	}
	go func() {
		t := time.NewTicker(HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				dctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_ = kv.Delete(dctx, key)
				cancel()
				close(gone)
				return
			case <-t.C:
				if err := put(); err != nil && ctx.Err() == nil {
					log.Warn("heartbeat", "err", err)
				}
			}
		}
	}()
	return nil
}

// Endpoint is one instance a caller can send a request to.
type Endpoint struct {
	Instance string
	// Addr is host:port to dial: the route's proxy when there is one.
	Addr string
}

// Directory is what a caller knows of its callees: live instances from the
// registry, each reached through the route the config names for it.
//
// An instance whose heartbeat is older than StaleAfter is passed over. When
// every instance of a service is stale (the caller's own broker link may be
// the one that is down), all known instances are used anyway: routing to
// possibly dead instances beats routing to none.
type Directory struct {
	caller string
	cfg    *Config
	now    func() time.Time

	// OnEjection, if set before the first call, hears of every instance
	// this caller ejects (Observe) and of its return.
	OnEjection func(EjectionEvent)
	afterFunc  func(time.Duration, func())

	mu        sync.Mutex
	instances map[string]map[string]seen // service -> instance -> seen
	next      map[string]int             // round-robin cursor per service
	inflight  map[string]int             // outstanding requests per instance
	outliers  map[string]*outlier        // instance -> its recent health
}

type seen struct {
	reg  Registration
	last time.Time
}

// NewDirectory returns an empty directory for caller.
func NewDirectory(caller string, cfg *Config) *Directory {
	return &Directory{
		caller: caller, cfg: cfg, now: time.Now,
		afterFunc: func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		instances: map[string]map[string]seen{},
		next:      map[string]int{},
		inflight:  map[string]int{},
		outliers:  map[string]*outlier{},
	}
}

// Watch fills the directory from the registry bucket until ctx ends. It
// returns once the current entries are in.
func (d *Directory) Watch(ctx context.Context, kv jetstream.KeyValue) error {
	return watchBucket(ctx, kv, d.update)
}

func (d *Directory) update(e jetstream.KeyValueEntry) {
	service, instance, ok := strings.Cut(e.Key(), ".")
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(d.instances[service], instance)
		return
	}
	var reg Registration
	if json.Unmarshal(e.Value(), &reg) != nil {
		return
	}
	if d.instances[service] == nil {
		d.instances[service] = map[string]seen{}
	}
	d.instances[service][instance] = seen{reg: reg, last: e.Created()}
}

// Instances returns the names of the live instances of service, sorted.
func (d *Directory) Instances(service string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, s := range d.live(service) {
		out = append(out, s.reg.Instance)
	}
	return out
}

// live returns the instances to route to, sorted by name; d.mu is held.
func (d *Directory) live(service string) []seen {
	var fresh, all []seen
	now := d.now()
	for _, s := range d.instances[service] {
		all = append(all, s)
		if now.Sub(s.last) <= StaleAfter {
			fresh = append(fresh, s)
		}
	}
	if len(fresh) == 0 {
		fresh = all
	}
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].reg.Instance < fresh[j].reg.Instance })
	return fresh
}

// Pick chooses an instance of service by the balancing policy in config
// ("<caller>.lb": round_robin, the default, or least_outstanding) and counts
// it as outstanding until done is called. It returns ErrNoInstance when the
// registry has never seen one.
func (d *Directory) Pick(service string) (ep Endpoint, done func(), err error) {
	return d.PickAvoiding(service, nil)
}

// PickAvoiding is Pick for a retry: it leaves out the instances in tried
// (those the call's earlier attempts went to) while another is live, as
// Envoy's previous_hosts retry predicate does. Without it a retry takes the
// balancer's next turn, which other calls share: with one bad replica of
// three, a call's retries met it again about once in nine. Instances this
// caller has ejected (Observe) are left out before that.
func (d *Directory) PickAvoiding(service string, tried []string) (ep Endpoint, done func(), err error) {
	policy := d.cfg.String("lb", "round_robin")
	d.mu.Lock()
	defer d.mu.Unlock()
	cands := d.live(service)
	if len(cands) == 0 {
		return Endpoint{}, nil, fmt.Errorf("%w: %s", ErrNoInstance, service)
	}
	now := d.now()
	cands = keep(cands, func(c seen) bool { return !d.ejected(c.reg.Instance, now) })
	if len(tried) > 0 {
		cands = keep(cands, func(c seen) bool { return !slices.Contains(tried, c.reg.Instance) })
	}
	var pick seen
	switch policy {
	case "least_outstanding":
		start := d.next[service]
		d.next[service]++
		best := -1
		for i := range cands {
			c := cands[(start+i)%len(cands)]
			if n := d.inflight[c.reg.Instance]; best < 0 || n < best {
				best, pick = n, c
			}
		}
	default:
		pick = cands[d.next[service]%len(cands)]
		d.next[service]++
	}
	d.inflight[pick.reg.Instance]++
	addr := pick.reg.Addr
	if route, ok := d.cfg.Raw(contract.RouteKey(d.caller, pick.reg.Instance)); ok {
		addr = route
	}
	var once sync.Once
	done = func() {
		once.Do(func() {
			d.mu.Lock()
			d.inflight[pick.reg.Instance]--
			d.mu.Unlock()
		})
	}
	return Endpoint{Instance: pick.reg.Instance, Addr: addr}, done, nil
}

// keep returns the candidates that ok accepts, or all of them when it
// accepts none: routing to a doubtful instance beats routing to none.
func keep(cands []seen, ok func(seen) bool) []seen {
	var out []seen
	for _, c := range cands {
		if ok(c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return cands
	}
	return out
}
