package explore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"lab/lab"
	"lab/lab/experiment"
	"lab/lab/results"
	"lab/scenarios"
)

// Side is one map of an explore: the load scenario as given, or the
// control of a compare (the same with one field changed).
type Side struct {
	Name string // "" for the map as given, Control for a compare's control
	Load *scenarios.Scenario
}

// Control names a compare's control side, and its folder.
const Control = "control"

// Params are what an explore needs.
type Params struct {
	Sides   []Side
	Runtime lab.Runtime
	// Command runs the lab binary (for `lab k6`).
	Command []string
	// Dir is the explore's folder; it must exist. Each experiment writes
	// its own folder in it (SIDE/ID), and the shop kept up its logs
	// (SIDE/shop-N).
	Dir string
	// Budget bounds the wall time from now.
	Budget   time.Duration
	Progress io.Writer
	// Record is the explore so far: new, or read back to resume. Rows it
	// holds are not run again.
	Record *results.Explore
	// WriteRun writes an experiment's reports into its folder.
	WriteRun func(dir string, res *results.Result) error
	// Save writes the record (explore.json, .md, .html) after each experiment.
	Save func(*results.Explore) error
}

// overheadS is a first guess of what an experiment costs beyond its
// measured load: k6's start, the 2s warmup, the drain and the invariants'
// read (about 3s on the process runtime here, a shop's start amortised).
// Once one experiment has run, the mean wall time is used instead.
const overheadS = 4

// FirstEstimate is what an experiment is reckoned to take before any has run.
const FirstEstimate = (MeasuredS + overheadS) * time.Second

