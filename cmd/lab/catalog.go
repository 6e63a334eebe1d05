package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"lab/scenarios"
)

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
