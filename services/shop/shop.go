// Package shop lists the shop's services in one table and runs one of them
// by name: what `lab serve NAME` does.
package shop

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"

	"lab/services/catalog"
	"lab/services/gateway"
	"lab/services/inventory"
	"lab/services/kit"
	"lab/services/notifications"
	"lab/services/orders"
	"lab/services/payments"
	"lab/services/users"
)

// services is every service of the shop, by name.
var services = map[string]func() kit.Service{
	"gateway":       gateway.Service,
	"users":         users.Service,
	"catalog":       catalog.Service,
	"inventory":     inventory.Service,
	"orders":        orders.Service,
	"payments":      payments.Service,
	"notifications": notifications.Service,
}

// Names returns the services' names, sorted.
func Names() []string {
	var out []string
	for n := range services {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the service called name.
func Lookup(name string) (kit.Service, error) {
	f, ok := services[name]
	if !ok {
		return kit.Service{}, fmt.Errorf("unknown service %q (want one of %v)", name, Names())
	}
	return f(), nil
}

// Serve runs an instance of the service called name until ctx ends.
func Serve(ctx context.Context, name string, p kit.Params) error {
	svc, err := Lookup(name)
	if err != nil {
		return err
	}
	return kit.Run(ctx, svc, p)
}

// ServeMain runs `serve SERVICE [flags]` from command-line arguments (those
// after "serve") until ctx ends: what the runtimes start in each child.
//
//	--instance NAME    instance name (default SERVICE-1)
//	--nats URL         the broker, through the service's broker proxy
//	--data DIR         folder of the service's SQLite file
//	--seed N           the run's seed
//	--listen ADDR      address to serve HTTP on, or
//	--listen-fd FD     an inherited listening socket
func ServeMain(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("serve: want a service name (one of %v)", Names())
	}
	name := args[0]
	fs := flag.NewFlagSet("serve "+name, flag.ContinueOnError)
	var p kit.Params
	var listen string
	var fd int
	fs.StringVar(&p.Instance, "instance", name+"-1", "instance name")
	fs.StringVar(&p.NATSURL, "nats", "nats://127.0.0.1:4222", "broker URL")
	fs.StringVar(&p.DataDir, "data", "data", "folder of the service's SQLite file")
	fs.Int64Var(&p.Seed, "seed", 1, "seed of the seeded data")
	fs.StringVar(&listen, "listen", "127.0.0.1:0", "address to serve HTTP on")
	fs.IntVar(&fd, "listen-fd", -1, "serve on this inherited listening socket")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	svc, err := Lookup(name)
	if err != nil {
		return err
	}
	if fd >= 0 {
		p.Listener, err = net.FileListener(os.NewFile(uintptr(fd), "listener"))
	} else {
		p.Listener, err = net.Listen("tcp", listen)
	}
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return kit.Run(ctx, svc, p)
}
