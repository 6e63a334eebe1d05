package results

import (
	"fmt"
	"strings"
	"time"
)

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
	// InvariantCheckS is how long the invariant check took.
	InvariantCheckS float64       `json:"invariant_check_s"`
	Faults          []FaultRecord `json:"faults"`
	// BlastRadius says, per fault, how each endpoint and service fared
	// against the baseline, and how soon each endpoint recovered.
	BlastRadius []Impact `json:"blast_radius,omitempty"`
	// Replicas is how many instances of each service ran.
	Replicas map[string]int `json:"replicas,omitempty"`
	// Placement names the node each instance ran on, on a runtime of
	// several machines (swarm).
	Placement map[string]string `json:"placement,omitempty"`
	// Scaling says, when the load varied or services ran replicas, how much
	// each endpoint served per replica and where its latency bent upward.
	Scaling []Scaling `json:"scaling,omitempty"`
	// Series holds every measured second, per endpoint, for charts.
	Series []Second `json:"series"`
	// Signals are what the harness scraped from the services each second.
	Signals []Signal `json:"signals,omitempty"`
	// Thresholds are the thresholds of the user's k6 script, as k6 judged
	// them; a crossed one fails the verdict. Built-in journeys have none.
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
	// Aborted says k6 stopped the load early (a threshold with
	// abortOnFail), and when.
	Aborted string `json:"aborted,omitempty"`
	// Load says how many k6 generators ran and where, when more than one
	// did (--load-nodes).
	Load *LoadGenerators `json:"load_generators,omitempty"`
	// Ramp says where a ramp with until: knee ended: at its knee, or at
	// its bound before latency bent.
	Ramp string `json:"ramp,omitempty"`
	// K6 cross-checks the lab's figures with k6's own end-of-test summary.
	K6 map[string]K6Check `json:"k6,omitempty"`
	// Drain says how the async work settled after the load.
	Drain DrainResult `json:"drain"`
	// Edges holds every scraped second of every edge; Breakers every
	// breaker transition.
	Edges    []EdgeSecond        `json:"edges,omitempty"`
	Breakers []BreakerTransition `json:"breakers,omitempty"`
	// Autoscale is what the autoscalers did, when the scenario had any.
	Autoscale *Autoscaling `json:"autoscale,omitempty"`
	// Compare holds the control run of --compare; the fields above are the
	// experiment's, and so are the verdict and the exit code.
	Compare *Compare `json:"compare,omitempty"`
}

// Phase is a stretch of the measured load: baseline, a fault's window, recovery.
type Phase struct {
	Name      string                   `json:"name"`
	Start     time.Time                `json:"start"`
	End       time.Time                `json:"end"`
	StartS    int                      `json:"start_s"`
	EndS      int                      `json:"end_s"`
	Endpoints map[string]EndpointStats `json:"endpoints"`
	Edges     map[string]EdgeStats     `json:"edges,omitempty"`
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
	// NotExercised says the run gave it nothing to check (no order, no
	// event): it held trivially, is shown as such, and is not counted as
	// held.
	NotExercised bool `json:"not_exercised,omitempty"`
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
	// ApplyStartedAt and RemoveStartedAt are stamped before the calls that
	// apply and remove the fault, AppliedAt and RemovedAt after: the fault
	// took effect, and ended, somewhere within each pair. Evidence is judged
	// against the pairs, so what happens while a call is in flight (a
	// breaker closing as the toxic goes) is neither before nor after.
	ApplyStartedAt  time.Time `json:"apply_started_at,omitzero"`
	RemoveStartedAt time.Time `json:"remove_started_at,omitzero"`
	// LateMS is how long after ScheduledAt the fault was in force.
	LateMS  float64 `json:"late_ms"`
	Visible bool    `json:"visible"`
	// Evidence says what showed the fault, or that nothing did.
	Evidence string `json:"evidence"`
	Error    string `json:"error,omitempty"`
	// Unplanned marks a fault the lab did not inject (kind unplanned_exit):
	// an instance that ended without the lab asking.
	Unplanned bool `json:"unplanned,omitempty"`
	// Breakers says, per edge whose breaker moved, how it answered the fault.
	Breakers []BreakerReaction `json:"breakers,omitempty"`
}

// LoadGenerators are the k6 processes of a run, each running its execution
// segment of the test.
type LoadGenerators struct {
	Count int    `json:"count"`
	Where string `json:"where"`
	// Nodes says where each ran, when they ran as tasks of the runtime's
	// nodes (--load-nodes on a swarm).
	Nodes []string `json:"nodes,omitempty"`
	// SkewMS is how far apart they started.
	SkewMS float64 `json:"skew_ms"`
}

