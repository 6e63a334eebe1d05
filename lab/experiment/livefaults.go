package experiment

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"lab/faults"
	"lab/lab"
	"lab/lab/live"
	"lab/lab/results"
)

// liveFaults applies a live fault file during a run (`lab run --live FILE`)
// and records every fault it put in force as a FaultRecord, so that each
// becomes a fault window of the report like a scheduled fault. A fault
// that goes on again later gets a window of its own, NAME#2, NAME#3...
type liveFaults struct {
	set  *faults.Live
	done <-chan struct{}
	stop context.CancelFunc

	mu   sync.Mutex
	recs []results.FaultRecord
	open map[string]int // name -> index in recs of its window in force
	seen map[string]int // name -> windows so far
}

func startLiveFaults(ctx context.Context, path string, env faults.Env, shape lab.Shape, log io.Writer) (*liveFaults, error) {
	lf := &liveFaults{set: faults.NewLive(env, shape), open: map[string]int{}, seen: map[string]int{}}
	if log == nil {
		log = io.Discard
	}
	w := &live.Watcher{Path: path, Shape: shape, Live: lf.set, Log: log, Changed: lf.record}
	wctx, cancel := context.WithCancel(ctx)
	done, err := w.Start(wctx)
	if err != nil {
		cancel()
		return nil, err
	}
	lf.done, lf.stop = done, cancel
	if err := w.Load(ctx); err != nil {
		lf.close()
		return nil, err
	}
	return lf, nil
}

func (lf *liveFaults) record(changes []faults.Change) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	for _, c := range changes {
		if i, ok := lf.open[c.Name]; ok && c.Op != "on" {
			lf.recs[i].RemovedAt = c.At
			delete(lf.open, c.Name)
		}
		if c.Op == "off" {
			continue
		}
		lf.seen[c.Name]++
		name := c.Name
		if n := lf.seen[c.Name]; n > 1 {
			name = fmt.Sprintf("%s#%d", c.Name, n)
		}
		lf.recs = append(lf.recs, results.FaultRecord{Name: name, Kind: c.Spec.Kind, Target: c.Spec.Target,
			ScheduledAt: c.At, AppliedAt: c.At, Visible: true, Evidence: "applied live from the fault file"})
		lf.open[c.Name] = len(lf.recs) - 1
	}
}

// active returns the names of the live faults in force.
func (lf *liveFaults) active() []string {
	var out []string
	for _, a := range lf.set.List() {
		out = append(out, a.Spec.Name)
	}
	return out
}

// close stops watching and removes every live fault, closing their windows.
func (lf *liveFaults) close() {
	lf.stop()
	<-lf.done
	ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
	defer cancel()
	_ = lf.set.Clear(ctx)
	now := time.Now()
	lf.mu.Lock()
	defer lf.mu.Unlock()
	for name, i := range lf.open {
		lf.recs[i].RemovedAt = now
		delete(lf.open, name)
	}
}

// records returns the windows of the live faults.
func (lf *liveFaults) records() []results.FaultRecord {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	return append([]results.FaultRecord{}, lf.recs...)
}
