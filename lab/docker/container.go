package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"lab/lab/skeleton"
)

// box is one container of the run: an instance, the broker or Toxiproxy.
// Its published ports stay the same across restarts.
type box struct {
	b       *backend
	name    string
	service string     // "" for the broker and Toxiproxy
	addr    netip.Addr // its fixed address on the run's network, if it has one
	id      string
	port    int               // the port its Upstream and Host name
	ports   map[string]string // container port ("8080/tcp") -> host address
	specOf  func(skeleton.Run) spec

	mu sync.Mutex // guards ports
}

var _ skeleton.Unit = (*box)(nil)

// spec is what a box is created from.
type spec struct {
	cmd    []string
	mounts map[string]string // host folder -> container folder
	// a swarm task's: more environment, configs as files, and an image
	// other than the run's
	env     []string
	configs []*swarm.ConfigReference
	image   string
}

func (b *backend) newBox(service, name string, port int, specOf func(skeleton.Run) spec, ports ...int) (*box, error) {
	bx := &box{b: b, name: name, service: service, addr: b.address(), port: port, ports: map[string]string{}, specOf: specOf}
	if b.direct {
		return bx, nil // nothing published
	}
	for _, p := range ports {
		addr, err := skeleton.FreeAddrOn(b.e.Bind)
		if err != nil {
			return nil, err
		}
		bx.ports[fmt.Sprintf("%d/tcp", p)] = addr
	}
	return bx, nil
}

// host returns where the host reaches port of bx: its address on the run's
// network when the host routes there, else the port the engine published.
func (bx *box) host(port int) string {
	if bx.b.direct {
		return bx.on(port)
	}
	bx.mu.Lock()
	defer bx.mu.Unlock()
	return bx.ports[fmt.Sprintf("%d/tcp", port)]
}

func (bx *box) Name() string { return bx.name }

// Upstream is where Toxiproxy dials the unit: by name on Docker Engine,
// whose DNS answers at once that a killed container is gone, so callers
// fail fast as against a dead process (at its fixed address a connect to a
// dead container waits out ARP: crash-orders' checkout came back after 5 s,
// not 1); at the fixed address on Podman, whose DNS drops lookups while
// containers start.
func (bx *box) Upstream() string {
	if bx.b.e.Podman() {
		return bx.on(bx.port)
	}
	return fmt.Sprintf("%s:%d", bx.name, bx.port)
}

// on is where the run's network reaches port of bx: its fixed address, or
// its name, which the engine's DNS resolves at every connection.
func (bx *box) on(port int) string {
	if bx.addr.IsValid() {
		return netip.AddrPortFrom(bx.addr, uint16(port)).String()
	}
	return fmt.Sprintf("%s:%d", bx.name, port)
}
func (bx *box) Host() string { return bx.host(bx.port) }

func (bx *box) Ident() (int, string) { return 0, short(bx.id) }

// HostPID reads the host process of the container's current run.
func (bx *box) HostPID(ctx context.Context) (int, error) {
	r, err := bx.b.e.cli.ContainerInspect(ctx, bx.id, client.ContainerInspectOptions{})
	if err != nil {
		return 0, fmt.Errorf("inspect %s: %w", bx.name, err)
	}
	if st := r.Container.State; st != nil && st.Pid > 0 {
		return st.Pid, nil
	}
	return 0, nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Signal sends a signal to the container; Pause and Resume freeze and thaw
// every process in it.
func (bx *box) Signal(ctx context.Context, sig skeleton.Sig) error {
	return signal(ctx, bx.b.e.cli, bx.id, sig)
}

// signal sends sig to container id through cli: Term and Kill as signals,
// Pause and Resume through the cgroup freezer.
func signal(ctx context.Context, cli client.APIClient, id string, sig skeleton.Sig) error {
	var err error
	switch sig {
	case skeleton.Term:
		_, err = cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "SIGTERM"})
	case skeleton.Kill:
		_, err = cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "SIGKILL"})
	case skeleton.Pause:
		_, err = cli.ContainerPause(ctx, id, client.ContainerPauseOptions{})
	case skeleton.Resume:
		_, err = cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
	}
	return err
}

