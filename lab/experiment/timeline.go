package experiment

import (
	"context"
	"sort"
	"sync"
	"time"

	"lab/faults"
	"lab/lab"
	"lab/lab/results"
)

// timeline applies faults at t0+at and removes them at t0+at+for. Every
// fault still in force is removed by removeAll, which every exit path of a
// run calls.
type timeline struct {
	env   faults.Env
	shape lab.Shape
	specs []faults.Spec
	t0    time.Time

	mu      sync.Mutex
	recs    []results.FaultRecord
	undo    map[int]faults.Undo
	removed bool
	timers  []*time.Timer
	stopped bool
	wg      sync.WaitGroup
}

func newTimeline(env faults.Env, shape lab.Shape, specs []faults.Spec, t0 time.Time) *timeline {
	tl := &timeline{env: env, shape: shape, specs: specs, t0: t0, undo: map[int]faults.Undo{}}
	for _, s := range specs {
		tl.recs = append(tl.recs, results.FaultRecord{Name: s.Name, Kind: s.Kind, Target: s.Target,
			ScheduledAt: t0.Add(s.At.D())})
	}
	return tl
}

// start schedules every fault.
func (tl *timeline) start() {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for i, s := range tl.specs {
		tl.wg.Add(1)
		tl.timers = append(tl.timers, time.AfterFunc(time.Until(tl.t0.Add(s.At.D())), func() {
			defer tl.wg.Done()
			tl.apply(i)
		}))
	}
}

func (tl *timeline) apply(i int) {
	s := tl.specs[i]
	kind, err := faults.Lookup(s.Kind)
	var targets []string
	if err == nil {
		targets, err = faults.Resolve(s.Target, kind.Layer(), tl.shape)
	}
	tl.mu.Lock()
	if tl.stopped {
		tl.mu.Unlock()
		return
	}
	tl.recs[i].Targets = targets
	tl.mu.Unlock()
	var undo faults.Undo
	began := time.Now()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		undo, err = kind.Apply(ctx, tl.env, s, targets)
		cancel()
	}
	now := time.Now()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if err != nil {
		tl.recs[i].Error = err.Error()
		return
	}
	tl.recs[i].ApplyStartedAt, tl.recs[i].AppliedAt = began, now
	tl.recs[i].LateMS = float64(now.Sub(tl.recs[i].ScheduledAt).Microseconds()) / 1000
	tl.undo[i] = undo
	if tl.stopped { // removeAll ran while this was being applied
		tl.removeLocked(i)
		return
	}
	if s.For > 0 {
		tl.wg.Add(1)
		tl.timers = append(tl.timers, time.AfterFunc(time.Until(tl.t0.Add(s.At.D()+s.For.D())), func() {
			defer tl.wg.Done()
			tl.mu.Lock()
			defer tl.mu.Unlock()
			tl.removeLocked(i)
		}))
	} else {
		tl.removeLocked(i) // instant faults (restart) are done once applied
	}
}

// removeLocked removes fault i if it is in force; tl.mu is held.
func (tl *timeline) removeLocked(i int) {
	undo, ok := tl.undo[i]
	if !ok {
		return
	}
	delete(tl.undo, i)
	ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
	defer cancel()
	tl.recs[i].RemoveStartedAt = time.Now()
	if err := undo(ctx); err != nil {
		tl.recs[i].Error = "remove: " + err.Error()
	}
	tl.recs[i].RemovedAt = time.Now()
	tl.removed = true
}

// removeAll cancels what is not yet applied and removes what is in force.
func (tl *timeline) removeAll() {
	tl.mu.Lock()
	tl.stopped = true
	for _, t := range tl.timers {
		if t.Stop() {
			tl.wg.Done()
		}
	}
	var ids []int
	for i := range tl.undo {
		ids = append(ids, i)
	}
	sort.Ints(ids)
	for _, i := range ids {
		tl.removeLocked(i)
	}
	tl.mu.Unlock()
	tl.wg.Wait()
}

// active returns the names of the faults in force.
func (tl *timeline) active() []string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var out []string
	for i := range tl.undo {
		out = append(out, tl.recs[i].Name)
	}
	sort.Strings(out)
	return out
}

func (tl *timeline) anyRemoved() bool {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl.removed
}

// records returns the fault records.
func (tl *timeline) records() []results.FaultRecord {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]results.FaultRecord{}, tl.recs...)
}

// PlayFaults plays specs on a timeline that begins lead from now, exactly as
// a run does, and returns once every fault has been applied and removed (or
// ctx ends): `lab bench` measures from the records how late faults land.
func PlayFaults(ctx context.Context, env faults.Env, shape lab.Shape, specs []faults.Spec, lead time.Duration) []results.FaultRecord {
	tl := newTimeline(env, shape, specs, time.Now().Add(lead))
	tl.start()
	defer tl.removeAll()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		done := true
		for _, r := range tl.records() {
			if r.Error == "" && r.RemovedAt.IsZero() {
				done = false
			}
		}
		if done {
			break
		}
		select {
		case <-ctx.Done():
			return tl.records()
		case <-tick.C:
		}
	}
	return tl.records()
}
