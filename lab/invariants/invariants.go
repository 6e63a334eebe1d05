// Package invariants checks, after a run, that the shop lost nothing and did
// nothing twice, the way Jepsen checks a database after its faults. It reads
// each service's own data through its admin endpoints (so it works the same
// in any runtime) and the event stream through the broker.
//
// The invariants, by name:
//
//	orders-settled        every accepted order is paid, payment_failed or
//	                      cancelled, or still pending with a stated reason
//	charged-once          no order was charged more than once
//	charges-match-orders  succeeded charges and paid orders match one for one
//	stock-conserved       per product, initial = available + reserved + sold,
//	                      and none of them is negative
//	notified-once         every order and payment event produced exactly one
//	                      notification
//	no-event-lost         every order's OrderPlaced and every charge's payment
//	                      event reached the stream, outboxes are empty and
//	                      every consumer has acknowledged everything
package invariants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"lab/lab"
	"lab/services/contract"
)

// Result is one invariant as checked. An invariant with nothing to check
// (no order placed, no event published) is not Exercised: it held, but
// trivially, and says nothing.
type Result struct {
	Name      string
	Pass      bool
	Exercised bool
	Detail    string
}

// exercised says, per invariant, whether the data gave it anything to check.
var exercised = map[string]func(*Data) bool{
	"orders-settled":       func(d *Data) bool { return len(d.Orders) > 0 },
	"charged-once":         func(d *Data) bool { return len(d.Charges) > 0 },
	"charges-match-orders": func(d *Data) bool { return len(d.Orders) > 0 || len(d.Charges) > 0 },
	"stock-conserved": func(d *Data) bool {
		for _, st := range d.Stock {
			if st.Reserved > 0 || st.Sold > 0 || st.Available != st.Initial {
				return true
			}
		}
		return false
	},
	"notified-once": func(d *Data) bool { return len(d.Events) > 0 || len(d.Notifications) > 0 },
	"no-event-lost": func(d *Data) bool {
		n := len(d.Events)
		for _, v := range d.OutboxPending {
			n += v
		}
		for _, v := range d.ConsumerLag {
			n += v
		}
		return n > 0
	},
}

// Data is everything the checks read.
type Data struct {
	Orders        []Order
	Charges       []Charge
	Stock         []Stock
	Notifications []Notification
	Events        []contract.Event
	OutboxPending map[string]int // service -> events waiting
	ConsumerLag   map[string]int // durable consumer -> not yet acknowledged
	// Unread says, per source that could not be read ("orders",
	// "payments", "inventory", "notifications", "outbox", "stream"), why:
	// the invariants that need it fail saying so, the others are checked.
	Unread map[string]error
}

// needs lists the sources each invariant reads.
var needs = map[string][]string{
	"orders-settled":       {"orders"},
	"charged-once":         {"payments"},
	"charges-match-orders": {"orders", "payments"},
	"stock-conserved":      {"inventory"},
	"notified-once":        {"notifications", "stream"},
	"no-event-lost":        {"orders", "payments", "outbox", "stream"},
}

// Order, Charge, Stock and Notification are the services' admin views.
type (
	Order struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	Charge struct {
		ChargeID string `json:"charge_id"`
		OrderID  string `json:"order_id"`
		Status   string `json:"status"`
	}
	Stock struct {
		ProductID int `json:"product_id"`
		Initial   int `json:"initial"`
		Available int `json:"available"`
		Reserved  int `json:"reserved"`
		Sold      int `json:"sold"`
	}
	Notification struct {
		EventID string `json:"event_id"`
		Kind    string `json:"kind"`
		OrderID string `json:"order_id"`
	}
)

