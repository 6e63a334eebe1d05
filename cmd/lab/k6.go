package main

import (
	"github.com/spf13/cobra"

	"lab/internal/k6main"
)

func newK6() *cobra.Command {
	return &cobra.Command{
		Use:                "k6 [k6 arguments]",
		Short:              "Run k6 v1.8.1, embedded, with the lab's output extension (--out lab=ADDR)",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			k6main.Main(args) // ends the process itself
			return nil
		},
	}
}
