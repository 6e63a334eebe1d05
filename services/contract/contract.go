// Package contract is what the shop and the harness agree on, and nothing
// else: the services and who calls whom, the endpoints of the built-in
// journeys, the broker's stream, buckets and subjects, the config keys the
// harness writes and the services read, the wire formats of HTTP and
// consumer faults and of breaker transitions, the metric names the harness
// scrapes, and the names of the data invariants.
//
// Both sides import it; it imports only the standard library, so a change
// to the contract is one change, seen by both.
package contract

// Services are the shop's services, in the order the harness lists them.
var Services = []string{"gateway", "users", "catalog", "inventory", "orders", "payments", "notifications"}

// Consumers are the services that consume events from the stream, in the
// order of Services: the targets of consumer faults and of the lag metric.
var Consumers = []string{"inventory", "orders", "payments", "notifications"}

// Calls lists, for each caller, the services it calls over HTTP, as each
// service declares them (kit.Service.Callees; a test holds the two
// together). Each such call crosses the proxy of its edge.
var Calls = map[string][]string{
	"gateway": {"users", "catalog", "inventory", "orders"},
	"orders":  {"catalog", "inventory", "payments"},
}

// LoadCaller is the caller's name on the edges in front of the gateway.
const LoadCaller = "load"

// Endpoints are the endpoint names of the built-in journeys: the k6 `name`
// tag of each request, and the endpoints of every result.
var Endpoints = []string{"browse", "product", "login", "checkout", "order", "register"}

// Invariants are the data invariants the harness checks after a run, in
// the order it checks them.
var Invariants = []string{"orders-settled", "charged-once", "charges-match-orders", "stock-conserved", "notified-once", "no-event-lost"}