// Read gathers the data from a running shop: each service's from the
// first of its instances that answers (replicas share their service's
// database). A source that cannot be read is named in Data.Unread; Read
// fails only when it can read nothing at all.
func Read(ctx context.Context, shop lab.Shop) (*Data, error) {
	d := &Data{OutboxPending: map[string]int{}, ConsumerLag: map[string]int{}, Unread: map[string]error{}}
	addrs := map[string][]string{}
	for _, in := range shop.Instances() {
		addrs[in.Service] = append(addrs[in.Service], in.Addr)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	get := func(svc, path string, v any) error {
		var err error
		for _, addr := range addrs[svc] {
			if err = getJSON(ctx, hc, "http://"+addr+path, v); err == nil {
				return nil
			}
		}
		if err == nil {
			err = errors.New("no instance")
		}
		return fmt.Errorf("read %s%s: %w", svc, path, err)
	}
	var o struct{ Orders []Order }
	var c struct{ Charges []Charge }
	var st struct{ Stock []Stock }
	var n struct{ Notifications []Notification }
	for src, err := range map[string]error{
		"orders": get("orders", "/admin/orders", &o), "payments": get("payments", "/admin/charges", &c),
		"inventory": get("inventory", "/admin/stock", &st), "notifications": get("notifications", "/admin/notifications", &n),
	} {
		if err != nil {
			d.Unread[src] = err
		}
	}
	d.Orders, d.Charges, d.Stock, d.Notifications = o.Orders, c.Charges, st.Stock, n.Notifications
	for _, svc := range []string{"orders", "payments"} {
		var ob struct{ Pending int }
		if err := get(svc, "/admin/outbox", &ob); err != nil {
			d.Unread["outbox"] = err
		}
		d.OutboxPending[svc] = ob.Pending
	}
	if err := readStream(ctx, shop.BrokerURL(), d); err != nil {
		d.Unread["stream"] = err
	}
	if len(d.Unread) == 6 {
		return nil, d.Unread["orders"]
	}
	return d, nil
}

func getJSON(ctx context.Context, hc *http.Client, url string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// readStream reads every event and every durable consumer's lag.
func readStream(ctx context.Context, url string, d *Data) error {
	nc, err := nats.Connect(url, nats.Name("lab-invariants"))
	if err != nil {
		return fmt.Errorf("connect to broker: %w", err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(ctx, contract.Stream)
	if err != nil {
		return fmt.Errorf("open stream: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("read stream: %w", err)
	}
	if info.State.Msgs > 0 {
		cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
		if err != nil {
			return fmt.Errorf("read stream: %w", err)
		}
		for uint64(len(d.Events)) < info.State.Msgs {
			// Ask for exactly what is left, so the fetch never waits for more.
			batch, err := cons.Fetch(int(min(1000, info.State.Msgs-uint64(len(d.Events)))), jetstream.FetchMaxWait(2*time.Second))
			if err != nil {
				return fmt.Errorf("read stream: %w", err)
			}
			got := 0
			for msg := range batch.Messages() {
				var ev contract.Event
				if json.Unmarshal(msg.Data(), &ev) == nil {
					d.Events = append(d.Events, ev)
				}
				got++
			}
			if got == 0 {
				break
			}
		}
	}
	for ci := range stream.ListConsumers(ctx).Info() {
		if ci.Config.Durable != "" { // the services' consumers, not this reader
			d.ConsumerLag[ci.Name] = int(ci.NumPending) + ci.NumAckPending
		}
	}
	return nil
}

// Check runs the named invariants (all when names is empty) over d.
func Check(d *Data, names []string) []Result {
	if len(names) == 0 {
		names = contract.Invariants
	}
	checks := map[string]func(*Data) (bool, string){
		"orders-settled": ordersSettled, "charged-once": chargedOnce, "charges-match-orders": chargesMatch,
		"stock-conserved": stockConserved, "notified-once": notifiedOnce, "no-event-lost": noEventLost,
	}
	var out []Result
	for _, n := range names {
		if why := unread(d, n); why != "" {
			out = append(out, Result{Name: n, Exercised: true, Detail: why})
			continue
		}
		ok, detail := checks[n](d)
		out = append(out, Result{Name: n, Pass: ok, Exercised: exercised[n](d), Detail: detail})
	}
	return out
}

// unread says which data invariant n needs and could not be read, or "".
func unread(d *Data, n string) string {
	var why []string
	for _, src := range needs[n] {
		if err := d.Unread[src]; err != nil {
			why = append(why, err.Error())
		}
	}
	if len(why) == 0 {
		return ""
	}
	return "could not read the shop's data: " + strings.Join(why, "; ")
}

// ids writes at most ten ids and how many more there are.
func ids(list []string) string {
	sort.Strings(list)
	if len(list) > 10 {
		return strings.Join(list[:10], ", ") + fmt.Sprintf(" and %d more", len(list)-10)
	}
	return strings.Join(list, ", ")
}

func ordersSettled(d *Data) (bool, string) {
	var bad []string
	count := map[string]int{}
	for _, o := range d.Orders {
		count[o.Status]++
		if o.Status == "pending" && o.Reason == "" {
			bad = append(bad, o.ID)
		}
	}
	summary := fmt.Sprintf("%d orders: %d paid, %d payment_failed, %d cancelled, %d pending with a reason",
		len(d.Orders), count["paid"], count["payment_failed"], count["cancelled"], count["pending"]-len(bad))
	if len(bad) > 0 {
		return false, fmt.Sprintf("%d orders pending with no reason: %s (%s)", len(bad), ids(bad), summary)
	}
	return true, summary
}

func chargedOnce(d *Data) (bool, string) {
	per := map[string]int{}
	for _, c := range d.Charges {
		per[c.OrderID]++
	}
	var twice []string
	for id, n := range per {
		if n > 1 {
			twice = append(twice, fmt.Sprintf("%s (%d charges)", id, n))
		}
	}
	if len(twice) > 0 {
		return false, fmt.Sprintf("%d orders charged more than once: %s", len(twice), ids(twice))
	}
	return true, fmt.Sprintf("%d charges for %d orders, one each", len(d.Charges), len(per))
}

func chargesMatch(d *Data) (bool, string) {
	paid := map[string]bool{}
	for _, o := range d.Orders {
		if o.Status == "paid" {
			paid[o.ID] = true
		}
	}
	charged := map[string]bool{}
	var orphan []string
	for _, c := range d.Charges {
		if c.Status != "succeeded" {
			continue
		}
		charged[c.OrderID] = true
		if !paid[c.OrderID] {
			orphan = append(orphan, c.OrderID)
		}
	}
	var unpaid []string
	for id := range paid {
		if !charged[id] {
			unpaid = append(unpaid, id)
		}
	}
	var problems []string
	if len(orphan) > 0 {
		problems = append(problems, fmt.Sprintf("%d succeeded charges for orders not paid: %s", len(orphan), ids(orphan)))
	}
	if len(unpaid) > 0 {
		problems = append(problems, fmt.Sprintf("%d paid orders with no succeeded charge: %s", len(unpaid), ids(unpaid)))
	}
	if len(problems) > 0 {
		return false, strings.Join(problems, "; ")
	}
	return true, fmt.Sprintf("%d paid orders, %d succeeded charges", len(paid), len(charged))
}

func stockConserved(d *Data) (bool, string) {
	var bad []string
	sold := 0
	for _, s := range d.Stock {
		sold += s.Sold
		if s.Available < 0 || s.Reserved < 0 || s.Sold < 0 || s.Initial != s.Available+s.Reserved+s.Sold {
			bad = append(bad, fmt.Sprintf("%d (%d = %d + %d + %d?)", s.ProductID, s.Initial, s.Available, s.Reserved, s.Sold))
		}
	}
	if len(bad) > 0 {
		return false, fmt.Sprintf("%d products not conserved: %s", len(bad), ids(bad))
	}
	return true, fmt.Sprintf("%d products conserved, %d units sold", len(d.Stock), sold)
}

// notified are the events shoppers hear about; PaymentRequested is internal.
var notified = map[string]bool{"OrderPlaced": true, "PaymentSucceeded": true, "PaymentFailed": true}

func notifiedOnce(d *Data) (bool, string) {
	events := map[string]bool{}
	for _, ev := range d.Events {
		if notified[ev.Type] {
			events[ev.ID] = true
		}
	}
	per := map[string]int{}
	for _, n := range d.Notifications {
		per[n.EventID]++
	}
	var twice, missing, stray []string
	for id, n := range per {
		if n > 1 {
			twice = append(twice, fmt.Sprintf("%s (%d)", id, n))
		}
		if !events[id] {
			stray = append(stray, id)
		}
	}
	for id := range events {
		if per[id] == 0 {
			missing = append(missing, id)
		}
	}
	var problems []string
	if len(twice) > 0 {
		problems = append(problems, fmt.Sprintf("%d events notified more than once: %s", len(twice), ids(twice)))
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("%d events never notified: %s", len(missing), ids(missing)))
	}
	if len(stray) > 0 {
		problems = append(problems, fmt.Sprintf("%d notifications for events not in the stream: %s", len(stray), ids(stray)))
	}
	if len(problems) > 0 {
		return false, strings.Join(problems, "; ")
	}
	return true, fmt.Sprintf("%d events, %d notifications, one each", len(events), len(d.Notifications))
}

func noEventLost(d *Data) (bool, string) {
	placed := map[string]int{}
	paymentEvents := map[string]int{}
	for _, ev := range uniqueEvents(d.Events) {
		switch ev.Type {
		case "OrderPlaced":
			placed[ev.OrderID]++
		case "PaymentSucceeded", "PaymentFailed":
			paymentEvents[ev.OrderID]++
		}
	}
	var noPlaced, noPayment []string
	for _, o := range d.Orders {
		if placed[o.ID] != 1 {
			noPlaced = append(noPlaced, fmt.Sprintf("%s (%d)", o.ID, placed[o.ID]))
		}
	}
	for _, c := range d.Charges {
		if paymentEvents[c.OrderID] == 0 {
			noPayment = append(noPayment, c.OrderID)
		}
	}
	var problems []string
	if len(noPlaced) > 0 {
		problems = append(problems, fmt.Sprintf("%d orders without exactly one OrderPlaced: %s", len(noPlaced), ids(noPlaced)))
	}
	if len(noPayment) > 0 {
		problems = append(problems, fmt.Sprintf("%d charges without a payment event: %s", len(noPayment), ids(noPayment)))
	}
	for svc, n := range d.OutboxPending {
		if n > 0 {
			problems = append(problems, fmt.Sprintf("%d events still in the %s outbox", n, svc))
		}
	}
	for c, n := range d.ConsumerLag {
		if n > 0 {
			problems = append(problems, fmt.Sprintf("consumer %s has %d events unacknowledged", c, n))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return false, strings.Join(problems, "; ")
	}
	return true, fmt.Sprintf("%d events in the stream; outboxes empty; %d consumers caught up", len(d.Events), len(d.ConsumerLag))
}

// uniqueEvents drops repeats of an event id (a republished outbox row).
func uniqueEvents(evs []contract.Event) []contract.Event {
	seen := map[string]bool{}
	var out []contract.Event
	for _, ev := range evs {
		if !seen[ev.ID] {
			seen[ev.ID] = true
			out = append(out, ev)
		}
	}
	return out
}
