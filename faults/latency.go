package faults

import (
	"context"
	"errors"
	"lab/lab"
)

func init() { register("latency", latency{}) }

// latency delays data on the proxy by Latency, give or take Jitter.
type latency struct{}

// LatencyParams are a latency fault's.
type LatencyParams struct {
	Latency lab.Duration `yaml:"latency" json:"latency,omitempty"`
	Jitter  lab.Duration `yaml:"jitter" json:"jitter,omitempty"`
	Toxic   `yaml:",inline"`
}

func (latency) Layer() Layer { return Network }
func (latency) New() Params  { return &LatencyParams{} }

func (p *LatencyParams) Check() error {
	if p.Latency <= 0 {
		return errors.New("latency: want a duration above 0 such as 300ms")
	}
	return p.Toxic.check()
}

func (latency) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	p := paramsOf[LatencyParams](s)
	return addToxics(env, s.Name, p.Toxic, targets, "latency", map[string]any{"latency": ms(p.Latency), "jitter": ms(p.Jitter)})
}