// Start creates the container at its first start, then starts it, follows
// its log into out and returns a wait for the end of this run.
func (bx *box) Start(ctx context.Context, run skeleton.Run, out io.Writer) (func() error, error) {
	began := time.Now()
	if bx.id == "" {
		if err := bx.createAndStart(ctx, bx.specOf(run)); err != nil {
			return nil, err
		}
	} else if err := bx.start(ctx); err != nil {
		return nil, err
	}
	if !bx.b.direct {
		if err := bx.readPorts(ctx); err != nil {
			return nil, err
		}
	}
	followed := make(chan struct{})
	bx.b.follows.Add(1)
	go func() {
		defer bx.b.follows.Done()
		defer close(followed)
		bx.follow(out, began)
	}()
	return func() error {
		err := bx.wait()
		select { // the last lines, which the log stream gives as it ends
		case <-followed:
		case <-time.After(2 * time.Second):
		}
		return err
	}, nil
}

// createAndStart creates and starts the container. The host ports it
// publishes were free when picked, but another process may take one before
// the engine binds it ("port is already allocated": seen once in ten
// 50-instance starts here); then the container is removed and created again
// on ports picked anew, up to portTries times.
func (bx *box) createAndStart(ctx context.Context, sp spec) error {
	for try := 1; ; try++ {
		err := bx.create(ctx, sp)
		if err == nil {
			err = bx.start(ctx)
		}
		if err == nil || try == portTries || !portTaken(err) {
			return err
		}
		if _, rmErr := bx.b.e.cli.ContainerRemove(ctx, bx.id, client.ContainerRemoveOptions{Force: true}); rmErr != nil {
			return errors.Join(err, rmErr)
		}
		bx.mu.Lock()
		for port := range bx.ports {
			addr, ferr := skeleton.FreeAddrOn(bx.b.e.Bind)
			if ferr != nil {
				bx.mu.Unlock()
				return errors.Join(err, ferr)
			}
			bx.ports[port] = addr
		}
		bx.mu.Unlock()
		bx.b.progress("ports      %s: a published port was taken before the engine bound it; new ports, try %d", bx.name, try+1)
	}
}

// portTaken says whether the engine could not publish a port because it
// was taken: by another container ("port is already allocated"), or by
// another program on the host (the userland proxy's "address already in
// use").
func portTaken(err error) bool {
	return strings.Contains(err.Error(), "port is already allocated") || strings.Contains(err.Error(), "address already in use")
}

// portTries bounds how often createAndStart picks new ports.
const portTries = 3

// create creates the container through testcontainers-go on the run's
// network, publishing each of its ports on the engine's bind address.
func (bx *box) create(ctx context.Context, sp spec) error {
	b := bx.b
	var exposed []string
	bindings := network.PortMap{}
	bx.mu.Lock()
	for cport, host := range bx.ports {
		p, err := network.ParsePort(cport)
		if err != nil {
			bx.mu.Unlock()
			return fmt.Errorf("create %s: %w", bx.name, err)
		}
		_, hport, err := net.SplitHostPort(host)
		if err != nil {
			bx.mu.Unlock()
			return fmt.Errorf("create %s: %w", bx.name, err)
		}
		exposed = append(exposed, cport)
		bindings[p] = []network.PortBinding{{HostIP: netip.MustParseAddr(b.e.Bind), HostPort: hport}}
	}
	bx.mu.Unlock()
	// The image's /lab is the binary being run, byte for byte (the image is
	// named by its build ID); mounting that very file over it lets every
	// container map one host file, whose pages the kernel keeps once, where
	// the image's copy, under a FUSE overlay, is read and kept per container.
	mounts := []mount.Mount{{Type: mount.TypeBind, Source: b.rt.Exe, Target: "/lab", ReadOnly: true}}
	for src, dst := range sp.mounts {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: dst})
	}
	labels := b.labels()
	labels[LabelInstance] = bx.name
	env := map[string]string{}
	for _, kv := range b.rt.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	res := b.resources(bx.service)
	// The create is not cut short by ctx (Ctrl-C): the engine finishes a
	// create whose client went away, and a container made after Close had
	// listed the run's containers was left behind (the interrupt test found
	// two, 110 ms into a start). Waiting for the answer, the shop knows every
	// container it has, and Close removes them.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()
	c, err := b.e.tc.CreateContainer(cctx, testcontainers.ContainerRequest{
		Name: b.prefix + bx.name, Image: b.image, Cmd: sp.cmd, Env: env, Labels: labels,
		ExposedPorts: exposed,
		Networks:     []string{b.netName}, NetworkAliases: map[string][]string{b.netName: {bx.name}},
		ConfigModifier: func(c *container.Config) {
			c.User = fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()) // files in the run folder stay the user's
		},
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.PortBindings, hc.Mounts, hc.Resources = bindings, mounts, res
			if b.e.Podman() { // its default driver, journald, keeps nothing here
				hc.LogConfig = container.LogConfig{Type: "json-file"}
			} else {
				// Names the engine's DNS does not know (a killed
				// container's) it forwards to the resolvers given here,
				// else to the host's: the lab's lookups never leave the
				// machine, and fail at once.
				hc.DNS = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}
			}
		},
		EndpointSettingsModifier: func(es map[string]*network.EndpointSettings) {
			if e := es[b.netName]; e != nil && bx.addr.IsValid() {
				e.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: bx.addr}
			}
		},
	})
	if err != nil {
		return fmt.Errorf("create %s: %w", bx.name, err)
	}
	bx.id = c.GetContainerID()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create %s: %w", bx.name, err)
	}
	return nil
}

