package faults_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"lab/faults"
)

// recorder is a fake runtime that records what it was asked to do.
type recorder struct {
	mu    sync.Mutex
	calls []string
	start chan struct{}
}

func (r *recorder) Do(_ context.Context, instance, action string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, action+" "+instance)
	if action == "start" && r.start != nil {
		close(r.start)
		r.start = nil
	}
	return nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string{}, r.calls...)
}

func apply(t *testing.T, s faults.Spec, targets []string, rec *recorder) faults.Undo {
	t.Helper()
	k, _ := faults.Lookup(s.Kind)
	undo, err := k.Apply(context.Background(), faults.Env{Processes: rec}, s, targets)
	if err != nil {
		t.Fatal(err)
	}
	return undo
}

func TestProcessKinds(t *testing.T) {
	two := []string{"orders-1", "orders-2"}
	tests := []struct {
		spec faults.Spec
		want []string
	}{
		{faults.Spec{Kind: "kill"}, []string{"kill orders-1", "kill orders-2", "start orders-1", "start orders-2"}},
		{entry(t, "kind: kill\nno_restart: true"), []string{"kill orders-1", "kill orders-2"}},
		{faults.Spec{Kind: "pause"}, []string{"pause orders-1", "pause orders-2", "resume orders-1", "resume orders-2"}},
		{faults.Spec{Kind: "restart"}, []string{"restart orders-1", "restart orders-2"}},
	}
	for _, tt := range tests {
		rec := &recorder{}
		undo := apply(t, tt.spec, two, rec)
		if err := undo(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := undo(context.Background()); err != nil { // undo twice does nothing more
			t.Fatal(err)
		}
		if got := rec.got(); !slices.Equal(got, tt.want) {
			t.Errorf("%+v: calls %v, want %v", tt.spec, got, tt.want)
		}
	}
}

// TestKillRestartsAfterDelay restarts on its own, before the fault ends.
func TestKillRestartsAfterDelay(t *testing.T) {
	rec := &recorder{start: make(chan struct{})}
	started := rec.start
	undo := apply(t, entry(t, "kind: kill\nrestart_after: 50ms"), []string{"payments-1"}, rec)
	select {
	case <-started:
	case <-time.After(2 * time.Second):
		t.Fatal("not restarted after restart_after")
	}
	undo(context.Background())
	if got, want := rec.got(), []string{"kill payments-1", "start payments-1"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v: started once", got, want)
	}
}
