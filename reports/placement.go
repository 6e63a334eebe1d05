package reports

import (
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
