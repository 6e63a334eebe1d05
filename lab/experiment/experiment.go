// Package experiment runs a scenario against a shop and judges it.
//
// Run, step by step:
//
//  1. start the shop of the scenario's shape on the given runtime;
//  2. start k6 (`lab k6 run`) with the scenario's load; its warmup is not
//     measured, and t0, the start of the measured load, is k6's start plus
//     the warmup;
//  3. scrape the services' metrics every second; apply each fault at
//     t0+at and remove it at t0+at+for, recording when the proxy or process
//     actually changed state;
//  4. when the load ends (or the run is interrupted), remove every fault
//     still in force, then wait, bounded, for outboxes and consumers to drain;
//  5. compute the phases (baseline, one per fault, recovery), judge the
//     hypotheses, and decide whether each fault was visible at all;
//  6. stop the shop. The caller writes the run folder from the Result.
package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"lab/faults"
	"lab/lab"
	"lab/lab/invariants"
	"lab/lab/results"
	"lab/load"
	"lab/scenarios"
	"lab/services/contract"
)

// Params are what a run needs.
type Params struct {
	Scenario *scenarios.Scenario
	Runtime  lab.Runtime
	// Command runs the lab binary (for `lab k6`).
	Command []string
	// Dir is the run folder; it must exist.
	Dir string
	// Progress receives a line a second while the load runs; nil for none.
	Progress io.Writer
	// Live rewrites the progress line in place (a terminal).
	Live bool
	// K6Outs are more k6 outputs beside the lab's (load.Plan.Outs).
	K6Outs []string
	// Generators is how many k6 processes run the load, each its
	// execution segment (--load-nodes); 0 or 1 for one.
	Generators int
	// LoadTasks runs the generators as tasks of the shop's runtime on its
	// nodes, when it has any (a swarm's); else they run on this machine.
	LoadTasks bool
	// LiveFile, if set, is a live fault file applied while the load runs
	// (as `lab up --faults` does); each fault it puts in force is a fault
	// window of the report.
	LiveFile string
}

// ErrCannotRun wraps every error that kept the lab from running the scenario.
var ErrCannotRun = errors.New("experiment: cannot run")

// ErrBadTarget is a fault's node target (node:worker-1) that the running
// shop has no node for: bad input, found once the shop knows its nodes.
var ErrBadTarget = errors.New("bad fault target")

// Interrupted is the error of a run that ctx ended before its load started:
// Stage says what the lab was doing ("starting the shop").
type Interrupted struct{ Stage string }

func (e *Interrupted) Error() string { return "interrupted while " + e.Stage }

// cannot wraps err, an error of stage, as ErrCannotRun, or as *Interrupted
// when ctx has ended: a start that fails because of Ctrl-C was interrupted,
// not unable to run.
func cannot(ctx context.Context, stage string, err error) error {
	if ctx.Err() != nil {
		return &Interrupted{Stage: stage}
	}
	return fmt.Errorf("%w: %s: %w", ErrCannotRun, stage, err)
}

