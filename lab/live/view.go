package live

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"lab/faults"
	"lab/internal/promtext"
	"lab/lab"
	"lab/services/contract"
)

// View is the live view of a shop that `lab up` keeps up: every second it
// reads the gateways' and the callers' /metrics and redraws, in place, per
// gateway route the last second's rate, errors and p95, every breaker that
// is not closed, and the faults in force. The load is whatever reaches the
// gateway: a user's curl, a k6 script, a browser.
type View struct {
	Shop lab.Shop
	Live *faults.Live
	W    io.Writer

	hc    *http.Client
	prev  map[string]float64 // counter and bucket values a second ago
	lines int

	mu     sync.Mutex
	recent []string // the last lines written to the view (the fault changes)
}

// Write takes log lines (the fault changes) to show under the figures, so
// that they do not scroll the view away.
func (v *View) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.recent = append(v.recent, strings.Split(strings.TrimRight(string(p), "\n"), "\n")...)
	if len(v.recent) > 6 {
		v.recent = v.recent[len(v.recent)-6:]
	}
	return len(p), nil
}

// hideFrom are the gateway's routes that are not the shop's API.
var hideFrom = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "unmatched": true}

// Run redraws every second until ctx ends.
func (v *View) Run(ctx context.Context) {
	v.hc = &http.Client{Timeout: 800 * time.Millisecond}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	v.prev = v.scrape(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			now := v.scrape(ctx)
			v.draw(now)
			v.prev = now
		}
	}
}

// scrape reads every instance's metrics into one flat map: requests by
// route and class ("req|ROUTE|5xx"), duration buckets ("bucket|ROUTE|LE"),
// breaker states ("breaker|CALLER->CALLEE").
func (v *View) scrape(ctx context.Context) map[string]float64 {
	out := map[string]float64{}
	for _, in := range v.Shop.Instances() {
		_ = promtext.Get(ctx, v.hc, "http://"+in.Addr+"/metrics", contract.MetricPrefix, func(name string, l map[string]string, val float64) {
			switch {
			case in.Service == "gateway" && name == contract.HTTPRequests && !hideFrom[l["route"]]:
				class := "ok"
				if strings.HasPrefix(l["code"], "5") {
					class = "5xx"
				}
				out["req|"+l["route"]+"|"+class] += val
			case in.Service == "gateway" && name == contract.HTTPRequestDuration+"_bucket" && !hideFrom[l["route"]]:
				out["bucket|"+l["route"]+"|"+l["le"]] += val
			case name == contract.EdgeBreakerState:
				edge := in.Service + "->" + l["callee"]
				out["breaker|"+edge] = math.Max(out["breaker|"+edge], val)
			}
		})
	}
	return out
}

func (v *View) draw(now map[string]float64) {
	type route struct{ ok, failed float64 }
	routes := map[string]*route{}
	buckets := map[string]map[float64]float64{}
	var breakers []string
	for k, val := range now {
		parts := strings.Split(k, "|")
		switch parts[0] {
		case "req":
			r := routes[parts[1]]
			if r == nil {
				r = &route{}
				routes[parts[1]] = r
			}
			d := val - v.prev[k]
			if parts[2] == "5xx" {
				r.failed += d
			} else {
				r.ok += d
			}
		case "bucket":
			le, err := strconv.ParseFloat(parts[2], 64)
			if parts[2] == "+Inf" {
				le, err = math.Inf(1), nil
			}
			if err != nil {
				continue
			}
			if buckets[parts[1]] == nil {
				buckets[parts[1]] = map[float64]float64{}
			}
			buckets[parts[1]][le] = val - v.prev[k]
		case "breaker":
			if val == 1 {
				breakers = append(breakers, parts[1]+" OPEN")
			} else if val == 2 {
				breakers = append(breakers, parts[1]+" HALF-OPEN")
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  live view of the shop (the last second)\n", time.Now().Format("15:04:05"))
	fmt.Fprintf(&b, "  %-26s %7s %8s %9s\n", "route", "req/s", "errors", "p95 ms")
	names := make([]string, 0, len(routes))
	for n := range routes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r := routes[n]
		total := r.ok + r.failed
		errs, p95 := "-", "-"
		if total > 0 {
			errs = fmt.Sprintf("%.1f%%", 100*r.failed/total)
			p95 = fmt.Sprintf("%.1f", 1000*quantile(buckets[n], 0.95))
		}
		fmt.Fprintf(&b, "  %-26s %7.0f %8s %9s\n", n, total, errs, p95)
	}
	sort.Strings(breakers)
	if len(breakers) == 0 {
		breakers = []string{"all closed"}
	}
	fmt.Fprintf(&b, "  breakers: %s\n", strings.Join(breakers, ", "))
	var active []string
	for _, a := range v.Live.List() {
		active = append(active, fmt.Sprintf("%s (%s on %s)", a.Spec.Name, a.Spec.Kind, a.Spec.Target))
	}
	if len(active) == 0 {
		active = []string{"none"}
	}
	fmt.Fprintf(&b, "  faults:   %s\n", strings.Join(active, ", "))
	v.mu.Lock()
	for _, l := range v.recent {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	v.mu.Unlock()
	if v.lines > 0 {
		fmt.Fprintf(v.W, "\x1b[%dA\x1b[J", v.lines)
	}
	io.WriteString(v.W, b.String())
	v.lines = strings.Count(b.String(), "\n")
}

// quantile estimates q from cumulative histogram bucket counts (upper bound
// -> count), interpolating linearly inside the bucket, as Prometheus does.
func quantile(buckets map[float64]float64, q float64) float64 {
	les := make([]float64, 0, len(buckets))
	for le := range buckets {
		les = append(les, le)
	}
	sort.Float64s(les)
	if len(les) == 0 {
		return 0
	}
	total := buckets[les[len(les)-1]]
	if total <= 0 {
		return 0
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, le := range les {
		c := buckets[le]
		if c >= rank {
			if math.IsInf(le, 1) {
				return lower
			}
			if c == below {
				return le
			}
			return lower + (le-lower)*(rank-below)/(c-below)
		}
		lower, below = le, c
	}
	return lower
}
