// Package faults injects the lab's faults: network faults through Toxiproxy,
// process faults through the runtime, HTTP faults in the target service's
// middleware (through the config bucket). It knows nothing of runtimes: it
// acts only through the small interfaces of Env, which the harness provides.
//
// A fault kind is one file: a type implementing Kind, its parameters (a
// struct whose fields the kind's entries may set), and an init that
// registers it. Applying a fault returns the function that removes it.
package faults

import (
	"context"
	"errors"
	"fmt"
	"lab/lab"
	"sort"
	"sync"
)

// Spec is one fault as a scenario or a live fault file writes it: what
// every fault has, and the parameters of its kind, which the kind decodes
// (Kind.New) from the entry's other fields.
type Spec struct {
	Name   string       `yaml:"name" json:"name"`
	At     lab.Duration `yaml:"at" json:"at"`
	For    lab.Duration `yaml:"for" json:"for"`
	Target string       `yaml:"target" json:"target"`
	Kind   string       `yaml:"kind" json:"kind"`
	// Params are the kind's parameters (*LatencyParams for latency, ...);
	// nil for an unknown kind, or a kind's zero parameters when the Spec is
	// written in Go without them.
	Params Params `yaml:"-" json:"-"`
}

// Params are one kind's parameters: a struct whose yaml tags name the
// fields an entry of the kind may have (ParamNames), decoded from the entry
// itself. A field no kind declares is not decoded anywhere, so an entry
// cannot set what its kind would ignore.
type Params interface {
	// Check validates the parameters and returns an error that starts with
	// the parameter's name ("latency: want ...") when one is wrong.
	Check() error
}

// Check validates s's parameters (its kind's zero ones when it has none);
// a Spec of an unknown kind has nothing to check here.
func (s Spec) Check() error {
	p := s.Params
	if p == nil {
		k, err := Lookup(s.Kind)
		if err != nil {
			return nil
		}
		p = k.New()
	}
	return p.Check()
}

// paramsOf returns s's parameters as *P, or P's zero value when s has none.
func paramsOf[P any](s Spec) *P {
	if p, ok := any(s.Params).(*P); ok && p != nil {
		return p
	}
	return new(P)
}

// Layer says where a kind acts, which decides what a target means.
type Layer int

// Layers.
const (
	Network  Layer = iota // Toxiproxy proxies
	Process               // instances' processes or containers
	HTTP                  // instances' HTTP middleware
	Consumer              // instances' event consumers
)

// Undo removes an applied fault.
type Undo func(ctx context.Context) error

// Kind is one kind of fault.
type Kind interface {
	// Layer says where the kind acts.
	Layer() Layer
	// New returns the kind's parameters, zero, for an entry to be decoded
	// into: a pointer to a struct (see Params).
	New() Params
	// Apply injects s on every target and returns how to remove it. On
	// error, whatever was applied is already removed.
	Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error)
}

// kinds lists every fault kind; each kind's file registers it.
var kinds = map[string]Kind{}

func register(name string, k Kind) {
	if name == "" || k == nil {
		panic("faults: register with an empty name or nil kind")
	}
	if _, dup := kinds[name]; dup {
		panic("faults: kind registered twice: " + name)
	}
	kinds[name] = k
	for _, p := range ParamNames(k) {
		anyParam[p] = true
	}
}

// ErrUnknownKind is returned for a kind that is not in the table.
var ErrUnknownKind = errors.New("faults: unknown kind")

// Kinds returns the names of every kind, sorted.
func Kinds() []string {
	var out []string
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the kind called name.
func Lookup(name string) (Kind, error) {
	k, ok := kinds[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKind, name)
	}
	return k, nil
}

// Env is what faults act through.
type Env struct {
	Proxies   Proxies
	Processes Processes
	Config    Config
}

// Proxies is the Toxiproxy API as faults use it.
type Proxies interface {
	// AddToxic adds a toxic to proxy; attrs are Toxiproxy's attributes.
	AddToxic(proxy, name, typ, stream string, toxicity float64, attrs map[string]any) error
	// RemoveToxic removes it.
	RemoveToxic(proxy, name string) error
	// SetEnabled starts or stops a proxy; a stopped proxy refuses connections.
	SetEnabled(proxy string, enabled bool) error
}

// Processes acts on instances: "kill", "start", "pause", "resume", "restart".
type Processes interface {
	Do(ctx context.Context, instance, action string) error
}

// Config writes the shop's config bucket.
type Config interface {
	Put(ctx context.Context, key, value string) error
	Delete(ctx context.Context, key string) error
}

// once makes an Undo safe to call more than once: only the first call acts.
func once(u Undo) Undo {
	var o sync.Once
	var err error
	return func(ctx context.Context) error {
		o.Do(func() { err = u(ctx) })
		return err
	}
}