// Run runs every probe of p.Record not yet run, on each side, within the
// budget, and saves the record after each. It returns ctx's error when
// interrupted (the record says so, and resumes) and an error wrapping
// experiment.ErrCannotRun when an experiment could not run.
func Run(ctx context.Context, p Params) error {
	rec := p.Record
	say := func(format string, args ...any) {
		if p.Progress != nil {
			fmt.Fprintf(p.Progress, format+"\n", args...)
		}
	}
	began := time.Now()
	deadline := began.Add(p.Budget)
	todo := map[string][]results.Probe{}
	left := 0
	for _, s := range p.Sides {
		for _, pr := range rec.Probes {
			if !hasRow(rowsOf(rec, s.Name), pr.ID) && !skipped(rec, pr.ID) {
				todo[s.Name] = append(todo[s.Name], pr)
				left++
			}
		}
	}
	// What fits: the most severe probes first, as many on each side.
	each := FirstEstimate
	fit := int(p.Budget / each / time.Duration(len(p.Sides)))
	if cut := len(rec.Skipped); left > fit*len(p.Sides) {
		for _, s := range p.Sides {
			if len(todo[s.Name]) > fit {
				skip(rec, todo[s.Name][fit:], "over the budget of "+p.Budget.String())
				todo[s.Name] = todo[s.Name][:fit]
			}
		}
		say("budget %s: about %d of %d experiments fit (about %s each%s); skipped, least severe: %s",
			p.Budget, fit*len(p.Sides), left, each, sidesNote(len(p.Sides)), skippedIDs(rec.Skipped[cut:]))
	} else {
		say("budget %s: all %d experiments fit (about %s each%s)", p.Budget, left, each, sidesNote(len(p.Sides)))
	}
	if err := p.Save(rec); err != nil {
		return err
	}
	var took []time.Duration
	for _, s := range p.Sides {
		kept := &keptRuntime{rt: p.Runtime, dir: filepath.Join(p.Dir, s.Name)}
		err := func() error {
			defer kept.close()
			for i, pr := range todo[s.Name] {
				if len(took) > 0 {
					each = mean(took)
				}
				if time.Until(deadline) < each {
					skip(rec, todo[s.Name][i:], fmt.Sprintf("%s left of the budget, an experiment takes about %s",
						time.Until(deadline).Round(time.Second), each.Round(time.Second)))
					say("budget: %s left, not enough for another experiment; %d skipped", time.Until(deadline).Round(time.Second), len(todo[s.Name])-i)
					return p.Save(rec)
				}
				start := time.Now()
				row, err := one(ctx, p, s, pr, kept)
				if err != nil {
					rec.Interrupted = ctx.Err() != nil
					if saveErr := p.Save(rec); saveErr != nil {
						return errors.Join(err, saveErr)
					}
					return err
				}
				took = append(took, time.Since(start))
				if s.Name == Control {
					rec.Control = append(rec.Control, row)
				} else {
					rec.Rows = append(rec.Rows, row)
				}
				rec.Settle()
				if err := p.Save(rec); err != nil {
					return err
				}
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	rec.Done, rec.Interrupted = true, false
	rec.Settle()
	return p.Save(rec)
}

func sidesNote(n int) string {
	if n > 1 {
		return ", the map and its control"
	}
	return ""
}

func skippedIDs(s []results.Skip) string {
	var ids []string
	for _, k := range s {
		ids = append(ids, k.ID)
	}
	return strings.Join(ids, ", ")
}

func rowsOf(rec *results.Explore, side string) []results.ExploreRow {
	if side == Control {
		return rec.Control
	}
	return rec.Rows
}

func hasRow(rows []results.ExploreRow, id string) bool {
	return slices.ContainsFunc(rows, func(r results.ExploreRow) bool { return r.ID == id })
}

func skipped(rec *results.Explore, id string) bool {
	return slices.ContainsFunc(rec.Skipped, func(s results.Skip) bool { return s.ID == id })
}

// skip records probes as skipped, each once (a probe cut on both sides of
// a compare is one line).
func skip(rec *results.Explore, probes []results.Probe, why string) {
	for _, pr := range probes {
		if !skipped(rec, pr.ID) {
			rec.Skipped = append(rec.Skipped, results.Skip{Probe: pr, Why: why})
		}
	}
}

func mean(d []time.Duration) time.Duration {
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}

// one runs probe pr on side s's kept shop and returns its row; it starts
// the shop afresh afterwards when the experiment left it out of its
// baseline band (an endpoint not back by the end, an instance down, an
// invariant broken, events not drained), so the next one starts clean.
func one(ctx context.Context, p Params, s Side, pr results.Probe, kept *keptRuntime) (results.ExploreRow, error) {
	seed := p.Record.Seed + int64(slices.IndexFunc(p.Record.Probes, func(x results.Probe) bool { return x.ID == pr.ID }))
	rel := filepath.Join(s.Name, pr.ID)
	dir := filepath.Join(p.Dir, rel)
	sc, err := Experiment(s.Load, pr, seed)
	if err == nil {
		err = prepare(dir, sc.Source)
	}
	if err != nil {
		return results.ExploreRow{}, fmt.Errorf("%w: %w", experiment.ErrCannotRun, err)
	}
	side := ""
	if s.Name != "" {
		side = s.Name + ": "
	}
	if p.Progress != nil {
		fmt.Fprintf(p.Progress, "%s%s: %s (%s)\n", side, pr.ID, pr.Describe(), pr.Setting)
	}
	res, err := experiment.Run(ctx, experiment.Params{Scenario: sc, Runtime: kept, Command: p.Command, Dir: dir})
	if err != nil {
		return results.ExploreRow{}, err
	}
	if res.Interrupted || ctx.Err() != nil {
		return results.ExploreRow{}, ctx.Err()
	}
	if err := p.WriteRun(dir, res); err != nil {
		return results.ExploreRow{}, fmt.Errorf("%w: write %s: %w", experiment.ErrCannotRun, dir, err)
	}
	row := results.ExploreRowOf(pr, filepath.ToSlash(rel), res)
	if why := outOfBand(res); why != "" {
		row.Restarted = why
		kept.close()
	}
	if p.Progress != nil {
		class, cols := row.Worst()
		what := class + " " + strings.Join(cols, ", ")
		if len(cols) == 0 {
			what = "isolated everywhere"
		}
		fmt.Fprintf(p.Progress, "%s%s: %s, in %.0fs%s\n", side, pr.ID, what, res.WallS, restartNote(row.Restarted))
	}
	return row, nil
}

// prepare makes an experiment's folder anew (an interrupted try of it may
// be there) with its scenario file.
func prepare(dir string, source []byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "scenario.yaml"), source, 0o644)
}

func restartNote(why string) string {
	if why == "" {
		return ""
	}
	return "; the shop starts afresh: " + why
}

// outOfBand says why the shop an experiment ran on cannot carry the next
// one, or "".
func outOfBand(res *results.Result) string {
	for _, in := range res.Invariants {
		if !in.Pass {
			return "invariant " + in.Name + " broken"
		}
	}
	for _, f := range res.Faults {
		if f.Unplanned {
			return f.Target + " exited unasked"
		}
	}
	if !res.Drain.Settled {
		return "not drained: " + res.Drain.Detail
	}
	for _, im := range res.BlastRadius {
		if im.Kind == "endpoint" && im.RecoveryS == nil {
			return im.Subject + " not back in its baseline band by the end"
		}
	}
	return ""
}

// keptRuntime starts a shop once and hands it to every experiment; the
// experiments' Close leaves it running. close stops it, and the next
// Start brings a new one up in a folder of its own.
type keptRuntime struct {
	rt  lab.Runtime
	dir string

	mu    sync.Mutex
	shop  lab.Shop
	kept  lab.Shape
	count int
}

func (k *keptRuntime) Name() string     { return k.rt.Name() }
func (k *keptRuntime) Describe() string { return lab.Describe(k.rt) }

func (k *keptRuntime) Start(ctx context.Context, p lab.Params) (lab.Shop, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.shop != nil && !reflect.DeepEqual(k.kept, p.Shape) {
		k.shop.Close()
		k.shop = nil
	}
	if k.shop == nil {
		k.count++
		dir := filepath.Join(k.dir, fmt.Sprintf("shop-%d", k.count))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		p.Dir = dir
		shop, err := k.rt.Start(ctx, p)
		if err != nil {
			if shop != nil {
				shop.Close()
			}
			return nil, err
		}
		k.shop, k.kept = shop, p.Shape
	}
	return leftRunning{k.shop}, nil
}

func (k *keptRuntime) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.shop != nil {
		k.shop.Close()
		k.shop = nil
	}
}

// leftRunning is the kept shop as an experiment sees it: its Close does
// nothing.
type leftRunning struct{ lab.Shop }

func (leftRunning) Close() error { return nil }
