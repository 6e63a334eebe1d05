// Package process is the process runtime: Toxiproxy runs inside the lab
// process, the broker is a child `lab serve broker`, and every instance of a
// service is a child `lab serve SERVICE`, each on a 127.0.0.1 port of its own.
//
// Start, step by step:
//
//  1. start the broker (NATS JetStream, a child `lab serve broker` so that
//     faults can kill, pause and restart it) and create the stream and buckets;
//  2. start Toxiproxy and its API;
//  3. open a listening socket for every instance, so its address is known
//     before it starts and stays the same across restarts;
//  4. create the proxies: one per caller and callee instance, one per
//     service's broker link, one per gateway instance for the load;
//  5. write the config bucket: the shape's values, the token secret, and a
//     route per caller and instance naming the proxy to dial;
//  6. start every instance, handing it its socket;
//  7. wait until every instance answers /readyz.
//
// Children are in their own process group (a Ctrl-C reaches lab, which stops
// them in order) and get SIGKILL if lab itself dies.
package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"lab/lab"
	"lab/lab/broker"
	"lab/lab/mesh"
	"lab/services/contract"
)

// StopGrace is how long an instance may take to stop after SIGTERM.
const StopGrace = 5 * time.Second

// Runtime is the process runtime.
type Runtime struct {
	// Command runs the lab binary; Start appends "serve SERVICE flags...".
	// It is usually {os.Executable()}.
	Command []string
	// Env is added to the children's environment.
	Env []string
}

var _ lab.Runtime = (*Runtime)(nil)

// Name returns "process".
func (r *Runtime) Name() string { return "process" }

// Start brings the shop up; see the package doc.
func (r *Runtime) Start(ctx context.Context, p lab.Params) (lab.Shop, error) {
	if len(r.Command) == 0 {
		return nil, errors.New("process runtime: no command to run services with")
	}
	timeout := p.StartTimeout
	if timeout == 0 {
		timeout = lab.DefaultStartTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s := &shop{rt: r, p: p, children: map[string]*child{}, exits: make(chan lab.Exit, 64),
		brokerProxies: map[string]string{}}
	if err := s.start(ctx); err != nil {
		if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("%w (start timeout %s)", err, timeout)
		}
		return s, err
	}
	return s, nil
}

