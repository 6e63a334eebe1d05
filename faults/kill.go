package faults

import (
	"context"
	"errors"
	"time"
)

// kill sends SIGKILL (or kills the container). The instance starts again
// RestartAfter later when that is set, else when the fault ends, unless
// NoRestart keeps it down to the end of the run.
type kill struct{}

func (kill) Layer() Layer { return Process }

func (kill) Params() []string { return []string{"restart_after", "no_restart"} }

func (kill) Check(s Spec) error {
	if s.NoRestart && s.RestartAfter > 0 {
		return errors.New("restart_after: cannot go with no_restart")
	}
	return checkProcess(s)
}

func (kill) Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error) {
	if err := eachInstance(ctx, env, targets, "kill"); err != nil {
		return nil, err
	}
	start := once(func(ctx context.Context) error {
		if s.NoRestart {
			return nil
		}
		return eachInstance(ctx, env, targets, "start")
	})
	if s.RestartAfter > 0 {
		t := time.AfterFunc(s.RestartAfter.D(), func() { _ = start(context.Background()) })
		return func(ctx context.Context) error { t.Stop(); return start(ctx) }, nil
	}
	return start, nil
}
