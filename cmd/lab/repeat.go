package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"lab/lab"
	"lab/lab/results"
	"lab/reports"
	"lab/reports/export"
)

// maxRepeat bounds --repeat: a loop of runs is bounded like every other.
const maxRepeat = 100

// checkRepeat checks --repeat and --min-pass, defaulting min-pass to all.
func checkRepeat(cmd *cobra.Command, repeat int, minPass *int, compare, live string) error {
	if repeat < 1 || repeat > maxRepeat {
		return fmt.Errorf("--repeat %d: want a count from 1 to %d", repeat, maxRepeat)
	}
	if !cmd.Flags().Changed("min-pass") {
		*minPass = repeat
	}
	switch {
	case cmd.Flags().Changed("min-pass") && repeat == 1:
		return errors.New("--min-pass: it counts runs of --repeat N")
	case *minPass < 1 || *minPass > repeat:
		return fmt.Errorf("--min-pass %d: want a count from 1 to --repeat's %d", *minPass, repeat)
	case repeat > 1 && compare != "":
		return errors.New("--repeat with --compare: not yet; repeat each side on its own")
	case repeat > 1 && live != "":
		return errors.New("--repeat with --live: a live file steers one run")
	}
	return nil
}

type repeatParams struct {
	arg           string   // the scenario as named
	sets          []string // --set and the flags that set fields
	base          int64    // the seed of the first run
	runs, minPass int
	rt            lab.Runtime
	out           string
	load          loadOptions
	exports       []export.Target
}

// runRepeat runs the scenario p.runs times into p.out/run-1, run-2, ..., each
// with its own seed and shop, then judges them together and writes
// repeat.json, repeat.md and junit.xml. An interrupt stops it after the
// runs that finished, which are judged and written as such.
func runRepeat(cmd *cobra.Command, p repeatParams) error {
	ctx, stdout, stderr := cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	var done []*results.Result
	var folders []string
	var stopped error
	for i := 0; i < p.runs && stopped == nil; i++ {
		seed := results.RepeatSeed(p.base, i)
		sc, err := openScenario(ctx, p.arg, append(append([]string{}, p.sets...), fmt.Sprintf("seed=%d", seed)))
		if err != nil {
			return badInput(err)
		}
		dir := filepath.Join(p.out, fmt.Sprintf("run-%d", i+1))
		fmt.Fprintf(stderr, "repeat: run %d of %d, seed %d, into %s\n", i+1, p.runs, seed, dir)
		res, err := runOnce(ctx, cmd, sc, p.rt, dir, "", p.load)
		switch {
		case err == nil && !res.Interrupted:
			done, folders = append(done, res), append(folders, dir)
			fmt.Fprintf(stdout, "run %d of %d (seed %d): %s (%s)\n", i+1, p.runs, seed, strings.ToUpper(res.Verdict), res.Reason)
			if exportErr := exportRun(cmd, res, filepath.Base(p.out)+"-"+filepath.Base(dir), p.exports); exportErr != nil {
				stopped = cannotRun(exportErr)
			}
		case err == nil || ctx.Err() != nil:
			stopped = &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted in run %d of %d", i+1, p.runs)}
		default:
			stopped = runErr(cmd, res, err)
		}
	}
	rep := results.Aggregate(done, folders, p.runs, p.minPass)
	rep.Interrupted = isInterrupted(stopped)
	if err := reports.WriteRepeat(p.out, rep); err != nil {
		return cannotRun(fmt.Errorf("write the repeat folder: %w", err))
	}
	reports.RepeatTerminal(stdout, rep)
	fmt.Fprintf(stdout, "repeat folder: %s\n", p.out)
	switch {
	case stopped != nil:
		return stopped
	case rep.Verdict == results.Fail:
		return &exitError{code: ExitFail, err: errors.New("verdict fail: " + rep.Reason)}
	case rep.Verdict == results.Inconclusive:
		return &exitError{code: ExitInconclusive, err: errors.New("verdict inconclusive: " + rep.Reason)}
	}
	return nil
}

func isInterrupted(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == ExitInterrupted
}
