package faults

import (
	"context"
	"errors"
)

// limitData closes a connection once Bytes have crossed it.
type limitData struct{}

func (limitData) Layer() Layer { return Network }

func (limitData) Params() []string { return []string{"bytes", "toxicity", "direction"} }

func (limitData) Check(s Spec) error {
	if s.Bytes <= 0 {
		return errors.New("bytes: want a byte count above 0")
	}
	return checkNetwork(s)
}

func (limitData) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return addToxics(env, s, targets, "limit_data", map[string]any{"bytes": s.Bytes})
}
