package experiment

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"lab/internal/promtext"
	"lab/lab"
	"lab/lab/results"
	"lab/services/contract"
)

// scraper reads every instance's /metrics each second and keeps what the
// verdict needs: failed calls between services, outbox depth, consumer lag,
// and per edge the calls, attempts, retries, timeouts, rejections,
// fallbacks and breaker state, as per-second deltas summed over instances.
type scraper struct {
	shop lab.Shop
	t0   time.Time
	hc   *http.Client
	// stream reads consumer lag from the broker's side: a consumer that
	// is down cannot report its own backlog.
	stream jetstream.Stream

	mu      sync.Mutex
	signals []results.Signal
	edges   []results.EdgeSecond
	last    map[string]map[string]float64  // instance -> counter key -> last value
	trans   map[string]contract.Transition // instance/at/to -> transition
	// What the autoscalers read: each instance's latest reading, and the
	// p95 of the calls into each service in the latest second.
	readings  map[string]reading
	calleeP95 map[string]float64
	scrapedAt time.Time // the latest scrape
}

// reading is one instance's latest load: its CPU share (of one core,
// over the seconds since its previous scrape), requests in flight, and the
// lag of its consumers.
//
// In flight is the larger of the gauge at the scrape (which sees a queue
// at once) and the average over the seconds since the previous scrape
// (Little's law: the time its requests took, summed, over the time; an
// instant's gauge of a steady load mostly reads 0 or 1).
type reading struct {
	at       time.Time
	cpu      float64 // process CPU seconds, as read
	busy     float64 // seconds its requests took, summed, as read
	cpuShare float64
	inFlight float64
	lag      float64
}

func newScraper(shop lab.Shop, t0 time.Time, js jetstream.JetStream) *scraper {
	s := &scraper{shop: shop, t0: t0, hc: &http.Client{Timeout: 800 * time.Millisecond},
		last: map[string]map[string]float64{}, trans: map[string]contract.Transition{},
		readings: map[string]reading{}, calleeP95: map[string]float64{}}
	if js != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.stream, _ = js.Stream(ctx, contract.Stream)
	}
	return s
}

// brokerLag sums, over the durable consumers, what the broker holds for
// them: not yet delivered, or delivered and not acknowledged.
func (s *scraper) brokerLag(ctx context.Context) (float64, bool) {
	if s.stream == nil {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, 800*time.Millisecond)
	defer cancel()
	lag := 0.0
	list := s.stream.ListConsumers(ctx)
	for ci := range list.Info() {
		if ci.Config.Durable != "" {
			lag += float64(ci.NumPending) + float64(ci.NumAckPending)
		}
	}
	return lag, list.Err() == nil
}

// run scrapes every second until ctx ends.
func (s *scraper) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.once(ctx, now)
		}
	}
}

// sample is what one scrape of one instance read.
type sample struct {
	instance string
	service  string
	ok       bool
	counters map[string]float64 // key: "metric|callee|outcome"
	outbox   float64
	lag      float64
	breaker  map[string]float64 // callee -> state
	cpu      float64            // process CPU seconds
	busy     float64            // the request duration histogram's sum
	inFlight float64
}

