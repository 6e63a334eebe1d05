package faults

import (
	"context"
	"errors"
)

func init() { register("bandwidth", bandwidth{}) }

// bandwidth limits the proxy to Rate KB/s: a noisy neighbour on the link.
type bandwidth struct{}

// BandwidthParams are a bandwidth fault's.
type BandwidthParams struct {
	Rate  int `yaml:"rate" json:"rate,omitempty"` // KB/s
	Toxic `yaml:",inline"`
}

func (bandwidth) Layer() Layer { return Network }
func (bandwidth) New() Params  { return &BandwidthParams{} }

func (p *BandwidthParams) Check() error {
	if p.Rate <= 0 {
		return errors.New("rate: want KB/s above 0, such as 64")
	}
	return p.Toxic.check()
}

func (bandwidth) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	p := paramsOf[BandwidthParams](s)
	return addToxics(env, s.Name, p.Toxic, targets, "bandwidth", map[string]any{"rate": p.Rate})
}
