package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// CleanOptions say what Clean removes.
type CleanOptions struct {
	// Run, if set, limits Clean to that run, whoever made it.
	Run string
	// All removes the things of every run, even those of a lab still
	// running. Without it (and without Run) Clean removes only what labs
	// that are no longer running on this host left behind.
	All bool
	// Images also removes the images the runtime built.
	Images bool
}

// Clean removes the services, containers, volumes and networks of lab
// runs, chosen by opts, and returns how many things it removed. On a swarm
// manager it reaches every node that has a lab.engine label (a node without
// one holds nothing the lab made there).
func Clean(ctx context.Context, e *Engine, opts CleanOptions) (int, error) {
	return clean(ctx, e, opts, nil)
}

// clean is Clean with the swarm's nodes already connected (a swarm run's),
// or nil to reach them itself.
func clean(ctx context.Context, e *Engine, opts CleanOptions, nodes []*node) (int, error) {
	f := make(client.Filters).Add("label", LabelRun)
	if opts.Run != "" {
		f = make(client.Filters).Add("label", LabelRun+"="+opts.Run)
	}
	host, _ := os.Hostname()
	wanted := func(labels map[string]string) bool {
		return opts.All || opts.Run != "" || !alive(host, labels[LabelOwner])
	}
	n := 0
	var errs []error
	// A swarm run's services first: removing one ends its task's container,
	// and the network goes once no task is attached to it.
	ss, err := e.cli.ServiceList(ctx, client.ServiceListOptions{Filters: f})
	if err != nil && !notManager(err) && !IsNotFound(err) { // Podman has no services: 404
		return 0, fmt.Errorf("list services: %w", err)
	}
	removed := map[string]bool{}
	for _, sv := range ss.Items {
		if !wanted(sv.Spec.Labels) {
			continue
		}
		if _, err := e.cli.ServiceRemove(ctx, sv.ID, client.ServiceRemoveOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("remove service %s: %w", sv.Spec.Name, err))
			continue
		}
		removed[sv.ID] = true
		n++
	}
	// A task the swarm was starting when its service went can still make
	// its container after the list below: wait for the removed services'
	// tasks to go (their nodes remove the containers), then remove
	// whatever is left.
	tasksGone(ctx, e, removed, networkDetach)
	// A swarm run's configs (its generators' script archives), once the
	// services that mount them are gone.
	if err == nil {
		cs, cerr := e.cli.ConfigList(ctx, client.ConfigListOptions{Filters: f})
		if cerr != nil {
			errs = append(errs, fmt.Errorf("list configs: %w", cerr))
		}
		for _, c := range cs.Items {
			if !wanted(c.Spec.Labels) {
				continue
			}
			if _, err := e.cli.ConfigRemove(ctx, c.ID, client.ConfigRemoveOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("remove config %s: %w", c.Spec.Name, err))
				continue
			}
			n++
		}
	}
	// The containers and volumes on the manager's engine and on every node
	// the lab reaches (lab.engine): a swarm run's volumes stay on the node
	// that held the task.
	if nodes == nil && err == nil { // a manager: its services listed
		if sw, err := e.CheckManager(ctx); err == nil {
			var nerr error
			nodes, nerr = e.nodes(ctx, sw, false)
			defer closeNodes(nodes)
			if nerr != nil {
				errs = append(errs, nerr)
			}
		}
	}
	engines := []client.APIClient{e.cli}
	for _, nd := range nodes {
		if !nd.manager {
			engines = append(engines, nd.cli)
		}
	}
	for _, cli := range engines {
		m, err := cleanEngine(ctx, cli, f, wanted)
		n += m
		if err != nil {
			errs = append(errs, err)
		}
	}
	ns, err := e.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return n, errors.Join(append(errs, fmt.Errorf("list networks: %w", err))...)
	}
	for _, nw := range ns.Items {
		if !wanted(nw.Labels) {
			continue
		}
		if err := removeNetwork(ctx, e, nw.ID); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", nw.Name, err))
			continue
		}
		n++
	}
	if opts.Images { // on every engine: the lab copied its image to each node
		for _, cli := range engines {
			is, err := cli.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("label", LabelImage)})
			if err != nil {
				errs = append(errs, fmt.Errorf("list images: %w", err))
				continue
			}
			for _, im := range is.Items {
				if _, err := cli.ImageRemove(ctx, im.ID, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
					errs = append(errs, fmt.Errorf("remove image %s: %w", im.ID, err))
					continue
				}
				n++
			}
		}
	}
	return n, errors.Join(errs...)
}

// cleanEngine removes the wanted containers and volumes of lab runs on one
// engine.
func cleanEngine(ctx context.Context, cli client.APIClient, f client.Filters, wanted func(map[string]string) bool) (int, error) {
	n := 0
	var errs []error
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return 0, fmt.Errorf("list containers: %w", err)
	}
	for _, c := range cs.Items {
		if !wanted(c.Labels) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil && !IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", c.ID[:12], err))
			continue
		}
		n++
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return n, errors.Join(append(errs, fmt.Errorf("list volumes: %w", err))...)
	}
	for _, v := range vs.Items {
		if !wanted(v.Labels) {
			continue
		}
		if _, err := cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// notManager says that the engine answered a swarm call as no manager: it
// has no services to clean.
func notManager(err error) bool {
	return strings.Contains(err.Error(), "not a swarm manager") || strings.Contains(err.Error(), "This node is not")
}

// tasksGone waits, for at most limit, until the swarm holds no task of the
// services removed; a node that does not answer keeps its tasks, so the
// wait is bounded and what stays is removed through the node's engine.
func tasksGone(ctx context.Context, e *Engine, removed map[string]bool, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for len(removed) > 0 && time.Now().Before(deadline) {
		ts, err := e.cli.TaskList(ctx, client.TaskListOptions{})
		if err != nil {
			return
		}
		left := false
		for _, tk := range ts.Items {
			left = left || removed[tk.ServiceID]
		}
		if !left {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pollEvery):
		}
	}
}

// removeNetwork removes a network; an overlay network stays "in use" for a
// moment after its services are removed, while the swarm detaches their
// tasks, so that answer is tried again, for networkDetach at most.
func removeNetwork(ctx context.Context, e *Engine, id string) error {
	deadline := time.Now().Add(networkDetach)
	for {
		_, err := e.cli.NetworkRemove(ctx, id, client.NetworkRemoveOptions{})
		if err == nil || !strings.Contains(err.Error(), "active endpoints") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// networkDetach bounds the wait for a network's endpoints to go.
const networkDetach = 15 * time.Second

// removeRun removes every container and the network of run.
func removeRun(ctx context.Context, e *Engine, run string) (int, error) {
	return Clean(ctx, e, CleanOptions{Run: run})
}

// alive reports whether owner (HOST/PID) names a process still running on
// this host; the things of other hosts' labs are theirs to clean.
func alive(host, owner string) bool {
	h, pid, ok := strings.Cut(owner, "/")
	if !ok || h != host {
		return h != host // unlabelled: leave it; another host's: not ours
	}
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		return false
	}
	return pidAlive(n)
}

// Labelled counts the containers and networks of run, or of every run when
// run is "".
func (e *Engine) Labelled(ctx context.Context, run string) (containers, networks int, err error) {
	f := make(client.Filters).Add("label", LabelRun)
	if run != "" {
		f = make(client.Filters).Add("label", LabelRun+"="+run)
	}
	cs, err := e.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return 0, 0, fmt.Errorf("list containers: %w", err)
	}
	ns, err := e.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return 0, 0, fmt.Errorf("list networks: %w", err)
	}
	return len(cs.Items), len(ns.Items), nil
}
