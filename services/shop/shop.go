// Package shop lists the shop's services in one table and runs one of them
// by name: what `lab serve NAME` does.
package shop

import (
	"context"
	"fmt"
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
