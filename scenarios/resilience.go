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
}

// BreakerPolicy configures an edge's breaker; failures: 0 turns it off.
type BreakerPolicy struct {
	Failures  uint         `yaml:"failures" json:"failures"`
	Window    uint         `yaml:"window" json:"window"`
	Delay     lab.Duration `yaml:"delay" json:"delay"`
	Successes uint         `yaml:"successes" json:"successes"`
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
