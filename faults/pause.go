package faults

import "context"

func init() { register("pause", pause{}) }

// pause freezes the instance (SIGSTOP, or docker pause) until the fault ends:
// its sockets stay open and silent, like a long GC pause or a hung host.
type pause struct{}

func (pause) Layer() Layer { return Process }
func (pause) New() Params  { return &None{} }

func (pause) Apply(ctx context.Context, env Env, _ Spec, targets []string) (Undo, error) {
	if err := eachInstance(ctx, env, targets, "pause"); err != nil {
		_ = eachInstance(ctx, env, targets, "resume")
		return nil, err
	}
	return once(func(ctx context.Context) error { return eachInstance(ctx, env, targets, "resume") }), nil
}
