package experiment_test

import (
	"lab/lab/results"
	"strings"
	"testing"
)

// TestPaymentOutageHoldsOnlyWithResilience runs payment-outage as written
// and with resilience=none: the experiment holds, the control fails, and the
// comparison says so with figures.
func TestPaymentOutageHoldsOnlyWithResilience(t *testing.T) {
	ctl := mustRun(t, "payment-outage", "resilience=none")
	res := mustRun(t, "payment-outage")
	results.AttachControl(res, ctl, "resilience", "none")
	if res.Verdict != results.Pass || ctl.Verdict != results.Fail {
		t.Fatalf("experiment %s (%s), control %s (%s); want pass and fail", res.Verdict, res.Reason, ctl.Verdict, ctl.Reason)
	}
	if s := res.Compare.Summary; !strings.Contains(s, "checkout during payments-down") {
		t.Fatalf("summary %q does not name checkout during the outage", s)
	}
	var opened bool
	for _, b := range res.Faults[0].Breakers {
		opened = opened || (b.Edge == "orders->payments" && b.OpenedAfterS != nil && b.ClosedAfterS != nil)
	}
	if !opened {
		t.Fatalf("breakers %+v: want orders->payments to open during the outage and close after", res.Faults[0].Breakers)
	}
}

// TestRetryStormAmplification holds the amplification on the slowed edge to
// at least 3 under naive retries and at most 1.5 with the default policies.
func TestRetryStormAmplification(t *testing.T) {
	amp := func(r *results.Result) float64 {
		for _, p := range r.Phases {
			if p.Name == "slow-reservations" {
				return p.Edges["orders->inventory"].Amplification
			}
		}
		t.Fatal("no slow-reservations phase")
		return 0
	}
	naive := mustRun(t, "retry-storm", "resilience=naive-retries", "duration=18s")
	careful := mustRun(t, "retry-storm", "duration=18s")
	if a := amp(naive); a < 3 {
		t.Errorf("naive-retries amplification %.2f, want at least 3", a)
	}
	if a := amp(careful); a > 1.5 {
		t.Errorf("default amplification %.2f, want at most 1.5", a)
	}
	t.Logf("amplification on orders->inventory: naive-retries %.2f, default %.2f", amp(naive), amp(careful))
}

// TestDuplicateDeliveryNeedsIdempotency runs duplicate-delivery as written
// and with idempotency off: the control must report the double charges with
// their order ids; the experiment must hold every invariant.
func TestDuplicateDeliveryNeedsIdempotency(t *testing.T) {
	ctl := mustRun(t, "duplicate-delivery", "idempotency=off")
	res := mustRun(t, "duplicate-delivery")
	if res.Verdict != results.Pass {
		t.Errorf("as written: %s (%s)", res.Verdict, res.Reason)
	}
	for _, inv := range ctl.Invariants {
		if inv.Name == "charged-once" {
			if inv.Pass || !strings.Contains(inv.Detail, "ord_") || !strings.Contains(inv.Detail, "charges)") {
				t.Fatalf("control charged-once: pass %v, %q; want the double-charged order ids", inv.Pass, inv.Detail)
			}
			t.Logf("control: %s", inv.Detail)
			return
		}
	}
	t.Fatal("no charged-once invariant in the control")
}
