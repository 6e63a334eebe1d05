package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"lab/lab/docker"
)

func newClean() *cobra.Command {
	var opts docker.CleanOptions
	cmd := &cobra.Command{
		Use:   "clean [--run ID | --all] [--images]",
		Short: "Remove what crashed docker and swarm runs left behind",
		Long: "Every container, volume and network of the docker runtime, and every service and config\n" +
			"of the swarm runtime, carries the label lab.run=ID and the host and pid of the lab that\n" +
			"made it. Without flags, clean removes those whose lab is no longer running, on the engine\n" +
			"and on every swarm node it reaches; --run removes one run's, --all every run's, --images\n" +
			"also the lab images.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := docker.Connect(cmd.Context(), 5*time.Second)
			if err != nil {
				return cannotRun(err)
			}
			defer e.Close()
			fmt.Fprintf(cmd.ErrOrStderr(), "engine: %s\n", engineLine(e))
			n, err := docker.Clean(cmd.Context(), e, opts)
			fmt.Fprintf(cmd.OutOrStdout(), "removed %d services, configs, containers, volumes, networks and images\n", n)
			if err != nil {
				return cannotRun(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Run, "run", "", "remove this run's containers and network, even if its lab still runs")
	cmd.Flags().BoolVar(&opts.All, "all", false, "remove every run's, even those of labs still running")
	cmd.Flags().BoolVar(&opts.Images, "images", false, "also remove the images the docker runtime built")
	return cmd
}
