package faults

import (
	"context"
	"errors"
)

// slowClose delays the closing of connections by Delay.
type slowClose struct{}

func (slowClose) Layer() Layer { return Network }

func (slowClose) Params() []string { return []string{"delay", "toxicity", "direction"} }

func (slowClose) Check(s Spec) error {
	if s.Delay <= 0 {
		return errors.New("delay: want a duration above 0 such as 1s")
	}
	return checkNetwork(s)
}

func (slowClose) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return addToxics(env, s, targets, "slow_close", map[string]any{"delay": ms(s.Delay)})
}
