package experiment

import (
	"testing"
	"time"

	"lab/faults"
)

func TestLiveFaultsBecomeWindows(t *testing.T) {
	lf := &liveFaults{open: map[string]int{}, seen: map[string]int{}}
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	spec := faults.Spec{Name: "slow", Kind: "latency", Target: "catalog"}
	lf.record([]faults.Change{{At: at(3), Op: "on", Name: "slow", Spec: spec}})
	lf.record([]faults.Change{{At: at(6), Op: "off", Name: "slow", Spec: spec}})
	lf.record([]faults.Change{{At: at(8), Op: "on", Name: "slow", Spec: spec}})
	lf.record([]faults.Change{{At: at(10), Op: "changed", Name: "slow", Spec: spec}})
	recs := lf.records()
	want := []struct {
		name     string
		from, to int
	}{{"slow", 3, 6}, {"slow#2", 8, 10}, {"slow#3", 10, -1}}
	if len(recs) != len(want) {
		t.Fatalf("%d windows, want %d: %+v", len(recs), len(want), recs)
	}
	for i, w := range want {
		r := recs[i]
		if r.Name != w.name || !r.AppliedAt.Equal(at(w.from)) || (w.to >= 0 && !r.RemovedAt.Equal(at(w.to))) || (w.to < 0 && !r.RemovedAt.IsZero()) {
			t.Errorf("window %d: %s %v-%v, want %s %ds-%ds", i, r.Name, r.AppliedAt.Sub(t0), r.RemovedAt.Sub(t0), w.name, w.from, w.to)
		}
	}
}
