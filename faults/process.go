package faults

import (
	"context"
	"fmt"
)

// eachInstance runs action on every target, stopping at the first error.
func eachInstance(ctx context.Context, env Env, targets []string, action string) error {
	for _, t := range targets {
		if err := env.Processes.Do(ctx, t, action); err != nil {
			return fmt.Errorf("%s %s: %w", action, t, err)
		}
	}
	return nil
}
