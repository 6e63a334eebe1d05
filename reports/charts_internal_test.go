package reports

import (
	"lab/lab/results"
	"testing"
)

// TestCutOffCountsInstancesBehindCutProxies: a down fault stops proxies,
// not processes; the instances chart's "reachable" line counts the
// instances with a proxy in front of them cut, during the fault's window
// only, and a broker link cuts no caller off.
func TestCutOffCountsInstancesBehindCutProxies(t *testing.T) {
	r := &results.Result{
		Phases: []results.Phase{{Name: "baseline", StartS: 0, EndS: 8}, {Name: "payments-down", StartS: 8, EndS: 16},
			{Name: "orders-offline", StartS: 16, EndS: 18}, {Name: "recovery", StartS: 18, EndS: 24}},
		Faults: []results.FaultRecord{
			{Name: "payments-down", Kind: "down", Targets: []string{"orders->payments-1", "orders->payments-2"}},
			{Name: "orders-offline", Kind: "down", Targets: []string{"orders.broker"}},
		},
	}
	cut := cutOff(r)
	for s, want := range map[int]int{0: 0, 7: 0, 8: 2, 15: 2, 16: 0, 17: 0, 20: 0} {
		if got := cut(s); got != want {
			t.Errorf("second %d: %d instances cut off, want %d", s, got, want)
		}
	}
}

// TestTicksShareOneFormat: an axis's labels have the same number of
// decimals, and no more than its finest tick needs.
func TestTicksShareOneFormat(t *testing.T) {
	for _, tt := range []struct {
		lo, hi float64
		want   []string
	}{{0, 1.2, []string{"0.0", "0.5", "1.0"}}, {0, 30, []string{"0", "10", "20", "30"}}, {0, 0.012, []string{"0.000", "0.005", "0.010"}}} {
		var got []string
		for _, tk := range (oneFormat{}).Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if len(got) != len(tt.want) {
			t.Errorf("ticks of [%g, %g]: %q, want %q", tt.lo, tt.hi, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("ticks of [%g, %g]: %q, want %q", tt.lo, tt.hi, got, tt.want)
				break
			}
		}
	}
}
