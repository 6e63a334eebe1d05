package faults

import (
	"context"
	"lab/lab"
)

func init() { register("reset", reset{}) }

// reset closes connections with a TCP RST after Timeout (immediately when 0).
type reset struct{}

// ResetParams are a reset fault's.
type ResetParams struct {
	Timeout lab.Duration `yaml:"timeout" json:"timeout,omitempty"`
	Toxic   `yaml:",inline"`
}

func (reset) Layer() Layer { return Network }
func (reset) New() Params  { return &ResetParams{} }

func (p *ResetParams) Check() error { return p.Toxic.check() }

func (reset) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	p := paramsOf[ResetParams](s)
	return addToxics(env, s.Name, p.Toxic, targets, "reset_peer", map[string]any{"timeout": ms(p.Timeout)})
}
