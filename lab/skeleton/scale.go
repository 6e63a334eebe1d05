package skeleton

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"lab/lab"
	"lab/lab/broker"
	"lab/services/contract"
)

var _ lab.Scaler = (*Shop)(nil)

// DrainDelay is how long a draining instance keeps serving after its
// registration is gone and before it is stopped: its callers' directories
// hear of the deletion within milliseconds, and requests they had already
// sent still arrive (Kubernetes' preStop sleep, a load balancer's
// deregistration delay).
const DrainDelay = 500 * time.Millisecond

// ScaleTimeout bounds one AddInstance, as StartTimeout bounds a start.
const ScaleTimeout = 30 * time.Second

// AddInstance starts one more instance of service, step by step:
//
//  1. name it after the highest number its service ever had (catalog-3
//     after catalog-2, and catalog-4 after catalog-3 left);
//  2. plan its unit with the backend;
//  3. create a proxy to it from each service that calls it, and write their
//     routes to the config bucket before it registers, so that no caller
//     ever dials it around its proxy;
//  4. start it and wait until it answers /readyz. It registers itself, and
//     callers take it into their rotation as they hear of it.
//
// A gateway cannot be added: the load's front is made with the shop.
func (s *Shop) AddInstance(ctx context.Context, service string) (lab.Instance, error) {
	if !lab.IsService(service) {
		return lab.Instance{}, fmt.Errorf("add an instance: unknown service %q", service)
	}
	if service == "gateway" {
		return lab.Instance{}, errors.New("add an instance: the gateway's front is made with the shop; it cannot grow while it runs")
	}
	s.scale.Lock()
	defer s.scale.Unlock()
	ctx, cancel := context.WithTimeout(ctx, ScaleTimeout)
	defer cancel()

	// 1, 2.
	s.mu.Lock()
	n := s.highest[service] + 1
	s.mu.Unlock()
	name := lab.InstanceName(service, n)
	iu, err := s.b.Instance(service, name)
	if err != nil {
		return lab.Instance{}, fmt.Errorf("add %s: %w", name, err)
	}
	u := s.newUnit(iu, service)

	// 3.
	routes := map[string]string{}
	var made []lab.Proxy
	for _, l := range lab.LinksInto(service, name) {
		dial := u.Upstream()
		if !s.p.Shape.NoProxies {
			s.mu.Lock()
			listen := s.b.ProxyListen(s.nextProxy)
			s.nextProxy++
			s.mu.Unlock()
			px, err := toxiproxy.NewClient(s.apiURL).CreateProxy(l.Name, listen, u.Upstream())
			if err != nil {
				s.deleteProxies(made)
				return lab.Instance{}, fmt.Errorf("add %s: create proxy %s: %w", name, l.Name, err)
			}
			dial, _ = s.b.Reach(px.Listen)
			made = append(made, lab.Proxy{Name: l.Name, Listen: dial, Upstream: px.Upstream})
		}
		routes[contract.RouteKey(l.Caller, l.Target)] = dial
	}
	if err := broker.PutConfig(ctx, s.BrokerURL(), routes); err != nil {
		s.deleteProxies(made)
		return lab.Instance{}, fmt.Errorf("add %s: %w", name, err)
	}

	// 4.
	s.mu.Lock()
	s.highest[service] = n
	s.units[name] = u
	s.instances = append(s.instances, u)
	s.proxies = append(s.proxies, made...)
	sort.Slice(s.proxies, func(i, j int) bool { return s.proxies[i].Name < s.proxies[j].Name })
	s.mu.Unlock()
	fail := func(err error) (lab.Instance, error) {
		_ = u.end(context.WithoutCancel(ctx), true, 0)
		s.forget(u, made)
		return lab.Instance{}, fmt.Errorf("add %s: %w", name, err)
	}
	if err := s.startUnit(ctx, u, s.runOf(u)); err != nil {
		return fail(err)
	}
	if err := PollReady(ctx, "http://"+u.Host()+"/readyz", u.ended); err != nil {
		return fail(err)
	}
	pid, container := u.Ident()
	return lab.Instance{Service: service, Name: name, Addr: u.Host(), PID: pid, Container: container}, nil
}

// RemoveInstance takes an instance out gracefully, step by step:
//
//  1. ask it to drain (POST /admin/drain): it deletes its registration and
//     stops its heartbeat, so callers stop picking it;
//  2. wait DrainDelay while it serves what was already on its way;
//  3. stop it: SIGTERM, on which it finishes the requests in flight and
//     exits (SIGKILL after StopGrace);
//  4. delete its proxies; it leaves Instances and Do.
//
// An instance that does not answer the drain is stopped all the same.
func (s *Shop) RemoveInstance(ctx context.Context, name string) error {
	s.scale.Lock()
	defer s.scale.Unlock()
	s.mu.RLock()
	u, ok := s.units[name]
	var mine []lab.Proxy
	for _, p := range s.proxies {
		if strings.HasSuffix(p.Name, "->"+name) {
			mine = append(mine, p)
		}
	}
	s.mu.RUnlock()
	if !ok || u == s.broker {
		return fmt.Errorf("%w: %s", lab.ErrUnknownInstance, name)
	}
	if u.service == "gateway" {
		return errors.New("remove an instance: the gateway's front is made with the shop; it cannot shrink while it runs")
	}
	if u.running() {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		req, _ := http.NewRequestWithContext(dctx, http.MethodPost, "http://"+u.Host()+contract.AdminDrainPath, nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			select {
			case <-time.After(DrainDelay):
			case <-ctx.Done():
			}
		}
	}
	err := u.end(context.WithoutCancel(ctx), false, StopGrace)
	s.forget(u, mine)
	if err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}

// forget drops u and its proxies from the shop, and the proxies from
// Toxiproxy.
func (s *Shop) forget(u *unit, proxies []lab.Proxy) {
	s.mu.Lock()
	delete(s.units, u.Name())
	s.instances = slices.DeleteFunc(slices.Clone(s.instances), func(x *unit) bool { return x == u })
	gone := map[string]bool{}
	for _, p := range proxies {
		gone[p.Name] = true
	}
	var keep []lab.Proxy
	for _, p := range s.proxies {
		if !gone[p.Name] {
			keep = append(keep, p)
		}
	}
	s.proxies = keep
	s.mu.Unlock()
	s.deleteProxies(proxies)
}

func (s *Shop) deleteProxies(proxies []lab.Proxy) {
	if s.apiURL == "" {
		return
	}
	c := toxiproxy.NewClient(s.apiURL)
	for _, p := range proxies {
		if px, err := c.Proxy(p.Name); err == nil {
			_ = px.Delete()
		}
	}
}
