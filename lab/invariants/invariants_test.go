package invariants_test

import (
	"errors"
	"strings"
	"testing"

	"lab/lab/invariants"
	"lab/services/contract"
)

// healthy is the data of a shop that lost nothing and did nothing twice.
func healthy() *invariants.Data {
	return &invariants.Data{
		Orders:  []invariants.Order{{ID: "o1", Status: "paid"}, {ID: "o2", Status: "payment_failed"}, {ID: "o3", Status: "pending", Reason: "payment deferred"}},
		Charges: []invariants.Charge{{ChargeID: "c1", OrderID: "o1", Status: "succeeded"}, {ChargeID: "c2", OrderID: "o2", Status: "declined"}},
		Stock:   []invariants.Stock{{ProductID: 1, Initial: 10, Available: 7, Reserved: 1, Sold: 2}},
		Events: []contract.Event{
			{ID: "e1", Type: "OrderPlaced", OrderID: "o1"}, {ID: "e2", Type: "OrderPlaced", OrderID: "o2"},
			{ID: "e3", Type: "OrderPlaced", OrderID: "o3"}, {ID: "e4", Type: "PaymentSucceeded", OrderID: "o1"},
			{ID: "e5", Type: "PaymentFailed", OrderID: "o2"}, {ID: "e6", Type: "PaymentRequested", OrderID: "o3"},
			{ID: "e1", Type: "OrderPlaced", OrderID: "o1"}, // a republished outbox row: the same id
		},
		Notifications: []invariants.Notification{{EventID: "e1"}, {EventID: "e2"}, {EventID: "e3"}, {EventID: "e4"}, {EventID: "e5"}},
		OutboxPending: map[string]int{"orders": 0, "payments": 0},
		ConsumerLag:   map[string]int{"payments": 0},
	}
}

// TestEachInvariantCatchesItsBug breaks the healthy data one way at a time:
// exactly the named invariant must fail, naming the offending id.
func TestEachInvariantCatchesItsBug(t *testing.T) {
	for _, r := range invariants.Check(healthy(), nil) {
		if !r.Pass {
			t.Fatalf("healthy data breaks %s: %s", r.Name, r.Detail)
		}
	}
	tests := []struct {
		name   string
		break_ func(*invariants.Data)
		fails  string
		names  string
	}{
		{"pending without reason", func(d *invariants.Data) { d.Orders[2].Reason = "" }, "orders-settled", "o3"},
		{"double charge", func(d *invariants.Data) {
			d.Charges = append(d.Charges, invariants.Charge{ChargeID: "c9", OrderID: "o1", Status: "succeeded"})
		}, "charged-once", "o1 (2 charges)"},
		{"charge for a cancelled order", func(d *invariants.Data) { d.Orders[0].Status = "cancelled" }, "charges-match-orders", "o1"},
		{"stock created from nothing", func(d *invariants.Data) { d.Stock[0].Available = 8 }, "stock-conserved", "1 (10 = 8 + 1 + 2?)"},
		{"negative stock", func(d *invariants.Data) { d.Stock[0].Available, d.Stock[0].Sold = -1, 10 }, "stock-conserved", "1 ("},
		{"notified twice", func(d *invariants.Data) {
			d.Notifications = append(d.Notifications, invariants.Notification{EventID: "e4"})
		}, "notified-once", "e4 (2)"},
		{"never notified", func(d *invariants.Data) { d.Notifications = d.Notifications[:4] }, "notified-once", "e5"},
		{"event lost", func(d *invariants.Data) {
			d.Events = append(d.Events[:2], d.Events[3:]...) // o3's OrderPlaced never reached the stream
			d.Notifications = append(d.Notifications[:2], d.Notifications[3:]...)
		}, "no-event-lost", "o3 (0)"},
		{"outbox not drained", func(d *invariants.Data) { d.OutboxPending["orders"] = 3 }, "no-event-lost", "3 events still in the orders outbox"},
		{"consumer behind", func(d *invariants.Data) { d.ConsumerLag["payments"] = 2 }, "no-event-lost", "consumer payments has 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := healthy()
			tt.break_(d)
			for _, r := range invariants.Check(d, nil) {
				if r.Name == tt.fails {
					if r.Pass || !strings.Contains(r.Detail, tt.names) {
						t.Fatalf("%s: pass %v, detail %q; want a failure naming %q", r.Name, r.Pass, r.Detail, tt.names)
					}
				} else if !r.Pass {
					t.Fatalf("%s also failed: %s", r.Name, r.Detail)
				}
			}
		})
	}
}

// TestNothingToCheckIsNotExercised: a run that ordered nothing passes every
// invariant trivially; each says it was not exercised. Healthy data with
// orders exercises them all; data that cannot be read is a failure, not a
// trivial pass.
func TestNothingToCheckIsNotExercised(t *testing.T) {
	idle := &invariants.Data{Stock: []invariants.Stock{{ProductID: 1, Initial: 10, Available: 10}},
		OutboxPending: map[string]int{"orders": 0}, ConsumerLag: map[string]int{}}
	for _, r := range invariants.Check(idle, nil) {
		if !r.Pass || r.Exercised {
			t.Errorf("%s on a run with no order: pass %v, exercised %v; want a trivial pass, not exercised", r.Name, r.Pass, r.Exercised)
		}
	}
	for _, r := range invariants.Check(healthy(), nil) {
		if !r.Exercised {
			t.Errorf("%s not exercised by data with orders, charges, stock moved and events", r.Name)
		}
	}
	unread := healthy()
	unread.Unread = map[string]error{"notifications": errors.New("connection refused")}
	for _, r := range invariants.Check(unread, []string{"notified-once", "orders-settled"}) {
		switch r.Name {
		case "notified-once":
			if r.Pass || !r.Exercised || !strings.Contains(r.Detail, "connection refused") {
				t.Errorf("notified-once without the notifications: %+v, want a failure saying why", r)
			}
		case "orders-settled":
			if !r.Pass {
				t.Errorf("orders-settled failed for want of the notifications, which it does not read: %+v", r)
			}
		}
	}
}
