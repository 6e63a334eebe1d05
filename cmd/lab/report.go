package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"lab/lab"
	"lab/lab/results"
	"lab/reports"
)

func newReport() *cobra.Command {
	return &cobra.Command{
		Use:   "report DIR",
		Short: "Render a run folder's reports again from its report.json",
		Long: "Read DIR/report.json and write report.md, report.html and junit.xml again (with this\n" +
			"lab's renderers), then print the verdict tables.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := reports.Read(args[0])
			if err != nil {
				return badInput(err)
			}
			if r.BlastRadius == nil { // a report.json from before the blast radius
				r.BlastRadius = results.BlastRadius(r)
			}
			if err := reports.WriteAll(args[0], r); err != nil {
				return cannotRun(err)
			}
			reports.Terminal(cmd.OutOrStdout(), r)
			fmt.Fprintf(cmd.OutOrStdout(), "run folder: %s\n", args[0])
			return nil
		},
	}
}

func newDiff() *cobra.Command {
	o := reports.DefaultDiff
	var failOn, force, asJSON bool
	var maxDrop float64
	cmd := &cobra.Command{
		Use:   "diff DIR_A DIR_B [--fail-on]",
		Short: "Compare two runs per endpoint and phase; with --fail-on, exit 1 on a regression",
		Long: "Compare run B against run A (say, a branch against main): per phase and endpoint, the\n" +
			"success rate and percentiles of each, flagged where B's success rate dropped by more than\n" +
			"--max-success-drop points or its p95 grew beyond --max-p95-ratio (and by more than 5 ms).\n" +
			"A verdict that went from pass to anything else is a regression too. Runs of different\n" +
			"scenarios or seeds are refused (exit 2) unless --force.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := reports.Read(args[0])
			if err != nil {
				return badInput(err)
			}
			b, err := reports.Read(args[1])
			if err != nil {
				return badInput(err)
			}
			if !force && (a.Scenario != b.Scenario || a.Seed != b.Seed) {
				return badInput(fmt.Errorf("%s ran %s with seed %d and %s ran %s with seed %d: a diff of two different experiments "+
					"says nothing of a regression; run the same scenario and seed on both sides, or pass --force",
					args[0], a.Scenario, a.Seed, args[1], b.Scenario, b.Seed))
			}
			o.MaxSuccessDrop = maxDrop / 100
			rows := reports.Diff(a, b, o)
			n := reports.Regressions(a, b, rows)
			if asJSON {
				if rows == nil {
					rows = []reports.DiffRow{}
				}
				err := writeJSON(cmd.OutOrStdout(), diffJSON{A: args[0], B: args[1], Scenario: b.Scenario,
					VerdictA: a.Verdict, VerdictB: b.Verdict, Rows: rows, Regressions: n})
				if err != nil {
					return err
				}
			} else {
				reports.DiffTable(cmd.OutOrStdout(), a, b, rows)
				fmt.Fprintf(cmd.OutOrStdout(), "%d %s\n", n, lab.Plural(n, "regression", "regressions"))
			}
			if failOn && n > 0 {
				return &exitError{code: ExitFail, err: fmt.Errorf("%d %s of %s against %s", n, lab.Plural(n, "regression", "regressions"), args[1], args[0])}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&failOn, "fail-on", false, "exit 1 when B regressed against A")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the comparison as JSON (the exit code is the same)")
	cmd.Flags().BoolVar(&force, "force", false, "compare runs of different scenarios or seeds all the same")
	cmd.Flags().Float64Var(&maxDrop, "max-success-drop", 100*reports.DefaultDiff.MaxSuccessDrop, "largest drop in success rate, in points, not flagged")
	cmd.Flags().Float64Var(&o.MaxP95Ratio, "max-p95-ratio", reports.DefaultDiff.MaxP95Ratio, "largest ratio of B's p95 over A's not flagged")
	return cmd
}

// diffJSON is `lab diff --json`.
type diffJSON struct {
	A           string            `json:"a"`
	B           string            `json:"b"`
	Scenario    string            `json:"scenario"`
	VerdictA    string            `json:"verdict_a"`
	VerdictB    string            `json:"verdict_b"`
	Rows        []reports.DiffRow `json:"rows"`
	Regressions int               `json:"regressions"`
}