// Run runs the scenario; see the package doc. It returns a Result whenever
// the load started, with the error when it could not finish. A cancelled
// ctx (SIGINT) ends the run early: before the load started with an
// *Interrupted error, after with a Result marked Interrupted whose Reason
// says what the lab was doing.
func Run(ctx context.Context, p Params) (*results.Result, error) {
	sc := p.Scenario
	began := time.Now()
	duration := int(sc.Duration.D() / time.Second)
	res := &results.Result{Scenario: sc.Name, Summary: sc.Summary, Runtime: lab.Describe(p.Runtime), Seed: sc.Seed,
		Started: began, Hypotheses: []results.HypothesisResult{}, Invariants: []results.InvariantResult{}, Faults: []results.FaultRecord{}}
	say := func(format string, args ...any) {
		if p.Progress != nil {
			fmt.Fprintf(p.Progress, format+"\n", args...)
		}
	}

	// 1. The shop, unless a fault names a node the runtime cannot have:
	// refused before anything starts.
	shape := sc.Shape()
	if !lab.SpansNodes(p.Runtime) {
		if err := CheckNodeTargets(sc, shape); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadTarget, err)
		}
	}
	shop, err := p.Runtime.Start(ctx, lab.Params{Shape: shape, Dir: p.Dir})
	if shop != nil {
		defer shop.Close()
	}
	if err != nil {
		return nil, cannot(ctx, "starting the shop", err)
	}
	say("shop ready in %s (%s runtime); gateway %s", time.Since(began).Round(time.Millisecond), lab.Describe(p.Runtime), shop.GatewayURL())
	if pl, ok := shop.(interface{ Placement() map[string]string }); ok {
		shape.Nodes = pl.Placement() // node targets resolve against it
	}
	if err := CheckNodeTargets(sc, shape); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadTarget, err)
	}
	cfg, err := openConfig(ctx, shop.BrokerURL())
	if err != nil {
		return nil, cannot(ctx, "connecting to the broker", err)
	}
	defer cfg.Close()
	env := faultEnv(shop, cfg)

	// 2. The load.
	plan := load.Plan{Command: p.Command, Journey: sc.Load.Journey, Script: sc.ScriptPath(),
		BaseURL: shop.GatewayURL(), Env: loadEnv(sc), Dir: p.Dir, Outs: p.K6Outs, Generators: p.Generators}
	if lh, ok := shop.(interface{ LoadHost() load.Host }); ok && p.LoadTasks {
		plan.Host = lh.LoadHost()
	}
	run, err := load.Start(ctx, plan)
	if err != nil {
		return nil, cannot(ctx, "starting the load", err)
	}
	defer run.Stop(5 * time.Second)
	if err := run.WaitStarted(ctx, time.Minute); err != nil {
		return nil, cannot(ctx, "starting the load", err)
	}
	warmup := sc.WarmupOrDefault().D()
	t0 := run.Collector.Start().Add(warmup)
	shift := int(warmup / time.Second)
	say("load started: %s, warmup %s, then %s measured", describeLoad(sc), warmup, sc.Duration.D())
	if run.Generators > 1 || len(run.Nodes) > 0 {
		res.Load = generatorsOf(run)
		say("load: %s, each its execution segment, started %.1f ms apart; merged per second", res.Load.Describe(), res.Load.SkewMS)
	}

	// 3. Scrape and inject.
	scrapeCtx, stopScrape := context.WithCancel(context.Background())
	defer stopScrape()
	scr := newScraper(shop, t0, cfg.js)
	go scr.run(scrapeCtx)
	tl := newTimeline(env, shape, sc.Faults, t0)
	tl.start()
	defer tl.removeAll()
	var lf *liveFaults
	if p.LiveFile != "" {
		if lf, err = startLiveFaults(ctx, p.LiveFile, env, shape, p.Progress); err != nil {
			return nil, cannot(ctx, "watching the live fault file", err)
		}
		defer lf.close()
	}

	as, stopScaling, err := startAutoscaler(ctx, shop, sc.AutoscaleRules(), scr, t0, say)
	if err != nil {
		return nil, cannot(ctx, "starting the autoscalers", err)
	}
	defer stopScaling()

	kw := watchKnee(ctx, sc, run, offset{c: run.Collector, shift: shift}, t0, say)
	un := &unplanned{t0: t0}
	interrupted := waitLoad(ctx, run, tl, lf, un, shop, scr, p, t0, duration)
	stopScaling() // the shop keeps its shape through the drain and the checks
	stage := "loading"
	if interrupted && time.Now().Before(t0) {
		stage = "warming up"
	}

	// 4. Remove faults, drain.
	if interrupted {
		run.Stop(5 * time.Second)
	}
	tl.removeAll()
	if lf != nil {
		lf.close()
	}
	<-run.Done()
	measured := duration
	if interrupted {
		measured = max(0, min(duration, int(time.Since(t0)/time.Second)))
		res.Interrupted = true
	} else if err := run.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCannotRun, err)
	} else if ended := time.Since(t0); ended < sc.Duration.D()-time.Second {
		// k6 ended a second or more before the measured load's end: abortOnFail stopped it,
		// or a script's iterations were done. What was measured is what ran.
		measured = max(0, min(duration, int(ended/time.Second)))
		if run.ThresholdsCrossed {
			res.Aborted = fmt.Sprintf("k6 stopped the load after %ds of %ds: a threshold with abortOnFail was crossed", measured, duration)
			say("%s", res.Aborted)
		} else if !kw.ended() {
			say("the load ended after %ds of at most %ds", measured, duration)
		}
	}
	if sc.Load.Script != "" {
		res.Thresholds = readThresholds(run.SummaryPaths, run.ThresholdsCrossed)
	}
	if err := run.Collector.Err(); err != nil && !interrupted {
		return nil, fmt.Errorf("%w: %w", ErrCannotRun, err)
	}
	if !interrupted {
		res.Drain = drain(ctx, scr, sc.Drain.D())
		say("drain: %s", res.Drain.Detail)
		interrupted, stage = ctx.Err() != nil, "draining"
	}
	stopScrape()
	if !interrupted {
		res.Invariants, res.InvariantCheckS = checkInvariants(ctx, shop, sc.Invariants)
		say("invariants checked in %.0fms", 1000*res.InvariantCheckS)
		interrupted, stage = ctx.Err() != nil, "checking the invariants"
		if interrupted { // what a cancelled read found is not evidence
			res.Invariants = []results.InvariantResult{}
		}
	}
	res.Interrupted = interrupted

	// 5. Judge.
	un.collect(shop.Exits(), p.Progress) // those that ended while draining
	res.Faults = tl.records()
	if lf != nil {
		res.Faults = append(res.Faults, lf.records()...)
	}
	res.Faults = append(res.Faults, un.recs...)
	s := offset{c: run.Collector, shift: shift}
	res.Edges, res.Breakers = scr.Edges(), scr.Transitions()
	res.Signals = scr.Signals()
	res.Autoscale = as.record()
	res.Placement = shape.Nodes
	res.Replicas = map[string]int{}
	for _, svc := range contract.Services {
		res.Replicas[svc] = shape.ReplicasOf(svc)
	}
	stages := sc.StagePhases()
	if kw != nil && !interrupted {
		knee, why := kw.outcome(measured)
		stages, res.Ramp = append(stages, knee...), why
		say("%s", why)
	}
	results.Judge(res, sc.Judged(), results.Measured{Series: s, T0: t0, Duration: measured, Endpoints: sc.EndpointNames(),
		Stages: stages})
	res.Scaling = results.ScalingOf(res, res.Replicas)
	res.K6 = crossCheck(run, s)
	if interrupted {
		res.Verdict = results.Inconclusive
		res.Reason = fmt.Sprintf("interrupted while %s, after %ds of %ds; the figures cover what ran", stage, measured, duration)
	}
	res.Reason += un.note()
	res.Ended = time.Now()
	res.WallS = res.Ended.Sub(began).Seconds()
	// 6. The deferred calls stop the load, remove faults and stop the shop.
	return res, nil
}

