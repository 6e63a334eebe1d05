package faults

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"lab/lab"
	"lab/services/contract"
)

// Resolve turns a target into what a kind of layer acts on, for shape:
// proxy names for Network kinds, instance names for Process and HTTP kinds.
//
//	payments            a service: every edge into it / every instance
//	payments-2          an instance: every edge into it / that instance
//	orders->payments    an edge: orders' proxies to every payments instance
//	orders->payments-2  one proxy
//	orders.broker       orders' link to the broker
//	broker              the broker itself (process faults), or every
//	                    service's link to it (network faults)
//	node:worker-1       every instance on that node (process faults), or
//	                    every edge that leaves it (network faults): see
//	                    resolveNode
func Resolve(target string, layer Layer, shape lab.Shape) ([]string, error) {
	if layer == Network && shape.NoProxies {
		return nil, fmt.Errorf("target %q: the shop runs without proxies (--no-proxies); a network fault has nothing to act on", target)
	}
	if node, ok := strings.CutPrefix(target, NodePrefix); ok {
		return resolveNode(target, node, layer, shape)
	}
	if target == Broker {
		switch layer {
		case Process:
			return []string{Broker}, nil
		case Network:
			var out []string
			for _, svc := range contract.Services {
				out = append(out, lab.BrokerProxy(svc))
			}
			return out, nil
		}
		return nil, fmt.Errorf("target %q: the broker takes process and network faults", target)
	}
	if svc, ok := strings.CutSuffix(target, ".broker"); ok {
		if !lab.IsService(svc) {
			return nil, fmt.Errorf("target %q: unknown service %q", target, svc)
		}
		if layer != Network {
			return nil, fmt.Errorf("target %q: a broker link takes network faults only", target)
		}
		return []string{lab.BrokerProxy(svc)}, nil
	}
	if caller, callee, ok := strings.Cut(target, "->"); ok {
		if layer != Network {
			return nil, fmt.Errorf("target %q: an edge takes network faults only; target a service or an instance", target)
		}
		svc, inst, err := splitInstance(callee, shape)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", target, err)
		}
		if !calls(caller, svc) {
			return nil, fmt.Errorf("target %q: %s does not call %s (edges: %s)", target, caller, svc, strings.Join(Edges(), ", "))
		}
		var out []string
		for _, in := range instances(svc, inst, shape) {
			out = append(out, lab.EdgeProxy(caller, in))
		}
		return out, nil
	}
	svc, inst, err := splitInstance(target, shape)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", target, err)
	}
	if layer == Consumer && !slices.Contains(contract.Consumers, svc) {
		return nil, fmt.Errorf("target %q: %s consumes no events (consumers: %s)", target, svc, strings.Join(contract.Consumers, ", "))
	}
	if layer != Network {
		return instances(svc, inst, shape), nil
	}
	var out []string
	for _, caller := range callers(svc) {
		for _, in := range instances(svc, inst, shape) {
			out = append(out, lab.EdgeProxy(caller, in))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("target %q: no edge leads to %s; try %s.broker or a process fault", target, svc, svc)
	}
	return out, nil
}

// NodePrefix starts a node's target: node:worker-1.
const NodePrefix = "node:"

// ErrNeedsPlacement says that a target names a node, and the shape does not
// yet say which instance runs where: a scenario is checked before any shop
// runs, and its node targets are resolved once the shop has started.
var ErrNeedsPlacement = errors.New("a node target is resolved once the shop runs on several machines")

// resolveNode turns node:NAME into the instances on that node (process,
// HTTP and consumer faults), or into every edge that leaves it (network
// faults): each proxy into an instance on the node, from callers elsewhere
// (the load included); each proxy out of it, from a service all of whose
// instances run there (a proxy is a caller service's, shared by its
// instances on every node); and the broker links of those services, when
// the broker runs elsewhere. What runs on the node keeps talking to what
// runs on the node, as on a real machine cut off from its network.
func resolveNode(target, node string, layer Layer, shape lab.Shape) ([]string, error) {
	if node == "" {
		return nil, fmt.Errorf("target %q: want %sNAME, with the name of a node", target, NodePrefix)
	}
	if shape.Nodes == nil {
		return nil, fmt.Errorf("target %q: %w", target, ErrNeedsPlacement)
	}
	on := map[string]bool{} // instances on the node
	all := map[string]bool{}
	var names []string
	for in, n := range shape.Nodes {
		all[n] = true
		if n == node {
			on[in] = true
		}
	}
	for n := range all {
		names = append(names, n)
	}
	slices.Sort(names)
	if !all[node] {
		return nil, fmt.Errorf("target %q: no instance runs on a node %q (nodes: %s)", target, node, strings.Join(names, ", "))
	}
	if layer != Network {
		var out []string
		for _, svc := range contract.Services {
			if layer == Consumer && !slices.Contains(contract.Consumers, svc) {
				continue
			}
			for _, in := range instances(svc, 0, shape) {
				if on[in] {
					out = append(out, in)
				}
			}
		}
		return out, nil
	}
	whole := func(svc string) bool { // every instance of svc on the node
		for _, in := range instances(svc, 0, shape) {
			if !on[in] {
				return false
			}
		}
		return true
	}
	var out []string
	for _, callee := range contract.Services {
		for _, in := range instances(callee, 0, shape) {
			for _, caller := range callers(callee) {
				inside := caller != contract.LoadCaller && whole(caller)
				if on[in] != inside { // one end on the node, the other not
					out = append(out, lab.EdgeProxy(caller, in))
				}
			}
		}
	}
	if !on[Broker] {
		for _, svc := range contract.Services {
			if whole(svc) {
				out = append(out, lab.BrokerProxy(svc))
			}
		}
	}
	return out, nil
}

// Broker names the broker as a target; the runtime knows it by this name.
const Broker = "broker"

// Edges lists every caller->callee edge, load->gateway first.
func Edges() []string {
	out := []string{contract.LoadCaller + "->gateway"}
	for _, caller := range contract.Services {
		for _, callee := range contract.Calls[caller] {
			out = append(out, caller+"->"+callee)
		}
	}
	return out
}

func calls(caller, callee string) bool {
	for _, c := range callers(callee) {
		if c == caller {
			return true
		}
	}
	return false
}

func callers(svc string) []string {
	var out []string
	if svc == "gateway" {
		out = append(out, contract.LoadCaller)
	}
	for _, caller := range contract.Services {
		for _, callee := range contract.Calls[caller] {
			if callee == svc {
				out = append(out, caller)
			}
		}
	}
	return out
}

// splitInstance reads "payments" (n 0) or "payments-2" (n 2).
func splitInstance(s string, shape lab.Shape) (string, int, error) {
	if lab.IsService(s) {
		return s, 0, nil
	}
	if i := strings.LastIndexByte(s, '-'); i > 0 {
		svc := s[:i]
		n, err := strconv.Atoi(s[i+1:])
		if lab.IsService(svc) && err == nil {
			if n < 1 || n > shape.ReplicasOf(svc) {
				return "", 0, fmt.Errorf("%s runs %d instance(s), so there is no %s", svc, shape.ReplicasOf(svc), s)
			}
			return svc, n, nil
		}
	}
	return "", 0, fmt.Errorf("unknown service or instance %q (services: %s)", s, strings.Join(contract.Services, ", "))
}

func instances(svc string, n int, shape lab.Shape) []string {
	if n > 0 {
		return []string{lab.InstanceName(svc, n)}
	}
	var out []string
	for i := 1; i <= shape.ReplicasOf(svc); i++ {
		out = append(out, lab.InstanceName(svc, i))
	}
	return out
}
