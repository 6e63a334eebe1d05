package layers_test

import (
	"os/exec"
	"strings"
	"testing"
)

// heavy are the modules only the run loop, the runtimes and the services
// may link: the load generator, the broker and its client, the database.
var heavy = []string{"go.k6.io/k6", "github.com/nats-io/", "modernc.org/sqlite"}

// floors says, per package, which packages of the lab it may link at all
// (by prefix; nil: none). The reader of scenarios, the fault kinds, the
// results and their renderers must stay light, so `lab check`, `lab report`
// and `lab diff` start fast and their tests need no shop.
var floors = []struct {
	pkg     string
	mayLink []string // lab packages it may link; one ending in "/", any below it
	light   bool     // links none of heavy
}{
	{"lab/services/contract", nil, true},
	{"lab/lab/results", nil, true},
	{"lab/lab/autoscale", nil, true},
	{"lab/lab", []string{"lab/services/contract"}, true},
	{"lab/faults", []string{"lab/lab", "lab/services/contract"}, true},
	{"lab/load", []string{"lab/lab/results", "lab/internal/lifeline"}, true},
	{"lab/scenarios", []string{"lab/faults", "lab/lab", "lab/lab/autoscale", "lab/lab/results", "lab/load", "lab/internal/lifeline", "lab/services/contract"}, true},
	{"lab/reports", []string{"lab/lab/results", "lab/internal/table", "lab/internal/atomicfile"}, true},
	// The shop never links the harness.
	{"lab/services/shop", []string{"lab/services/"}, false},
	// Every child of a runtime runs lab-serve: the shop, the broker and
	// Toxiproxy, nothing of the harness (see TestChildrenLinkNoHarness).
	{"lab/cmd/lab-serve", []string{"lab/services/", "lab/internal/serve", "lab/internal/lifeline", "lab/lab/broker", "lab/lab/mesh"}, false},
}

// harness are the modules of the harness that a child must not link: their
// init runs in every child (testcontainers-go's walks every process on the
// machine), and they make the image's binary bigger.
var harness = []string{"go.k6.io/k6", "github.com/testcontainers/", "gonum.org/v1/plot", "github.com/olekukonko/tablewriter", "github.com/spf13/cobra", "github.com/moby/"}

func TestChildrenLinkNoHarness(t *testing.T) {
	for _, d := range deps(t, "lab/cmd/lab-serve") {
		for _, h := range harness {
			if strings.HasPrefix(d, h) {
				t.Errorf("lab-serve links %s", d)
			}
		}
	}
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	return strings.Fields(string(out))
}

func TestFloors(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("the go command is not on PATH")
	}
	for _, f := range floors {
		t.Run(f.pkg, func(t *testing.T) {
			for _, d := range deps(t, f.pkg) {
				if f.light {
					for _, h := range heavy {
						if strings.HasPrefix(d, h) {
							t.Errorf("%s links %s", f.pkg, d)
						}
					}
				}
				if d == f.pkg || !strings.HasPrefix(d, "lab/") {
					continue
				}
				ok := false
				for _, p := range f.mayLink {
					ok = ok || d == p || strings.HasSuffix(p, "/") && strings.HasPrefix(d, p)
				}
				if !ok {
					t.Errorf("%s links %s, above its floor", f.pkg, d)
				}
			}
		})
	}
}
