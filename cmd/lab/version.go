package main

import (
	"fmt"
	"runtime/debug"

	"lab/internal/servebin"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the lab's version and the versions of what it embeds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "lab %s\n", version)
			if p, err := servebin.Path(); err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "children: %s\n", p)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "children: the lab binary itself (%v)\n", err)
			}
			if bi, ok := debug.ReadBuildInfo(); ok {
				fmt.Fprintf(cmd.OutOrStdout(), "go %s\n", bi.GoVersion)
				for _, d := range bi.Deps {
					switch d.Path {
					case "go.k6.io/k6", "github.com/Shopify/toxiproxy/v2", "github.com/nats-io/nats-server/v2",
						"github.com/testcontainers/testcontainers-go", "github.com/failsafe-go/failsafe-go":
						fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", d.Path, d.Version)
					}
				}
			}
			return nil
		},
	}
}
