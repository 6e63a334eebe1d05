package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"lab/lab"
)

// LabelEngine, on a swarm node, is where the lab reaches that node's engine
// (unix:///..., tcp://HOST:PORT): to copy its image there without a
// registry, and to kill, pause and stop a task's container. The user sets
// it once per node (docker node update --label-add lab.engine=... NODE);
// the manager's own engine needs none.
const LabelEngine = "lab.engine"

// node is one node of the swarm that the run places tasks on.
type node struct {
	id, name string
	// addr is where the harness reaches the ports a task publishes there:
	// the manager's engine host (127.0.0.1 for a local socket), the
	// node's own address for the others.
	addr    string
	manager bool
	// what placement constraints read: node.role, node.hostname, node.labels.X
	role, hostname string
	labels         map[string]string
	cli            client.APIClient
	own            bool // the lab connected cli: close it
}

// nodes lists the swarm's ready, active nodes, the manager first, then by
// name, each with a connection to its engine. strict (a run's) refuses a
// node without a lab.engine label or whose engine does not answer; else
// (a clean's) such nodes are left out, the second said in the error, and
// the others returned all the same.
func (e *Engine) nodes(ctx context.Context, sw Swarm, strict bool) ([]*node, error) {
	list, err := e.cli.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the swarm's nodes: %w", err)
	}
	var out []*node
	names := map[string]int{}
	for _, n := range list.Items {
		if n.Status.State != swarm.NodeStateReady || n.Spec.Availability != swarm.NodeAvailabilityActive {
			continue
		}
		names[n.Description.Hostname]++
	}
	var errs []error
	for _, n := range list.Items {
		if n.Status.State != swarm.NodeStateReady || n.Spec.Availability != swarm.NodeAvailabilityActive {
			continue
		}
		nd := &node{id: n.ID, name: n.Description.Hostname, addr: n.Status.Addr, manager: n.ID == sw.NodeID,
			role: string(n.Spec.Role), hostname: n.Description.Hostname, labels: n.Spec.Labels}
		if names[nd.name] > 1 { // nodes of one host name: told apart by id
			nd.name += "-" + n.ID[:6]
		}
		endpoint := n.Spec.Labels[LabelEngine]
		switch {
		case nd.manager:
			nd.cli, nd.addr = e.cli, e.Host
		case endpoint == "" && !strict:
			continue
		default:
			if err := nd.connect(ctx, endpoint); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		out = append(out, nd)
	}
	if err := errors.Join(errs...); err != nil && strict {
		closeNodes(out)
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].manager != out[j].manager {
			return out[i].manager
		}
		return out[i].name < out[j].name
	})
	return out, errors.Join(errs...)
}

// connect reaches the node's engine at endpoint, its lab.engine label.
func (n *node) connect(ctx context.Context, endpoint string) error {
	if endpoint == "" {
		return fmt.Errorf("node %s (%s) has no %s label: the lab copies its image and sends kills and pauses through each node's engine; "+
			"label it with `docker node update --label-add %s=tcp://%s:2375 %s` (or unix://SOCKET), or take it out of the run's reach with "+
			"`docker node update --availability drain %s`", n.name, n.id[:12], LabelEngine, LabelEngine, n.addr, n.id[:12], n.id[:12])
	}
	c, err := client.New(client.WithHost(endpoint))
	if err != nil {
		return fmt.Errorf("node %s: engine %s: %w", n.name, endpoint, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.Ping(pctx, client.PingOptions{}); err != nil {
		c.Close()
		return fmt.Errorf("node %s: its engine at %s (label %s) does not answer: %w", n.name, endpoint, LabelEngine, err)
	}
	n.cli, n.own = c, true
	return nil
}

func closeNodes(ns []*node) {
	for _, n := range ns {
		if n.own {
			n.cli.Close()
		}
	}
}

// copyImage loads tag into every node's engine that lacks it, saved from
// the manager's through the engine API (no registry): it returns how many
// nodes it copied to.
func copyImage(ctx context.Context, from client.APIClient, tag string, ns []*node) (int, error) {
	copied := 0
	for _, n := range ns {
		if n.manager {
			continue
		}
		if _, err := n.cli.ImageInspect(ctx, tag); err == nil {
			continue
		} else if !IsNotFound(err) {
			return copied, fmt.Errorf("node %s: look for image %s: %w", n.name, tag, err)
		}
		saved, err := from.ImageSave(ctx, []string{tag})
		if err != nil {
			return copied, fmt.Errorf("save image %s: %w", tag, err)
		}
		loaded, err := n.cli.ImageLoad(ctx, saved, client.ImageLoadWithQuiet(true))
		saved.Close()
		if err != nil {
			return copied, fmt.Errorf("node %s: load image %s: %w", n.name, tag, err)
		}
		msg, _ := io.ReadAll(loaded)
		loaded.Close()
		if strings.Contains(string(msg), `"error"`) {
			return copied, fmt.Errorf("node %s: load image %s: %s", n.name, tag, strings.TrimSpace(string(msg)))
		}
		copied++
	}
	return copied, nil
}

// holds reports whether n satisfies c.
func holds(c lab.Constraint, n *node) bool {
	var v string
	switch c.Field {
	case "node.id":
		v = n.id
	case "node.hostname":
		v = n.hostname
	case "node.role":
		v = n.role
	default:
		v = n.labels[strings.TrimPrefix(c.Field, "node.labels.")]
	}
	return (v == c.Value) == c.Equal
}
