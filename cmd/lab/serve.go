package main

import (
	"context"

	"github.com/spf13/cobra"

	"lab/lab/broker"
	"lab/lab/mesh"
	"lab/services/shop"
)

func newServe() *cobra.Command {
	return &cobra.Command{
		Use:                "serve SERVICE|broker|toxiproxy [--instance NAME] [--nats URL] [--data DIR] [--seed N] [--listen ADDR | --listen-fd FD]",
		Short:              "Run one instance of a service (what the runtimes start)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			serve := shop.ServeMain
			if len(args) > 0 {
				switch args[0] {
				case "broker":
					serve = func(ctx context.Context, args []string) error { return broker.ServeMain(ctx, args[1:]) }
				case "toxiproxy":
					serve = func(ctx context.Context, args []string) error { return mesh.ServeMain(ctx, args[1:]) }
				}
			}
			if err := serve(cmd.Context(), args); err != nil {
				return cannotRun(err)
			}
			return nil
		},
	}
}