// CheckNodeTargets resolves every fault's node target (node:worker-1)
// against shape's nodes: a scenario is checked before it knows its nodes.
// Before a shop runs (shape.Nodes nil) it refuses any node target, which
// is what a runtime of one machine must do before it starts anything.
func CheckNodeTargets(sc *scenarios.Scenario, shape lab.Shape) error {
	for _, f := range sc.Faults {
		if !strings.HasPrefix(f.Target, faults.NodePrefix) {
			continue
		}
		if shape.Nodes == nil {
			return fmt.Errorf("fault %s: target %q names a node, and this shop runs on one machine: node targets need --runtime swarm", f.Name, f.Target)
		}
		kind, err := faults.Lookup(f.Kind)
		if err == nil {
			_, err = faults.Resolve(f.Target, kind.Layer(), shape)
		}
		if err != nil {
			return fmt.Errorf("fault %s: %w", f.Name, err)
		}
	}
	return nil
}

// loadEnv passes the scenario's load to the journeys.
func loadEnv(sc *scenarios.Scenario) map[string]string {
	ld := sc.Load
	env := map[string]string{
		"LAB_SEED":     fmt.Sprint(sc.Seed),
		"LAB_WARMUP":   sc.WarmupOrDefault().D().String(),
		"LAB_DURATION": sc.Duration.D().String(),
		"LAB_RATE":     fmt.Sprint(ld.Rate),
		"LAB_VUS":      fmt.Sprint(ld.VUs),
		"LAB_EXECUTOR": ld.Executor,
		"LAB_THINK":    fmt.Sprint(ld.Think.D().Seconds()),
	}
	if v, ok := sc.Shop.Config["catalog.products"]; ok {
		env["LAB_PRODUCTS"] = fmt.Sprint(v)
	}
	if ld.CheckoutShare != nil {
		env["LAB_CHECKOUT_SHARE"] = fmt.Sprint(*ld.CheckoutShare)
	}
	if len(ld.Stages) > 0 {
		type stage struct {
			Target   int    `json:"target"`
			Duration string `json:"duration"`
		}
		var st []stage
		for _, s := range ld.Stages {
			st = append(st, stage{s.Target, s.Duration.D().String()})
		}
		b, _ := json.Marshal(st)
		env["LAB_STAGES"] = string(b)
		env["LAB_START_RATE"] = fmt.Sprint(max(ld.StartRate, 1))
	}
	return env
}

