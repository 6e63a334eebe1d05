package kit

import (
	"encoding/json"
	"fmt"
	"lab/services/contract"
	"sort"
	"strings"
	"time"
)

// Policy is how a caller protects one edge (caller->callee). The zero value
// is the naive client: one attempt, no breaker, no bulkhead, no fallback,
// bounded only by Timeout.
type Policy struct {
	// Timeout bounds one attempt.
	Timeout Dur `json:"timeout"`
	// Retries after the first attempt; Backoff is the first delay, doubling
	// up to MaxBackoff, each delay varied by ±Jitter (a share, 0 to 1).
	// Retries stop at once on an open breaker or a full bulkhead.
	Retries    int     `json:"retries,omitempty"`
	Backoff    Dur     `json:"backoff,omitempty"`
	MaxBackoff Dur     `json:"max_backoff,omitempty"`
	Jitter     float64 `json:"jitter,omitempty"`
	// Breaker opens after Failures of the last Window calls failed (an
	// error, a timeout or a 5xx), stays open for Delay, then lets calls
	// through half-open and closes after Successes of them succeed.
	Breaker *Breaker `json:"breaker,omitempty"`
	// Bulkhead caps the calls in flight on this edge (per caller instance);
	// a call waits up to BulkheadWait for room, else it is rejected.
	Bulkhead     int `json:"bulkhead,omitempty"`
	BulkheadWait Dur `json:"bulkhead_wait,omitempty"`
	// Fallback lets the caller serve a degraded answer when the call fails
	// (the product page without stock; an order accepted as pending).
	Fallback bool `json:"fallback,omitempty"`
	// Eject takes a failing callee instance out of this caller's rotation
	// (outlier ejection); nil or failures 0: never.
	Eject *Ejection `json:"eject,omitempty"`
}

// Breaker configures a circuit breaker.
type Breaker struct {
	Failures  uint `json:"failures"`
	Window    uint `json:"window"`
	Delay     Dur  `json:"delay"`
	Successes uint `json:"successes"`
}

// Dur is a time.Duration written as "250ms" in JSON.
type Dur time.Duration

// UnmarshalJSON reads "250ms".
func (d *Dur) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as 250ms: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("want a duration such as 250ms, got %q", s)
	}
	*d = Dur(v)
	return nil
}

// MarshalJSON writes "250ms".
func (d Dur) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// D returns d as a time.Duration.
func (d Dur) D() time.Duration { return time.Duration(d) }

// Presets are the named sets of policies.
//
//   - none: the naive system: one generous timeout, no retry, no breaker,
//     no bulkhead, no fallback;
//   - naive-retries: the retry-storm system: short timeouts and three
//     immediate retries, no backoff, no jitter, no breaker;
//   - default: what a careful team ships: per-edge timeouts, two retries
//     with jittered exponential backoff, a breaker, a bulkhead, fallbacks,
//     and outlier ejection of a replica that fails three attempts in a row.
var Presets = map[string]func(caller, callee string) Policy{
	"none": func(string, string) Policy { return Policy{Timeout: Dur(10 * time.Second)} },
	"naive-retries": func(caller, callee string) Policy {
		p := Policy{Timeout: Dur(200 * time.Millisecond), Retries: retriesFor(caller, callee, 3)}
		if caller == "gateway" && callee == "orders" {
			p.Timeout = Dur(4 * time.Second) // a checkout waits on three services
		}
		return p
	},
	"default": defaultPolicy,
}

// PresetNames returns the presets' names, sorted.
func PresetNames() []string {
	var out []string
	for n := range Presets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// retriesFor withholds retries from calls that are not idempotent: a
// checkout retried could place an order twice.
func retriesFor(caller, callee string, n int) int {
	if caller == "gateway" && callee == "orders" {
		return 0
	}
	return n
}

func defaultPolicy(caller, callee string) Policy {
	p := Policy{
		Timeout: Dur(500 * time.Millisecond), Retries: retriesFor(caller, callee, 2),
		Backoff: Dur(20 * time.Millisecond), MaxBackoff: Dur(200 * time.Millisecond), Jitter: 0.5,
		Breaker:  &Breaker{Failures: 5, Window: 10, Delay: Dur(2 * time.Second), Successes: 3},
		Bulkhead: 64, BulkheadWait: Dur(100 * time.Millisecond),
	}
	eject := DefaultEjection
	p.Eject = &eject
	switch caller + "->" + callee {
	case "gateway->inventory":
		p.Timeout, p.Retries, p.Fallback = Dur(150*time.Millisecond), 1, true
	case "gateway->orders":
		p.Timeout = Dur(4 * time.Second) // a checkout waits on catalog, inventory and payments
	case "orders->payments":
		p.Timeout, p.Retries, p.Fallback = Dur(time.Second), 1, true
	}
	return p
}

// PolicyFor returns the policy of caller->callee in cfg: the preset's (the
// "default" preset when none is set), with the edge's override merged over it.
func PolicyFor(cfg *Config, caller, callee string) (Policy, error) {
	preset, _ := cfg.Raw(contract.ResiliencePresetKey)
	if preset == "" {
		preset = "default"
	}
	mk, ok := Presets[preset]
	if !ok {
		return Presets["default"](caller, callee), fmt.Errorf("unknown resilience preset %q (want one of %s)", preset, strings.Join(PresetNames(), ", "))
	}
	p := mk(caller, callee)
	if o, ok := cfg.Raw(contract.ResilienceEdgeKey(caller, callee)); ok && o != "" {
		dec := json.NewDecoder(strings.NewReader(o))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return p, fmt.Errorf("resilience of %s->%s: %w", caller, callee, err)
		}
	}
	if p.Timeout <= 0 {
		p.Timeout = Dur(DefaultTimeout)
	}
	return p, nil
}
