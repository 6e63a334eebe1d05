package scenarios

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"lab/faults"
	"lab/lab"
	"lab/services/contract"
)

// Resilience sets the shop's resilience policies: a preset (none,
// naive-retries, default) and per-edge overrides merged over it.
type Resilience struct {
	Preset string                `yaml:"preset" json:"preset,omitempty"`
	Edges  map[string]EdgePolicy `yaml:"edges" json:"edges,omitempty"`
}

// EdgePolicy overrides fields of an edge's policy; unset fields keep the preset's.
type EdgePolicy struct {
	Timeout      *lab.Duration  `yaml:"timeout" json:"timeout,omitempty"`
	Retries      *int           `yaml:"retries" json:"retries,omitempty"`
	Backoff      *lab.Duration  `yaml:"backoff" json:"backoff,omitempty"`
	MaxBackoff   *lab.Duration  `yaml:"max_backoff" json:"max_backoff,omitempty"`
	Jitter       *float64       `yaml:"jitter" json:"jitter,omitempty"`
	Breaker      *BreakerPolicy `yaml:"breaker" json:"breaker,omitempty"`
	Bulkhead     *int           `yaml:"bulkhead" json:"bulkhead,omitempty"`
	BulkheadWait *lab.Duration  `yaml:"bulkhead_wait" json:"bulkhead_wait,omitempty"`
	Fallback     *bool          `yaml:"fallback" json:"fallback,omitempty"`
	Eject        *EjectPolicy   `yaml:"eject" json:"eject,omitempty"`
}

// BreakerPolicy configures an edge's breaker; failures: 0 turns it off.
type BreakerPolicy struct {
	Failures  uint         `yaml:"failures" json:"failures"`
	Window    uint         `yaml:"window" json:"window"`
	Delay     lab.Duration `yaml:"delay" json:"delay"`
	Successes uint         `yaml:"successes" json:"successes"`
}

// EjectPolicy configures an edge's outlier ejection, per callee instance;
// failures: 0 turns it off, and unset fields keep the preset's (the
// default preset: 3 failures, 2s base, 30s max, max_share 0.5).
type EjectPolicy struct {
	Failures *uint         `yaml:"failures" json:"failures,omitempty"`
	Slow     *lab.Duration `yaml:"slow" json:"slow,omitempty"`
	Base     *lab.Duration `yaml:"base" json:"base,omitempty"`
	Max      *lab.Duration `yaml:"max" json:"max,omitempty"`
	MaxShare *float64      `yaml:"max_share" json:"max_share,omitempty"`
}

// callEdges lists the edges between services (load->gateway has no client).
func callEdges() []string {
	var out []string
	for _, e := range faults.Edges() {
		if !strings.HasPrefix(e, "load->") {
			out = append(out, e)
		}
	}
	return out
}

// config returns the config values of the resilience block.
func (r Resilience) config() map[string]string {
	out := map[string]string{}
	if r.Preset != "" {
		out[contract.ResiliencePresetKey] = r.Preset
	}
	for edge, p := range r.Edges {
		caller, callee, _ := strings.Cut(edge, "->")
		b, _ := json.Marshal(p)
		out[contract.ResilienceEdgeKey(caller, callee)] = string(b)
	}
	return out
}

func (s *Scenario) checkResilience(l *locator) error {
	r := s.Resilience
	if r.Preset != "" {
		if !slices.Contains(contract.Presets, r.Preset) {
			return l.at("$.resilience.preset", "resilience.preset: unknown preset %q (want one of %s)", r.Preset, strings.Join(contract.Presets, ", "))
		}
	}
	edges := make([]string, 0, len(r.Edges))
	for e := range r.Edges {
		edges = append(edges, e)
	}
	sort.Strings(edges)
	known := map[string]bool{}
	for _, e := range callEdges() {
		known[e] = true
	}
	for _, e := range edges {
		p := r.Edges[e]
		at := "$.resilience.edges." + e
		if !known[e] {
			return l.at(at, "resilience.edges: unknown edge %q (want one of %s)", e, strings.Join(callEdges(), ", "))
		}
		if p.Retries != nil && (*p.Retries < 0 || *p.Retries > 10) {
			return l.at(at, "resilience.edges.%s.retries: want 0 to 10", e)
		}
		if p.Jitter != nil && (*p.Jitter < 0 || *p.Jitter > 1) {
			return l.at(at, "resilience.edges.%s.jitter: want a share from 0 to 1", e)
		}
		if p.Bulkhead != nil && *p.Bulkhead < 0 {
			return l.at(at, "resilience.edges.%s.bulkhead: want 0 (none) or more calls", e)
		}
		if b := p.Breaker; b != nil && b.Failures > 0 && b.Window > 0 && b.Window < b.Failures {
			return l.at(at, "resilience.edges.%s.breaker: window (%d) must be at least failures (%d)", e, b.Window, b.Failures)
		}
		if p.Timeout != nil && *p.Timeout <= 0 {
			return l.at(at, "resilience.edges.%s.timeout: want a duration above 0", e)
		}
		if x := p.Eject; x != nil {
			at += ".eject"
			if x.Failures != nil && *x.Failures > 100 {
				return l.at(at+".failures", "resilience.edges.%s.eject.failures: want 0 (off) to 100 failed attempts in a row", e)
			}
			if x.MaxShare != nil && (*x.MaxShare <= 0 || *x.MaxShare > 1) {
				return l.at(at+".max_share", "resilience.edges.%s.eject.max_share: want a share above 0, at most 1", e)
			}
			for _, d := range []struct {
				name string
				v    *lab.Duration
			}{{"slow", x.Slow}, {"base", x.Base}, {"max", x.Max}} {
				if d.v != nil && *d.v <= 0 {
					return l.at(at+"."+d.name, "resilience.edges.%s.eject.%s: want a duration above 0", e, d.name)
				}
			}
			if x.Base != nil && x.Max != nil && *x.Max < *x.Base {
				return l.at(at, "resilience.edges.%s.eject: max (%s) must be at least base (%s)", e, x.Max.D(), x.Base.D())
			}
		}
	}
	return nil
}

// setResilience applies --set resilience=PRESET or
// resilience.CALLER->CALLEE.FIELD=VALUE.
func (s *Scenario) setResilience(key, value string) error {
	if key == "resilience" || key == "resilience.preset" {
		s.Resilience.Preset = value
		return nil
	}
	rest := strings.TrimPrefix(key, "resilience.")
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return fmt.Errorf("want resilience=PRESET or resilience.CALLER->CALLEE.FIELD=VALUE")
	}
	edge, field := rest[:i], rest[i+1:]
	if s.Resilience.Edges == nil {
		s.Resilience.Edges = map[string]EdgePolicy{}
	}
	p := s.Resilience.Edges[edge]
	// Reuse the JSON field names: decode {"field": value} over p.
	cur, _ := json.Marshal(p)
	var m map[string]any
	_ = json.Unmarshal(cur, &m)
	var v any = value // "100ms" stays text; 3, true and {"failures":3} are JSON
	if json.Valid([]byte(value)) {
		_ = json.Unmarshal([]byte(value), &v)
	}
	m[field] = v
	b, _ := json.Marshal(m)
	var np EdgePolicy
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&np); err != nil {
		return fmt.Errorf("resilience.%s: %v", rest, err)
	}
	s.Resilience.Edges[edge] = np
	return nil
}
