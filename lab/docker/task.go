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
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"lab/lab/skeleton"
)

// task is one unit of a swarm run: a service of one replica, whose current
// task is the unit's run.
type task struct {
	b      *swarmBackend
	name   string
	svc    string // the shop's service, "" for the broker and Toxiproxy
	port   int
	ports  map[int]int // container port -> the port it publishes on its node
	specOf func(skeleton.Run) spec
	node   *node // where its tasks run

	mu        sync.Mutex
	serviceID string
	taskID    string
	container string
}

var _ skeleton.Unit = (*task)(nil)

// newTask plans a unit on node n. Its ports are published on n, at ports
// free on this host when picked (the node's are its own: a port taken there
// fails the task's start, which says so).
func (b *swarmBackend) newTask(svc, name string, port int, specOf func(skeleton.Run) spec, n *node, ports ...int) (*task, error) {
	t := &task{b: b, name: name, svc: svc, port: port, ports: map[int]int{}, specOf: specOf, node: n}
	for _, p := range ports {
		free, err := b.pickPort()
		if err != nil {
			return nil, err
		}
		t.ports[p] = free
	}
	return t, nil
}

// pickPort returns a port free on this host a moment ago that no other task
// of the run publishes: the kernel can hand out one port twice in a row,
// and the swarm holds a task whose host-mode port another task has pending,
// saying so only in the task's status, until the start times out.
func (b *swarmBackend) pickPort() (int, error) {
	b.portsMu.Lock()
	defer b.portsMu.Unlock()
	if b.picked == nil {
		b.picked = map[int]bool{}
	}
	return pickFree(b.picked, skeleton.FreeAddr)
}

// pickFree asks free for ports until one is not in picked, and adds it.
func pickFree(picked map[int]bool, free func() (string, error)) (int, error) {
	for range 100 {
		addr, err := free()
		if err != nil {
			return 0, err
		}
		_, s, err := net.SplitHostPort(addr)
		if err != nil {
			return 0, err
		}
		p, err := strconv.Atoi(s)
		if err != nil {
			return 0, err
		}
		if !picked[p] {
			picked[p] = true
			return p, nil
		}
	}
	return 0, errors.New("find a free port that no task of the run publishes: 100 tries")
}

// Node names the node the unit's tasks run on.
func (t *task) Node() string { return t.node.name }

// service is the swarm service's name, which the overlay's DNS resolves to
// its task.
func (t *task) service() string { return t.b.prefix + t.name }

func (t *task) Name() string     { return t.name }
func (t *task) Upstream() string { return fmt.Sprintf("%s:%d", t.service(), t.port) }
func (t *task) Host() string     { return t.host(t.port) }

// host is where the harness reaches port of the task: the port published in
// host mode on its node, at the node's address.
func (t *task) host(port int) string {
	return net.JoinHostPort(t.node.addr, strconv.Itoa(t.ports[port]))
}

func (t *task) Ident() (int, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return 0, short(t.container)
}

func (t *task) HostPID(ctx context.Context) (int, error) {
	c := t.current()
	if c == "" {
		return 0, nil
	}
	if !t.node.manager || !t.b.e.Local {
		return 0, nil // a process of another machine
	}
	r, err := t.node.cli.ContainerInspect(ctx, c, client.ContainerInspectOptions{})
	if err != nil {
		return 0, fmt.Errorf("inspect %s: %w", t.name, err)
	}
	if st := r.Container.State; st != nil && st.Pid > 0 {
		return st.Pid, nil
	}
	return 0, nil
}

func (t *task) current() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.container
}

// Signal goes to the task's container through the engine of its node.
func (t *task) Signal(ctx context.Context, sig skeleton.Sig) error {
	c := t.current()
	if c == "" {
		return fmt.Errorf("signal %s: no task running", t.name)
	}
	return signal(ctx, t.node.cli, c, sig)
}

