package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"lab/scenarios"
)

func newSchema() *cobra.Command {
	return &cobra.Command{
		Use:   "schema scenario|faults",
		Short: "Print the JSON Schema of scenario files or of live fault files, for editors",
		Long: `Print the JSON Schema (draft-07) of scenario files or of live fault files.
Editors with the YAML language server (VS Code's YAML extension, Neovim, ...) check
and complete a file against it:

  lab schema scenario > scenario.schema.json
  # first line of my-outage.yaml:
  # yaml-language-server: $schema=./scenario.schema.json

What a schema cannot say (a fault past the end, an expression, an instance beyond
the replicas) lab check FILE says.`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: scenarios.SchemaKinds,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, ok := scenarios.Schema(args[0])
			if !ok {
				return badInput(fmt.Errorf("schema %q: want one of %s", args[0], strings.Join(scenarios.SchemaKinds, ", ")))
			}
			_, err := cmd.OutOrStdout().Write(b)
			return err
		},
	}
}
