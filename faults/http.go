package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"lab/services/contract"
)

// putHTTP writes f for every target instance and returns how to delete it.
func putHTTP(ctx context.Context, env Env, name string, targets []string, f contract.HTTPFault) (Undo, error) {
	return putConfig(ctx, env, targets, func(t string) string { return contract.HTTPFaultKey(t, name) }, f)
}

// putConfig writes value, as JSON, under key(t) for every target t, and
// returns the Undo that deletes them; on error it deletes what it wrote.
// The target's own code reads the keys: faults that act inside a service.
func putConfig(ctx context.Context, env Env, targets []string, key func(string) string, value any) (Undo, error) {
	val, _ := json.Marshal(value)
	var keys []string
	undo := func(ctx context.Context) error {
		var errs []error
		for _, k := range keys {
			errs = append(errs, env.Config.Delete(ctx, k))
		}
		return errors.Join(errs...)
	}
	for _, t := range targets {
		k := key(t)
		if err := env.Config.Put(ctx, k, string(val)); err != nil {
			_ = undo(ctx)
			return nil, fmt.Errorf("set %s: %w", k, err)
		}
		keys = append(keys, k)
	}
	return once(undo), nil
}