// Start creates the service at the first start and forces a new task at
// every later one (a task that ended does not start again); it waits for
// the task to run, follows its log into out, and returns a wait for its end.
func (t *task) Start(ctx context.Context, run skeleton.Run, out io.Writer) (func() error, error) {
	began := time.Now()
	if err := t.launch(ctx, run); err != nil {
		return nil, err
	}
	tk, err := t.running(ctx)
	if err != nil {
		return nil, err
	}
	followed := make(chan struct{})
	t.b.follows.Add(1)
	go func() {
		defer t.b.follows.Done()
		defer close(followed)
		t.follow(out, began)
	}()
	return func() error {
		err := t.wait(tk)
		select {
		case <-followed:
		case <-time.After(2 * time.Second):
		}
		return err
	}, nil
}

// launch creates the service, or forces its update.
func (t *task) launch(ctx context.Context, run skeleton.Run) error {
	cli := t.b.e.cli
	// As a container's create: not cut short by Ctrl-C, so that the shop
	// knows every service it has and Close removes them.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()
	t.mu.Lock()
	id := t.serviceID
	t.mu.Unlock()
	if id == "" {
		made, err := cli.ServiceCreate(cctx, client.ServiceCreateOptions{Spec: t.spec(t.specOf(run)), EncodedRegistryAuth: t.b.auth})
		if err != nil {
			return fmt.Errorf("create service %s: %w", t.service(), err)
		}
		t.mu.Lock()
		t.serviceID = made.ID
		t.mu.Unlock()
		return ctx.Err()
	}
	in, err := cli.ServiceInspect(cctx, id, client.ServiceInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect service %s: %w", t.service(), err)
	}
	spec := in.Service.Spec
	spec.TaskTemplate.ForceUpdate++
	if _, err := cli.ServiceUpdate(cctx, id, client.ServiceUpdateOptions{Version: in.Service.Version, Spec: spec, EncodedRegistryAuth: t.b.auth}); err != nil {
		return fmt.Errorf("start %s again: %w", t.service(), err)
	}
	return ctx.Err()
}

// spec is the service of one task: restarted by the lab, never by the
// swarm; its ports published in host mode; its name resolved to its task.
func (t *task) spec(sp spec) swarm.ServiceSpec {
	b := t.b
	labels := b.labels()
	labels[LabelInstance] = t.name
	one := uint64(1)
	// On the manager's node, the run folder's own folders; elsewhere a
	// volume of the node's, labelled as the run, which Close removes there.
	var mounts []mount.Mount
	user := fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()) // files in the run folder stay the user's
	for src, dst := range sp.mounts {
		if t.node.manager {
			mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: dst})
			continue
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeVolume, Source: t.service() + strings.ReplaceAll(dst, "/", "-"), Target: dst,
			VolumeOptions: &mount.VolumeOptions{Labels: labels}})
		user = ""
	}
	var ports []swarm.PortConfig
	for cport, hport := range t.ports {
		ports = append(ports, swarm.PortConfig{Protocol: "tcp", TargetPort: uint32(cport), PublishedPort: uint32(hport),
			PublishMode: swarm.PortConfigPublishModeHost})
	}
	grace := StopGrace
	image := b.image
	if sp.image != "" {
		image = sp.image
	}
	cs := &swarm.ContainerSpec{Image: image, Args: sp.cmd, Env: append(append([]string{}, b.rt.Env...), sp.env...), Labels: labels, Mounts: mounts,
		User: user, StopGracePeriod: &grace, Configs: sp.configs,
		// Names the overlay's DNS does not know go to the task's own
		// loopback, not the host's resolver: never off the machine.
		DNSConfig: &swarm.DNSConfig{Nameservers: loopbackDNS}}
	ts := swarm.TaskSpec{ContainerSpec: cs,
		RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone},
		Networks:      []swarm.NetworkAttachmentConfig{{Target: b.netName, Aliases: []string{t.name}}},
	}
	if n := cpusOf(b.p.Shape.Config, t.svc); n > 0 {
		ts.Resources = &swarm.ResourceRequirements{Limits: &swarm.Limit{NanoCPUs: int64(n) * 1e9}}
	}
	ts.Placement = &swarm.Placement{Constraints: []string{"node.id==" + t.node.id}}
	return swarm.ServiceSpec{
		Annotations:  swarm.Annotations{Name: t.service(), Labels: labels},
		TaskTemplate: ts,
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR, Ports: ports},
	}
}

