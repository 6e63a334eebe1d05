package explore

import (
	"slices"
	"strings"
	"testing"
	"time"

	"lab/lab/results"
	"lab/scenarios"
)

func baseline(t *testing.T, sets ...string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Open("baseline", sets)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestPlanCoversEveryEdge: down and latency on every call edge and every
// broker link, most severe kind first, in a fixed order; kinds no edge
// takes are said once.
func TestPlanCoversEveryEdge(t *testing.T) {
	probes, na, err := Plan(baseline(t), Kinds, "edges", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(probes) != 30 {
		t.Fatalf("%d probes, want 15 targets (8 call edges, 7 broker links) x down, latency", len(probes))
	}
	if probes[0].Kind != "down" || probes[15].Kind != "latency" || probes[0].Target != "load->gateway" {
		t.Errorf("order: %s %s first, %s at 16; want down first from load->gateway, then latency", probes[0].Kind, probes[0].Target, probes[15].Kind)
	}
	seen := map[string]bool{}
	for _, p := range probes {
		if seen[p.ID] {
			t.Errorf("ID %s twice", p.ID)
		}
		seen[p.ID] = true
		if strings.ContainsAny(p.ID, `<>:"/\|?*`) {
			t.Errorf("ID %s cannot be a folder name on every system", p.ID)
		}
	}
	if len(na) != 2 || !strings.HasPrefix(na[0], "kill: no target of --targets edges") || !strings.HasPrefix(na[1], "http_error:") {
		t.Errorf("not applicable %q: want kill and http_error said once each", na)
	}
	again, _, _ := Plan(baseline(t), Kinds, "edges", nil)
	if !slices.EqualFunc(probes, again, func(a, b results.Probe) bool { return a.ID == b.ID && a.Setting == b.Setting }) {
		t.Error("two plans of the same shop differ")
	}
}

// TestLatencyAboveTheCallersTimeout: the latency setting exceeds the
// timeout of the edge's caller under the scenario's policies, overrides
// included.
func TestLatencyAboveTheCallersTimeout(t *testing.T) {
	for _, tt := range []struct {
		sets   []string
		target string
		want   time.Duration
	}{
		{nil, "orders->payments", 1100 * time.Millisecond},
		{nil, "gateway->inventory", 250 * time.Millisecond},
		{nil, "gateway->orders", 4100 * time.Millisecond},
		{[]string{"resilience.orders->payments.timeout=300ms"}, "orders->payments", 400 * time.Millisecond},
		{[]string{"resilience=naive-retries"}, "orders->payments", 300 * time.Millisecond},
	} {
		probes, _, err := Plan(baseline(t, tt.sets...), []string{"latency"}, "edges", []string{tt.target})
		if err != nil {
			t.Fatal(err)
		}
		if len(probes) != 1 {
			t.Fatalf("%d probes for --only %s", len(probes), tt.target)
		}
		got, err := time.ParseDuration(probes[0].Params["latency"].(string))
		if err != nil || got != tt.want {
			t.Errorf("%v %s: latency %v (%v), want %s", tt.sets, tt.target, got, err, tt.want)
		}
	}
}

// TestEveryProbeIsAScenario: every probe of every kind and class makes a
// scenario file that the lab's own checks accept.
func TestEveryProbeIsAScenario(t *testing.T) {
	sc := baseline(t, "shop.replicas.catalog=2")
	for _, class := range TargetClasses {
		probes, _, err := Plan(sc, Kinds, class, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range probes {
			exp, err := Experiment(sc, p, int64(i))
			if err != nil {
				t.Fatalf("%s: %v", p.ID, err)
			}
			if len(exp.Faults) != 1 || exp.Faults[0].Target != p.Target || exp.Duration.D() != MeasuredS*time.Second {
				t.Fatalf("%s: faults %+v, duration %s", p.ID, exp.Faults, exp.Duration.D())
			}
			if exp.Shop.Replicas["catalog"] != 2 {
				t.Fatalf("%s: the load scenario's shop is lost: %+v", p.ID, exp.Shop)
			}
		}
	}
}

func TestPlanRefuses(t *testing.T) {
	sc := baseline(t)
	for _, tt := range []struct {
		kinds       []string
		class, want string
		only        []string
	}{
		{[]string{"slow"}, "edges", `unknown kind "slow"`, nil},
		{Kinds, "pods", `--targets "pods"`, nil},
		{Kinds, "edges", "--only payments: not one of --targets edges", []string{"payments"}},
	} {
		if _, _, err := Plan(sc, tt.kinds, tt.class, tt.only); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Plan(%v, %s, %v): %v, want %q", tt.kinds, tt.class, tt.only, err, tt.want)
		}
	}
}
