package faults

import (
	"context"
	"fmt"
	"lab/lab"
	"lab/services/contract"
	"slices"
)

func init() {
	register("redeliver", redeliver{})
	register("stall", stall{})
}

// putConsume writes f for every target instance and returns how to remove it.
func putConsume(ctx context.Context, env Env, name string, targets []string, f contract.ConsumeFault) (Undo, error) {
	for _, t := range targets {
		if svc := lab.ServiceOf(t); !slices.Contains(contract.Consumers, svc) {
			return nil, fmt.Errorf("%s consumes no events", svc)
		}
	}
	return putConfig(ctx, env, targets, func(t string) string { return contract.ConsumeFaultKey(t, name) }, f)
}

// redeliver has the target's consumer take a share (toxicity, default 1) of
// its events again after handling them: duplicate deliveries, which an
// idempotent consumer shrugs off and a naive one turns into double effects.
type redeliver struct{}

// RedeliverParams are a redeliver fault's.
type RedeliverParams struct {
	Share `yaml:",inline"`
}

func (redeliver) Layer() Layer { return Consumer }
func (redeliver) New() Params  { return &RedeliverParams{} }

func (p *RedeliverParams) Check() error { return p.Share.check() }

func (redeliver) Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return putConsume(ctx, env, s.Name, targets, contract.ConsumeFault{Redeliver: paramsOf[RedeliverParams](s).Of()})
}

// stall has the target's consumer stop acknowledging events until the fault
// ends: the broker keeps them and delivers them again, and the lag grows.
type stall struct{}

func (stall) Layer() Layer { return Consumer }

// New: stall takes no parameters; the consumer stops altogether.
func (stall) New() Params { return &None{} }

func (stall) Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error) {
	return putConsume(ctx, env, s.Name, targets, contract.ConsumeFault{Stall: true})
}
