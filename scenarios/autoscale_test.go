package scenarios_test

import (
	"testing"
	"time"

	"lab/lab/autoscale"
	"lab/scenarios"
)

const autoscaled = `name: a
duration: 20s
shop:
  autoscale:
    catalog: {min: 1, max: 4, metric: cpu, target: 70%, up: {step: 1, every: 2s}, down: {window: 10s}}
    payments: {min: 2, max: 3, metric: lag, target: 50}
    users: {min: 1, max: 2, metric: p95, target: 150ms}
load:
  journey: shopper
`

// TestAutoscaleDecodes: the file's fields become HPA's rules, the lab's
// defaults fill what it leaves out (a policy the file gives replaces the
// default's), the shop starts each service at its min and plans room for
// its max, and --set shop.autoscale=off leaves every service as it started.
func TestAutoscaleDecodes(t *testing.T) {
	s, err := scenarios.Parse("a.yaml", []byte(autoscaled), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := s.AutoscaleRules()
	cat := r["catalog"]
	wantUp := autoscale.Behavior{Step: 1, Every: 2 * time.Second}
	wantDown := autoscale.DefaultDown
	wantDown.Window = 10 * time.Second
	if cat.Target != 70 || cat.Metric != autoscale.CPU || cat.Up != wantUp || cat.Down != wantDown {
		t.Fatalf("catalog's rules %+v; want target 70, up %+v, down %+v", cat, wantUp, wantDown)
	}
	if r["users"].Target != 150 || r["payments"].Target != 50 || r["payments"].Up != autoscale.DefaultUp {
		t.Fatalf("rules %+v", r)
	}
	sh := s.Shape()
	if sh.ReplicasOf("payments") != 2 || sh.ReplicasOf("catalog") != 1 || sh.MostOf("catalog") != 4 {
		t.Fatalf("shape %+v: want payments starting at 2, catalog at 1 with room for 4", sh)
	}
	if err := s.Set("shop.autoscale=off"); err != nil {
		t.Fatal(err)
	}
	if len(s.AutoscaleRules()) != 0 || s.Shape().MostOf("catalog") != 1 {
		t.Fatalf("shop.autoscale=off: rules %v, shape %+v", s.AutoscaleRules(), s.Shape())
	}
}
