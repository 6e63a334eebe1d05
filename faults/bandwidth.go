package faults

import (
	"context"
	"errors"
)

// bandwidth limits the proxy to Rate KB/s: a noisy neighbour on the link.
type bandwidth struct{}

func (bandwidth) Layer() Layer { return Network }

func (bandwidth) Params() []string { return []string{"rate", "toxicity", "direction"} }

func (bandwidth) Check(s Spec) error {
	if s.Rate <= 0 {
		return errors.New("rate: want KB/s above 0, such as 64")
	}
	return checkNetwork(s)
}

func (bandwidth) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return addToxics(env, s, targets, "bandwidth", map[string]any{"rate": s.Rate})
}