// OnNodes is the generators that ran as tasks on the runtime's nodes, one
// entry of nodes each: Where names each node once, in their order.
func OnNodes(nodes []string, skewMS float64) *LoadGenerators {
	order, _ := perNode(nodes)
	return &LoadGenerators{Count: len(nodes), Where: strings.Join(order, ", "), Nodes: nodes, SkewMS: skewMS}
}

// Describe says how many generators ran where: "2 k6 generators on vm",
// "3 k6 generators as tasks: 2 on vm, 1 on lab-node2" (a swarm's nodes).
func (g *LoadGenerators) Describe() string {
	many := "s"
	if g.Count == 1 {
		many = ""
	}
	if len(g.Nodes) == 0 {
		return fmt.Sprintf("%d k6 generator%s on %s", g.Count, many, g.Where)
	}
	order, count := perNode(g.Nodes)
	var parts []string
	for _, n := range order {
		parts = append(parts, fmt.Sprintf("%d on %s", count[n], n))
	}
	return fmt.Sprintf("%d k6 generator%s as tasks: %s", g.Count, many, strings.Join(parts, ", "))
}

// perNode counts the generators of each node, the nodes in the order they
// first come.
func perNode(nodes []string) (order []string, count map[string]int) {
	count = map[string]int{}
	for _, n := range nodes {
		if count[n] == 0 {
			order = append(order, n)
		}
		count[n]++
	}
	return order, count
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
	CallErrors   float64 `json:"call_errors"`   // calls between services that failed, after retries: the edge table's "failed"
	OutboxMax    float64 `json:"outbox_max"`    // events waiting in outboxes
	ConsumerLag  float64 `json:"consumer_lag"`  // events not yet acknowledged
	Redeliveries float64 `json:"redeliveries"`  // events handled again, or left unacknowledged
	InstancesUp  int     `json:"instances_up"`  // instances that answered the scrape
	InstancesAll int     `json:"instances_all"` // instances scraped
}

// K6Check compares one endpoint's figures with k6's own summary.
type K6Check struct {
	LabRequests int64   `json:"lab_requests"`
	K6Requests  int64   `json:"k6_requests"`
	LabP95      float64 `json:"lab_p95_ms"`
	K6P95       float64 `json:"k6_p95_ms"`
	// K6PerGenerator are each generator's own count, when several ran
	// (their sum is K6Requests; k6's p95s of several do not add up, and
	// K6P95 is then 0).
	K6PerGenerator []int64 `json:"k6_requests_per_generator,omitempty"`
}

// DrainResult says whether async work settled after the load.
type DrainResult struct {
	Settled bool    `json:"settled"`
	TookS   float64 `json:"took_s"`
	Detail  string  `json:"detail"`
}

// EdgeSecond is one second of one edge (caller->callee), summed over the
// caller's instances.
type EdgeSecond struct {
	S          int     `json:"s"`
	Edge       string  `json:"edge"`
	Calls      float64 `json:"calls"`               // calls the caller's code made
	Failed     float64 `json:"failed"`              // of which failed, after retries
	Attempts   float64 `json:"attempts"`            // requests sent upstream
	Retries    float64 `json:"retries"`             //
	Timeouts   float64 `json:"timeouts"`            // attempts past their timeout
	Rejections float64 `json:"rejections"`          // refused by a full bulkhead
	Fallbacks  float64 `json:"fallbacks"`           // degraded answers served
	Ejections  float64 `json:"ejections,omitempty"` // callee instances taken out of rotation (outlier ejection)
	Breaker    int     `json:"breaker"`             // 0 closed, 1 open, 2 half-open (the worst instance), from the breaker transitions
	// Latency counts the second's attempts by the time they took, as the
	// callers' histogram does: cumulative, keyed by upper bound in seconds
	// ("0.005", "+Inf").
	Latency map[string]float64 `json:"latency_buckets,omitempty"`
	// Instances are the second's attempts by the callee instance they went
	// to (catalog-2), for the blast radius of one instance or node.
	Instances map[string]InstanceCalls `json:"instances,omitempty"`
}

// InstanceCalls are the attempts the callers on an edge sent to one callee
// instance, each counted once whatever call it was part of.
type InstanceCalls struct {
	Attempts float64 `json:"attempts"`
	// Failed is the attempts the instance failed: errors, timeouts, 5xx
	// answers (contract.AttemptFailed).
	Failed float64 `json:"failed"`
	// Latency counts the attempts by their time as Latency of an edge does;
	// P95 is its p95 in ms, over a phase.
	Latency map[string]float64 `json:"latency_buckets,omitempty"`
	P95     float64            `json:"p95_ms,omitempty"`
}

