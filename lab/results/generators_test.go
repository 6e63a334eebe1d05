package results_test

import (
	"testing"

	"lab/lab/results"
)

// TestGeneratorsSayWhereTheyRan: generators on the harness's machine are
// counted there; tasks are counted per node, in the order they were placed.
func TestGeneratorsSayWhereTheyRan(t *testing.T) {
	for _, tt := range []struct {
		g    results.LoadGenerators
		want string
	}{
		{results.LoadGenerators{Count: 2, Where: "vm"}, "2 k6 generators on vm"},
		{results.LoadGenerators{Count: 1, Where: "vm", Nodes: []string{"vm"}}, "1 k6 generator as tasks: 1 on vm"},
		{results.LoadGenerators{Count: 3, Where: "vm, lab-node2", Nodes: []string{"vm", "lab-node2", "vm"}}, "3 k6 generators as tasks: 2 on vm, 1 on lab-node2"},
	} {
		if got := tt.g.Describe(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.g, got, tt.want)
		}
	}
	g := results.OnNodes([]string{"vm", "lab-node2", "vm"}, 1.5)
	if g.Count != 3 || g.Where != "vm, lab-node2" || g.SkewMS != 1.5 || g.Describe() != "3 k6 generators as tasks: 2 on vm, 1 on lab-node2" {
		t.Errorf("OnNodes: %+v, %q", g, g.Describe())
	}
}
