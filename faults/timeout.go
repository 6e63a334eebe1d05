package faults

import (
	"context"
	"lab/lab"
)

func init() { register("timeout", timeout{}) }

// timeout stops all data on the proxy; with a Timeout above 0 the connection
// is closed after it, with none it is held open and silent (a black hole).
type timeout struct{}

// TimeoutParams are a timeout fault's.
type TimeoutParams struct {
	Timeout lab.Duration `yaml:"timeout" json:"timeout,omitempty"` // 0: a black hole
	Toxic   `yaml:",inline"`
}

func (timeout) Layer() Layer { return Network }
func (timeout) New() Params  { return &TimeoutParams{} }

func (p *TimeoutParams) Check() error { return p.Toxic.check() }

func (timeout) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	p := paramsOf[TimeoutParams](s)
	return addToxics(env, s.Name, p.Toxic, targets, "timeout", map[string]any{"timeout": ms(p.Timeout)})
}
