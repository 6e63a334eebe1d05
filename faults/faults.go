// Package faults injects the lab's faults: network faults through Toxiproxy,
// process faults through the runtime, HTTP faults in the target service's
// middleware (through the config bucket). It knows nothing of runtimes: it
// acts only through the small interfaces of Env, which the harness provides.
//
// A fault kind is one small file: a type implementing Kind, listed in the
// kinds table below. Applying a fault returns the function that removes it.
package faults

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Spec is one fault as a scenario or a live fault file writes it.
type Spec struct {
	Name   string   `yaml:"name" json:"name"`
	At     Duration `yaml:"at" json:"at"`
	For    Duration `yaml:"for" json:"for"`
	Target string   `yaml:"target" json:"target"`
	Kind   string   `yaml:"kind" json:"kind"`

	Latency      Duration `yaml:"latency" json:"latency,omitempty"`             // latency, http_delay
	Jitter       Duration `yaml:"jitter" json:"jitter,omitempty"`               // latency
	Timeout      Duration `yaml:"timeout" json:"timeout,omitempty"`             // timeout (0: black hole), reset
	Delay        Duration `yaml:"delay" json:"delay,omitempty"`                 // slow_close, slicer
	Rate         int      `yaml:"rate" json:"rate,omitempty"`                   // bandwidth, KB/s
	Bytes        int      `yaml:"bytes" json:"bytes,omitempty"`                 // limit_data
	Size         int      `yaml:"size" json:"size,omitempty"`                   // slicer: average bytes
	Variation    int      `yaml:"variation" json:"variation,omitempty"`         // slicer
	Status       int      `yaml:"status" json:"status,omitempty"`               // http_error
	Toxicity     *float64 `yaml:"toxicity" json:"toxicity,omitempty"`           // share affected, default 1
	Direction    string   `yaml:"direction" json:"direction,omitempty"`         // downstream (default), upstream, both
	Count        int      `yaml:"count" json:"count,omitempty"`                 // http faults: only the next N requests
	RestartAfter Duration `yaml:"restart_after" json:"restart_after,omitempty"` // kill: start again after this
	NoRestart    bool     `yaml:"no_restart" json:"no_restart,omitempty"`       // kill: stay down to the end
}

// Share returns the toxicity, 1 when unset.
func (s Spec) Share() float64 {
	if s.Toxicity == nil {
		return 1
	}
	return *s.Toxicity
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
	// Params names the parameters the kind takes, as a fault entry writes
	// them (latency, jitter, ...), beyond what every fault has (name, at,
	// for, target, kind). An entry that sets another is refused: a field
	// a kind would ignore is an error by construction.
	Params() []string
	// Check validates the kind's parameters in s and returns an error that
	// names the parameter (as "latency: want ...") if one is wrong.
	Check(s Spec) error
	// Apply injects s on every target and returns how to remove it. On
	// error, whatever was applied is already removed.
	Apply(ctx context.Context, env Env, s Spec, targets []string) (Undo, error)
}

// kinds lists every fault kind.
var kinds = map[string]Kind{}

func register(name string, k Kind) {
	if name == "" || k == nil {
		panic("faults: register with an empty name or nil kind")
	}
	if _, dup := kinds[name]; dup {
		panic("faults: kind registered twice: " + name)
	}
	kinds[name] = k
}

func init() {
	register("latency", latency{})
	register("bandwidth", bandwidth{})
	register("timeout", timeout{})
	register("reset", reset{})
	register("slow_close", slowClose{})
	register("slicer", slicer{})
	register("limit_data", limitData{})
	register("down", down{})
	register("kill", kill{})
	register("pause", pause{})
	register("restart", restart{})
	register("http_error", httpError{})
	register("http_delay", httpDelay{})
	register("redeliver", redeliver{})
	register("stall", stall{})
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
