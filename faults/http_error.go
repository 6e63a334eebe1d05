package faults

import (
	"context"
	"fmt"

	"lab/services/contract"
)

func init() { register("http_error", httpError{}) }

// httpError answers a share of requests (or the next Count) with Status.
type httpError struct{}

// HTTPErrorParams are an http_error fault's.
type HTTPErrorParams struct {
	Status   int `yaml:"status" json:"status,omitempty"`
	Requests `yaml:",inline"`
}

func (httpError) Layer() Layer { return HTTP }
func (httpError) New() Params  { return &HTTPErrorParams{} }

func (p *HTTPErrorParams) Check() error {
	if p.Status < 400 || p.Status > 599 {
		return fmt.Errorf("status: want an HTTP error status from 400 to 599, got %d", p.Status)
	}
	return p.Requests.check()
}

func (httpError) Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error) {
	p := paramsOf[HTTPErrorParams](s)
	return putHTTP(ctx, env, s.Name, targets, contract.HTTPFault{Status: p.Status, Share: p.Of(), Count: p.Count})
}
