package faults

import (
	"context"
	"errors"

	"lab/lab"
	"lab/services/contract"
)

func init() { register("http_delay", httpDelay{}) }

// httpDelay holds a share of requests (or the next Count) for Latency before
// the service handles them.
type httpDelay struct{}

// HTTPDelayParams are an http_delay fault's.
type HTTPDelayParams struct {
	Latency  lab.Duration `yaml:"latency" json:"latency,omitempty"`
	Requests `yaml:",inline"`
}

func (httpDelay) Layer() Layer { return HTTP }
func (httpDelay) New() Params  { return &HTTPDelayParams{} }

func (p *HTTPDelayParams) Check() error {
	if p.Latency <= 0 {
		return errors.New("latency: want a duration above 0 such as 200ms")
	}
	return p.Requests.check()
}

func (httpDelay) Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error) {
	p := paramsOf[HTTPDelayParams](s)
	return putHTTP(ctx, env, s.Name, targets, contract.HTTPFault{DelayMS: ms(p.Latency), Share: p.Of(), Count: p.Count})
}
