package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lab/lab/explore"
	"lab/lab/results"
	"lab/reports"
	"lab/scenarios"
)

// maxBudget bounds --budget: an explore is bounded in time like every loop.
const maxBudget = 24 * time.Hour

func newExplore() *cobra.Command {
	var kinds, only []string
	var targets, budget, loadName, compare, runtime, out, resume string
	var sets []string
	var seed int64
	cmd := &cobra.Command{
		Use:   "explore",
		Short: "Every fault kind on every edge (or service, or instance): one resilience map",
		Long: `Run one short experiment per target and fault kind of the shop's shape, on one shop
kept up between them, and write a resilience map: a row per fault, a column per endpoint
and per invariant, each cell isolated, degraded, failed, or the invariant broken, linked
to that experiment's report. The worst findings come first, each in a sentence.

Each experiment: 4s baseline, 5s of the fault, 4s recovery, on the load and shop of
--load (a built-in scenario or file with a steady load; its own faults and hypotheses
are not used). Settings are severe but realistic: down refuses every connection;
latency adds more than the caller's timeout; http_error answers 503 to every request;
kill sends SIGKILL and starts the instance again when the fault ends. The shop is
started afresh after an experiment that left it out of its band (an endpoint not
back, an invariant broken, an instance gone).

The budget bounds the wall time: the lab says how many experiments fit and skips the
least severe. An interrupted explore resumes: lab explore --resume FOLDER.
--compare KEY=VALUE (such as resilience=none) runs the map twice and shows, cell by
cell, what the change turns from failed into isolated, and what fails either way.

Exit codes: 0 the map is complete; 2 bad input; 3 the lab could not run; 130
interrupted (the folder resumes).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stderr := cmd.Context(), cmd.ErrOrStderr()
			var rec *results.Explore
			if resume != "" {
				for _, f := range []string{"kinds", "targets", "only", "load", "set", "compare", "seed", "out"} {
					if cmd.Flags().Changed(f) {
						return badInput(fmt.Errorf("--resume %s: --%s comes from the folder's explore.json; give --budget and --runtime only", resume, f))
					}
				}
				var err error
				if rec, err = readExplore(resume); err != nil {
					return badInput(err)
				}
				kinds, targets, only, loadName, sets, compare, seed, out = rec.Kinds, rec.Targets, rec.Only, rec.Load, rec.Sets, rec.Compare, rec.Seed, resume
				if !cmd.Flags().Changed("budget") {
					budget = rec.Budget
				}
			}
			b, err := time.ParseDuration(budget)
			if err != nil || b <= 0 || b > maxBudget {
				return badInput(fmt.Errorf("--budget %q: want a duration from 1s to %s, such as 15m", budget, maxBudget))
			}
			if b < explore.FirstEstimate {
				return badInput(fmt.Errorf("--budget %s: one experiment takes about %s; want at least that", b, explore.FirstEstimate))
			}
			sc, err := openScenario(ctx, loadName, sets)
			if err != nil {
				return badInput(err)
			}
			if err := steadyLoad(sc); err != nil {
				return badInput(err)
			}
			if !cmd.Flags().Changed("seed") && resume == "" {
				seed = sc.Seed
			}
			probes, na, err := explore.Plan(sc, kinds, targets, only)
			if err != nil {
				return badInput(err)
			}
			if len(probes) == 0 {
				return badInput(fmt.Errorf("--kinds %s on --targets %s: nothing to run (%s)", strings.Join(kinds, ","), targets, strings.Join(na, "; ")))
			}
			sides := []explore.Side{{Load: sc}}
			if compare != "" {
				if !strings.Contains(compare, "=") {
					return badInput(fmt.Errorf("--compare %q: want KEY=VALUE, such as resilience=none", compare))
				}
				csc, err := openScenario(ctx, loadName, append(append([]string{}, sets...), compare))
				if err != nil {
					return badInput(fmt.Errorf("--compare: %w", err))
				}
				sides = append(sides, explore.Side{Name: explore.Control, Load: csc})
			}
			if rec != nil {
				was, _ := json.Marshal(rec.Probes)
				now, _ := json.Marshal(probes)
				if string(was) != string(now) { // as JSON: a number read back is a float64
					return badInput(fmt.Errorf("--resume %s: its explore.json planned other experiments than this lab plans from its settings (a lab of another version?); start a new explore", resume))
				}
				fmt.Fprintf(stderr, "resuming %s: %d of %d experiments done\n", resume, len(rec.Rows)+len(rec.Control), len(probes)*len(sides))
				rec.Skipped, rec.Budget = nil, budget
			} else {
				if out == "" {
					out = filepath.Join("runs", time.Now().UTC().Format("20060102T150405Z")+"-explore-"+sc.Name)
				}
				if _, err := os.Stat(filepath.Join(out, "explore.json")); err == nil {
					return badInput(fmt.Errorf("--out %s: it holds an explore already; resume it with --resume %s, or choose another folder", out, out))
				}
				rec = &results.Explore{Load: loadName, Sets: sets, Kinds: kinds, Targets: targets, Only: only, Budget: budget,
					Compare: compare, Seed: seed,
					BaselineS: explore.BaselineS, FaultS: explore.FaultS, RecoveryS: explore.RecoveryS, Probes: probes, NotApplicable: na,
					Rows: []results.ExploreRow{}, Started: time.Now()}
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return cannotRun(err)
			}
			rt, err := pickRuntime(ctx, runtime, stderr)
			if err != nil {
				return err
			}
			rec.Runtime = rt.Name()
			exe, _ := os.Executable()
			began, wallBefore := time.Now(), rec.WallS
			err = explore.Run(ctx, explore.Params{
				Sides: sides, Runtime: rt, Command: []string{exe}, Dir: out, Budget: b, Progress: stderr, Record: rec,
				WriteRun: reports.WriteAll,
				Save: func(e *results.Explore) error {
					e.WallS = wallBefore + time.Since(began).Seconds()
					return reports.WriteExplore(out, e)
				},
			})
			reports.ExploreTerminal(cmd.OutOrStdout(), rec)
			fmt.Fprintf(cmd.OutOrStdout(), "explore folder: %s (explore.html is the heat map)\n", out)
			switch {
			case ctx.Err() != nil || rec.Interrupted:
				return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted; lab explore --resume %s runs the rest", out)}
			case err != nil:
				return cannotRun(fmt.Errorf("%w; lab explore --resume %s runs the rest", err, out))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&kinds, "kinds", explore.Kinds, "the fault kinds: some of "+strings.Join(explore.Kinds, ", "))
	f.StringVar(&targets, "targets", "edges", "what each fault hits: edges (every call edge and broker link), services or instances")
	f.StringSliceVar(&only, "only", nil, "only these targets of --targets, such as orders->payments,gateway->inventory")
	f.StringVar(&budget, "budget", "15m", "the most wall time it may take; the least severe experiments are skipped to fit")
	f.StringVar(&loadName, "load", "baseline", "the scenario whose shop and steady load every experiment uses")
	f.StringArrayVar(&sets, "set", nil, "override a field of the load's scenario, as key=value: load.rate=50, shop.replicas.catalog=3 ...")
	f.StringVar(&compare, "compare", "", "also run the map with KEY=VALUE (such as resilience=none) and compare cell by cell")
	f.StringVar(&runtime, "runtime", "auto", "where the shop runs: auto, process or docker")
	f.StringVar(&out, "out", "", "the explore's folder (default runs/<UTC time>-explore-<load>)")
	f.StringVar(&resume, "resume", "", "resume the explore in this folder: run what it has not run")
	f.Int64Var(&seed, "seed", 0, "the first experiment's seed (default the load scenario's); experiment i runs with seed+i")
	return cmd
}

// steadyLoad refuses a load that an experiment's short timeline cannot
// carry: a ramp (its stages fix its length) or a script (its own options
// fix its load and length).
func steadyLoad(sc *scenarios.Scenario) error {
	switch {
	case sc.Load.Script != "":
		return fmt.Errorf("--load %s: its load is a k6 script, whose own options fix how long it runs; want a scenario with a built-in journey", sc.Path)
	case len(sc.Load.Stages) > 0:
		return fmt.Errorf("--load %s: its load ramps over stages; want a steady load (constant-arrival-rate or constant-vus), such as baseline", sc.Path)
	}
	return nil
}

// readExplore reads an explore's record from its folder.
func readExplore(dir string) (*results.Explore, error) {
	path := filepath.Join(dir, "explore.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--resume %s: %w", dir, err)
	}
	rec, err := reports.DecodeExplore(path, data)
	if err != nil {
		return nil, err
	}
	if rec.Done {
		return nil, fmt.Errorf("--resume %s: that explore is complete (%d experiments); start a new one", dir, len(rec.Rows)+len(rec.Control))
	}
	return rec, nil
}
