// Package serve is what `lab serve NAME ...` runs, in one place: the broker,
// Toxiproxy, or an instance of a service. The lab binary and the test
// binaries that the runtimes start as children both dispatch through it.
package serve

import (
	"context"

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
