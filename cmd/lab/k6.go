package main

import (
	"os"

	"github.com/spf13/cobra"
	k6cmd "go.k6.io/k6/cmd"

	"lab/load"
)

func newK6() *cobra.Command {
	return &cobra.Command{
		Use:                "k6 [k6 arguments]",
		Short:              "Run k6 " + "v1.8.1, embedded, with the lab's output extension (--out lab=ADDR)",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// k6 reads os.Args and ends the process itself with os.Exit.
			os.Setenv("K6_NO_USAGE_REPORT", "true")
			os.Args = append([]string{"k6"}, args...)
			load.RegisterOutput()
			k6cmd.Execute()
			return nil
		},
	}
}
