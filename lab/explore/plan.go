// Package explore runs one short experiment per (target, fault kind) of
// the shop's shape, on one shop kept up between them, and reads them into a
// resilience map (results.Explore).
package explore

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"lab/faults"
	"lab/lab"
	"lab/lab/results"
	"lab/scenarios"
	"lab/services/contract"
	"lab/services/kit"
)

// Kinds are the fault kinds an explore knows, most severe first: an
// unreachable dependency, a crash, errors, then latency.
var Kinds = []string{"down", "kill", "http_error", "latency"}

// TargetClasses are what --targets takes.
var TargetClasses = []string{"edges", "services", "instances"}

// The timeline of every experiment: a baseline, the fault, a recovery.
const (
	BaselineS = 4
	FaultS    = 5
	RecoveryS = 4
	// MeasuredS is each experiment's measured load.
	MeasuredS = BaselineS + FaultS + RecoveryS
)

// Targets lists the targets of class for shape, in the shop's order:
// edges are every caller->callee edge and every service's link to the
// broker; services every service and the broker; instances every instance
// and the broker.
func Targets(class string, shape lab.Shape) ([]string, error) {
	var out []string
	switch class {
	case "edges":
		out = faults.Edges()
		for _, svc := range contract.Services {
			out = append(out, svc+".broker")
		}
	case "services":
		out = append(slices.Clone(contract.Services), faults.Broker)
	case "instances":
		for _, svc := range contract.Services {
			for i := 1; i <= shape.ReplicasOf(svc); i++ {
				out = append(out, lab.InstanceName(svc, i))
			}
		}
		out = append(out, faults.Broker)
	default:
		return nil, fmt.Errorf("--targets %q: want one of %s", class, strings.Join(TargetClasses, ", "))
	}
	return out, nil
}

// Plan returns the probes of kinds on the targets of class, most severe
// kind first and each kind over the targets in the shop's order, and what
// cannot go together (a kind no target of the class takes, said once; or a
// pair the shape refuses, such as a network fault on notifications, which
// nothing calls).
//
// only, when not empty, keeps the targets it names (each must be one of
// the class's).
func Plan(sc *scenarios.Scenario, kinds []string, class string, only []string) (probes []results.Probe, notApplicable []string, err error) {
	for _, k := range kinds {
		if !slices.Contains(Kinds, k) {
			return nil, nil, fmt.Errorf("--kinds: unknown kind %q (want some of %s)", k, strings.Join(Kinds, ", "))
		}
	}
	shape := sc.Shape()
	targets, err := Targets(class, shape)
	if err != nil {
		return nil, nil, err
	}
	if len(only) > 0 {
		for _, o := range only {
			if !slices.Contains(targets, o) {
				return nil, nil, fmt.Errorf("--only %s: not one of --targets %s (%s)", o, class, strings.Join(targets, ", "))
			}
		}
		targets = slices.DeleteFunc(targets, func(t string) bool { return !slices.Contains(only, t) })
	}
	for _, kind := range Kinds {
		if !slices.Contains(kinds, kind) {
			continue
		}
		k, err := faults.Lookup(kind)
		if err != nil {
			return nil, nil, err
		}
		var refused []string
		before := len(probes)
		for _, t := range targets {
			if _, err := faults.Resolve(t, k.Layer(), shape); err != nil {
				refused = append(refused, fmt.Sprintf("%s on %s: %v", kind, t, err))
				continue
			}
			p := results.Probe{Kind: kind, Target: t, Severity: len(Kinds) - slices.Index(Kinds, kind)}
			p.Params, p.Setting = setting(kind, t, sc)
			probes = append(probes, p)
		}
		if len(probes) == before {
			notApplicable = append(notApplicable, fmt.Sprintf("%s: no target of --targets %s takes it (%s)", kind, class, firstReason(refused)))
		} else {
			notApplicable = append(notApplicable, refused...)
		}
	}
	for i := range probes {
		probes[i].ID = fmt.Sprintf("%02d-%s-%s", i+1, probes[i].Kind, slug(probes[i].Target))
	}
	return probes, notApplicable, nil
}

func firstReason(refused []string) string {
	if len(refused) == 0 {
		return "none"
	}
	_, why, _ := strings.Cut(refused[0], ": ")
	return why
}

