package faults

import (
	"context"
	"errors"
)

// latency delays data on the proxy by Latency, give or take Jitter.
type latency struct{}

func (latency) Layer() Layer { return Network }

func (latency) Params() []string { return []string{"latency", "jitter", "toxicity", "direction"} }

func (latency) Check(s Spec) error {
	if s.Latency <= 0 {
		return errors.New("latency: want a duration above 0 such as 300ms")
	}
	return checkNetwork(s)
}

func (latency) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return addToxics(env, s, targets, "latency", map[string]any{"latency": ms(s.Latency), "jitter": ms(s.Jitter)})
}
