package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"lab/lab"
	"lab/scenarios"
)

func newCheck() *cobra.Command {
	var replicas string
	cmd := &cobra.Command{
		Use:   "check FILE|NAME...",
		Short: "Validate scenario and live fault files without running anything",
		Long: `Check scenario files, live fault files (a file of faults: alone) and built-in
scenarios by name, without starting anything: for CI and pre-commit hooks. Every
problem found is printed as FILE:LINE:COL: what is wrong and what was expected.

A scenario whose load is a k6 script has the script's options read by k6 and
checked against the file (its duration, its faults' times).
Live fault files are checked for the default shop, or for --replicas.

Exit codes: 0 every file is valid; 2 a problem in any of them.`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeScenario,
		RunE: func(cmd *cobra.Command, args []string) error {
			shape, err := (&shapeFlags{replicas: replicas, seed: 1}).shape()
			if err != nil {
				return badInput(err)
			}
			out := cmd.OutOrStdout()
			problems := 0
			for _, arg := range args {
				name, data, err := checkInput(arg)
				if err != nil {
					fmt.Fprintln(out, err)
					problems++
					continue
				}
				kind, errs := scenarios.Check(name, data, shape)
				if len(errs) == 0 && kind == scenarios.KindScenario {
					// A script's own options, read from k6, must fit the file.
					if _, err := openScenario(cmd.Context(), arg, nil); err != nil {
						errs = append(errs, err)
					}
				}
				for _, e := range errs {
					fmt.Fprintln(out, e)
				}
				if len(errs) == 0 {
					fmt.Fprintf(out, "%s: ok (%s)\n", name, kind)
				}
				problems += len(errs)
			}
			if problems > 0 {
				return badInput(fmt.Errorf("%d %s in %d %s", problems, lab.Plural(problems, "problem", "problems"),
					len(args), lab.Plural(len(args), "file", "files")))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&replicas, "replicas", "", "the shop live fault files are checked for, as svc=N,svc=N")
	return cmd
}

// checkInput reads the file at arg, or the built-in scenario it names.
func checkInput(arg string) (name string, data []byte, err error) {
	if sc, berr := scenarios.Builtin(arg); berr == nil {
		return "builtin:" + arg, sc.Source, nil
	}
	data, err = os.ReadFile(arg)
	if err != nil {
		if os.IsNotExist(err) && !strings.ContainsAny(arg, "/.") {
			return arg, nil, fmt.Errorf("%s: no built-in scenario or file of that name (built-in: %s)", arg, strings.Join(scenarios.Names(), ", "))
		}
		return arg, nil, fmt.Errorf("%s: %v", arg, err)
	}
	return arg, data, nil
}
