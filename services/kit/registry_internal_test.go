package kit

import (
	"encoding/json"
	"errors"
	"lab/services/contract"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// entry is a registry entry as the watcher hands it over.
type entry struct {
	jetstream.KeyValueEntry
	key     string
	value   []byte
	created time.Time
}

func (e entry) Key() string                     { return e.key }
func (e entry) Value() []byte                   { return e.value }
func (e entry) Created() time.Time              { return e.created }
func (e entry) Operation() jetstream.KeyValueOp { return jetstream.KeyValuePut }

func register(d *Directory, svc, inst, addr string, at time.Time) {
	v, _ := json.Marshal(Registration{Service: svc, Instance: inst, Addr: addr})
	d.update(entry{key: svc + "." + inst, value: v, created: at})
}

func TestDirectoryPick(t *testing.T) {
	now := time.Unix(1000, 0)
	cfg := NewConfig("gateway", "gateway-1", map[string]string{contract.RouteKey("gateway", "catalog-2"): "127.0.0.1:9002"})
	d := NewDirectory("gateway", cfg)
	d.now = func() time.Time { return now }

	if _, _, err := d.Pick("catalog"); !errors.Is(err, ErrNoInstance) {
		t.Fatalf("pick with nothing registered: %v, want ErrNoInstance", err)
	}
	register(d, "catalog", "catalog-1", "127.0.0.1:8001", now)
	register(d, "catalog", "catalog-2", "127.0.0.1:8002", now)
	register(d, "catalog", "catalog-3", "127.0.0.1:8003", now.Add(-StaleAfter-time.Second))

	var got []string
	for i := 0; i < 4; i++ {
		ep, done, err := d.Pick("catalog")
		if err != nil {
			t.Fatal(err)
		}
		done()
		got = append(got, ep.Instance+"@"+ep.Addr)
	}
	want := []string{"catalog-1@127.0.0.1:8001", "catalog-2@127.0.0.1:9002", "catalog-1@127.0.0.1:8001", "catalog-2@127.0.0.1:9002"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("round robin over live instances through routes: got %v, want %v", got, want)
		}
	}

	// Everything stale: route to every known instance rather than to none.
	now = now.Add(time.Hour)
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		ep, done, _ := d.Pick("catalog")
		done()
		seen[ep.Instance] = true
	}
	if len(seen) != 3 {
		t.Fatalf("with every instance stale, picked %v; want all three", seen)
	}
}

func TestDirectoryLeastOutstanding(t *testing.T) {
	now := time.Unix(1000, 0)
	d := NewDirectory("orders", NewConfig("orders", "orders-1", map[string]string{"orders.lb": "least_outstanding"}))
	d.now = func() time.Time { return now }
	register(d, "payments", "payments-1", "a", now)
	register(d, "payments", "payments-2", "b", now)
	first, _, _ := d.Pick("payments") // held: outstanding
	second, done, _ := d.Pick("payments")
	done()
	third, done, _ := d.Pick("payments")
	done()
	if second.Instance == first.Instance || third.Instance == first.Instance {
		t.Fatalf("picked %s, %s, %s: least outstanding must avoid the busy %s", first.Instance, second.Instance, third.Instance, first.Instance)
	}
}

// TestRetryAvoidsTriedInstances: a retry goes to an instance its call has
// not tried while one is live, whatever turn the balancer is at (other
// calls share it); with every live instance tried, it takes any. Without
// it, one bad replica of three failed about 1% of browsing in bad-replica.
func TestRetryAvoidsTriedInstances(t *testing.T) {
	for _, lb := range []string{"round_robin", "least_outstanding"} {
		now := time.Unix(1000, 0)
		d := NewDirectory("gateway", NewConfig("gateway", "gateway-1", map[string]string{"gateway.lb": lb}))
		d.now = func() time.Time { return now }
		for _, in := range []string{"catalog-1", "catalog-2", "catalog-3"} {
			register(d, "catalog", in, in, now)
		}
		for turn := 0; turn < 6; turn++ { // every turn of the balancer
			ep, done, err := d.PickAvoiding("catalog", []string{"catalog-2"})
			if err != nil {
				t.Fatal(err)
			}
			done()
			if ep.Instance == "catalog-2" {
				t.Fatalf("%s, turn %d: the retry went back to catalog-2, which the call had tried", lb, turn)
			}
			ep, done, _ = d.PickAvoiding("catalog", []string{"catalog-1", "catalog-3"})
			done()
			if ep.Instance != "catalog-2" {
				t.Fatalf("%s, turn %d: picked %s; catalog-2 is the one not tried", lb, turn, ep.Instance)
			}
		}
		ep, done, err := d.PickAvoiding("catalog", []string{"catalog-1", "catalog-2", "catalog-3"})
		if err != nil || ep.Instance == "" {
			t.Fatalf("%s: every instance tried: %v, %q; want one of them", lb, err, ep.Instance)
		}
		done()
	}
}
