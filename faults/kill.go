package faults

import (
	"context"
	"errors"
	"lab/lab"
	"time"
)

func init() { register("kill", kill{}) }

// kill sends SIGKILL (or kills the container). The instance starts again
// RestartAfter later when that is set, else when the fault ends, unless
// NoRestart keeps it down to the end of the run.
type kill struct{}

// KillParams are a kill fault's.
type KillParams struct {
	RestartAfter lab.Duration `yaml:"restart_after" json:"restart_after,omitempty"` // start again after this
	NoRestart    bool         `yaml:"no_restart" json:"no_restart,omitempty"`       // stay down to the end
}

func (kill) Layer() Layer { return Process }
func (kill) New() Params  { return &KillParams{} }

func (p *KillParams) Check() error {
	if p.NoRestart && p.RestartAfter > 0 {
		return errors.New("restart_after: cannot go with no_restart")
	}
	return nil
}

func (kill) Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error) {
	p := paramsOf[KillParams](s)
	if err := eachInstance(ctx, env, targets, "kill"); err != nil {
		return nil, err
	}
	start := once(func(ctx context.Context) error {
		if p.NoRestart {
			return nil
		}
		return eachInstance(ctx, env, targets, "start")
	})
	if p.RestartAfter > 0 {
		t := time.AfterFunc(p.RestartAfter.D(), func() { _ = start(context.Background()) })
		return func(ctx context.Context) error { t.Stop(); return start(ctx) }, nil
	}
	return start, nil
}
