package docker

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"lab/lab"
)

func (s *shop) GatewayURL() string   { return s.gatewayURL }
func (s *shop) ToxiproxyURL() string { return s.apiURL }
func (s *shop) BrokerURL() string    { return s.brokerURL }
func (s *shop) Proxies() []lab.Proxy { return append([]lab.Proxy{}, s.proxies...) }
func (s *shop) Exits() <-chan lab.Exit {
	return s.exits
}

// Instances lists the instances; Addr is where the host reaches each.
func (s *shop) Instances() []lab.Instance {
	var out []lab.Instance
	for _, b := range s.order {
		out = append(out, lab.Instance{Service: b.service, Name: b.name, Addr: b.host(servicePort), Container: short(b.id)})
	}
	lab.SortInstances(out)
	return out
}

// PIDs names the host process of every running container of the run: the
// broker's, Toxiproxy's and every instance's.
func (s *shop) PIDs(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, b := range append([]*box{s.broker, s.toxiproxy}, s.order...) {
		if b == nil || b.id == "" || !b.running() {
			continue
		}
		r, err := s.e.cli.ContainerInspect(ctx, b.id, client.ContainerInspectOptions{})
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", b.name, err)
		}
		if st := r.Container.State; st != nil && st.Pid > 0 {
			out[b.name] = st.Pid
		}
	}
	return out, nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Do applies action to an instance's container (or the broker's) and returns
// once the container has changed state.
func (s *shop) Do(ctx context.Context, instance string, action lab.Action) error {
	b, ok := s.boxes[instance]
	if !ok {
		return fmt.Errorf("%w: %s", lab.ErrUnknownInstance, instance)
	}
	switch action {
	case lab.Kill:
		if err := s.end(ctx, b, true, 0); err != nil {
			return err
		}
		return s.resetConnections(ctx, instance)
	case lab.Stop:
		return s.end(ctx, b, false, StopGrace)
	case lab.Start:
		if b.running() {
			return fmt.Errorf("start %s: already running", instance)
		}
		return s.start(ctx, b)
	case lab.Restart:
		if err := s.end(ctx, b, false, StopGrace); err != nil {
			return err
		}
		return s.start(ctx, b)
	case lab.Pause:
		if _, err := s.e.cli.ContainerPause(ctx, b.id, client.ContainerPauseOptions{}); err != nil {
			return fmt.Errorf("pause %s: %w", instance, err)
		}
		return nil
	case lab.Resume:
		if _, err := s.e.cli.ContainerUnpause(ctx, b.id, client.ContainerUnpauseOptions{}); err != nil {
			return fmt.Errorf("resume %s: %w", instance, err)
		}
		return nil
	}
	return fmt.Errorf("unknown action %q", action)
}

// resetConnections closes the proxies' open connections to instance, by
// stopping and starting each proxy in front of it. A process that dies on
// the process runtime has its kernel reset its connections, and callers
// fail at once; a killed container's connections were left hanging (the
// callers' pooled connections through Toxiproxy saw no reset), so callers
// waited out their timeouts: during crash-orders 3 calls failed in 4 s
// where the process runtime failed 44, and the breaker opened 4 s late.
func (s *shop) resetConnections(ctx context.Context, instance string) error {
	var errs []error
	for _, p := range s.proxies {
		if !strings.HasSuffix(p.Name, "->"+instance) {
			continue
		}
		u := s.apiURL + "/proxies/" + url.PathEscape(p.Name)
		for _, enabled := range []bool{false, true} {
			if err := postJSON(ctx, u, map[string]bool{"enabled": enabled}); err != nil {
				errs = append(errs, fmt.Errorf("reset %s: %w", p.Name, err))
				break
			}
		}
	}
	return errors.Join(errs...)
}

// Close stops every instance (SIGTERM, then SIGKILL after StopGrace), then
// the broker and Toxiproxy, and removes every container and the network.
// It works on its own deadline, so that a cancelled run still cleans up.
func (s *shop) Close() error {
	s.closed.Do(func() {
		s.closing.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var errs []error
		if s.front != nil {
			errs = append(errs, s.front.Close())
		}
		stopAll := func(boxes []*box) {
			var wg sync.WaitGroup
			for _, b := range boxes {
				if b == nil || b.id == "" {
					continue
				}
				wg.Add(1)
				go func() { defer wg.Done(); _ = s.end(ctx, b, false, StopGrace) }()
			}
			wg.Wait()
		}
		stopAll(s.order)
		stopAll([]*box{s.broker, s.toxiproxy}) // last: the services deregister through them
		// Remove by label, so that a container whose create raced a failure goes too.
		if _, err := removeRun(ctx, s.e, s.run); err != nil {
			errs = append(errs, err)
		}
		s.waiters.Wait()
		if s.ownEngine {
			errs = append(errs, s.e.Close())
		}
		close(s.exits)
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
