// Package lab is the harness's domain: the shape of the shop (its services,
// who calls whom, how many replicas), the names of instances and proxies, and
// the Runtime that brings a shop up. It imports only the standard library;
// runtimes live in subpackages (lab/process) and cmd/lab wires them.
//
// The picture every runtime builds:
//
//	load --[load->gateway-N]--> gateway --[gateway->catalog-N]--> catalog
//	                               |  \--[gateway->users-N]----> users
//	                               |   \-[gateway->inventory-N]> inventory
//	                               \-----[gateway->orders-N]---> orders --[orders->payments-N]--> payments
//	every service --[SERVICE.broker]--> NATS JetStream (events, registry, config)
package lab

import (
	"context"
	"fmt"
	"io"
	"lab/services/contract"
	"sort"
	"strings"
	"time"
)

// InstanceName returns the name of the n-th instance (from 1) of service.
func InstanceName(service string, n int) string { return fmt.Sprintf("%s-%d", service, n) }

// ServiceOf returns the service of an instance name ("catalog-2": catalog),
// or name itself when it is not an instance's.
func ServiceOf(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 && IsService(name[:i]) {
		return name[:i]
	}
	return name
}

// EdgeProxy names the proxy between caller and one callee instance.
func EdgeProxy(caller, instance string) string { return caller + "->" + instance }

// BrokerProxy names the proxy on service's link to the broker.
func BrokerProxy(service string) string { return service + ".broker" }

// IsService reports whether name is one of the Services.
func IsService(name string) bool {
	for _, s := range contract.Services {
		if s == name {
			return true
		}
	}
	return false
}

// Shape is what the shop looks like when it starts.
type Shape struct {
	// Replicas per service; a service not listed runs one instance.
	Replicas map[string]int
	// Config is written to the config bucket before any service starts
	// ("payments.mode": "sync", "catalog.work.wait": "5ms", ...).
	Config map[string]string
	// Seed seeds the catalog, the stock and the payment declines.
	Seed int64
	// Most is the most instances a service may run while the shop runs (an
	// autoscaler's max); runtimes plan room for them. A service not listed
	// never runs more than its Replicas.
	Most map[string]int
	// NoProxies wires every caller straight to its callee, with no Toxiproxy
	// proxy on any edge: the shop as it would run without the lab, to measure
	// what the proxies cost. Network faults have nothing to act on.
	NoProxies bool
	// Placement, on a runtime of several machines (swarm): PlacementSpread
	// (the default) takes the nodes in turn for each instance,
	// PlacementPack keeps every instance on the first node.
	Placement string
	// Constraints are placement constraints per service, as swarm writes
	// them (node.role==worker, node.labels.zone==a); all must hold.
	Constraints map[string][]string
	// Nodes says which node runs each instance (and the broker, as
	// "broker"), once a shop of several machines runs: node targets
	// (node:worker-1) resolve against it. Nil before, and on one machine.
	Nodes map[string]string
}

// Placements.
const (
	PlacementSpread = "spread"
	PlacementPack   = "pack"
)

// ReplicasOf returns how many instances of service the shape runs.
func (s Shape) ReplicasOf(service string) int {
	if n, ok := s.Replicas[service]; ok && n > 0 {
		return n
	}
	return 1
}

// MostOf returns the most instances of service the shop may run at once.
func (s Shape) MostOf(service string) int { return max(s.ReplicasOf(service), s.Most[service]) }

// Instance is one running instance of a service.
type Instance struct {
	Service string
	Name    string
	Addr    string // its own address, not through a proxy
	PID     int    // its process, or 0
	// Container is its container's short id, or "" outside containers.
	Container string
	// Node names the machine it runs on, on a runtime of several (swarm).
	Node string
}

// Proxy is one Toxiproxy proxy of the shop.
type Proxy struct {
	Name     string
	Listen   string
	Upstream string
}

// Action is something the harness does to an instance's process or container.
type Action string

// Actions on instances.
const (
	Kill    Action = "kill"    // SIGKILL; stays down until Start
	Stop    Action = "stop"    // SIGTERM, then SIGKILL after a grace period; stays down
	Start   Action = "start"   // start again an instance that is down
	Pause   Action = "pause"   // SIGSTOP
	Resume  Action = "resume"  // SIGCONT
	Restart Action = "restart" // Stop, then Start
)