// resources are what the capacity model gives an instance of service: as
// many CPUs as its Go runtime runs on ("SVC.cpus", 1 unless set; 0: no
// limit), as a CPU quota, so that an instance in a container has the CPU an
// instance process has, and the instances cannot starve k6 and the harness
// of the machine's other cores. The broker and Toxiproxy are not limited:
// no process of theirs is in the process runtime either.
func (b *backend) resources(service string) container.Resources {
	if n := cpusOf(b.p.Shape.Config, service); n > 0 {
		return container.Resources{NanoCPUs: int64(n) * 1e9}
	}
	return container.Resources{}
}

// cpusOf is "SVC.cpus" of config, 1 unless set, 0 for the broker and
// Toxiproxy (service "") and for no limit.
func cpusOf(config map[string]string, service string) int {
	if service == "" {
		return 0
	}
	n := 1
	if v, ok := config[service+".cpus"]; ok {
		if c, err := strconv.Atoi(v); err == nil {
			n = c
		}
	}
	return max(n, 0)
}

// createTimeout bounds the create of a container or a network, which ctx
// does not cut short.
const createTimeout = 30 * time.Second

// readPorts takes where the harness reaches each published port from the
// engine's answer: the port it bound, on the engine's host address (not an
// assumed 127.0.0.1: a remote engine publishes on its own host).
func (bx *box) readPorts(ctx context.Context) error {
	r, err := bx.b.e.cli.ContainerInspect(ctx, bx.id, client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect %s: %w", bx.name, err)
	}
	if r.Container.NetworkSettings == nil {
		return fmt.Errorf("inspect %s: no network settings", bx.name)
	}
	bx.mu.Lock()
	defer bx.mu.Unlock()
	for cport := range bx.ports {
		p, err := network.ParsePort(cport)
		if err != nil {
			return err
		}
		bs := r.Container.NetworkSettings.Ports[p]
		if len(bs) == 0 || bs[0].HostPort == "" {
			return fmt.Errorf("%s: the engine published no port for %s", bx.name, cport)
		}
		bx.ports[cport] = net.JoinHostPort(bx.b.e.Host, bs[0].HostPort)
	}
	return nil
}

func (bx *box) start(ctx context.Context) error {
	if _, err := bx.b.e.cli.ContainerStart(ctx, bx.id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start %s: %w", bx.name, err)
	}
	return nil
}

// wait waits for the current run of the container to end and says how.
func (bx *box) wait() error {
	w := bx.b.e.cli.ContainerWait(bx.b.bg, bx.id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-w.Result:
		return exitOf(r)
	case err := <-w.Error:
		return fmt.Errorf("wait for %s: %w", bx.name, err)
	}
}

// exitOf says how a container's run ended: nil for status 0.
func exitOf(r container.WaitResponse) error {
	if r.Error != nil && r.Error.Message != "" {
		return errors.New(r.Error.Message)
	}
	if r.StatusCode != 0 {
		return &ExitError{Code: int(r.StatusCode)}
	}
	return nil
}

// ExitError is a container's end with a status other than 0.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ExitCode is the status, as exec.ExitError says it.
func (e *ExitError) ExitCode() int { return e.Code }

// follow copies the container's output since began to out until the run
// ends.
func (bx *box) follow(out io.Writer, began time.Time) {
	rc, err := bx.b.e.cli.ContainerLogs(bx.b.bg, bx.id, client.ContainerLogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: true, Since: since(began.Add(-time.Millisecond)),
	})
	if err != nil {
		return
	}
	defer rc.Close()
	_, _ = stdcopy.StdCopy(out, out, rc)
}
