package faults

import (
	"context"
	"errors"
	"lab/lab"
)

func init() { register("slicer", slicer{}) }

// slicer cuts data into packets of about Size bytes (give or take Variation)
// sent Delay apart.
type slicer struct{}

// SlicerParams are a slicer fault's.
type SlicerParams struct {
	Size      int          `yaml:"size" json:"size,omitempty"` // average bytes
	Variation int          `yaml:"variation" json:"variation,omitempty"`
	Delay     lab.Duration `yaml:"delay" json:"delay,omitempty"`
	Toxic     `yaml:",inline"`
}

func (slicer) Layer() Layer { return Network }
func (slicer) New() Params  { return &SlicerParams{} }

func (p *SlicerParams) Check() error {
	if p.Size <= 0 {
		return errors.New("size: want an average packet size in bytes above 0")
	}
	if p.Variation < 0 || p.Variation >= p.Size {
		return errors.New("variation: want bytes from 0 to below size")
	}
	return p.Toxic.check()
}

func (slicer) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	p := paramsOf[SlicerParams](s)
	return addToxics(env, s.Name, p.Toxic, targets, "slicer", map[string]any{
		"average_size": p.Size, "size_variation": p.Variation, "delay": p.Delay.D().Microseconds()})
}
