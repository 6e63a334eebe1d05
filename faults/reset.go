package faults

import "context"

// reset closes connections with a TCP RST after Timeout (immediately when 0).
type reset struct{}

func (reset) Layer() Layer { return Network }

func (reset) Params() []string { return []string{"timeout", "toxicity", "direction"} }

func (reset) Check(s Spec) error { return checkNetwork(s) }

func (reset) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return addToxics(env, s, targets, "reset_peer", map[string]any{"timeout": ms(s.Timeout)})
}
