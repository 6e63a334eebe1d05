package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"lab/lab"
)

// box is one container of the run: an instance, the broker or Toxiproxy.
// Its published ports stay the same across restarts.
type box struct {
	service, name string
	id            string
	alias         string            // its name on the run's network
	ports         map[string]string // container port ("8080/tcp") -> host address
	logPath       string
	last          *lab.Tail

	mu      sync.Mutex
	done    chan struct{} // closed when the current run of the container has ended
	waitErr error
	asked   bool // the harness asked the current run to end
}

// spec is what a box is created from.
type spec struct {
	cmd    []string
	mounts map[string]string // host folder -> container folder
}

// create creates b's container on the run's network, publishing each of
// b.ports on its 127.0.0.1 address.
func (s *shop) create(ctx context.Context, b *box, sp spec) error {
	exposed := network.PortSet{}
	bindings := network.PortMap{}
	for cport, host := range b.ports {
		p, err := network.ParsePort(cport)
		if err != nil {
			return fmt.Errorf("create %s: %w", b.name, err)
		}
		ap, err := netip.ParseAddrPort(host)
		if err != nil {
			return fmt.Errorf("create %s: %w", b.name, err)
		}
		exposed[p] = struct{}{}
		bindings[p] = []network.PortBinding{{HostIP: ap.Addr(), HostPort: fmt.Sprint(ap.Port())}}
	}
	// The image's /lab is the binary being run, byte for byte (the image is
	// named by its build ID); mounting that very file over it lets every
	// container map one host file, whose pages the kernel keeps once, where
	// the image's copy, under a FUSE overlay, is read and kept per container.
	mounts := []mount.Mount{{Type: mount.TypeBind, Source: s.rt.Exe, Target: "/lab", ReadOnly: true}}
	for src, dst := range sp.mounts {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: dst})
	}
	labels := s.labels()
	labels[LabelInstance] = b.name
	// The create is not cut short by ctx (Ctrl-C): the engine finishes a
	// create whose client went away, and a container made after Close had
	// listed the run's containers was left behind (the interrupt test found
	// two, 110 ms into a start). Waiting for the answer, the shop knows every
	// container it has, and Close removes them.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()
	res, err := s.e.cli.ContainerCreate(cctx, client.ContainerCreateOptions{
		Name: s.netName + "-" + b.name,
		Config: &container.Config{
			Image: s.image, Cmd: sp.cmd, Env: s.rt.Env, Labels: labels, ExposedPorts: exposed,
			User: fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()), // files in the run folder stay the user's
		},
		HostConfig: &container.HostConfig{PortBindings: bindings, Mounts: mounts},
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			s.netName: {Aliases: []string{b.alias}},
		}},
	})
	if err != nil {
		return fmt.Errorf("create %s: %w", b.name, err)
	}
	b.id = res.ID
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create %s: %w", b.name, err)
	}
	return nil
}

// createTimeout bounds the create of a container or a network, which ctx
// does not cut short.
const createTimeout = 30 * time.Second

// start starts b's container, follows its log into logs/NAME.log, and
// watches for its end, reporting an end the harness did not ask for.
func (s *shop) start(ctx context.Context, b *box) error {
	if s.closing.Load() {
		return errors.New("shop is closing")
	}
	began := time.Now()
	if _, err := s.e.cli.ContainerStart(ctx, b.id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start %s: %w", b.name, err)
	}
	done := make(chan struct{})
	b.mu.Lock()
	b.done, b.asked, b.waitErr = done, false, nil
	b.mu.Unlock()
	s.waiters.Add(2)
	go func() {
		defer s.waiters.Done()
		s.follow(b, began)
	}()
	go func() {
		defer s.waiters.Done()
		err := s.wait(b)
		b.mu.Lock()
		b.waitErr = err
		asked := b.asked
		b.mu.Unlock()
		close(done)
		if asked || s.closing.Load() {
			return
		}
		lab.ReportExit(s.exits, b.name, err, b.last.Lines())
		// Ended from outside (killed, removed): its callers' connections
		// are reset as its kernel would on the process runtime.
		rctx, cancel := context.WithTimeout(s.bg, 10*time.Second)
		_ = s.resetConnections(rctx, b.name)
		cancel()
	}()
	return nil
}

// wait waits for the current run of b's container to end and says how.
func (s *shop) wait(b *box) error {
	w := s.e.cli.ContainerWait(s.bg, b.id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-w.Result:
		if r.Error != nil && r.Error.Message != "" {
			return errors.New(r.Error.Message)
		}
		if r.StatusCode != 0 {
			return fmt.Errorf("exit status %d", r.StatusCode)
		}
		return nil
	case err := <-w.Error:
		return fmt.Errorf("wait for %s: %w", b.name, err)
	}
}

// follow copies the container's output since began to its log file until
// the run ends.
func (s *shop) follow(b *box, began time.Time) {
	logf, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer logf.Close()
	rc, err := s.e.cli.ContainerLogs(s.bg, b.id, client.ContainerLogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: true, Since: since(began.Add(-time.Millisecond)),
	})
	if err != nil {
		return
	}
	defer rc.Close()
	out := io.MultiWriter(logf, b.last)
	_, _ = stdcopy.StdCopy(out, out, rc)
}

// running reports whether the current run of the container has not ended.
func (b *box) running() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done == nil {
		return false
	}
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// end ends the current run: SIGKILL when kill, else SIGTERM and SIGKILL
// after grace; it returns once the container is down.
func (s *shop) end(ctx context.Context, b *box, kill bool, grace time.Duration) error {
	if !b.running() {
		return nil
	}
	b.mu.Lock()
	b.asked = true
	done := b.done
	b.mu.Unlock()
	if kill {
		if _, err := s.e.cli.ContainerKill(ctx, b.id, client.ContainerKillOptions{Signal: "SIGKILL"}); err != nil {
			return fmt.Errorf("kill %s: %w", b.name, err)
		}
	} else {
		secs := int(grace / time.Second)
		// A paused container cannot handle SIGTERM.
		_, _ = s.e.cli.ContainerUnpause(ctx, b.id, client.ContainerUnpauseOptions{})
		if _, err := s.e.cli.ContainerStop(ctx, b.id, client.ContainerStopOptions{Timeout: &secs}); err != nil {
			return fmt.Errorf("stop %s: %w", b.name, err)
		}
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for %s to end: %w", b.name, ctx.Err())
	}
}
