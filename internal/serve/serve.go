// Package serve is what `lab serve NAME ...` runs, in one place: the broker,
// Toxiproxy, or an instance of a service. The lab binary and the test
// binaries that the runtimes start as children both dispatch through it.
package serve

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"lab/internal/lifeline"

	"lab/lab/broker"
	"lab/lab/mesh"
	"lab/services/shop"
)

// Main runs what args name ("broker ...", "toxiproxy ...", "SERVICE ...")
// until ctx ends.
func Main(ctx context.Context, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "broker":
			return broker.ServeMain(ctx, args[1:])
		case "toxiproxy":
			return mesh.ServeMain(ctx, args[1:])
		}
	}
	return shop.ServeMain(ctx, args)
}

// Run is a child's whole life, for a program whose main is nothing else
// (lab-serve, a test binary started as a service): it ends with the lab that
// started it (lifeline), serves what args name until SIGINT or SIGTERM, and
// returns the exit code, 3 on error.
func Run(args []string) int {
	lifeline.Watch()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Main(ctx, args); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 3
	}
	return 0
}
