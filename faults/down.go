package faults

import (
	"context"
	"errors"
	"fmt"
)

func init() { register("down", down{}) }

// down stops the proxies: open connections are cut, new ones refused, as
// when the callee's host is gone.
type down struct{}

func (down) Layer() Layer { return Network }

// New: down takes no parameters; it stops the whole proxy.
func (down) New() Params { return &None{} }

func (down) Apply(_ context.Context, env Env, _ Spec, targets []string) (Undo, error) {
	var stopped []string
	undo := func(context.Context) error {
		var errs []error
		for _, p := range stopped {
			if err := env.Proxies.SetEnabled(p, true); err != nil {
				errs = append(errs, fmt.Errorf("start %s: %w", p, err))
			}
		}
		return errors.Join(errs...)
	}
	for _, p := range targets {
		if err := env.Proxies.SetEnabled(p, false); err != nil {
			_ = undo(context.Background())
			return nil, fmt.Errorf("stop %s: %w", p, err)
		}
		stopped = append(stopped, p)
	}
	return once(undo), nil
}
