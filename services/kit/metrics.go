package kit

import (
	"lab/services/contract"
	"math"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is one instance's Prometheus registry and the collectors kit itself
// keeps. Every series carries the labels service and instance, so scrapes of
// many instances can be merged without relabelling.
type Metrics struct {
	Registry *prometheus.Registry
	// Reg registers a service's own collectors with the instance labels.
	Reg prometheus.Registerer

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	queued   prometheus.Gauge
	calls    *prometheus.CounterVec
	callTime *prometheus.HistogramVec
	// attemptTime is per callee instance, so the harness can tell which
	// instance of a service went slow.
	attemptTime *prometheus.HistogramVec
	outbox      *scrapedGauge
	published   prometheus.Counter
	lag         *prometheus.GaugeVec
	consumed    *prometheus.CounterVec

	edgeCalls  *prometheus.CounterVec
	attempts   *prometheus.CounterVec
	retries    *prometheus.CounterVec
	timeouts   *prometheus.CounterVec
	rejections *prometheus.CounterVec
	fallbacks  *prometheus.CounterVec
	breaker    *prometheus.GaugeVec
	ejections  *prometheus.CounterVec
}

// latencyBuckets run from 0.5 ms to 10 s.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// NewMetrics returns the registry of one instance.
func NewMetrics(service, instance string) *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg := prometheus.WrapRegistererWith(prometheus.Labels{"service": service, "instance": instance}, r)
	m := &Metrics{Registry: r, Reg: reg}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: contract.HTTPRequests, Help: "HTTP requests served, by route, method and status code.",
	}, []string{"route", "method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: contract.HTTPRequestDuration, Help: "Time to serve an HTTP request, by route.",
		Buckets: latencyBuckets,
	}, []string{"route"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: contract.InFlight, Help: "Requests being served now, queued ones included.",
	})
	m.queued = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "shop_capacity_queue_length", Help: "Requests waiting for a slot of the capacity model.",
	})
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: contract.ClientRequests, Help: "Calls to other services, by callee instance and outcome.",
	}, []string{"callee", "target", "outcome"})
	m.callTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: contract.ClientDuration, Help: "Time of calls to other services, by callee.",
		Buckets: latencyBuckets,
	}, []string{"callee"})
	m.attemptTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: contract.AttemptDuration, Help: "Time of each attempt sent to a callee instance, retries included.",
		Buckets: latencyBuckets,
	}, []string{"callee", "target"})
	m.outbox = &scrapedGauge{desc: prometheus.NewDesc(contract.OutboxPending,
		"Events written to the outbox and not yet published, counted when scraped.", nil, nil)}
	m.published = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "shop_outbox_published_total", Help: "Events published from the outbox.",
	})
	m.lag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: contract.ConsumerLag, Help: "Messages not yet acknowledged by a durable consumer.",
	}, []string{"consumer"})
	m.consumed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: contract.EventsConsumed, Help: "Events handled by a consumer, by outcome.",
	}, []string{"consumer", "outcome"})
	edge := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"callee"})
	}
	m.edgeCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: contract.EdgeCalls, Help: "Calls on an edge as the caller's code made them, by outcome (retries inside).",
	}, []string{"callee", "outcome"})
	m.attempts = edge(contract.EdgeAttempts, "Requests sent upstream on an edge, retries included.")
	m.retries = edge(contract.EdgeRetries, "Retries on an edge.")
	m.timeouts = edge(contract.EdgeTimeouts, "Attempts on an edge that ran past their timeout.")
	m.rejections = edge(contract.EdgeRejections, "Calls on an edge rejected by a full bulkhead.")
	m.fallbacks = edge(contract.EdgeFallbacks, "Degraded answers served because a call on an edge failed.")
	m.breaker = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: contract.EdgeBreakerState, Help: "The edge's circuit breaker: 0 closed, 1 open, 2 half-open.",
	}, []string{"callee"})
	m.ejections = edge(contract.EdgeEjections, "Callee instances taken out of rotation on an edge by outlier ejection.")
	reg.MustRegister(m.edgeCalls, m.attempts, m.retries, m.timeouts, m.rejections, m.fallbacks, m.breaker, m.ejections)
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.queued, m.calls, m.callTime, m.attemptTime,
		m.outbox, m.published, m.lag, m.consumed)
	return m
}

// scrapedGauge is a gauge computed when it is scraped: the harness judges
// on it, so it must say what is true at the scrape, not what a busy loop
// last got round to setting (an outbox relay stuck in a publish timeout
// while the broker is down set it once a batch, and the backlog did not
// show). Until count is set it reads 0; a failed count reads the last one.
type scrapedGauge struct {
	desc  *prometheus.Desc
	count atomic.Pointer[func() (float64, error)]
	last  atomic.Uint64 // math.Float64bits of the last good count
}

func (g *scrapedGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *scrapedGauge) Collect(ch chan<- prometheus.Metric) {
	v := math.Float64frombits(g.last.Load())
	if count := g.count.Load(); count != nil {
		if n, err := (*count)(); err == nil {
			v = n
			g.last.Store(math.Float64bits(n))
		}
	}
	ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, v)
}
