package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lab/internal/table"
	"lab/lab"
	"lab/lab/bench"
	"lab/lab/docker"
)

func newBench() *cobra.Command {
	var runtime, jsonPath, only, dir string
	var runs int
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the lab against its targets: start, proxy hop, fault fidelity, capacity, memory",
		Long: `Measure how fast the lab is, each figure the median of --runs runs, comparisons taken
in the same run (proxied against direct, k6 against wrk), print a table against the
targets and, with --json, write every figure and its samples to a file.

Metrics: ` + strings.Join(bench.Keys, ", ") + `.
A full bench takes about ten minutes on the process runtime; --only measures some.

Exit codes: 0 every target met; 1 a target missed; 2 bad input; 3 a measurement
could not be taken.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var keys []string
			if only != "" {
				keys = strings.Split(only, ",")
				if err := bench.CheckOnly(keys); err != nil {
					return badInput(fmt.Errorf("--only: %w", err))
				}
			}
			if runs < 1 || runs > 100 {
				return badInput(fmt.Errorf("--runs %d: want 1 to 100", runs))
			}
			if runtime == "process,docker" {
				a, err := benchOptions(cmd, "process", runs, keys)
				if err != nil {
					return err
				}
				b, err := benchOptions(cmd, "docker", runs, keys)
				if err != nil {
					return err
				}
				return runCompare(cmd.Context(), a, b, keys, dir, jsonPath, cmd.OutOrStdout())
			}
			opts, err := benchOptions(cmd, runtime, runs, keys)
			if err != nil {
				return err
			}
			return runBench(cmd.Context(), opts, dir, jsonPath, cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&runtime, "runtime", "auto", "where the shops run: auto, process or docker; process,docker measures both in turn and gives docker's figures as ratios of process's")
	fl.StringVar(&jsonPath, "json", "", "write the figures, their samples and the machine to this file")
	fl.IntVar(&runs, "runs", 5, "measure each figure this many times and keep the median")
	fl.StringVar(&only, "only", "", "measure only these metrics, comma-separated")
	fl.StringVar(&dir, "dir", "", "keep the shops' data, logs and k6 runs in this folder (default: a temporary folder, removed at exit)")
	return cmd
}

// benchOptions readies the runtime called runtime for lab bench.
func benchOptions(cmd *cobra.Command, runtime string, runs int, keys []string) (bench.Options, error) {
	rt, err := pickRuntime(cmd.Context(), runtime, cmd.ErrOrStderr())
	if err != nil {
		return bench.Options{}, err
	}
	exe, _ := os.Executable()
	opts := bench.Options{Runtime: rt, Command: []string{exe}, Children: children(exe, io.Discard), Runs: runs, Only: keys,
		Progress: cmd.ErrOrStderr()}
	if d, ok := rt.(*docker.Runtime); ok {
		opts.ImageBuild = func(ctx context.Context) (time.Duration, error) { return d.Engine.BuildCold(ctx, d.Exe) }
		opts.Warm = func(ctx context.Context) error {
			_, _, err := d.Engine.EnsureImage(ctx, d.Exe)
			return err
		}
	}
	return opts, nil
}

// runCompare measures a's and b's runtimes in turn (lab bench --runtime
// process,docker) and prints b's figures against a's.
func runCompare(ctx context.Context, a, b bench.Options, keys []string, dir, jsonPath string, stdout io.Writer) error {
	dir, cleanup, err := workDir(dir, "lab-bench-*")
	if err != nil {
		return err
	}
	defer cleanup()
	a.Dir, b.Dir = dir, dir
	c, err := bench.Compare(ctx, a, b, keys)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &exitError{code: ExitInterrupted, err: errors.New("interrupted")}
		}
		return cannotRun(err)
	}
	m := c.Machine
	fmt.Fprintf(stdout, "lab bench: %s against %s, in turn, median of %d runs each, %s; %d CPUs (%s), %d MB, %s\n",
		lab.Describe(b.Runtime), lab.Describe(a.Runtime), c.Runs, time.Duration(c.Seconds*float64(time.Second)).Round(time.Second),
		m.CPUs, m.Model, m.MemMB, m.Kernel)
	t := table.New(stdout)
	t.Header("metric", c.A, c.B, c.B+"/"+c.A, "goal", "")
	for _, p := range c.Pairs {
		val := func(m bench.Metric) string {
			if m.Error != "" {
				return "-"
			}
			return fmt.Sprintf("%g %s", m.Value, m.Unit)
		}
		mark := ""
		switch {
		case p.A.Error != "" || p.B.Error != "":
			mark = "FAILED"
		case p.Goal != "" && p.Met:
			mark = "met"
		case p.Goal != "":
			mark = "MISSED"
		}
		t.Append(p.Key, val(p.A), val(p.B), fmt.Sprintf("%.2f", p.Ratio), p.Goal, mark)
	}
	t.Render()
	if err := writeBenchJSON(jsonPath, c); err != nil {
		return err
	}
	var failed, missed []string
	for _, p := range c.Missed() {
		if p.A.Error != "" || p.B.Error != "" {
			failed = append(failed, p.Key+": "+p.A.Error+p.B.Error)
		} else {
			missed = append(missed, p.Key)
		}
	}
	return benchOutcome(failed, missed, "goal")
}

// writeBenchJSON writes v to path, if one is given.
func writeBenchJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		err = os.WriteFile(path, append(b, '\n'), 0o644)
	}
	if err != nil {
		return cannotRun(fmt.Errorf("write %s: %w", path, err))
	}
	return nil
}

// benchOutcome is lab bench's exit: 3 when a figure could not be measured,
// 1 when one missed its target (or goal), else 0.
func benchOutcome(failed, missed []string, what string) error {
	switch {
	case len(failed) > 0:
		return cannotRun(fmt.Errorf("bench: could not measure %s", strings.Join(failed, "; ")))
	case len(missed) > 0:
		return &exitError{code: ExitFail, err: fmt.Errorf("bench: missed the %s of %s", what, strings.Join(missed, ", "))}
	}
	return nil
}

func runBench(ctx context.Context, opts bench.Options, dir, jsonPath string, stdout io.Writer) error {
	dir, cleanup, err := workDir(dir, "lab-bench-*")
	if err != nil {
		return err
	}
	defer cleanup()
	opts.Dir = dir
	res, err := bench.Run(ctx, opts)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &exitError{code: ExitInterrupted, err: errors.New("interrupted")}
		}
		return cannotRun(err)
	}
	printBench(stdout, res)
	if err := writeBenchJSON(jsonPath, res); err != nil {
		return err
	}
	var failed, missed []string
	for _, m := range res.Missed() {
		if m.Error != "" {
			failed = append(failed, m.Key)
		} else {
			missed = append(missed, m.Key)
		}
	}
	return benchOutcome(failed, missed, "target")
}

func printBench(w io.Writer, res *bench.Result) {
	m := res.Machine
	fmt.Fprintf(w, "lab bench: runtime %s, median of %d runs, %s; %d CPUs (%s), %d MB, %s\n",
		res.Runtime, res.Runs, time.Duration(res.Seconds*float64(time.Second)).Round(time.Second), m.CPUs, m.Model, m.MemMB, m.Kernel)
	t := table.New(w)
	t.Header("metric", "measured", "target", "", "what")
	for _, x := range res.Metrics {
		value, target, mark := fmt.Sprintf("%g %s", x.Value, x.Unit), "", "met"
		switch {
		case x.Target == 0:
			target, mark = "-", ""
		case x.Higher:
			target = fmt.Sprintf("≥ %g %s", x.Target, x.Unit)
		default:
			target = fmt.Sprintf("≤ %g %s", x.Target, x.Unit)
		}
		if x.Error != "" {
			value, mark = "-", "FAILED"
		} else if !x.Met {
			mark = "MISSED"
		}
		t.Append(x.Key, value, target, mark, x.Title)
	}
	t.Render()
	for _, x := range res.Metrics {
		if x.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", x.Key, x.Error)
		}
	}
}
