package contract

import "time"

// Transition is one change of a breaker's state, as an instance's
// GET /admin/resilience lists them. An outlier ejection is a breaker of
// one callee instance: its Edge names the instance (gateway->catalog-2),
// and it goes from closed to ejected and back to closed.
type Transition struct {
	Edge string    `json:"edge"`
	From string    `json:"from"`
	To   string    `json:"to"`
	At   time.Time `json:"at"`
}

// Metric names every instance serves on /metrics and the harness reads.
// The edge counters carry the labels callee and outcome.
const (
	MetricPrefix = "shop_"

	HTTPRequests        = "shop_http_requests_total"           // by route, method, code
	HTTPRequestDuration = "shop_http_request_duration_seconds" // histogram, by route
	ClientRequests      = "shop_client_requests_total"         // by callee instance, outcome
	ClientDuration      = "shop_client_request_duration_seconds"
	AttemptDuration     = "shop_client_attempt_duration_seconds" // histogram, by callee and target instance
	OutboxPending       = "shop_outbox_pending"
	InFlight            = "shop_http_in_flight_requests" // queued ones included
	ConsumerLag         = "shop_consumer_lag"
	EventsConsumed      = "shop_events_consumed_total" // by outcome
	EdgeCalls           = "shop_edge_calls_total"
	EdgeAttempts        = "shop_edge_attempts_total"
	EdgeRetries         = "shop_edge_retries_total"
	EdgeTimeouts        = "shop_edge_timeouts_total"
	EdgeRejections      = "shop_edge_bulkhead_rejections_total"
	EdgeFallbacks       = "shop_edge_fallbacks_total"
	EdgeBreakerState    = "shop_edge_breaker_state"   // 0 closed, 1 open, 2 half-open
	EdgeEjections       = "shop_edge_ejections_total" // instances taken out of rotation, by callee
	AdminResiliencePath = "/admin/resilience"
	AdminDrainPath      = "/admin/drain" // POST: deregister, keep serving until stopped
	HeartbeatEvery      = time.Second
)

// AttemptFailed reports whether one attempt's outcome (ClientRequests)
// says its callee instance failed it: an error, a timeout or a 5xx answer.
// A 4xx is an answer (out of stock), a cancelled attempt says nothing of
// the instance, and no_instance was never sent.
func AttemptFailed(outcome string) bool {
	return outcome == "error" || outcome == "timeout" || outcome == "status_5xx"
}

// Ejected is the state of a Transition that takes a callee instance out
// of its caller's rotation.
const Ejected = "ejected"

// Outcomes of a call on an edge (EdgeCalls, ClientRequests) that are not
// failures: OutcomeOK, and OutcomeCanceled, a call cut short because the
// caller's own request ended first (its client went away: k6 ends the
// warmup's iterations mid-request). A cancelled call says nothing of the
// callee, so the edge table counts it as a call but not as a failure.
const (
	OutcomeOK       = "ok"
	OutcomeCanceled = "canceled"
)

// Failed reports whether a call's outcome is a failure.
func Failed(outcome string) bool { return outcome != OutcomeOK && outcome != OutcomeCanceled }
