package kit

import (
	"errors"
	"testing"
)

// TestOutboxGaugeIsCountedWhenScraped: shop_outbox_pending says what the
// outbox holds at the scrape, whatever the relay is doing (it once stayed
// at 0-1 while 31 events waited behind a publish stuck on a dead broker);
// a count that fails reads the last good one.
func TestOutboxGaugeIsCountedWhenScraped(t *testing.T) {
	m := NewMetrics("orders", "orders-1")
	pending := func() float64 {
		t.Helper()
		mfs, err := m.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "shop_outbox_pending" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no shop_outbox_pending")
		return 0
	}
	if got := pending(); got != 0 {
		t.Fatalf("before the outbox exists: %g, want 0", got)
	}
	n := 31.0
	count := func() (float64, error) { return n, nil }
	m.outbox.count.Store(&count)
	if got := pending(); got != 31 {
		t.Fatalf("got %g, want the 31 waiting now", got)
	}
	n = 4
	if got := pending(); got != 4 {
		t.Fatalf("got %g, want 4 at the next scrape", got)
	}
	failing := func() (float64, error) { return 0, errors.New("database busy") }
	m.outbox.count.Store(&failing)
	if got := pending(); got != 4 {
		t.Fatalf("a failed count reads %g, want the last good 4", got)
	}
}
