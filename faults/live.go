package faults

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"

	"lab/lab"
)

// Origins of live faults: a file and the control API each manage their own.
const (
	FromFile = "file"
	FromAPI  = "api"
)

// Live is the set of faults in force on a running shop, changed while it
// runs: by a live fault file (Set, which replaces the file's faults as a
// whole) or one at a time (Add, Remove). Its methods are safe for
// concurrent use; changes are applied one at a time.
type Live struct {
	env   Env
	shape lab.Shape
	now   func() time.Time

	mu     sync.Mutex
	active map[string]*Active
}

// Active is one fault in force.
type Active struct {
	Spec   Spec      `json:"spec"`
	Origin string    `json:"origin"`
	Since  time.Time `json:"since"`
	undo   Undo
}

// Change is one thing a change to the live set did.
type Change struct {
	At     time.Time `json:"at"`
	Op     string    `json:"op"` // "on", "off", "changed"
	Name   string    `json:"name"`
	Spec   Spec      `json:"spec"`
	Origin string    `json:"origin"`
}

// String says what changed, for a log line.
func (c Change) String() string {
	return fmt.Sprintf("%s %-7s %s: %s on %s (from the %s)", c.At.Format("15:04:05.000"), c.Op, c.Name, c.Spec.Kind, c.Spec.Target, c.Origin)
}

// NewLive returns an empty live set acting through env on a shop of shape.
func NewLive(env Env, shape lab.Shape) *Live {
	return &Live{env: env, shape: shape, now: time.Now, active: map[string]*Active{}}
}

// Set makes specs the faults of origin in force: it removes those no longer
// listed, applies the new ones, and re-applies the changed ones; faults of
// other origins stay. Specs must be valid (scenarios.ParseLive checks
// them). It returns what it did; on error it has done the changes before it.
func (l *Live) Set(ctx context.Context, origin string, specs []Spec) ([]Change, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	want := map[string]Spec{}
	for _, s := range specs {
		want[s.Name] = s
	}
	var changes []Change
	changed := map[string]bool{}
	for _, name := range l.names() {
		a := l.active[name]
		if a.Origin != origin {
			continue
		}
		if s, ok := want[name]; ok && reflect.DeepEqual(s, a.Spec) {
			delete(want, name) // unchanged
			continue
		}
		if err := l.removeLocked(ctx, name); err != nil {
			return changes, err
		}
		if _, ok := want[name]; ok {
			changed[name] = true
		} else {
			changes = append(changes, Change{At: l.now(), Op: "off", Name: name, Spec: a.Spec, Origin: origin})
		}
	}
	for _, s := range specs {
		if _, ok := want[s.Name]; !ok {
			continue
		}
		op := "on"
		if changed[s.Name] {
			op = "changed"
		}
		if a, ok := l.active[s.Name]; ok {
			return changes, fmt.Errorf("fault %q: already in force from the %s", s.Name, a.Origin)
		}
		if err := l.applyLocked(ctx, origin, s); err != nil {
			return changes, err
		}
		changes = append(changes, Change{At: l.now(), Op: op, Name: s.Name, Spec: s, Origin: origin})
	}
	return changes, nil
}

// Add applies one fault of origin; a fault of that name must not be in force.
func (l *Live) Add(ctx context.Context, origin string, s Spec) (Change, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a, ok := l.active[s.Name]; ok {
		return Change{}, fmt.Errorf("fault %q: already in force (from the %s); remove it first", s.Name, a.Origin)
	}
	if err := l.applyLocked(ctx, origin, s); err != nil {
		return Change{}, err
	}
	return Change{At: l.now(), Op: "on", Name: s.Name, Spec: s, Origin: origin}, nil
}

// ErrNotActive is returned by Remove for a fault that is not in force.
var ErrNotActive = errors.New("faults: no such fault in force")

// Remove removes the fault called name, whatever its origin.
func (l *Live) Remove(ctx context.Context, name string) (Change, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.active[name]
	if !ok {
		return Change{}, fmt.Errorf("%w: %q", ErrNotActive, name)
	}
	if err := l.removeLocked(ctx, name); err != nil {
		return Change{}, err
	}
	return Change{At: l.now(), Op: "off", Name: name, Spec: a.Spec, Origin: a.Origin}, nil
}

// List returns the faults in force, sorted by name.
func (l *Live) List() []Active {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Active
	for _, n := range l.names() {
		out = append(out, *l.active[n])
	}
	return out
}

// Clear removes every fault in force.
func (l *Live) Clear(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for _, n := range l.names() {
		errs = append(errs, l.removeLocked(ctx, n))
	}
	return errors.Join(errs...)
}

func (l *Live) names() []string {
	out := make([]string, 0, len(l.active))
	for n := range l.active {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (l *Live) applyLocked(ctx context.Context, origin string, s Spec) error {
	kind, err := Lookup(s.Kind)
	if err != nil {
		return err
	}
	targets, err := Resolve(s.Target, kind.Layer(), l.shape)
	if err != nil {
		return err
	}
	undo, err := kind.Apply(ctx, l.env, s, targets)
	if err != nil {
		return fmt.Errorf("apply %s: %w", s.Name, err)
	}
	l.active[s.Name] = &Active{Spec: s, Origin: origin, Since: l.now(), undo: undo}
	return nil
}

func (l *Live) removeLocked(ctx context.Context, name string) error {
	a := l.active[name]
	delete(l.active, name)
	if err := a.undo(ctx); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}