// slug makes a target a folder name on every system: "orders->payments"
// is "orders-to-payments".
func slug(t string) string {
	return strings.NewReplacer("->", "-to-", ".", "-").Replace(t)
}

// setting chooses each kind's severe but realistic setting: down cuts
// every connection; latency adds more than the caller waits; http_error
// answers every request 503; kill sends SIGKILL and starts the instance
// again when the fault ends.
func setting(kind, target string, sc *scenarios.Scenario) (map[string]any, string) {
	switch kind {
	case "down":
		return nil, "every connection refused"
	case "latency":
		add, why := latencyFor(target, sc)
		return map[string]any{"latency": add.String()}, fmt.Sprintf("%s added (%s)", add, why)
	case "http_error":
		return map[string]any{"status": 503}, "503 to every request"
	case "kill":
		return nil, "SIGKILL, started again when the fault ends"
	}
	return nil, ""
}

// latencyFor returns a latency above what the callers of target wait for
// an attempt: the longest of their timeouts under the scenario's policies,
// overrides included, plus 100ms; and says why. The links to the broker and
// the load's link to the gateway have no timeout of the shop's: they get
// 1s and 2s.
func latencyFor(target string, sc *scenarios.Scenario) (time.Duration, string) {
	if strings.HasSuffix(target, ".broker") || target == faults.Broker {
		return time.Second, "a link to the broker has no timeout of the shop's"
	}
	svc := target
	var callers []string
	if caller, callee, ok := strings.Cut(target, "->"); ok {
		svc, callers = callee, []string{caller}
	}
	svc = lab.ServiceOf(svc)
	if callers == nil {
		for c, callees := range contract.Calls {
			if slices.Contains(callees, svc) {
				callers = append(callers, c)
			}
		}
		slices.Sort(callers)
	}
	preset := sc.Resilience.Preset
	if _, ok := kit.Presets[preset]; !ok {
		preset = "default"
	}
	var longest time.Duration
	whose := ""
	for _, c := range callers {
		if c == contract.LoadCaller {
			continue
		}
		d := kit.Presets[preset](c, svc).Timeout.D()
		if o, ok := sc.Resilience.Edges[c+"->"+svc]; ok && o.Timeout != nil {
			d = o.Timeout.D()
		}
		if d > longest {
			longest, whose = d, fmt.Sprintf("%s->%s times out after %s", c, svc, d)
		}
	}
	if longest == 0 {
		return 2 * time.Second, "the load's link to the gateway has no timeout of the shop's"
	}
	return longest + 100*time.Millisecond, whose
}

// Experiment returns the scenario of probe p: the load scenario's shop,
// policies and load, the probe's fault from BaselineS for FaultS, the
// given seed, no hypotheses (the map reads the blast radius and the
// invariants). The text is a scenario file, checked as every file is.
func Experiment(load *scenarios.Scenario, p results.Probe, seed int64) (*scenarios.Scenario, error) {
	var b strings.Builder
	var failed error
	js := func(v any) string {
		out, err := json.Marshal(v)
		if err != nil && failed == nil {
			failed = fmt.Errorf("explore %s: write %T as a scenario field: %w", p.ID, v, err)
		}
		return string(out)
	}
	fmt.Fprintf(&b, "name: explore-%s\n", p.ID)
	fmt.Fprintf(&b, "summary: %s\n", js(fmt.Sprintf("%s (%s), explored on %s's shop and load", p.Describe(), p.Setting, load.Name)))
	fmt.Fprintf(&b, "seed: %d\nduration: %ds\nwarmup: 2s\ndrain: 5s\n", seed, MeasuredS)
	fmt.Fprintf(&b, "shop: %s\nresilience: %s\nload: %s\n", js(load.Shop), js(load.Resilience), js(load.Load))
	fmt.Fprintf(&b, "faults:\n  - name: %s\n    at: %ds\n    for: %ds\n    target: %s\n    kind: %s\n",
		p.Kind, BaselineS, FaultS, js(p.Target), p.Kind)
	for _, k := range slices.Sorted(maps.Keys(p.Params)) {
		fmt.Fprintf(&b, "    %s: %s\n", k, js(p.Params[k]))
	}
	if len(load.Invariants) > 0 {
		fmt.Fprintf(&b, "invariants: %s\n", js(load.Invariants))
	}
	if failed != nil {
		return nil, failed
	}
	return scenarios.Parse("explore:"+p.ID, []byte(b.String()), nil)
}
