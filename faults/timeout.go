package faults

import "context"

// timeout stops all data on the proxy; with a Timeout above 0 the connection
// is closed after it, with none it is held open and silent (a black hole).
type timeout struct{}

func (timeout) Layer() Layer { return Network }

func (timeout) Params() []string { return []string{"timeout", "toxicity", "direction"} }

func (timeout) Check(s Spec) error { return checkNetwork(s) }

func (timeout) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return addToxics(env, s, targets, "timeout", map[string]any{"timeout": ms(s.Timeout)})
}
