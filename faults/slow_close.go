package faults

import (
	"context"
	"errors"
	"lab/lab"
)

func init() { register("slow_close", slowClose{}) }

// slowClose delays the closing of connections by Delay.
type slowClose struct{}

// SlowCloseParams are a slow_close fault's.
type SlowCloseParams struct {
	Delay lab.Duration `yaml:"delay" json:"delay,omitempty"`
	Toxic `yaml:",inline"`
}

func (slowClose) Layer() Layer { return Network }
func (slowClose) New() Params  { return &SlowCloseParams{} }

func (p *SlowCloseParams) Check() error {
	if p.Delay <= 0 {
		return errors.New("delay: want a duration above 0 such as 1s")
	}
	return p.Toxic.check()
}

func (slowClose) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	p := paramsOf[SlowCloseParams](s)
	return addToxics(env, s.Name, p.Toxic, targets, "slow_close", map[string]any{"delay": ms(p.Delay)})
}