func describeLoad(sc *scenarios.Scenario) string {
	if sc.Script != nil {
		return sc.Script.Describe()
	}
	what := sc.Load.Journey
	if what == "" {
		what = sc.Load.Script
	}
	switch sc.Load.Executor {
	case "ramping-arrival-rate":
		return fmt.Sprintf("%s, ramping from %d/s over %d stages", what, max(sc.Load.StartRate, 1), len(sc.Load.Stages))
	case "constant-vus":
		return fmt.Sprintf("%s, %d VUs", what, sc.Load.VUs)
	}
	return fmt.Sprintf("%s at %d iterations/s", what, sc.Load.Rate)
}

// waitLoad shows progress until the load ends; it reports whether ctx
// ended the run first.
func waitLoad(ctx context.Context, run *load.Run, tl *timeline, lf *liveFaults, un *unplanned, shop lab.Shop, scr *scraper,
	p Params, t0 time.Time, duration int) bool {
	dash := &dashboard{w: p.Progress}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if p.Progress != nil && p.Live {
				fmt.Fprintln(p.Progress)
			}
			return true
		case <-run.Done():
			if p.Progress != nil && p.Live {
				fmt.Fprintln(p.Progress)
			}
			return false
		case e, ok := <-shop.Exits():
			if ok {
				un.record(e, p.Progress)
			}
		case now := <-tick.C:
			if p.Progress == nil {
				continue
			}
			el := int(now.Sub(t0) / time.Second)
			if el < 0 {
				fmt.Fprintf(p.Progress, "warming up...%s", eol(p.Live))
				continue
			}
			last := int(now.Sub(run.Collector.Start())/time.Second) - 1 // the last full second
			a := run.Collector.Sum("", last, last+1)
			active := tl.active()
			if lf != nil {
				active = append(active, lf.active()...)
			}
			phase := "baseline"
			if len(active) > 0 {
				phase = strings.Join(active, "+")
			} else if tl.anyRemoved() {
				phase = "recovery"
			}
			if p.Live {
				dash.draw(fmt.Sprintf("[%3d/%ds] %s", min(el, duration), duration, phase), run.Collector, last, scr.Edges(), active)
				continue
			}
			fmt.Fprintf(p.Progress, "[%3d/%ds] %-18s %5d req/s  %5.1f%% errors  p95 %6.1fms  faults: %s\n",
				min(el, duration), duration, phase, a.Requests, 100*(1-a.SuccessRate()), a.Quantile(0.95), orNone(active))
		}
	}
}