// Exit reports an instance that ended without the harness asking it to.
type Exit struct {
	Instance string
	Err      error    // how it ended
	Last     []string // its last log lines
	At       time.Time
}

// Params are what a Runtime starts a shop with.
type Params struct {
	Shape Shape
	// Dir receives the instances' data and logs (logs/NAME.log). It must exist.
	Dir string
	// StartTimeout bounds the whole start; zero means DefaultStartTimeout.
	StartTimeout time.Duration
	// Progress, if not nil, receives a line per step of the start.
	Progress io.Writer
}

// DefaultStartTimeout bounds a start unless Params say otherwise.
const DefaultStartTimeout = 30 * time.Second

// Runtime brings shops up. Process and docker runtimes implement it.
type Runtime interface {
	// Name is the runtime's name: "process", "docker".
	Name() string
	// Start brings a shop of p.Shape up and returns once every instance is
	// ready. On error it returns the partial Shop together with the error;
	// the caller must Close it either way, once it is not nil.
	Start(ctx context.Context, p Params) (Shop, error)
}

// SpansNodes says whether rt's shops run on several nodes, whose names
// fault targets may give (node:NAME): a runtime says so with a SpansNodes
// method.
func SpansNodes(rt Runtime) bool {
	n, ok := rt.(interface{ SpansNodes() bool })
	return ok && n.SpansNodes()
}

// Describe names rt for people and reports: its name, and what it runs on
// when it says ("docker (Podman Engine 4.3.1)"). Name stays the word
// --runtime takes.
func Describe(rt Runtime) string {
	if d, ok := rt.(interface{ Describe() string }); ok {
		return d.Describe()
	}
	return rt.Name()
}

// Shop is a running shop.
type Shop interface {
	// GatewayURL is where the load goes: the gateway, through its proxy.
	GatewayURL() string
	// ToxiproxyURL is the Toxiproxy HTTP API that controls every proxy.
	ToxiproxyURL() string
	// BrokerURL reaches the broker directly, for the harness.
	BrokerURL() string
	// Instances lists the instances, sorted by name.
	Instances() []Instance
	// Proxies lists the proxies, sorted by name.
	Proxies() []Proxy
	// Do applies action to instance. It returns once the process or
	// container has changed state, or with ErrUnknownInstance.
	Do(ctx context.Context, instance string, action Action) error
	// Exits reports instances that ended unasked. It is closed by Close.
	Exits() <-chan Exit
	// Close stops everything the shop started, releasing every process,
	// port and container; it is safe to call more than once.
	Close() error
}

// Scaler is implemented by shops whose services can grow and shrink while
// they run (an autoscaler's hands).
type Scaler interface {
	// AddInstance starts one more instance of service, with its proxies
	// and routes, and returns it once it answers /readyz; callers take it
	// into their rotation as they hear of its registration.
	AddInstance(ctx context.Context, service string) (Instance, error)
	// RemoveInstance takes an instance out gracefully: it deregisters,
	// callers stop picking it, what it serves finishes, then it stops and
	// its proxies go. It returns once it has ended.
	RemoveInstance(ctx context.Context, name string) error
}

// Processes is implemented by shops that can name every process they run
// on this machine (instances, broker, Toxiproxy when it runs apart), by
// name, with its host PID; `lab bench` reads their memory from /proc.
type Processes interface {
	PIDs(ctx context.Context) (map[string]int, error)
}

// SortInstances sorts instances by service order, then by name.
func SortInstances(in []Instance) {
	rank := map[string]int{}
	for i, s := range contract.Services {
		rank[s] = i
	}
	sort.Slice(in, func(i, j int) bool {
		if rank[in[i].Service] != rank[in[j].Service] {
			return rank[in[i].Service] < rank[in[j].Service]
		}
		return in[i].Name < in[j].Name
	})
}

// Plural picks one or many for n: "1 node", "2 nodes". (lab/results, which
// links nothing of the lab's, keeps a copy.)
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
