package faults

import (
	"context"
	"fmt"
	"lab/services/contract"
)

// httpError answers a share of requests (or the next Count) with Status.
type httpError struct{}

func (httpError) Layer() Layer { return HTTP }

func (httpError) Params() []string { return []string{"status", "toxicity", "count"} }

func (httpError) Check(s Spec) error {
	if s.Status < 400 || s.Status > 599 {
		return fmt.Errorf("status: want an HTTP error status from 400 to 599, got %d", s.Status)
	}
	return checkHTTP(s)
}

func (httpError) Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return putHTTP(ctx, env, s, targets, contract.HTTPFault{Status: s.Status, Share: s.Share(), Count: s.Count})
}
