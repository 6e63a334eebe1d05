package faults

import (
	"context"
	"errors"
)

// slicer cuts data into packets of about Size bytes (give or take Variation)
// sent Delay apart.
type slicer struct{}

func (slicer) Layer() Layer { return Network }

func (slicer) Params() []string {
	return []string{"size", "variation", "delay", "toxicity", "direction"}
}

func (slicer) Check(s Spec) error {
	if s.Size <= 0 {
		return errors.New("size: want an average packet size in bytes above 0")
	}
	if s.Variation < 0 || s.Variation >= s.Size {
		return errors.New("variation: want bytes from 0 to below size")
	}
	return checkNetwork(s)
}

func (slicer) Apply(_ context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return addToxics(env, s, targets, "slicer", map[string]any{
		"average_size": s.Size, "size_variation": s.Variation, "delay": s.Delay.D().Microseconds()})
}
