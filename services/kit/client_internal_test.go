package kit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lab/services/contract"
)

// edgeOutcomes returns the edge_calls counts of m by outcome.
func edgeOutcomes(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != contract.EdgeCalls {
			continue
		}
		for _, x := range mf.GetMetric() {
			for _, l := range x.GetLabel() {
				if l.GetName() == "outcome" {
					out[l.GetValue()] += x.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// TestCallCutShortByItsCallerIsNotAFailure: a call whose caller's own
// request ends first (its client went away, as k6 ends the warmup's
// iterations mid-request) is counted as canceled, which the edge table does
// not count as failed; a 503 from the callee still is a failure.
func TestCallCutShortByItsCallerIsNotAFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/down") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		<-r.Context().Done() // slow: answers only when the caller leaves
	}))
	defer srv.Close()
	cfg := NewConfig("gateway", "gateway-1", map[string]string{contract.ResiliencePresetKey: "none"})
	dir := NewDirectory("gateway", cfg)
	dir.instances["catalog"] = map[string]seen{"catalog-1": {
		reg:  Registration{Service: "catalog", Instance: "catalog-1", Addr: strings.TrimPrefix(srv.URL, "http://")},
		last: time.Now(),
	}}
	m := NewMetrics("gateway", "gateway-1")
	c := newClient("gateway", "catalog", dir, cfg, m, &transitions{})

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if err := c.Do(ctx, http.MethodGet, "/slow", nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if err := c.Do(context.Background(), http.MethodGet, "/down", nil, nil); err == nil {
		t.Fatal("a 503 gave no error")
	}
	got := edgeOutcomes(t, m)
	if got[contract.OutcomeCanceled] != 1 || got["status_5xx"] != 1 || len(got) != 2 {
		t.Fatalf("outcomes %v, want one canceled and one status_5xx", got)
	}
	if contract.Failed(contract.OutcomeCanceled) || !contract.Failed("status_5xx") || contract.Failed(contract.OutcomeOK) {
		t.Fatal("contract.Failed misjudges an outcome")
	}
}
