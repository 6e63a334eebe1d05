package main

import (
	"lab/internal/serve"

	"github.com/spf13/cobra"
)

func newServe() *cobra.Command {
	return &cobra.Command{
		Use:                "serve SERVICE|broker|toxiproxy [--instance NAME] [--nats URL] [--data DIR] [--seed N] [--listen ADDR | --listen-fd FD]",
		Short:              "Run one instance of a service (what the runtimes start)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := serve.Main(cmd.Context(), args); err != nil {
				return cannotRun(err)
			}
			return nil
		},
	}
}
