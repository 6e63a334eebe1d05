package lab_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"lab/lab"
	"lab/services/contract"
	"lab/services/shop"
)

func TestLinksCoverEveryEdgeOnce(t *testing.T) {
	links := lab.Links(lab.Shape{Replicas: map[string]int{"catalog": 2, "gateway": 2}})
	seen := map[string]bool{}
	var routed, fronts, brokers int
	for _, l := range links {
		if seen[l.Name] {
			t.Errorf("proxy %s twice", l.Name)
		}
		seen[l.Name] = true
		switch {
		case l.Routed():
			routed++
		case l.Front():
			fronts++
		case l.Target == lab.Broker:
			brokers++
		default:
			t.Errorf("%+v is neither routed, front nor broker link", l)
		}
	}
	// gateway -> users, catalog-1, catalog-2, inventory, orders; orders -> catalog-1, catalog-2, inventory, payments.
	if got, want := routed, 9; got != want {
		t.Errorf("%d routed edges, want %d", got, want)
	}
	if got, want := fronts, 2; got != want {
		t.Errorf("%d links in front of gateways, want %d", got, want)
	}
	if got, want := brokers, len(contract.Services); got != want {
		t.Errorf("%d broker links, want %d", got, want)
	}
	for _, name := range []string{"orders->catalog-2", "load->gateway-2", "notifications.broker"} {
		if !seen[name] {
			t.Errorf("no proxy %s", name)
		}
	}
}

// TestEveryCallCrossesAProxy holds the call graph each service declares
// (kit.Service.Callees, what it gets a client for) to the edges the harness
// proxies: a callee a service adds without the contract would be called
// straight, past every fault, and a proxied edge no service calls would
// make faults on it invisible.
func TestEveryCallCrossesAProxy(t *testing.T) {
	proxied := map[string]bool{}
	for _, l := range lab.Links(lab.Shape{Replicas: map[string]int{"catalog": 3, "payments": 2}}) {
		if l.Routed() {
			svc, _, _ := strings.Cut(l.Target, "-")
			proxied[l.Caller+"->"+svc] = true
		}
	}
	declared := map[string]bool{}
	for _, name := range contract.Services {
		svc, err := shop.Lookup(name)
		if err != nil {
			t.Fatalf("the contract's service %s: %v", name, err)
		}
		for _, callee := range svc.Callees {
			declared[name+"->"+callee] = true
		}
	}
	if !maps.Equal(proxied, declared) {
		t.Errorf("proxied edges %v, declared calls %v", slices.Sorted(maps.Keys(proxied)), slices.Sorted(maps.Keys(declared)))
	}
	if got := shop.Names(); !slices.Equal(got, slices.Sorted(slices.Values(contract.Services))) {
		t.Errorf("the shop runs %v, the contract names %v", got, contract.Services)
	}
}
