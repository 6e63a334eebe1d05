package payments_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"lab/internal/shoptest"
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