// add adds o's counts to c.
func (c InstanceCalls) add(o InstanceCalls) InstanceCalls {
	c.Attempts += o.Attempts
	c.Failed += o.Failed
	c.Latency = AddBuckets(c.Latency, o.Latency)
	return c
}

// AddBuckets adds the latency buckets of src to dst (made when nil) and
// returns dst: histograms of the same bounds add bucket by bucket.
func AddBuckets(dst, src map[string]float64) map[string]float64 {
	for le, n := range src {
		if dst == nil {
			dst = map[string]float64{}
		}
		dst[le] += n
	}
	return dst
}

// EdgeStats sums an edge over a phase.
type EdgeStats struct {
	Calls         float64 `json:"calls"`
	Failed        float64 `json:"failed"`
	Attempts      float64 `json:"attempts"`
	Amplification float64 `json:"amplification"` // attempts per call
	// Unsent is calls that sent no attempt at all: refused by an open
	// breaker or a full bulkhead (calls - (attempts - retries)). It is why
	// attempts per call can be below 1.
	Unsent float64 `json:"unsent"`
	// P95 is the p95 of the edge's attempts, in ms, from Latency (the
	// callers' histogram, interpolated within its bucket); 0 without any.
	P95        float64            `json:"p95_ms,omitempty"`
	Latency    map[string]float64 `json:"latency_buckets,omitempty"`
	Retries    float64            `json:"retries"`
	Timeouts   float64            `json:"timeouts"`
	Rejections float64            `json:"rejections"`
	Fallbacks  float64            `json:"fallbacks"`
	Ejections  float64            `json:"ejections,omitempty"`
	// Instances sums the attempts per callee instance over the phase.
	Instances map[string]InstanceCalls `json:"instances,omitempty"`
}

// BreakerTransition is one change of state of an edge's breaker in one
// caller instance, at the time the instance recorded it. An outlier
// ejection is the breaker of one callee instance: its Edge names the
// instance (gateway->catalog-2), and it goes to Ejected and back to closed.
type BreakerTransition struct {
	Edge     string    `json:"edge"`
	Instance string    `json:"instance"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	At       time.Time `json:"at"`
	AtS      float64   `json:"at_s"` // seconds since the start of the measured load
}

// Ejected is the state of a BreakerTransition that takes a callee
// instance out of its caller's rotation.
const Ejected = "ejected"

// BreakerReaction says how an edge's breaker answered a fault, or, with
// Ejection, how a caller's outlier ejection of one callee instance did
// (Opened: ejected; Closed: back in the rotation).
type BreakerReaction struct {
	Edge     string `json:"edge"`
	Ejection bool   `json:"ejection,omitempty"`
	// OpenedAfterS is the time from the fault's start to the breaker's
	// first opening in its window; ClosedAfterS from the fault's end to the
	// breaker's closing after it. Absent when it did not happen.
	OpenedAfterS *float64 `json:"opened_after_s,omitempty"`
	ClosedAfterS *float64 `json:"closed_after_s,omitempty"`
}

// Compare holds the control run of `lab run --compare KEY=VALUE`: the same
// scenario and seed with KEY=VALUE. The Result around it is the experiment.
type Compare struct {
	Key     string         `json:"key"`
	Value   string         `json:"value"`
	Control ControlResult  `json:"control"`
	Summary string         `json:"summary"`
	Deltas  []CompareDelta `json:"deltas"`
}

// ControlResult is what the control run found.
type ControlResult struct {
	Verdict    string             `json:"verdict"`
	Reason     string             `json:"reason"`
	Phases     []Phase            `json:"phases"`
	Hypotheses []HypothesisResult `json:"hypotheses"`
	Invariants []InvariantResult  `json:"invariants"`
	Faults     []FaultRecord      `json:"faults"`
	Replicas   map[string]int     `json:"replicas,omitempty"`
	Scaling    []Scaling          `json:"scaling,omitempty"`
}

// CompareDelta is one endpoint in one phase, experiment against control.
type CompareDelta struct {
	Phase           string  `json:"phase"`
	Endpoint        string  `json:"endpoint"`
	SuccessRate     float64 `json:"success_rate"`
	ControlSuccess  float64 `json:"control_success_rate"`
	P95             float64 `json:"p95_ms"`
	ControlP95      float64 `json:"control_p95_ms"`
	SuccessDeltaPts float64 `json:"success_delta_pts"` // experiment minus control, in points
	P95Ratio        float64 `json:"p95_ratio"`         // experiment over control
}