func (s *scraper) once(ctx context.Context, now time.Time) results.Signal {
	ins := s.shop.Instances()
	res := make([]sample, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = s.scrapeOne(ctx, in)
		}()
	}
	lag, lagOK := s.brokerLag(ctx)
	wg.Wait()
	sec := int(now.Sub(s.t0) / time.Second)
	sig := results.Signal{S: sec, InstancesAll: len(ins)}
	edges := map[string]*results.EdgeSecond{}
	edge := func(name string) *results.EdgeSecond {
		if edges[name] == nil {
			edges[name] = &results.EdgeSecond{S: sec, Edge: name}
		}
		return edges[name]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range res {
		if !r.ok {
			continue
		}
		sig.InstancesUp++
		sig.OutboxMax += r.outbox
		if !lagOK {
			sig.ConsumerLag += r.lag
		}
		rd := reading{at: now, cpu: r.cpu, busy: r.busy, inFlight: r.inFlight, lag: r.lag}
		if prev, ok := s.readings[r.instance]; ok && now.After(prev.at) && r.cpu >= prev.cpu && r.busy >= prev.busy {
			dt := now.Sub(prev.at).Seconds()
			rd.cpuShare = (r.cpu - prev.cpu) / dt
			rd.inFlight = max(rd.inFlight, (r.busy-prev.busy)/dt)
		}
		s.readings[r.instance] = rd
		last := s.last[r.instance]
		s.last[r.instance] = r.counters
		for key, v := range r.counters {
			prev, seen := last[key]
			switch {
			case last == nil: // the instance's first scrape: a baseline only
				continue
			case !seen, v < prev: // a new series, or the instance restarted and counts from 0
				prev = 0
			}
			d := v - prev
			if d == 0 {
				continue
			}
			metric, callee, outcome := splitKey(key)
			if metric == "edge_calls" && contract.Failed(outcome) {
				sig.CallErrors += d // a failed call, as the edge table counts it
			}
			if metric == "consumed" {
				if outcome == "redelivered" || outcome == "stalled" || outcome == "retry" {
					sig.Redeliveries += d
				}
				continue // not an edge
			}
			if callee, target, ok := strings.Cut(callee, ">"); ok { // an attempt to one callee instance
				if target != "" && (metric == "latency" || outcome != contract.OutcomeCanceled) {
					instanceAttempts(edge(r.service+"->"+callee), target, metric, outcome, d)
				}
				continue
			}
			e := edge(r.service + "->" + callee)
			switch metric {
			case "edge_calls":
				e.Calls += d
				if contract.Failed(outcome) {
					e.Failed += d
				}
			case "attempts":
				e.Attempts += d
			case "retries":
				e.Retries += d
			case "timeouts":
				e.Timeouts += d
			case "rejections":
				e.Rejections += d
			case "fallbacks":
				e.Fallbacks += d
			case "ejections":
				e.Ejections += d
			case "latency":
				if e.Latency == nil {
					e.Latency = map[string]float64{}
				}
				e.Latency[outcome] += d // outcome holds the bucket's upper bound
			}
		}
		for callee, st := range r.breaker {
			e := edge(r.service + "->" + callee)
			e.Breaker = max(e.Breaker, int(st))
		}
	}
	// The state the report's transitions say, where they say one: the
	// dashboard, the edge series and the breaker reactions tell one story.
	for name, e := range edges {
		if st, ok := s.breakerAtLocked(name, now); ok {
			e.Breaker = st
		}
	}
	if lagOK {
		sig.ConsumerLag = lag
	}
	calls := map[string]map[string]float64{} // callee -> its callers' latency buckets, summed
	for name, e := range edges {
		_, callee, _ := strings.Cut(name, "->")
		calls[callee] = results.AddBuckets(calls[callee], e.Latency)
	}
	s.scrapedAt = now
	clear(s.calleeP95)
	for callee, b := range calls {
		s.calleeP95[callee] = results.BucketQuantile(b, 0.95)
	}
	s.signals = append(s.signals, sig)
	for _, e := range edges {
		s.edges = append(s.edges, *e)
	}
	return sig
}

// instanceAttempts adds d attempts of outcome to target (one instance of
// e's callee) in e, or d to its latency bucket le (metric "latency",
// outcome the bucket's bound).
func instanceAttempts(e *results.EdgeSecond, target, metric, outcome string, d float64) {
	if e.Instances == nil {
		e.Instances = map[string]results.InstanceCalls{}
	}
	c := e.Instances[target]
	switch metric {
	case "latency":
		if c.Latency == nil {
			c.Latency = map[string]float64{}
		}
		c.Latency[outcome] += d
	default:
		c.Attempts += d
		if contract.AttemptFailed(outcome) {
			c.Failed += d
		}
	}
	e.Instances[target] = c
}

func splitKey(k string) (metric, callee, outcome string) {
	parts := strings.SplitN(k, "|", 3)
	return parts[0], parts[1], parts[2]
}

