package payments_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"lab/internal/shoptest"
	"lab/services/contract"
	"lab/services/payments"
)

func charge(t *testing.T, base, order string) shoptest.Response {
	t.Helper()
	sh := &shoptest.Shopper{Base: base}
	r, err := sh.Do(http.MethodPost, "/charges", map[string]any{"order_id": order, "amount_cents": 1234})
	if err != nil {
		t.Error(err)
	}
	return r
}

func charges(t *testing.T, base string) map[string]int {
	t.Helper()
	var all struct{ Charges []payments.Charge }
	if err := shoptest.GetJSON(base+"/admin/charges", &all); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range all.Charges {
		out[c.OrderID]++
	}
	return out
}

// TestPayingTwiceChargesOnce repeats a charge one after the other and then
// twenty at once: each order must hold exactly one charge.
func TestPayingTwiceChargesOnce(t *testing.T) {
	base := shoptest.Serve(t, payments.Service(), shoptest.Broker(t, map[string]string{"payments.latency": "5ms"}), 1)
	if r := charge(t, base, "ord_a"); r.Code != http.StatusCreated || r.Body["status"] != "succeeded" {
		t.Fatalf("first charge: %+v, want 201 succeeded", r)
	}
	if r := charge(t, base, "ord_a"); r.Code != http.StatusOK || r.Body["status"] != "succeeded" {
		t.Fatalf("repeated charge: %+v, want 200 with the first result", r)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); charge(t, base, "ord_b") }()
	}
	wg.Wait()
	got := charges(t, base)
	if got["ord_a"] != 1 || got["ord_b"] != 1 || len(got) != 2 {
		t.Fatalf("charges per order %v, want exactly one each for ord_a and ord_b", got)
	}
}

// TestDeclinesFollowTheSeed checks that the decline rate is honoured and
// that the same seed declines the same orders.
func TestDeclinesFollowTheSeed(t *testing.T) {
	url := shoptest.Broker(t, map[string]string{"payments.latency": "0s", "payments.decline_rate": "0.3"})
	base := shoptest.Serve(t, payments.Service(), url, 42)
	declined := 0
	for i := 0; i < 200; i++ {
		if charge(t, base, fmt.Sprintf("ord_%d", i)).Body["status"] == "declined" {
			declined++
		}
	}
	if declined < 40 || declined > 80 {
		t.Fatalf("declined %d of 200 at rate 0.3", declined)
	}
	again := shoptest.Serve(t, payments.Service(), shoptest.Broker(t, map[string]string{
		"payments.latency": "0s", "payments.decline_rate": "0.3"}), 42)
	same := 0
	for i := 0; i < 200; i++ {
		if charge(t, again, fmt.Sprintf("ord_%d", i)).Body["status"] == "declined" {
			same++
		}
	}
	if same != declined {
		t.Fatalf("same seed declined %d, then %d", declined, same)
	}
}

// TestRedeliveredEventsChargeOnce delivers every OrderPlaced again and again
// (a redeliver fault with share 1): payments must charge once, and with
// idempotency off it must be seen to charge more than once.
func TestRedeliveredEventsChargeOnce(t *testing.T) {
	for _, tc := range []struct {
		idempotency string
		once        bool
	}{{"on", true}, {"off", false}} {
		t.Run("idempotency="+tc.idempotency, func(t *testing.T) {
			url := shoptest.Broker(t, map[string]string{
				"payments.latency": "0s", contract.IdempotencyKey: tc.idempotency,
				contract.ConsumeFaultKey("payments-1", "again"): `{"redeliver":1}`,
			})
			base := shoptest.Serve(t, payments.Service(), url, 1)
			publish(t, url, contract.SubjectOrderPlaced, contract.Event{ID: "evt_1", Type: "OrderPlaced", OrderID: "ord_r",
				Data: json.RawMessage(`{"amount_cents":500,"mode":"async"}`)})
			shoptest.Eventually(t, 10*time.Second, "three deliveries of the event", func() bool {
				return charges(t, base)["ord_r"] >= 1 && redelivered(t, base) >= 3
			})
			got := charges(t, base)["ord_r"]
			if tc.once && got != 1 {
				t.Fatalf("ord_r charged %d times over %v deliveries, want once", got, redelivered(t, base))
			}
			if !tc.once && got < 2 {
				t.Fatalf("with idempotency off ord_r was charged %d times over repeated deliveries, want more than once", got)
			}
		})
	}
}

func publish(t *testing.T, url, subject string, ev contract.Event) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	b, _ := json.Marshal(ev)
	if _, err := js.Publish(context.Background(), subject, b); err != nil {
		t.Fatal(err)
	}
}

func redelivered(t *testing.T, base string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	n := 0.0
	for _, line := range strings.Split(string(page), "\n") {
		if strings.HasPrefix(line, "shop_events_consumed_total{") && strings.Contains(line, `outcome="redelivered"`) {
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &n)
		}
	}
	return n
}
