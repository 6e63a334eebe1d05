package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"lab/faults"
	"lab/scenarios"
)

// writeJSON writes v as indented JSON: what every --json prints.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// listed is one scenario of `lab list --json`.
type listed struct {
	Name     string   `json:"name"`
	Summary  string   `json:"summary"`
	Duration string   `json:"duration"`
	Faults   []string `json:"faults"` // their kinds, in timeline order
}

func newList() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the built-in scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			out := []listed{}
			for _, n := range scenarios.Names() {
				sc, err := scenarios.Builtin(n)
				if err != nil {
					return cannotRun(err)
				}
				l := listed{Name: n, Summary: sc.Summary, Duration: sc.Duration.D().String(), Faults: []string{}}
				for _, f := range sc.Faults {
					l.Faults = append(l.Faults, f.Kind)
				}
				out = append(out, l)
			}
			if asJSON {
				return writeJSON(w, out)
			}
			width := 0
			for _, l := range out {
				width = max(width, len(l.Name))
			}
			for _, l := range out {
				fmt.Fprintf(w, "%-*s %s\n", width, l.Name, l.Summary)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// explained is `lab explain --json`: the sections explain prints.
type explained struct {
	Name       string                 `json:"name"`
	Path       string                 `json:"path"`
	Summary    string                 `json:"summary"`
	Teaches    string                 `json:"teaches,omitempty"`
	Happens    []string               `json:"happens"`
	Faults     []faults.Spec          `json:"faults"`
	Hypotheses []scenarios.Hypothesis `json:"hypotheses"`
	Invariants []string               `json:"invariants,omitempty"`
	Watch      string                 `json:"watch,omitempty"`
	Try        string                 `json:"try,omitempty"`
}

func explain(sc *scenarios.Scenario) explained {
	e := explained{Name: sc.Name, Path: sc.Path, Summary: sc.Summary, Teaches: strings.TrimSpace(sc.Teaches),
		Watch: strings.TrimSpace(sc.Watch), Try: strings.TrimSpace(sc.Try),
		Faults: append([]faults.Spec{}, sc.Faults...), Hypotheses: append([]scenarios.Hypothesis{}, sc.Hypotheses...), Invariants: sc.Invariants}
	what := sc.Load.Journey + sc.Load.Script
	if ld := sc.Load; ld.Executor == "ramping-arrival-rate" && len(ld.Stages) > 0 {
		top := 0
		for _, st := range ld.Stages {
			top = max(top, st.Target)
		}
		what += fmt.Sprintf(", ramping from %d to at most %d iterations/s", max(ld.StartRate, 1), top)
		if ld.Until == scenarios.UntilKnee {
			what += ", ending once latency bends for good"
		}
	}
	e.Happens = append(e.Happens, fmt.Sprintf("%s of load (%s), after a %s warmup", sc.Duration.D(), what, sc.WarmupOrDefault().D()))
	for _, f := range sc.Faults {
		e.Happens = append(e.Happens, fmt.Sprintf("at %s for %s: %s on %s (%s)", f.At.D(), f.For.D(), f.Kind, f.Target, f.Name))
	}
	return e
}

func newExplain() *cobra.Command {
	var asJSON, asYAML bool
	cmd := &cobra.Command{
		Use:   "explain NAME|PATH [--json | --yaml]",
		Short: "Explain a scenario: what it does, what it teaches, what to watch",
		Long: `Explain a scenario: what it does, what it teaches, what to watch.

--yaml prints the scenario file as written (a built-in one to copy and edit:
lab explain payment-outage --yaml > mine.yaml); --json prints the explanation.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeScenario,
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON && asYAML {
				return badInput(fmt.Errorf("--json and --yaml: pick one"))
			}
			sc, err := scenarios.Open(args[0], nil)
			if err != nil {
				return badInput(err)
			}
			w := cmd.OutOrStdout()
			switch {
			case asYAML:
				_, err := w.Write(sc.Source)
				return err
			case asJSON:
				return writeJSON(w, explain(sc))
			}
			e := explain(sc)
			fmt.Fprintf(w, "%s: %s\n\n", e.Name, e.Summary)
			section := func(title, body string) {
				if strings.TrimSpace(body) != "" {
					fmt.Fprintf(w, "%s\n  %s\n\n", title, strings.ReplaceAll(strings.TrimSpace(body), "\n", "\n  "))
				}
			}
			section("What it teaches", e.Teaches)
			section("What happens", strings.Join(e.Happens, "\n"))
			var hyps []string
			for _, h := range e.Hypotheses {
				hyps = append(hyps, fmt.Sprintf("%s: %s (%s)", h.Name, h.Expect, orWhole(h.During)))
			}
			section("What must hold", strings.Join(hyps, "\n"))
			section("What to watch", e.Watch)
			section("Try this", e.Try)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the explanation as JSON")
	cmd.Flags().BoolVar(&asYAML, "yaml", false, "print the scenario file as written")
	return cmd
}

func orWhole(s string) string {
	if s == "" {
		return "over the whole run"
	}
	return "during " + s
}
