package results

import (
	"fmt"
	"math"
	"sort"
	"strconv"
)

// SortTransitions orders breaker transitions by time.
func SortTransitions(ts []BreakerTransition) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].At.Before(ts[j].At) })
}

// edgeStats sums every edge over the seconds [w.from, w.to).
func edgeStats(edges []EdgeSecond, w window) map[string]EdgeStats {
	out := map[string]EdgeStats{}
	for _, e := range edges {
		if e.S < w.from || e.S >= w.to {
			continue
		}
		st := out[e.Edge]
		st.Calls += e.Calls
		st.Failed += e.Failed
		st.Attempts += e.Attempts
		st.Retries += e.Retries
		st.Timeouts += e.Timeouts
		st.Rejections += e.Rejections
		st.Fallbacks += e.Fallbacks
		st.Ejections += e.Ejections
		st.Latency = AddBuckets(st.Latency, e.Latency)
		for inst, c := range e.Instances {
			if st.Instances == nil {
				st.Instances = map[string]InstanceCalls{}
			}
			st.Instances[inst] = st.Instances[inst].add(c)
		}
		out[e.Edge] = st
	}
	for k, st := range out {
		if st.Calls > 0 {
			st.Amplification = st.Attempts / st.Calls
		}
		st.Unsent = max(0, st.Calls-(st.Attempts-st.Retries))
		st.P95 = bucketQuantile(st.Latency, 0.95)
		for inst, c := range st.Instances {
			c.P95 = bucketQuantile(c.Latency, 0.95)
			st.Instances[inst] = c
		}
		out[k] = st
	}
	return out
}

// edgeFunc answers amplification(edge), retries(edge) and the like over a phase.
func edgeFunc(stats map[string]EdgeStats) func(metric, edge string) (float64, error) {
	return func(metric, edge string) (float64, error) {
		st := stats[edge]
		switch metric {
		case "amplification":
			return st.Amplification, nil
		case "retries":
			return st.Retries, nil
		case "timeouts":
			return st.Timeouts, nil
		case "rejections":
			return st.Rejections, nil
		case "fallbacks":
			return st.Fallbacks, nil
		case "failures":
			return st.Failed, nil
		case "calls":
			return st.Calls, nil
		case "ejections":
			return st.Ejections, nil
		}
		return 0, fmt.Errorf("no edge figure %q", metric)
	}
}

// span is a moment known only within bounds, in seconds from t0: a fault
// took effect (or ended) between the start and the end of the call that
// applied (or removed) it.
type span struct{ start, end float64 }

// reactions says, for a fault applied within on and removed within off,
// when each edge's breaker first opened after it took effect and closed
// after it ended. A transition inside a span is at 0 s: it happened as the
// fault came or went, not before.
func reactions(ts []BreakerTransition, on, off span) []BreakerReaction {
	byEdge := map[string]*BreakerReaction{}
	var order []string
	for _, t := range ts {
		r := byEdge[t.Edge]
		if (t.To == "open" || t.To == Ejected) && t.AtS >= on.start && t.AtS < off.end {
			if r == nil {
				r = &BreakerReaction{Edge: t.Edge, Ejection: t.To == Ejected}
				byEdge[t.Edge] = r
				order = append(order, t.Edge)
			}
			if r.OpenedAfterS == nil {
				v := max(0, t.AtS-on.end)
				r.OpenedAfterS = &v
			}
		}
		if r != nil && t.To == "closed" && t.AtS >= off.start && r.ClosedAfterS == nil {
			v := max(0, t.AtS-off.end)
			r.ClosedAfterS = &v
		}
	}
	var out []BreakerReaction
	for _, e := range order {
		out = append(out, *byEdge[e])
	}
	return out
}

// breakerFuncs answer breaker_opened_after(fault, edge) and
// breaker_closed_after(fault, edge), in milliseconds; Never when
// the breaker did not move. An instance's edge (gateway->catalog-2)
// answers for its ejection: ejected_after(fault, edge).
func breakerFuncs(faults []FaultRecord) (opened, closed func(fault, edge string) (float64, error)) {
	find := func(fault, edge string) (*BreakerReaction, error) {
		for _, f := range faults {
			if f.Name != fault {
				continue
			}
			for _, r := range f.Breakers {
				if r.Edge == edge {
					return &r, nil
				}
			}
			return nil, nil
		}
		return nil, fmt.Errorf("no fault %q", fault)
	}
	opened = func(fault, edge string) (float64, error) {
		r, err := find(fault, edge)
		if err != nil || r == nil || r.OpenedAfterS == nil {
			return Never, err
		}
		return *r.OpenedAfterS * 1000, nil
	}
	closed = func(fault, edge string) (float64, error) {
		r, err := find(fault, edge)
		if err != nil || r == nil || r.ClosedAfterS == nil {
			return Never, err
		}
		return *r.ClosedAfterS * 1000, nil
	}
	return opened, closed
}

// BucketQuantile is bucketQuantile, for the harness's autoscalers.
func BucketQuantile(buckets map[string]float64, q float64) float64 { return bucketQuantile(buckets, q) }

// bucketQuantile estimates the q-quantile, in ms, of a cumulative
// histogram keyed by upper bound in seconds, interpolating linearly within
// the bucket it falls in (as Prometheus's histogram_quantile does); 0 for
// an empty one.
func bucketQuantile(buckets map[string]float64, q float64) float64 {
	type bucket struct{ le, n float64 }
	var bs []bucket
	for k, n := range buckets {
		le, err := strconv.ParseFloat(k, 64) // "+Inf" parses as infinity
		if err == nil {
			bs = append(bs, bucket{le, n})
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	if len(bs) == 0 || bs[len(bs)-1].n <= 0 {
		return 0
	}
	rank := q * bs[len(bs)-1].n
	lo, below := 0.0, 0.0
	for _, b := range bs {
		if b.n >= rank {
			if math.IsInf(b.le, 1) { // past the last finite bound: say that bound
				return 1000 * lo
			}
			if b.n == below {
				return 1000 * b.le
			}
			return 1000 * (lo + (b.le-lo)*(rank-below)/(b.n-below))
		}
		lo, below = b.le, b.n
	}
	return 1000 * lo
}
