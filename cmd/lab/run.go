package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lab/lab"
	"lab/lab/docker"
	"lab/lab/experiment"
	"lab/lab/results"
	"lab/load"
	"lab/reports"
	"lab/reports/export"
	"lab/scenarios"
)

func newRun() *cobra.Command {
	var runtime, duration, out string
	var seed int64
	var repeat, minPass int
	var sets []string
	var compare, liveFile string
	var k6Outs, exportFlags []string
	var loadNodes int
	var registry string
	cmd := &cobra.Command{
		Use:   "run NAME|PATH|SCRIPT.js",
		Short: "Run a scenario: load, faults on a timeline, a verdict",
		Long: `Run a built-in scenario (lab list), a scenario file, or a bare k6 script (SCRIPT.js:
as written, against the default shop, no faults), print the verdict tables and write
the run folder (report.json, report.md, junit.xml, the scenario as run, a script with
its local imports, every service's log). A script's own options decide its load: the
lab reads them from k6 and announces them, and cuts no warmup unless asked.

Exit codes: 0 every hypothesis held; 1 the verdict is fail; 2 bad input; 3 the lab
could not run; 4 inconclusive (a fault had no observable effect); 130 interrupted
(SIGINT or SIGTERM: faults removed, shop stopped, a partial report written).`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeScenario,
		RunE: func(cmd *cobra.Command, args []string) error {
			if loadNodes < 1 || loadNodes > 16 {
				return badInput(fmt.Errorf("--load-nodes %d: want from 1 to 16 k6 generators", loadNodes))
			}
			// Asked for, the generators run on the runtime's nodes when it
			// has any (a swarm's tasks); else on this machine.
			tasks := cmd.Flags().Changed("load-nodes")
			var pre []string
			if duration != "" {
				pre = append(pre, "duration="+duration)
			}
			if cmd.Flags().Changed("seed") {
				pre = append(pre, fmt.Sprintf("seed=%d", seed))
			}
			sc, err := openScenario(cmd.Context(), args[0], append(pre, sets...))
			if err != nil {
				return badInput(err)
			}
			if err := checkRepeat(cmd, repeat, &minPass, compare, liveFile); err != nil {
				return badInput(err)
			}
			if err := checkLiveFile(liveFile, sc.Shape()); err != nil {
				return badInput(err)
			}
			var exports []export.Target
			for _, e := range exportFlags {
				t, err := export.ParseTarget(e)
				if err != nil {
					return badInput(err)
				}
				exports = append(exports, t)
			}
			repo, err := checkRegistry(registry, runtime)
			if err != nil {
				return badInput(err)
			}
			rt, err := pickRuntime(cmd.Context(), runtime, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			rt = withRegistry(rt, repo)
			if sw, ok := rt.(*docker.SwarmRuntime); ok && tasks && sw.LoadExe == "" { // before anything starts
				return cannotRun(docker.ErrNoLoadExe)
			}
			if !lab.SpansNodes(rt) { // refused before the run folder exists
				if err := experiment.CheckNodeTargets(sc, lab.Shape{}); err != nil {
					return badInput(fmt.Errorf("%s: %w", args[0], err))
				}
			}
			if out == "" {
				out = filepath.Join("runs", time.Now().UTC().Format("20060102T150405Z")+"-"+sc.Name)
				if repeat > 1 {
					out += fmt.Sprintf("-x%d", repeat)
				}
			}
			if repeat > 1 {
				return runRepeat(cmd, repeatParams{arg: args[0], sets: append(pre, sets...), base: sc.Seed,
					runs: repeat, minPass: minPass, rt: rt, out: out, load: loadOptions{k6Outs: k6Outs, generators: loadNodes, tasks: tasks}, exports: exports})
			}
			stderr := cmd.ErrOrStderr()
			var ctl *results.Result
			if compare != "" {
				if !strings.Contains(compare, "=") {
					return badInput(fmt.Errorf("--compare %q: want KEY=VALUE, such as resilience=none", compare))
				}
				csc, err := openScenario(cmd.Context(), args[0], append(append(pre, sets...), compare))
				if err != nil {
					return badInput(fmt.Errorf("--compare: %w", err))
				}
				fmt.Fprintf(stderr, "control run: %s with %s\n", sc.Name, compare)
				ctl, err = runOnce(cmd.Context(), cmd, csc, rt, filepath.Join(out, "control"), "", loadOptions{generators: loadNodes, tasks: tasks})
				if err != nil || ctl.Interrupted {
					return runErr(cmd, ctl, err)
				}
				fmt.Fprintf(stderr, "experiment run: %s as written\n", sc.Name)
			}
			res, err := runOnce(cmd.Context(), cmd, sc, rt, out, liveFile, loadOptions{k6Outs: k6Outs, generators: loadNodes, tasks: tasks})
			if err != nil {
				return runErr(cmd, res, err)
			}
			if ctl != nil {
				key, value, _ := strings.Cut(compare, "=")
				results.AttachControl(res, ctl, key, value)
				if err := reports.WriteAll(out, res); err != nil {
					return cannotRun(fmt.Errorf("write the run folder: %w", err))
				}
			}
			reports.Terminal(cmd.OutOrStdout(), res)
			fmt.Fprintf(cmd.OutOrStdout(), "run folder: %s\n", out)
			exported := exportRun(cmd, res, filepath.Base(out), exports)
			switch {
			case !res.Interrupted && cmd.Context().Err() != nil:
				// The signal came while the reports were written: they are
				// whole (each written aside and renamed), the exit says so.
				return &exitError{code: ExitInterrupted, err: errors.New("interrupted while writing the reports; they are complete")}
			case res.Interrupted:
				return &exitError{code: ExitInterrupted, err: errors.New(res.Reason)}
			case res.Verdict == results.Fail:
				return &exitError{code: ExitFail, err: errors.New("verdict fail: " + res.Reason)}
			case res.Verdict == results.Inconclusive:
				return &exitError{code: ExitInconclusive, err: errors.New("verdict inconclusive: " + res.Reason)}
			case exported != nil:
				return cannotRun(exported)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&runtime, "runtime", "auto", "where the shop runs: auto, process, docker or swarm")
	f.StringVar(&duration, "duration", "", "override the scenario's measured duration, such as 10s")
	f.Int64Var(&seed, "seed", 0, "override the scenario's seed")
	f.StringVar(&out, "out", "", "the run folder (default runs/<UTC time>-<scenario>)")
	f.StringVar(&compare, "compare", "", "also run a control with KEY=VALUE (such as resilience=none), same seed, and compare")
	f.StringArrayVar(&sets, "set", nil, "override a field, as key=value: load.rate=50, shop.replicas.catalog=3, shop.config.KEY=V ...")
	f.StringVar(&liveFile, "live", "", "a live fault file, applied on every save while the load runs; each fault is a window of the report")
	f.StringVar(&registry, "registry", "", registryUsage)
	f.IntVar(&loadNodes, "load-nodes", 1, "run the load as this many k6 generators, each its execution segment of the test, merged per second (1 to 16); on --runtime swarm, as tasks spread over its nodes")
	f.StringArrayVar(&k6Outs, "k6-out", nil, "another k6 output beside the lab's, as k6's --out takes it: json=run.json, csv=run.csv, "+
		"experimental-prometheus-rw, ... (repeatable; K6_* settings in the environment reach k6; --out is the run folder)")
	f.IntVar(&repeat, "repeat", 1, "run it N times, seeds base, base+1, ...; figures as median and range, each hypothesis as held in k of N")
	f.IntVar(&minPass, "min-pass", 0, "with --repeat: the runs each hypothesis must hold in for a pass (default all)")
	f.StringArrayVar(&exportFlags, "export", nil, "send the run's series when it ends: prom-rw=URL (Prometheus remote write) or "+
		"otlp=URL (OpenTelemetry metrics over OTLP/HTTP), on loopback (repeatable)")
	return cmd
}

// exportRun sends the run's series to every --export target, saying what
// went where, and returns the first failure: the verdict stands, and a run
// that passed exits 3 when its export did not arrive.
func exportRun(cmd *cobra.Command, res *results.Result, run string, targets []export.Target) error {
	if len(targets) == 0 {
		return nil
	}
	series := export.Build(res, run)
	var first error
	for _, t := range targets {
		n, samples, err := export.Send(cmd.Context(), t, series)
		if err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "export: %v\n", err)
			if first == nil {
				first = err
			}
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "export: %s %s: %d series, %d samples (lab_run=%q)\n", t.Kind, t.URL, n, samples, run)
	}
	return first
}

// runOnce runs sc into the folder out and writes its reports there.
// live, if set, is a live fault file applied while the load runs.
// loadOptions are how a run drives its load: more k6 outputs, and how many
// k6 generators (--load-nodes).
type loadOptions struct {
	k6Outs     []string
	generators int
	tasks      bool // as the runtime's tasks, when it runs on nodes
}

func runOnce(ctx context.Context, cmd *cobra.Command, sc *scenarios.Scenario, rt lab.Runtime, out, live string, lo loadOptions) (*results.Result, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, cannotRun(err)
	}
	// A reused run folder starts clean: old databases would carry another
	// run's orders into this one.
	for _, owned := range runFolderEntries {
		if err := os.RemoveAll(filepath.Join(out, owned)); err != nil {
			return nil, cannotRun(err)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "scenario.yaml"), sc.Source, 0o644); err != nil {
		return nil, cannotRun(err)
	}
	if sc.Load.Script != "" { // the script and its local imports, to replay the run
		if _, err := load.CopyScript(sc.ScriptPath(), filepath.Join(out, "script")); err != nil {
			return nil, cannotRun(err)
		}
	}
	exe, _ := os.Executable()
	res, err := experiment.Run(ctx, experiment.Params{
		Scenario: sc, Runtime: rt, Command: []string{exe}, Dir: out,
		Progress: cmd.ErrOrStderr(), Live: isTerminal(os.Stderr), LiveFile: live, K6Outs: lo.k6Outs, Generators: lo.generators,
		LoadTasks: lo.tasks,
	})
	os.RemoveAll(filepath.Join(out, "broker")) // the broker's store: large, and of no use after
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "logs of the failed run: %s\n", out)
		return nil, err
	}
	if err := reports.WriteAll(out, res); err != nil {
		return nil, cannotRun(fmt.Errorf("write the run folder: %w", err))
	}
	return res, nil
}

// runFolderEntries is what the lab writes into a run folder.
var runFolderEntries = []string{"data", "logs", "broker", "load", "control", "report.json", "report.md",
	"report.html", "junit.xml", "scenario.yaml", "k6.log", "k6-summary.json", "script"}

// runErr turns a run that did not finish into its exit code.
func runErr(cmd *cobra.Command, res *results.Result, err error) error {
	if err == nil && res != nil && res.Interrupted {
		reports.Terminal(cmd.OutOrStdout(), res)
		return &exitError{code: ExitInterrupted, err: errors.New(res.Reason)}
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	var ie *experiment.Interrupted
	if errors.As(err, &ie) || cmd.Context().Err() != nil {
		return &exitError{code: ExitInterrupted, err: err}
	}
	if errors.Is(err, experiment.ErrBadTarget) {
		return badInput(err)
	}
	return cannotRun(err)
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
