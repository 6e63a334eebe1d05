package main

import (
	"github.com/spf13/cobra"

	"lab/services/shop"
)

func newServe() *cobra.Command {
	return &cobra.Command{
		Use:                "serve SERVICE [--instance NAME] [--nats URL] [--data DIR] [--seed N] [--listen ADDR | --listen-fd FD]",
		Short:              "Run one instance of a service (what the runtimes start)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := shop.ServeMain(cmd.Context(), args); err != nil {
				return cannotRun(err)
			}
			return nil
		},
	}
}