// pollEvery is how often a task's state is read while the lab waits for it.
const pollEvery = 100 * time.Millisecond

// running waits for the service's newest task to run and records it.
func (t *task) running(ctx context.Context) (swarm.Task, error) {
	t.mu.Lock()
	id, previous := t.serviceID, t.taskID
	t.mu.Unlock()
	f := make(client.Filters).Add("service", id).Add("desired-state", "running")
	pending := "" // the newest task's state while it does not run: why it waits
	for {
		ts, err := t.b.e.cli.TaskList(ctx, client.TaskListOptions{Filters: f})
		if err != nil {
			return swarm.Task{}, fmt.Errorf("start %s: %w", t.service(), err)
		}
		for _, tk := range ts.Items {
			if tk.ID == previous {
				continue // the run that ended, until the swarm marks it so
			}
			switch st := tk.Status; {
			case st.State == swarm.TaskStateRunning && st.ContainerStatus != nil && st.ContainerStatus.ContainerID != "":
				t.mu.Lock()
				t.taskID, t.container = tk.ID, st.ContainerStatus.ContainerID
				t.mu.Unlock()
				return tk, nil
			case terminal(st.State):
				return swarm.Task{}, fmt.Errorf("start %s: its task %s: %s %s", t.service(), st.State, st.Message, st.Err)
			default:
				pending = strings.TrimSpace(fmt.Sprintf("%s: %s %s", st.State, st.Message, st.Err))
			}
		}
		select {
		case <-ctx.Done():
			if pending != "" {
				return swarm.Task{}, fmt.Errorf("start %s: %w; its task was %s", t.service(), ctx.Err(), pending)
			}
			return swarm.Task{}, fmt.Errorf("start %s: %w", t.service(), ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

func terminal(s swarm.TaskState) bool {
	switch s {
	case swarm.TaskStateComplete, swarm.TaskStateShutdown, swarm.TaskStateFailed, swarm.TaskStateRejected,
		swarm.TaskStateRemove, swarm.TaskStateOrphaned:
		return true
	}
	return false
}

// wait waits for the task to end and says how: its container's exit, as
// the engine of its node tells it (at once: the manager hears of a task's
// end from the node's agent seconds later: a kill on a worker landed 2.4 s
// late when the lab waited for the manager's word), else the task's state.
func (t *task) wait(tk swarm.Task) error {
	c := t.current()
	w := t.node.cli.ContainerWait(t.b.bg, c, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-w.Result:
		return exitOf(r)
	case err := <-w.Error:
		if t.b.bg.Err() != nil {
			return errors.New("the run's services were removed")
		}
		if !IsNotFound(err) {
			return fmt.Errorf("wait for %s: %w", t.name, err)
		}
	}
	for { // the container is gone: the task's state says how it ended
		r, err := t.b.e.cli.TaskInspect(t.b.bg, tk.ID, client.TaskInspectOptions{})
		if err != nil {
			if t.b.bg.Err() != nil || IsNotFound(err) {
				return errors.New("the run's services were removed")
			}
			return fmt.Errorf("wait for %s: %w", t.name, err)
		}
		if st := r.Task.Status; terminal(st.State) {
			if cs := st.ContainerStatus; cs != nil && cs.ExitCode != 0 {
				return &ExitError{Code: cs.ExitCode}
			}
			if st.State == swarm.TaskStateComplete {
				return nil
			}
			return fmt.Errorf("task %s: %s", st.State, strings.TrimSpace(st.Err+" "+st.Message))
		}
		select {
		case <-t.b.bg.Done():
			return errors.New("the run's services were removed")
		case <-time.After(pollEvery):
		}
	}
}

// follow copies the task's log to out until it ends, from the engine of
// its node: the manager's task log goes on for seconds after the container
// ended, and wait waits for the last lines.
func (t *task) follow(out io.Writer, began time.Time) {
	rc, err := t.node.cli.ContainerLogs(t.b.bg, t.current(), client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true,
		Since: since(began.Add(-time.Millisecond))})
	if err != nil {
		return
	}
	defer rc.Close()
	_, _ = stdcopy.StdCopy(out, out, rc)
}

var loopbackDNS = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}
