package main

import (
	"strings"

	"github.com/spf13/cobra"

	"lab/faults"
	"lab/lab/bench"
	"lab/scenarios"
	"lab/services/contract"
)

// Shell completion (`lab completion bash|zsh|fish|powershell`, cobra's):
// scenario names where a scenario goes, fault kinds, targets and parameters
// for `lab fault add`, the faults in force for `lab fault rm`, and the values
// of --runtime, --replicas and bench's --only.

// completeScenario completes a built-in scenario's name, or a file when
// what is typed looks like a path.
func completeScenario(cmd *cobra.Command, args []string, typed string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 && cmd.Name() != "check" { // one scenario per command, but for check
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if strings.ContainsAny(typed, "/.") {
		return []string{"yaml", "yml", "js"}, cobra.ShellCompDirectiveFilterFileExt
	}
	return withSummaries(typed), cobra.ShellCompDirectiveDefault
}

// withSummaries lists the built-in scenarios that start with typed, each
// with its summary (shells that show descriptions show it).
func withSummaries(typed string) []string {
	var out []string
	for _, n := range scenarios.Names() {
		if !strings.HasPrefix(n, typed) {
			continue
		}
		if sc, err := scenarios.Builtin(n); err == nil {
			out = append(out, n+"\t"+sc.Summary)
		}
	}
	return out
}

// faultTargets are the targets a fault entry can name without knowing the
// shop's replicas: services, edges, broker links and the broker.
func faultTargets() []string {
	out := append([]string{}, contract.Services...)
	out = append(out, faults.Edges()...)
	for _, s := range contract.Services {
		out = append(out, s+".broker")
	}
	return append(out, faults.Broker)
}

// completeFaultAdd completes `lab fault add KIND TARGET [KEY=VALUE...]`.
func completeFaultAdd(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	switch {
	case len(args) == 0:
		return faults.Kinds(), cobra.ShellCompDirectiveNoFileComp
	case len(args) == 1:
		return faultTargets(), cobra.ShellCompDirectiveNoFileComp
	}
	k, err := faults.Lookup(args[0])
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, p := range append([]string{"name", "for"}, faults.ParamNames(k)...) {
		out = append(out, p+"=")
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeInForce completes `lab fault rm` with the names of the faults in
// force, asked of the running lab up.
func completeInForce(list func() ([]faults.Active, error)) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		in, err := list()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, a := range in {
			out = append(out, a.Spec.Name+"\t"+a.Spec.Kind+" on "+a.Spec.Target)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeFlags gives the values of the flags that take a word from a known
// list, on every command that has them.
func completeFlags(root *cobra.Command) {
	fixed := func(words ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return words, cobra.ShellCompDirectiveNoFileComp
		}
	}
	var services []string
	for _, s := range contract.Services {
		services = append(services, s+"=")
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("runtime") != nil {
			words := []string{"auto", "process", "docker", "swarm"}
			if c.Name() == "bench" {
				words = append(words, "process,docker")
			}
			_ = c.RegisterFlagCompletionFunc("runtime", fixed(words...))
		}
		if c.Flags().Lookup("replicas") != nil {
			_ = c.RegisterFlagCompletionFunc("replicas", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return services, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
			})
		}
		if c.Name() == "bench" && c.Flags().Lookup("only") != nil {
			_ = c.RegisterFlagCompletionFunc("only", fixed(bench.Keys...))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
