package live_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"lab/faults"
	"lab/lab"
	"lab/lab/live"
)

// BenchmarkSaveToApplied measures a save of the live file (by rename) until
// the fault is in force on the proxy: debounce, read, check, apply.
func BenchmarkSaveToApplied(b *testing.B) {
	shape := lab.Shape{Seed: 1}
	_, set := startLive(b, shape)
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "faults.yaml")
	applied := make(chan time.Time, 16)
	w := &live.Watcher{Path: path, Shape: shape, Live: set, Log: &syncBuf{},
		Changed: func([]faults.Change) { applied <- time.Now() }}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := w.Start(wctx); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		saved := time.Now()
		saveByRename(b, path, fmt.Sprintf("faults:\n  - {name: slow, target: catalog, kind: latency, latency: %dms}\n", 100+i%2))
		select {
		case at := <-applied:
			total += at.Sub(saved)
		case <-time.After(5 * time.Second):
			b.Fatal("the save was not applied within 5s")
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/apply")
}
