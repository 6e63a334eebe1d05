package lab_test

import (
	"testing"

	"lab/lab"
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
	if got, want := brokers, len(lab.Services); got != want {
		t.Errorf("%d broker links, want %d", got, want)
	}
	for _, name := range []string{"orders->catalog-2", "load->gateway-2", "notifications.broker"} {
		if !seen[name] {
			t.Errorf("no proxy %s", name)
		}
	}
}
