package faults

import (
	"context"
	"errors"
)

func init() { register("limit_data", limitData{}) }

// limitData closes a connection once Bytes have crossed it.
type limitData struct{}

// LimitDataParams are a limit_data fault's.
type LimitDataParams struct {
	Bytes int `yaml:"bytes" json:"bytes,omitempty"`
	Toxic `yaml:",inline"`
}

func (limitData) Layer() Layer { return Network }
func (limitData) New() Params  { return &LimitDataParams{} }

func (p *LimitDataParams) Check() error {
	if p.Bytes <= 0 {
		return errors.New("bytes: want a byte count above 0")
	}
	return p.Toxic.check()
}

func (limitData) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	p := paramsOf[LimitDataParams](s)
	return addToxics(env, s.Name, p.Toxic, targets, "limit_data", map[string]any{"bytes": p.Bytes})
}
