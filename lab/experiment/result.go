package experiment

import "time"

// Verdicts.
const (
	Pass         = "pass"
	Fail         = "fail"
	Inconclusive = "inconclusive"
)

// Result is what a run found: report.json holds it as it is.
type Result struct {
	Scenario    string             `json:"scenario"`
	Summary     string             `json:"summary"`
	Verdict     string             `json:"verdict"`
	Reason      string             `json:"reason,omitempty"`
	Interrupted bool               `json:"interrupted,omitempty"`
	Runtime     string             `json:"runtime"`
	Seed        int64              `json:"seed"`
	Started     time.Time          `json:"started"`
	Ended       time.Time          `json:"ended"`
	DurationS   float64            `json:"duration_s"`
	WallS       float64            `json:"wall_s"`
	Phases      []Phase            `json:"phases"`
	Hypotheses  []HypothesisResult `json:"hypotheses"`
	Invariants  []InvariantResult  `json:"invariants"`
	Faults      []FaultRecord      `json:"faults"`
	// Series holds every measured second, per endpoint, for charts.
	Series []Second `json:"series"`
	// Signals are what the harness scraped from the services each second.
	Signals []Signal `json:"signals,omitempty"`
	// K6 cross-checks the lab's figures with k6's own end-of-test summary.
	K6 map[string]K6Check `json:"k6,omitempty"`
	// Drain says how the async work settled after the load.
	Drain DrainResult `json:"drain"`
}

// Phase is a stretch of the measured load: baseline, a fault's window, recovery.
type Phase struct {
	Name      string                   `json:"name"`
	Start     time.Time                `json:"start"`
	End       time.Time                `json:"end"`
	StartS    int                      `json:"start_s"`
	EndS      int                      `json:"end_s"`
	Endpoints map[string]EndpointStats `json:"endpoints"`
}

// EndpointStats are one endpoint's figures over a stretch of time.
type EndpointStats struct {
	Requests    int64          `json:"requests"`
	Failed      int64          `json:"failed"`
	SuccessRate float64        `json:"success_rate"`
	P50         float64        `json:"p50_ms"`
	P95         float64        `json:"p95_ms"`
	P99         float64        `json:"p99_ms"`
	RPS         float64        `json:"rps"`
	Status      map[string]int `json:"status,omitempty"`
}

// HypothesisResult is a hypothesis as judged.
type HypothesisResult struct {
	Name     string `json:"name"`
	During   string `json:"during,omitempty"`
	Expect   string `json:"expect"`
	Pass     bool   `json:"pass"`
	Observed string `json:"observed"`
}

// InvariantResult is a data invariant as checked after the run.
type InvariantResult struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

// FaultRecord says when a fault was due and when the proxy or process
// actually changed state.
type FaultRecord struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	Target      string    `json:"target"`
	Targets     []string  `json:"targets"`
	ScheduledAt time.Time `json:"scheduled_at"`
	AppliedAt   time.Time `json:"applied_at,omitzero"`
	RemovedAt   time.Time `json:"removed_at,omitzero"`
	// LateMS is how long after ScheduledAt the fault was in force.
	LateMS  float64 `json:"late_ms"`
	Visible bool    `json:"visible"`
	// Evidence says what showed the fault, or that nothing did.
	Evidence string `json:"evidence"`
	Error    string `json:"error,omitempty"`
}

// Second is one measured second of one endpoint.
type Second struct {
	S        int     `json:"s"`
	Endpoint string  `json:"endpoint"`
	Requests int64   `json:"requests"`
	Failed   int64   `json:"failed"`
	P50      float64 `json:"p50_ms"`
	P95      float64 `json:"p95_ms"`
	P99      float64 `json:"p99_ms"`
}

// Signal is one second of what the services' metrics said, summed over instances.
type Signal struct {
	S            int     `json:"s"`
	CallErrors   float64 `json:"call_errors"`   // calls between services that failed or timed out
	OutboxMax    float64 `json:"outbox_max"`    // events waiting in outboxes
	ConsumerLag  float64 `json:"consumer_lag"`  // events not yet acknowledged
	InstancesUp  int     `json:"instances_up"`  // instances that answered the scrape
	InstancesAll int     `json:"instances_all"` // instances scraped
}

// K6Check compares one endpoint's figures with k6's own summary.
type K6Check struct {
	LabRequests int64   `json:"lab_requests"`
	K6Requests  int64   `json:"k6_requests"`
	LabP95      float64 `json:"lab_p95_ms"`
	K6P95       float64 `json:"k6_p95_ms"`
}

// DrainResult says whether async work settled after the load.
type DrainResult struct {
	Settled bool    `json:"settled"`
	TookS   float64 `json:"took_s"`
	Detail  string  `json:"detail"`
}