func eol(live bool) string {
	if live {
		return "\r"
	}
	return "\n"
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// drain waits until no outbox holds an event and no consumer lags, or timeout.
func drain(ctx context.Context, scr *scraper, timeout time.Duration) results.DrainResult {
	start := time.Now()
	var last results.Signal
	for time.Since(start) < timeout && ctx.Err() == nil {
		last = scr.once(ctx, time.Now())
		if last.InstancesUp == last.InstancesAll && last.OutboxMax == 0 && last.ConsumerLag == 0 {
			return results.DrainResult{Settled: true, TookS: time.Since(start).Seconds(),
				Detail: fmt.Sprintf("outboxes empty and consumers caught up in %s", time.Since(start).Round(time.Millisecond))}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return results.DrainResult{TookS: time.Since(start).Seconds(), Detail: fmt.Sprintf(
		"not settled after %s: %.0f events in outboxes, %.0f unacknowledged, %d of %d instances answering",
		timeout, last.OutboxMax, last.ConsumerLag, last.InstancesUp, last.InstancesAll)}
}

// crossCheck reads k6's own summary of the main scenario per endpoint.
func crossCheck(run *load.Run, s results.Series) map[string]results.K6Check {
	type summary struct {
		Metrics map[string]map[string]any `json:"metrics"` // values, and a thresholds object
	}
	var sums []summary
	for _, path := range run.SummaryPaths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		var sum summary
		if json.Unmarshal(data, &sum) != nil {
			return nil
		}
		sums = append(sums, sum)
	}
	if len(sums) == 0 {
		return nil
	}
	out := map[string]results.K6Check{}
	for _, e := range s.Endpoints() {
		c := results.K6Check{}
		seen := false
		for _, sum := range sums {
			reqs, ok := sum.Metrics["http_reqs{name:"+e+",scenario:main}"]
			if !ok {
				continue
			}
			seen = true
			count, _ := reqs["count"].(float64)
			c.K6Requests += int64(count)
			if len(sums) > 1 {
				c.K6PerGenerator = append(c.K6PerGenerator, int64(count))
			} else { // percentiles of several summaries do not add up
				c.K6P95, _ = sum.Metrics["http_req_duration{name:"+e+",scenario:main}"]["p(95)"].(float64)
			}
		}
		if !seen {
			continue
		}
		a := s.Sum(e, math.MinInt32, math.MaxInt32)
		c.LabRequests, c.LabP95 = a.Requests, a.Quantile(0.95)
		out[e] = c
	}
	return out
}

// checkInvariants reads the shop's data and checks the named invariants
// (all when none are named); a shop that cannot be read breaks them all.
func checkInvariants(ctx context.Context, shop lab.Shop, names []string) ([]results.InvariantResult, float64) {
	start := time.Now()
	if len(names) == 0 {
		names = contract.Invariants
	}
	var out []results.InvariantResult
	data, err := invariants.Read(ctx, shop)
	if err != nil {
		for _, n := range names {
			out = append(out, results.InvariantResult{Name: n, Detail: "could not read the shop's data: " + err.Error()})
		}
		return out, time.Since(start).Seconds()
	}
	for _, r := range invariants.Check(data, names) {
		out = append(out, results.InvariantResult{Name: r.Name, Pass: r.Pass, Detail: r.Detail, NotExercised: !r.Exercised})
	}
	return out, time.Since(start).Seconds()
}

// generatorsOf says how many generators ran where.
func generatorsOf(run *load.Run) *results.LoadGenerators {
	skew := float64(run.Collector.Skew().Microseconds()) / 1000
	if len(run.Nodes) > 0 {
		return results.OnNodes(run.Nodes, skew)
	}
	host, _ := os.Hostname()
	return &results.LoadGenerators{Count: run.Generators, Where: host, SkewMS: skew}
}

// offset shifts a collector whose seconds count from k6's start by the
// warmup, so that second 0 is the start of the measured load.
type offset struct {
	c     *load.Collector
	shift int
}

func (o offset) Sum(e string, from, to int) *results.Agg { return o.c.Sum(e, from+o.shift, to+o.shift) }
func (o offset) At(e string, sec int, fn func(*results.Agg)) {
	o.c.At(e, sec+o.shift, fn)
}
func (o offset) Endpoints() []string { return o.c.Endpoints() }
