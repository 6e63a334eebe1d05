// Package scenarios reads, checks and lists scenarios: the shop's shape, the
// load, the fault timeline, the hypotheses. Files are decoded strictly (an
// unknown field is an error) and every error names the file, line and column
// and says what was expected. Built-in scenarios are embedded.
package scenarios

import (
	"lab/faults"
	"lab/lab"
	"lab/lab/results"
	"lab/load"
)

// Scenario is one experiment.
type Scenario struct {
	Name    string `yaml:"name" json:"name"`
	Summary string `yaml:"summary" json:"summary"`
	Teaches string `yaml:"teaches" json:"teaches,omitempty"`
	Watch   string `yaml:"watch" json:"watch,omitempty"`
	Try     string `yaml:"try" json:"try,omitempty"`
	Seed    int64  `yaml:"seed" json:"seed"`
	// Duration is the measured load; with a script, what the script's own
	// options declare (less any warmup), and it may be left out.
	Duration lab.Duration `yaml:"duration" json:"duration"`
	// Warmup runs before the measured load, at half the rate; default 2s
	// for a built-in journey. For a script, the first Warmup of its own
	// load is not measured; default none.
	Warmup *lab.Duration `yaml:"warmup" json:"warmup,omitempty"`
	// Drain bounds the wait for async work after the load; default 10s.
	Drain      lab.Duration  `yaml:"drain" json:"drain,omitempty"`
	Shop       Shop          `yaml:"shop" json:"shop"`
	Resilience Resilience    `yaml:"resilience" json:"resilience"`
	Load       Load          `yaml:"load" json:"load"`
	Faults     []faults.Spec `yaml:"faults" json:"faults"`
	Hypotheses []Hypothesis  `yaml:"hypotheses" json:"hypotheses"`
	Invariants []string      `yaml:"invariants" json:"invariants,omitempty"`

	// Script is what the k6 script of load.script declares, once FitScript
	// has read it; nil for a built-in journey.
	Script *load.Script `yaml:"-" json:"-"`

	// Path is the file the scenario came from ("builtin:NAME" for built-ins).
	Path string `yaml:"-" json:"path"`
	// Source is the file's text.
	Source []byte `yaml:"-" json:"-"`
}

// Shop is the system's shape.
type Shop struct {
	Replicas map[string]int `yaml:"replicas" json:"replicas,omitempty"`
	// Placement, on a runtime of several machines (--runtime swarm):
	// spread (the default) takes the nodes in turn, pack keeps every
	// instance on the manager's node. One machine ignores it.
	Placement string `yaml:"placement" json:"placement,omitempty"`
	// Constraints keep a service's instances to the nodes they allow, as
	// swarm writes them: {payments: [node.role==worker]}.
	Constraints map[string][]string `yaml:"constraints" json:"constraints,omitempty"`
	PaymentMode string              `yaml:"payment_mode" json:"payment_mode,omitempty"`
	// Config holds values for the config bucket ("payments.latency": "50ms").
	Config map[string]any `yaml:"config" json:"config,omitempty"`
	// Autoscale grows and shrinks services while the load runs; a service
	// autoscaled starts at its replicas, or at its min.
	Autoscale map[string]Autoscale `yaml:"autoscale" json:"autoscale,omitempty"`
	// AutoscaleOff is --set shop.autoscale=off: every service keeps its
	// starting replicas.
	AutoscaleOff bool `yaml:"-" json:"autoscale_off,omitempty"`
}

