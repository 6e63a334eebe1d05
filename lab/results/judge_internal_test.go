package results

import (
	"strings"
	"testing"
)

// TestObservedNamesEveryFigureLookedAt checks that the observed column shows
// each endpoint and each function an expression used, whatever its kind.
func TestObservedNamesEveryFigureLookedAt(t *testing.T) {
	fns := Funcs{
		Recovery:      func(string, ...string) (float64, error) { return 1500, nil },
		Edge:          func(metric, edge string) (float64, error) { return 2.5, nil },
		BreakerOpened: func(string, string) (float64, error) { return Never, nil },
		BreakerClosed: func(string, string) (float64, error) { return 300, nil },
	}
	stats := map[string]EndpointStats{"checkout": {Requests: 40, SuccessRate: 1, P95: 12}}
	got := observed(`checkout.p95 < 200ms && amplification("orders->inventory") <= 1.5 && `+
		`recovery_time("down", "checkout") < 5s && breaker_opened_after("down", "orders->payments") < 2s && `+
		`breaker_closed_after("down", "orders->payments") < 2s && fallbacks("gateway->inventory") > 0`, stats, nil, fns)
	for _, want := range []string{
		"checkout: 40 req", `amplification("orders->inventory") = 2.50`, `recovery_time("down", "checkout") = 1.50s`,
		`breaker_opened_after("down", "orders->payments"): never`, `breaker_closed_after("down", "orders->payments") = 0.30s`,
		`fallbacks("gateway->inventory") = 2.50`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("observed %q lacks %q", got, want)
		}
	}
}
