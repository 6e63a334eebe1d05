package faults

import (
	"context"
	"errors"
	"fmt"
	"lab/lab"
)

// streams returns the Toxiproxy streams a direction stands for.
func streams(direction string) ([]string, error) {
	switch direction {
	case "", "downstream":
		return []string{"downstream"}, nil
	case "upstream":
		return []string{"upstream"}, nil
	case "both":
		return []string{"downstream", "upstream"}, nil
	}
	return nil, fmt.Errorf("direction: want downstream, upstream or both, got %q", direction)
}

// addToxics adds a toxic of typ with attrs on every proxy and direction, and
// removes what it added if one fails.
func addToxics(env Env, name string, tx Toxic, proxies []string, typ string, attrs map[string]any) (Undo, error) {
	dirs, err := streams(tx.Direction)
	if err != nil {
		return nil, err
	}
	type added struct{ proxy, name string }
	var done []added
	undo := func(context.Context) error {
		var errs []error
		for _, a := range done {
			if err := env.Proxies.RemoveToxic(a.proxy, a.name); err != nil {
				errs = append(errs, fmt.Errorf("remove %s from %s: %w", a.name, a.proxy, err))
			}
		}
		return errors.Join(errs...)
	}
	for _, p := range proxies {
		for _, d := range dirs {
			toxic := "lab-" + name + "-" + d
			if err := env.Proxies.AddToxic(p, toxic, typ, d, tx.Of(), attrs); err != nil {
				_ = undo(context.Background())
				return nil, fmt.Errorf("add %s to %s: %w", typ, p, err)
			}
			done = append(done, added{p, toxic})
		}
	}
	return once(undo), nil
}

func ms(d lab.Duration) int64 { return d.D().Milliseconds() }
