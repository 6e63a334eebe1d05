package reports

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"lab/lab/results"
)

// placement says which node ran which instances ("lab-node2: catalog-2,
// orders-1; vm: catalog-1, gateway-1"), or "" on one machine.
func placement(r *results.Result) string {
	on := map[string][]string{}
	for in, node := range r.Placement {
		on[node] = append(on[node], in)
	}
	var parts []string
	for _, node := range slices.Sorted(maps.Keys(on)) {
		slices.Sort(on[node])
		parts = append(parts, node+": "+strings.Join(on[node], ", "))
	}
	return strings.Join(parts, "; ")
}

// generators says how many k6 generators ran and where, when more than
// one did, or "".
func generators(r *results.Result) string {
	if r.Load == nil {
		return ""
	}
	return fmt.Sprintf("%s, each its execution segment of the test, started %.1f ms apart; their per-second histograms merged",
		r.Load.Describe(), r.Load.SkewMS)
}
