package main

import (
	"fmt"
	"net"
	"os"

	"github.com/spf13/cobra"

	"lab/services/kit"
	"lab/services/shop"
)

func newServe() *cobra.Command {
	var p kit.Params
	var listen string
	var fd int
	cmd := &cobra.Command{
		Use:    "serve SERVICE",
		Short:  "Run one instance of a service (used by the runtimes)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := shop.Lookup(args[0]); err != nil {
				return badInput(err)
			}
			if p.Instance == "" {
				p.Instance = args[0] + "-1"
			}
			var err error
			if fd >= 0 {
				p.Listener, err = net.FileListener(os.NewFile(uintptr(fd), "listener"))
			} else {
				p.Listener, err = net.Listen("tcp", listen)
			}
			if err != nil {
				return cannotRun(fmt.Errorf("listen: %w", err))
			}
			if err := shop.Serve(cmd.Context(), args[0], p); err != nil {
				return cannotRun(err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.Instance, "instance", "", "instance name (default SERVICE-1)")
	f.StringVar(&p.NATSURL, "nats", "nats://127.0.0.1:4222", "broker URL")
	f.StringVar(&p.DataDir, "data", "data", "folder of the service's SQLite file")
	f.Int64Var(&p.Seed, "seed", 1, "seed of the seeded data")
	f.StringVar(&listen, "listen", "127.0.0.1:0", "address to serve HTTP on")
	f.IntVar(&fd, "listen-fd", -1, "serve on this inherited listening socket instead of --listen")
	return cmd
}
