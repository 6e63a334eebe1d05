package process

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"lab/lab"
)

func (s *shop) GatewayURL() string { return s.gatewayURL }

func (s *shop) ToxiproxyURL() string {
	if s.mesh == nil {
		return ""
	}
	return s.mesh.URL()
}

func (s *shop) BrokerURL() string { return s.brokerURL }

func (s *shop) Instances() []lab.Instance {
	var out []lab.Instance
	for _, c := range s.order {
		out = append(out, lab.Instance{Service: c.service, Name: c.name, Addr: c.addr, PID: c.pid()})
	}
	lab.SortInstances(out)
	return out
}

// PIDs names the broker's and every instance's process; Toxiproxy runs in
// the lab's own.
func (s *shop) PIDs(context.Context) (map[string]int, error) {
	out := map[string]int{}
	for name, c := range s.children {
		if pid := c.pid(); pid > 0 {
			out[name] = pid
		}
	}
	return out, nil
}

func (s *shop) Proxies() []lab.Proxy { return append([]lab.Proxy{}, s.proxies...) }

func (s *shop) Exits() <-chan lab.Exit { return s.exits }

// Do applies action to an instance and returns once the process has changed state.
func (s *shop) Do(ctx context.Context, instance string, action lab.Action) error {
	c, ok := s.children[instance]
	if !ok {
		return fmt.Errorf("%w: %s", lab.ErrUnknownInstance, instance)
	}
	switch action {
	case lab.Kill:
		done, err := c.signal(syscall.SIGKILL, true)
		if err != nil {
			return err
		}
		return waitDone(ctx, done, instance)
	case lab.Stop:
		c.stop(StopGrace)
		return nil
	case lab.Start:
		if c.running() {
			return fmt.Errorf("start %s: already running", instance)
		}
		return s.spawn(c)
	case lab.Restart:
		c.stop(StopGrace)
		return s.spawn(c)
	case lab.Pause, lab.Resume:
		sig, want := syscall.SIGSTOP, "T"
		if action == lab.Resume {
			sig, want = syscall.SIGCONT, ""
		}
		if _, err := c.signal(sig, false); err != nil {
			return err
		}
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if st := c.state(); (want == "T") == (st == "T") {
				return nil
			}
		}
		return fmt.Errorf("%s %s: process state did not change", action, instance)
	}
	return fmt.Errorf("unknown action %q", action)
}

func waitDone(ctx context.Context, done <-chan struct{}, instance string) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for %s to end: %w", instance, ctx.Err())
	}
}

// Close stops every instance (SIGTERM, then SIGKILL after StopGrace), then
// the broker, the proxies and the front.
func (s *shop) Close() error {
	s.closed.Do(func() {
		s.closing.Store(true)
		var wg sync.WaitGroup
		for _, c := range s.order {
			if c.pending != nil {
				c.pending.Close()
				c.pending = nil
			}
			wg.Add(1)
			go func() { defer wg.Done(); c.stop(StopGrace) }()
		}
		wg.Wait()
		if s.broker != nil { // last: the services deregister through it
			s.broker.stop(StopGrace)
		}
		s.waiters.Wait()
		var errs []error
		if s.front != nil {
			errs = append(errs, s.front.Close())
		}
		if s.mesh != nil {
			errs = append(errs, s.mesh.Close())
		}
		close(s.exits)
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
