package contract

// Keys of the config bucket that the harness writes and the services read.
// A key may be scoped to one instance ("catalog-2.catalog.work.wait").
const (
	// PaymentModeKey is "sync" (orders calls payments) or "async" (payments
	// consumes OrderPlaced).
	PaymentModeKey = "payments.mode"
	// IdempotencyKey turns the shop's deduplication off when "off": the
	// lesson of duplicate-delivery.
	IdempotencyKey = "shop.idempotency"
	// AuthSecretKey holds the secret users signs tokens with and the
	// gateway checks them with.
	AuthSecretKey = "auth.secret"
	// ResiliencePresetKey names the preset of resilience policies
	// (Presets); per-edge overrides are merged over it.
	ResiliencePresetKey = "resilience.preset"
)

// Presets are the names of the sets of resilience policies the services
// know (kit.Presets holds each set; a test holds the two together).
var Presets = []string{"default", "naive-retries", "none"}

// RouteKey is the config key under which the harness tells caller how to
// reach one instance of a callee: the address of the proxy to dial.
func RouteKey(caller, instance string) string { return "route." + caller + "." + instance }

// ResilienceEdgeKey is the config key of the policy override for
// caller->callee: a JSON object of the policy's fields.
func ResilienceEdgeKey(caller, callee string) string {
	return "resilience.edge." + caller + "." + callee
}

// HTTPFaultPrefix starts every HTTP fault key of instance.
func HTTPFaultPrefix(instance string) string { return "fault.http." + instance + "." }

// HTTPFaultKey is the config key of an HTTP fault on one instance. The
// instance's middleware applies every fault under HTTPFaultPrefix to its
// requests (probes and metrics excepted).
func HTTPFaultKey(instance, fault string) string { return HTTPFaultPrefix(instance) + fault }

// HTTPFault is the value under an HTTPFaultKey.
type HTTPFault struct {
	Status  int     `json:"status,omitempty"`   // answer with this status instead
	DelayMS int64   `json:"delay_ms,omitempty"` // wait this long first
	Share   float64 `json:"share"`              // share of requests affected
	Count   int     `json:"count,omitempty"`    // only the next N requests (0: no bound)
}

// ConsumeFaultPrefix starts every consumer fault key of instance.
func ConsumeFaultPrefix(instance string) string { return "fault.consume." + instance + "." }

// ConsumeFaultKey is the config key of a consumer fault on one instance.
func ConsumeFaultKey(instance, fault string) string { return ConsumeFaultPrefix(instance) + fault }

// ConsumeFault is the value under a ConsumeFaultKey: redeliver a share of
// the events after handling them (a duplicate delivery), or stall (stop
// acknowledging, so the broker delivers again after the ack wait).
type ConsumeFault struct {
	Redeliver float64 `json:"redeliver,omitempty"`
	Stall     bool    `json:"stall,omitempty"`
}