type shop struct {
	rt *Runtime
	p  lab.Params

	broker        *child // the broker, `lab serve broker`, on a port fixed for its life
	brokerURL     string
	mesh          *mesh.Mesh
	front         io.Closer
	gatewayURL    string
	brokerProxies map[string]string // service -> proxy address of its broker link
	proxies       []lab.Proxy

	children map[string]*child
	order    []*child
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

func (s *shop) start(ctx context.Context) error {
	began := time.Now()
	for _, d := range []string{"data", "logs", "broker"} {
		if err := os.MkdirAll(filepath.Join(s.p.Dir, d), 0o755); err != nil {
			return fmt.Errorf("create %s dir: %w", d, err)
		}
	}
	// 1. Broker, as a child of its own so that faults can kill, pause and
	// restart it; its JetStream store survives a restart.
	brokerAddr, err := lab.FreeAddr()
	if err != nil {
		return err
	}
	s.broker = &child{service: lab.Broker, name: lab.Broker, addr: brokerAddr, last: &lab.Tail{},
		logPath: filepath.Join(s.p.Dir, "logs", "broker.log")}
	s.children[lab.Broker] = s.broker
	s.brokerURL = "nats://" + brokerAddr
	if err := s.spawn(s.broker); err != nil {
		return err
	}
	if err := broker.WaitReady(ctx, s.brokerURL); err != nil {
		return fmt.Errorf("%w; broker log:\n  %s", err, lab.JoinLines(s.broker.last.Lines()))
	}
	s.progress("broker     %s (%s)", s.brokerURL, time.Since(began).Round(time.Millisecond))

	// 2. Toxiproxy.
	m, err := mesh.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	s.mesh = m

	// 3. Sockets.
	for _, svc := range contract.Services {
		for i := 1; i <= s.p.Shape.ReplicasOf(svc); i++ {
			name := lab.InstanceName(svc, i)
			c := &child{service: svc, name: name, last: &lab.Tail{},
				logPath: filepath.Join(s.p.Dir, "logs", name+".log")}
			f, err := c.listen()
			if err != nil {
				return err
			}
			c.pending = f
			s.children[name] = c
			s.order = append(s.order, c)
		}
	}

	// 4. Proxies; 5. routes.
	config := map[string]string{}
	for k, v := range s.p.Shape.Config {
		config[k] = v
	}
	var fronts []string
	for _, l := range lab.Links(s.p.Shape) {
		upstream := brokerAddr
		if l.Target != lab.Broker {
			upstream = s.children[l.Target].addr
		}
		listen := upstream // no proxies: callers dial their callee
		if !s.p.Shape.NoProxies {
			if listen, err = m.Add(l.Name, "127.0.0.1:0", upstream); err != nil {
				return err
			}
			s.proxies = append(s.proxies, lab.Proxy{Name: l.Name, Listen: listen, Upstream: upstream})
		}
		switch {
		case l.Routed():
			config[contract.RouteKey(l.Caller, l.Target)] = listen
		case l.Front():
			fronts = append(fronts, listen)
		default:
			s.brokerProxies[l.Caller] = listen
		}
	}
	if s.gatewayURL, s.front, err = lab.ServeFront(fronts); err != nil {
		return err
	}
	sort.Slice(s.proxies, func(i, j int) bool { return s.proxies[i].Name < s.proxies[j].Name })
	if err := broker.WriteConfig(ctx, s.brokerURL, config); err != nil {
		return err
	}
	s.progress("proxies    %d, api %s", len(s.proxies), m.URL())

	// 6. Instances.
	for _, c := range s.order {
		if err := s.spawn(c); err != nil {
			return err
		}
	}
	s.progress("instances  %d started", len(s.order))

	// 7. Ready.
	return s.waitReady(ctx)
}

// spawn starts c's process and a goroutine that reports its end.
func (s *shop) spawn(c *child) error {
	if s.closing.Load() {
		return errors.New("shop is closing")
	}
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log of %s: %w", c.name, err)
	}
	args := append([]string{}, s.rt.Command[1:]...)
	var extra []*os.File
	if c.service == lab.Broker {
		_, port, _ := net.SplitHostPort(c.addr)
		args = append(args, "serve", "broker", "--store", filepath.Join(s.p.Dir, "broker"), "--host", "127.0.0.1", "--port", port)
	} else {
		f, err := c.listen()
		if err != nil {
			logf.Close()
			return err
		}
		defer f.Close()
		extra = append(extra, f)
		args = append(args, "serve", c.service,
			"--instance", c.name,
			"--nats", "nats://"+s.brokerProxies[c.service],
			"--data", filepath.Join(s.p.Dir, "data"),
			"--seed", strconv.FormatInt(s.p.Shape.Seed, 10),
			"--listen-fd", "3")
	}
	cmd := exec.Command(s.rt.Command[0], args...)
	cmd.ExtraFiles = extra
	out := io.MultiWriter(logf, c.last)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), s.rt.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", c.name, err)
	}
	done := make(chan struct{})
	c.mu.Lock()
	c.cmd, c.done, c.asked, c.paused = cmd, done, false, false
	c.mu.Unlock()
	s.waiters.Add(1)
	go func() {
		defer s.waiters.Done()
		err := cmd.Wait()
		logf.Close()
		c.mu.Lock()
		c.waitErr = err
		asked := c.asked
		c.mu.Unlock()
		close(done)
		if asked || s.closing.Load() {
			return
		}
		lab.ReportExit(s.exits, c.name, err, c.last.Lines())
	}()
	return nil
}

// waitReady polls every instance's /readyz until all answer 200.
func (s *shop) waitReady(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(s.order))
	for i, c := range s.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.readyOne(ctx, c)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *shop) readyOne(ctx context.Context, c *child) error {
	err := lab.PollReady(ctx, "http://"+c.addr+"/readyz", func() error {
		if c.running() {
			return nil
		}
		c.mu.Lock()
		waitErr := c.waitErr
		c.mu.Unlock()
		return fmt.Errorf("exited while starting (%v); last log lines:\n  %s", waitErr, lab.JoinLines(c.last.Lines()))
	})
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}