var counterNames = map[string]string{
	contract.ClientRequests: "calls",
	contract.EdgeCalls:      "edge_calls",
	contract.EdgeAttempts:   "attempts",
	contract.EdgeRetries:    "retries",
	contract.EdgeTimeouts:   "timeouts",
	contract.EdgeRejections: "rejections",
	contract.EdgeFallbacks:  "fallbacks",
	contract.EdgeEjections:  "ejections",
	contract.EventsConsumed: "consumed",
}

func (s *scraper) scrapeOne(ctx context.Context, in lab.Instance) sample {
	out := sample{instance: in.Name, service: in.Service, counters: map[string]float64{}, breaker: map[string]float64{}}
	err := promtext.Get(ctx, s.hc, "http://"+in.Addr+"/metrics", "", func(name string, labels map[string]string, v float64) {
		switch {
		case name == "process_cpu_seconds_total":
			out.cpu = v
		case name == contract.InFlight:
			out.inFlight = v
		case name == contract.HTTPRequestDuration+"_sum":
			out.busy += v
		case counterNames[name] != "":
			callee := labels["callee"]
			switch name {
			case contract.EventsConsumed:
				callee = labels["consumer"]
			case contract.ClientRequests:
				callee += ">" + labels["target"]
			}
			key := counterNames[name] + "|" + callee + "|" + labels["outcome"]
			out.counters[key] += v
		case name == contract.ClientDuration+"_bucket":
			out.counters["latency|"+labels["callee"]+"|"+labels["le"]] += v
		case name == contract.AttemptDuration+"_bucket":
			out.counters["latency|"+labels["callee"]+">"+labels["target"]+"|"+labels["le"]] += v
		case name == contract.OutboxPending:
			out.outbox += v
		case name == contract.ConsumerLag:
			out.lag += v
		case name == contract.EdgeBreakerState:
			out.breaker[labels["callee"]] = v
		}
	})
	if err != nil {
		return out
	}
	out.ok = true
	if len(contract.Calls[in.Service]) > 0 {
		s.transitions(ctx, in)
	}
	return out
}

// transitions fetches the breaker transitions of a caller instance.
func (s *scraper) transitions(ctx context.Context, in lab.Instance) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.Addr+contract.AdminResiliencePath, nil)
	resp, err := s.hc.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var body struct{ Transitions []contract.Transition }
	if json.NewDecoder(resp.Body).Decode(&body) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range body.Transitions {
		s.trans[in.Name+"|"+t.At.String()+"|"+t.To] = t
	}
}

// breakerAtLocked returns edge's breaker state at t from the transitions
// record (0 closed, 1 open, 2 half-open): the worst of its caller
// instances' latest transitions at or before t; ok is false when no
// instance has recorded one. s.mu is held.
func (s *scraper) breakerAtLocked(edge string, t time.Time) (state int, ok bool) {
	latest := map[string]contract.Transition{}
	for k, tr := range s.trans {
		inst := k[:strings.IndexByte(k, '|')]
		if tr.Edge != edge || tr.At.After(t) {
			continue
		}
		if l, seen := latest[inst]; !seen || tr.At.After(l.At) {
			latest[inst] = tr
		}
	}
	for _, tr := range latest {
		ok = true
		state = max(state, map[string]int{"closed": 0, "open": 1, "half-open": 2}[tr.To])
	}
	return state, ok
}

// Signals returns what was scraped so far.
func (s *scraper) Signals() []results.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]results.Signal{}, s.signals...)
}

// Edges returns the per-second edge figures scraped so far.
func (s *scraper) Edges() []results.EdgeSecond {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]results.EdgeSecond{}, s.edges...)
}

// Transitions returns every breaker transition seen, in time order.
func (s *scraper) Transitions() []results.BreakerTransition {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []results.BreakerTransition
	for k, t := range s.trans {
		inst := k[:strings.IndexByte(k, '|')]
		out = append(out, results.BreakerTransition{Edge: t.Edge, Instance: inst, From: t.From, To: t.To, At: t.At,
			AtS: t.At.Sub(s.t0).Seconds()})
	}
	results.SortTransitions(out)
	return out
}
