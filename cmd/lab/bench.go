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
			rt, err := pickRuntime(cmd.Context(), runtime, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			exe, _ := os.Executable()
			opts := bench.Options{Runtime: rt, Command: []string{exe}, Runs: runs, Only: keys,
				Progress: cmd.ErrOrStderr()}
			if d, ok := rt.(*docker.Runtime); ok {
				opts.ImageBuild = func(ctx context.Context) (time.Duration, error) { return d.Engine.BuildCold(ctx, exe) }
				opts.Warm = func(ctx context.Context) error {
					_, _, err := d.Engine.EnsureImage(ctx, exe)
					return err
				}
			}
			return runBench(cmd.Context(), opts, dir, jsonPath, cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&runtime, "runtime", "auto", "where the shops run: auto, process or docker")
	fl.StringVar(&jsonPath, "json", "", "write the figures, their samples and the machine to this file")
	fl.IntVar(&runs, "runs", 5, "measure each figure this many times and keep the median")
	fl.StringVar(&only, "only", "", "measure only these metrics, comma-separated")
	fl.StringVar(&dir, "dir", "", "keep the shops' data, logs and k6 runs in this folder (default: a temporary folder, removed at exit)")
	return cmd
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
	if jsonPath != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err == nil {
			err = os.WriteFile(jsonPath, append(b, '\n'), 0o644)
		}
		if err != nil {
			return cannotRun(fmt.Errorf("write %s: %w", jsonPath, err))
		}
	}
	var failed, missed []string
	for _, m := range res.Missed() {
		if m.Error != "" {
			failed = append(failed, m.Key)
		} else {
			missed = append(missed, m.Key)
		}
	}
	switch {
	case len(failed) > 0:
		return cannotRun(fmt.Errorf("bench: could not measure %s", strings.Join(failed, ", ")))
	case len(missed) > 0:
		return &exitError{code: ExitFail, err: fmt.Errorf("bench: missed the target of %s", strings.Join(missed, ", "))}
	}
	return nil
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
