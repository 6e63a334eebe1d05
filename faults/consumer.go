package faults

import (
	"context"
	"errors"
	"fmt"
	"lab/services/contract"
)

// consumers are the services that consume events.
var consumers = map[string]bool{"payments": true, "orders": true, "inventory": true, "notifications": true}

func checkConsumer(s Spec) error {
	if t := s.Share(); t < 0 || t > 1 {
		return fmt.Errorf("toxicity: want a share from 0 to 1, got %g", t)
	}
	if s.Direction != "" || s.Count != 0 {
		return errors.New("direction and count do not apply to consumer faults")
	}
	return nil
}

// putConsume writes f for every target instance and returns how to remove it.
func putConsume(ctx context.Context, env Env, s Spec, targets []string, f contract.ConsumeFault) (Undo, error) {
	for _, t := range targets {
		if svc := serviceOf(t); !consumers[svc] {
			return nil, fmt.Errorf("%s consumes no events", svc)
		}
	}
	return putConfig(ctx, env, targets, func(t string) string { return contract.ConsumeFaultKey(t, s.Name) }, f)
}

func serviceOf(instance string) string {
	for i := len(instance) - 1; i > 0; i-- {
		if instance[i] == '-' {
			return instance[:i]
		}
	}
	return instance
}

// redeliver has the target's consumer take a share (toxicity, default 1) of
// its events again after handling them: duplicate deliveries, which an
// idempotent consumer shrugs off and a naive one turns into double effects.
type redeliver struct{}

func (redeliver) Layer() Layer { return Consumer }

func (redeliver) Params() []string { return []string{"toxicity"} }

func (redeliver) Check(s Spec) error { return checkConsumer(s) }

func (redeliver) Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return putConsume(ctx, env, s, targets, contract.ConsumeFault{Redeliver: s.Share()})
}

// stall has the target's consumer stop acknowledging events until the fault
// ends: the broker keeps them and delivers them again, and the lag grows.
type stall struct{}

func (stall) Layer() Layer { return Consumer }

func (stall) Params() []string { return nil }

func (stall) Check(s Spec) error {
	if s.Toxicity != nil {
		return errors.New("toxicity does not apply to stall: the consumer stops altogether")
	}
	return checkConsumer(s)
}

func (stall) Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return putConsume(ctx, env, s, targets, contract.ConsumeFault{Stall: true})
}