// Load is the traffic.
type Load struct {
	// Journey is a built-in journey (shopper, browser, checkout-burst), or
	// Script the path of a k6 script, relative to the scenario file.
	Journey string `yaml:"journey" json:"journey,omitempty"`
	Script  string `yaml:"script" json:"script,omitempty"`
	// Executor: constant-arrival-rate (default), ramping-arrival-rate or constant-vus.
	Executor string `yaml:"executor" json:"executor,omitempty"`
	// Rate is iterations started per second (arrival-rate executors).
	Rate int `yaml:"rate" json:"rate,omitempty"`
	// VUs is the most virtual users k6 may use (the VU count for constant-vus).
	VUs int `yaml:"vus" json:"vus,omitempty"`
	// StartRate and Stages shape a ramping-arrival-rate load.
	StartRate int     `yaml:"start_rate" json:"start_rate,omitempty"`
	Stages    []Stage `yaml:"stages" json:"stages,omitempty"`
	// Until "knee" ends a ramping load once the latency of every endpoint
	// it measures has bent for good (results.BendOf), and at the end of its
	// stages at the latest, which are then the bound: the knee is found, not
	// guessed, whatever the shop's capacity.
	Until string `yaml:"until" json:"until,omitempty"`
	// Think is the pause between a shopper's steps (each drawn from 0.5x to 1.5x).
	Think lab.Duration `yaml:"think" json:"think,omitempty"`
	// CheckoutShare is the share of shopper iterations that check out.
	CheckoutShare *float64 `yaml:"checkout_share" json:"checkout_share,omitempty"`
	// Endpoints are the k6 name tags a script uses, for its hypotheses
	// (the built-in journeys' names are always known).
	Endpoints []string `yaml:"endpoints" json:"endpoints,omitempty"`
}

// Stage is one step of a ramping load: reach Target iterations per second
// over Duration. A stage with a Name is a phase of the report too, which
// hypotheses may name (during: flash-sale), as a fault's window is.
type Stage struct {
	Name   string `yaml:"name" json:"name,omitempty"`
	Target int    `yaml:"target" json:"target"`
	// Duration is the measured load; with a script, what the script's own
	// options declare (less any warmup), and it may be left out.
	Duration lab.Duration `yaml:"duration" json:"duration"`
}

// Hypothesis is an expectation over the metrics of one phase, such as
// "checkout.success_rate >= 0.99" during "payments-down".
type Hypothesis struct {
	Name string `yaml:"name" json:"name"`
	// During names a phase: "baseline", a fault's name, "recovery", or
	// empty for the whole measured load.
	During string `yaml:"during" json:"during,omitempty"`
	Expect string `yaml:"expect" json:"expect"`
}

// UntilKnee is load.until's one value.
const UntilKnee = "knee"

// Phases of a ramp with until: knee, which hypotheses may name: before the
// first endpoint's knee, and from it on.
const (
	BelowKnee = "below-knee"
	PastKnee  = "past-knee"
)

// Defaults.
const (
	DefaultWarmup = lab.Duration(2e9)
	DefaultDrain  = lab.Duration(10e9)
	DefaultRate   = 20
	DefaultVUs    = 200
)

// WarmupOrDefault returns the warmup: DefaultWarmup for a built-in
// journey, none for a script (it runs as written) unless the file says.
func (s *Scenario) WarmupOrDefault() lab.Duration {
	switch {
	case s.Warmup != nil:
		return *s.Warmup
	case s.Load.Script != "":
		return 0
	}
	return DefaultWarmup
}

// StagePhases returns the named stages of a ramping load as phases, in
// seconds of the measured load.
func (s *Scenario) StagePhases() []results.NamedPhase {
	var out []results.NamedPhase
	from := 0
	for _, st := range s.Load.Stages {
		to := from + int(st.Duration.D()/1e9)
		if st.Name != "" {
			out = append(out, results.NamedPhase{Name: st.Name, From: from, To: to})
		}
		from = to
	}
	return out
}

// Judged returns the hypotheses as results.Judge reads them.
func (s *Scenario) Judged() []results.Hypothesis {
	out := make([]results.Hypothesis, len(s.Hypotheses))
	for i, h := range s.Hypotheses {
		out[i] = results.Hypothesis{Name: h.Name, During: h.During, Expect: h.Expect}
	}
	return out
}
