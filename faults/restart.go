package faults

import "context"

func init() { register("restart", restart{}) }

// restart stops the instance gracefully and starts it again, at once.
type restart struct{}

func (restart) Layer() Layer { return Process }
func (restart) New() Params  { return &None{} }

func (restart) Apply(ctx context.Context, env Env, _ Spec, targets []string) (Undo, error) {
	if err := eachInstance(ctx, env, targets, "restart"); err != nil {
		return nil, err
	}
	return func(context.Context) error { return nil }, nil
}
