package faults

import (
	"context"
	"errors"
	"lab/services/contract"
)

// httpDelay holds a share of requests (or the next Count) for Latency before
// the service handles them.
type httpDelay struct{}

func (httpDelay) Layer() Layer { return HTTP }

func (httpDelay) Params() []string { return []string{"latency", "toxicity", "count"} }

func (httpDelay) Check(s Spec) error {
	if s.Latency <= 0 {
		return errors.New("latency: want a duration above 0 such as 200ms")
	}
	return checkHTTP(s)
}

func (httpDelay) Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return putHTTP(ctx, env, s, targets, contract.HTTPFault{DelayMS: ms(s.Latency), Share: s.Share(), Count: s.Count})
}
