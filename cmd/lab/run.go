package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lab/lab/experiment"
	"lab/reports"
	"lab/scenarios"
)

func newRun() *cobra.Command {
	var runtime, duration, out string
	var seed int64
	var sets []string
	cmd := &cobra.Command{
		Use:   "run NAME|PATH",
		Short: "Run a scenario: load, faults on a timeline, a verdict",
		Long: `Run a built-in scenario (lab list) or a scenario file, print the verdict tables
and write the run folder (report.json, report.md, junit.xml, the scenario as run,
every service's log).

Exit codes: 0 every hypothesis held; 1 the verdict is fail; 2 bad input; 3 the lab
could not run; 4 inconclusive (a fault had no observable effect); 130 interrupted
(SIGINT or SIGTERM: faults removed, shop stopped, a partial report written).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pre []string
			if duration != "" {
				pre = append(pre, "duration="+duration)
			}
			if cmd.Flags().Changed("seed") {
				pre = append(pre, fmt.Sprintf("seed=%d", seed))
			}
			sc, err := scenarios.Open(args[0], append(pre, sets...))
			if err != nil {
				return badInput(err)
			}
			rt, err := pickRuntime(runtime, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join("runs", time.Now().UTC().Format("20060102T150405Z")+"-"+sc.Name)
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return cannotRun(err)
			}
			if err := os.WriteFile(filepath.Join(out, "scenario.yaml"), sc.Source, 0o644); err != nil {
				return cannotRun(err)
			}
			exe, _ := os.Executable()
			stderr := cmd.ErrOrStderr()
			res, err := experiment.Run(cmd.Context(), experiment.Params{
				Scenario: sc, Runtime: rt, Command: []string{exe}, Dir: out,
				Progress: stderr, Live: isTerminal(os.Stderr),
			})
			os.RemoveAll(filepath.Join(out, "broker")) // the broker's store: large, and of no use after
			if err != nil {
				fmt.Fprintf(stderr, "logs of the failed run: %s\n", out)
				if errors.Is(err, experiment.ErrCannotRun) || cmd.Context().Err() == nil {
					return cannotRun(err)
				}
				return &exitError{code: ExitInterrupted, err: err}
			}
			if err := reports.WriteAll(out, res); err != nil {
				return cannotRun(fmt.Errorf("write the run folder: %w", err))
			}
			reports.Terminal(cmd.OutOrStdout(), res)
			fmt.Fprintf(cmd.OutOrStdout(), "run folder: %s\n", out)
			switch {
			case res.Interrupted:
				return &exitError{code: ExitInterrupted, err: errors.New("interrupted: " + res.Reason)}
			case res.Verdict == experiment.Fail:
				return &exitError{code: ExitFail, err: errors.New("verdict fail: " + res.Reason)}
			case res.Verdict == experiment.Inconclusive:
				return &exitError{code: ExitInconclusive, err: errors.New("verdict inconclusive: " + res.Reason)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&runtime, "runtime", "auto", "where the shop runs: auto, process or docker")
	f.StringVar(&duration, "duration", "", "override the scenario's measured duration, such as 10s")
	f.Int64Var(&seed, "seed", 0, "override the scenario's seed")
	f.StringVar(&out, "out", "", "the run folder (default runs/<UTC time>-<scenario>)")
	f.StringArrayVar(&sets, "set", nil, "override a field, as key=value: load.rate=50, shop.replicas.catalog=3, shop.config.KEY=V ...")
	return cmd
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			for _, n := range scenarios.Names() {
				sc, err := scenarios.Builtin(n)
				if err != nil {
					return cannotRun(err)
				}
				fmt.Fprintf(w, "%-18s %s\n", n, sc.Summary)
			}
			return nil
		},
	}
}

func newExplain() *cobra.Command {
	return &cobra.Command{
		Use:   "explain NAME|PATH",
		Short: "Explain a scenario: what it does, what it teaches, what to watch",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := scenarios.Open(args[0], nil)
			if err != nil {
				return badInput(err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s: %s\n\n", sc.Name, sc.Summary)
			section := func(title, body string) {
				if strings.TrimSpace(body) != "" {
					fmt.Fprintf(w, "%s\n  %s\n\n", title, strings.ReplaceAll(strings.TrimSpace(body), "\n", "\n  "))
				}
			}
			section("What it teaches", sc.Teaches)
			var steps []string
			steps = append(steps, fmt.Sprintf("%s of load (%s), after a %s warmup", sc.Duration.D(), sc.Load.Journey+sc.Load.Script, sc.WarmupOrDefault().D()))
			for _, f := range sc.Faults {
				steps = append(steps, fmt.Sprintf("at %s for %s: %s on %s (%s)", f.At.D(), f.For.D(), f.Kind, f.Target, f.Name))
			}
			section("What happens", strings.Join(steps, "\n"))
			var hyps []string
			for _, h := range sc.Hypotheses {
				hyps = append(hyps, fmt.Sprintf("%s: %s (%s)", h.Name, h.Expect, orWhole(h.During)))
			}
			section("What must hold", strings.Join(hyps, "\n"))
			section("What to watch", sc.Watch)
			section("Try this", sc.Try)
			return nil
		},
	}
}

func orWhole(s string) string {
	if s == "" {
		return "over the whole run"
	}
	return "during " + s
}
