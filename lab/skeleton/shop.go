package skeleton

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"lab/lab"
	"lab/load"
)

func (s *Shop) GatewayURL() string   { return s.gatewayURL }
func (s *Shop) ToxiproxyURL() string { return s.apiURL }
func (s *Shop) Proxies() []lab.Proxy {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]lab.Proxy{}, s.proxies...)
}
func (s *Shop) Exits() <-chan lab.Exit { return s.exits }
func (s *Shop) BrokerURL() string {
	if s.broker == nil {
		return ""
	}
	return "nats://" + s.broker.Host()
}

// Instances lists the instances; Addr is where the harness reaches each.
func (s *Shop) Instances() []lab.Instance {
	var out []lab.Instance
	for _, u := range s.instanceUnits() {
		pid, container := u.Ident()
		in := lab.Instance{Service: u.service, Name: u.Name(), Addr: u.Host(), PID: pid, Container: container}
		if p, ok := u.Unit.(Placed); ok {
			in.Node = p.Node()
		}
		out = append(out, in)
	}
	lab.SortInstances(out)
	return out
}

// LoadBackend is a backend that runs k6 generators as units of its own
// (the swarm's, on its nodes), which reach the gateway's load proxies at
// gateways, as its units do.
type LoadBackend interface {
	LoadHost(gateways []string) load.Host
}

// LoadHost runs k6 generators on the shop's backend, or is nil when the
// backend cannot (they run on the harness's machine).
func (s *Shop) LoadHost() load.Host {
	lb, ok := s.b.(LoadBackend)
	if !ok {
		return nil
	}
	return lb.LoadHost(append([]string{}, s.gatewayDials...))
}

// Placement says which node runs each instance, the broker ("broker") and
// Toxiproxy, on a runtime of several machines; nil on one.
func (s *Shop) Placement() map[string]string {
	s.mu.RLock()
	units := make([]*unit, 0, len(s.units)+1)
	for _, u := range s.units {
		units = append(units, u)
	}
	if s.toxiproxy != nil {
		units = append(units, s.toxiproxy)
	}
	s.mu.RUnlock()
	var out map[string]string
	for _, u := range units {
		if p, ok := u.Unit.(Placed); ok {
			if out == nil {
				out = map[string]string{}
			}
			out[u.Name()] = p.Node()
		}
	}
	return out
}

// instanceUnits returns the instances' units, in start order.
func (s *Shop) instanceUnits() []*unit {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*unit{}, s.instances...)
}

// PIDs names the process on this machine of every unit that runs apart from
// the lab: the broker, Toxiproxy when it does, every instance.
func (s *Shop) PIDs(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	all := append([]*unit{s.broker, s.toxiproxy}, s.instanceUnits()...)
	for _, u := range all {
		if u == nil || !u.running() {
			continue
		}
		pid, err := u.HostPID(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", u.Name(), err)
		}
		if pid > 0 {
			out[u.Name()] = pid
		}
	}
	return out, nil
}

// Do applies action to an instance (or the broker) and returns once its run
// has changed state.
func (s *Shop) Do(ctx context.Context, instance string, action lab.Action) error {
	s.mu.RLock()
	u, ok := s.units[instance]
	s.mu.RUnlock()
	if !ok {
		return fmt.Errorf("%w: %s", lab.ErrUnknownInstance, instance)
	}
	switch action {
	case lab.Kill:
		s.refuse(instance)
		return u.end(ctx, true, 0)
	case lab.Stop:
		s.refuse(instance)
		return u.end(ctx, false, StopGrace)
	case lab.Start:
		if u.running() {
			return fmt.Errorf("start %s: already running", instance)
		}
		return s.startAgain(ctx, u)
	case lab.Restart:
		s.refuse(instance)
		if err := u.end(ctx, false, StopGrace); err != nil {
			return err
		}
		return s.startAgain(ctx, u)
	case lab.Pause, lab.Resume:
		sig := Pause
		if action == lab.Resume {
			sig = Resume
		}
		if err := u.Signal(ctx, sig); err != nil {
			return fmt.Errorf("%s %s: %w", action, instance, err)
		}
		return nil
	}
	return fmt.Errorf("unknown action %q", action)
}

// runOf is what a restart of u needs: the same as its first start.
func (s *Shop) runOf(u *unit) Run {
	if u == s.broker {
		return Run{}
	}
	brokerDial := ""
	for _, p := range s.Proxies() {
		if p.Name == lab.BrokerProxy(u.service) {
			brokerDial = p.Listen
		}
	}
	if brokerDial == "" { // no proxies
		brokerDial = s.broker.Upstream()
	}
	return Run{Service: u.service, Instance: u.Name(), BrokerDial: brokerDial, Seed: s.p.Shape.Seed}
}

// refuse makes the proxies in front of instance behave, while it is down,
// as a dead process's kernel does, on a system that does not (a
// container's): they are disabled, so their open connections are reset and
// new ones refused, until start enables them again. Without it a killed
// container's connections were left hanging (callers waited out their
// timeouts: during crash-orders 3 calls failed in 4 s where the process
// runtime failed 44). They are disabled before the instance ends, while its
// upstream still answers: Toxiproxy dials each upstream with no deadline in
// its accept loop, a disable waits for that dial, and a dial to a dead
// container waited out Toxiproxy's 25 s API timeout (crash-orders, 4 runs
// of 10). A failure is said, and does not stop the action.
func (s *Shop) refuse(instance string) {
	if s.b.KernelResets() {
		return
	}
	if err := s.setProxies(instance, false); err != nil {
		s.progress("stop %s: %v; its callers may wait out their timeouts", instance, err)
	}
}

// startAgain starts u again and lets its proxies through.
func (s *Shop) startAgain(ctx context.Context, u *unit) error {
	if err := s.startUnit(ctx, u, s.runOf(u)); err != nil {
		return err
	}
	if s.b.KernelResets() {
		return nil
	}
	return s.setProxies(u.Name(), true)
}

// setProxies enables or disables every proxy in front of instance.
func (s *Shop) setProxies(instance string, enabled bool) error {
	if s.apiURL == "" {
		return nil
	}
	c := toxiproxy.NewClient(s.apiURL)
	var errs []error
	for _, p := range s.Proxies() {
		if !strings.HasSuffix(p.Name, "->"+instance) {
			continue
		}
		px, err := c.Proxy(p.Name)
		if err == nil && px.Enabled != enabled {
			if enabled {
				err = px.Enable()
			} else {
				err = px.Disable()
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("set %s enabled=%v: %w", p.Name, enabled, err))
		}
	}
	return errors.Join(errs...)
}

// Close stops every instance (Term, then Kill after StopGrace), then the
// broker and Toxiproxy (the services deregister through them), then the
// front and the backend. It works on its own deadline, so that a cancelled
// run still cleans up; it is safe to call more than once.
func (s *Shop) Close() error {
	s.closed.Do(func() {
		s.closing.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		stopAll := func(units []*unit) {
			var wg sync.WaitGroup
			for _, u := range units {
				if u == nil {
					continue
				}
				wg.Add(1)
				go func() { defer wg.Done(); _ = u.end(ctx, false, StopGrace) }()
			}
			wg.Wait()
		}
		s.scale.Lock() // no instance comes or goes while they stop
		defer s.scale.Unlock()
		stopAll(s.instanceUnits())
		stopAll([]*unit{s.broker, s.toxiproxy})
		var errs []error
		if s.front != nil {
			errs = append(errs, s.front.Close())
		}
		errs = append(errs, s.b.Close(ctx))
		s.waiters.Wait()
		close(s.exits)
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
