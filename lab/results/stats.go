package results

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// window is a stretch of measured seconds [from, to) since t0.
type window struct {
	name     string
	from, to int
}

func statsOf(a *Agg, seconds int) EndpointStats {
	st := EndpointStats{
		Requests: a.Requests, Failed: a.Failed, SuccessRate: a.SuccessRate(),
		P50: a.Quantile(0.50), P95: a.Quantile(0.95), P99: a.Quantile(0.99), Status: a.Status,
	}
	if seconds > 0 {
		st.RPS = float64(a.Requests) / float64(seconds)
	}
	return st
}

// phaseStats returns every endpoint's stats over w, and "all" together.
func phaseStats(s Series, w window) map[string]EndpointStats {
	out := map[string]EndpointStats{}
	n := w.to - w.from
	for _, e := range s.Endpoints() {
		a := s.Sum(e, w.from, w.to)
		if a.Requests > 0 {
			out[e] = statsOf(a, n)
		}
	}
	out["all"] = statsOf(s.Sum("", w.from, w.to), n)
	return out
}

// windows returns the phases: baseline before the first fault, one window
// per fault, recovery after the last; duration is in seconds.
func windows(faults []FaultRecord, t0 time.Time, duration int) []window {
	first, last := duration, 0
	var out []window
	for _, f := range faults {
		from, to := faultWindow(f, t0, duration)
		first, last = min(first, from), max(last, to)
		out = append(out, window{name: f.Name, from: from, to: to})
	}
	if len(faults) == 0 {
		return []window{{name: "baseline", from: 0, to: duration}}
	}
	res := []window{{name: "baseline", from: 0, to: first}}
	res = append(res, out...)
	return append(res, window{name: "recovery", from: last, to: duration})
}

// faultWindow is the seconds a fault was in force, rounded to whole seconds.
func faultWindow(f FaultRecord, t0 time.Time, duration int) (int, int) {
	on := f.AppliedAt
	if on.IsZero() {
		on = f.ScheduledAt
	}
	off := f.RemovedAt
	if off.IsZero() || off.Before(on) {
		off = t0.Add(time.Duration(duration) * time.Second)
	}
	from := int(math.Round(on.Sub(t0).Seconds()))
	to := int(math.Round(off.Sub(t0).Seconds()))
	from = max(0, min(from, duration))
	to = max(from, min(to, duration))
	if to == from && to < duration {
		to++ // an instant fault (restart) still gets its second
	}
	return from, to
}

// band is an endpoint's baseline band: the success rate and p95 it is
// considered healthy within.
type band struct {
	minSuccess float64
	maxP95     float64
}

func bandOf(b EndpointStats) band {
	return band{
		minSuccess: b.SuccessRate - 0.02,
		maxP95:     math.Max(2*b.P95, b.P95+20),
	}
}

func (bd band) holds(st EndpointStats) bool {
	return st.Requests == 0 || (st.SuccessRate >= bd.minSuccess && st.P95 <= bd.maxP95)
}

// recoveryTime returns, in ms, how long after end (a second) the endpoint's
// one-second figures in series were back in band for two seconds running;
// 0 when it never left the band, Never when it did not come back.
func recoveryTime(series []Second, endpoint string, bd band, end, duration int) float64 {
	at := map[int]Second{}
	for _, s := range series {
		if s.Endpoint == endpoint {
			at[s.S] = s
		}
	}
	inBand := func(sec int) bool {
		s, ok := at[sec]
		if !ok || s.Requests == 0 {
			return true // a second without requests is in band
		}
		return bd.holds(EndpointStats{Requests: s.Requests, SuccessRate: 1 - float64(s.Failed)/float64(s.Requests), P95: s.P95})
	}
	for sec := end; sec < duration; sec++ {
		if inBand(sec) && (sec+1 >= duration || inBand(sec+1)) {
			return float64(sec-end) * 1000
		}
	}
	return Never
}

// SeriesOf lists every measured second of every endpoint.
func SeriesOf(s Series, duration int) []Second {
	var out []Second
	eps := s.Endpoints()
	sort.Strings(eps)
	for sec := 0; sec < duration; sec++ {
		for _, e := range eps {
			s.At(e, sec, func(a *Agg) {
				out = append(out, Second{S: sec, Endpoint: e, Requests: a.Requests, Failed: a.Failed,
					P50: a.Quantile(0.5), P95: a.Quantile(0.95), P99: a.Quantile(0.99)})
			})
		}
	}
	return out
}

// visible decides whether a fault showed: an endpoint outside its baseline
// band during the fault's window, or calls between services failing, or
// events piling up, beyond what the baseline had; or the resilience
// patterns answering it (reacted): a fault they absorbed whole had an
// effect all the same, and the run shows what absorbed it.
//
// Events that wait (an outbox backlog, a consumer's lag) are looked for up
// to afterS seconds past the window's end as well: a backlog built while the
// broker was down shows as it drains, right after.
func visible(s Series, w window, base map[string]EndpointStats, baseW window, sig []Signal, afterS int, reacted []string) (bool, string) {
	evidence := append([]string{}, reacted...)
	for e, st := range phaseStats(s, w) {
		b, ok := base[e]
		if !ok || e == "all" {
			continue
		}
		bd := bandOf(b)
		if st.SuccessRate < bd.minSuccess {
			evidence = append(evidence, fmt.Sprintf("%s success %.1f%% (baseline %.1f%%)", e, 100*st.SuccessRate, 100*b.SuccessRate))
		} else if st.P95 > bd.maxP95 {
			evidence = append(evidence, fmt.Sprintf("%s p95 %.0fms (baseline %.0fms)", e, st.P95, b.P95))
		}
	}
	errs, baseErrs, lag, baseLag, again, baseAgain := 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
	for _, x := range sig {
		switch {
		case x.S >= w.from && x.S < w.to:
			errs += x.CallErrors
			again += x.Redeliveries
			lag = math.Max(lag, math.Max(x.ConsumerLag, x.OutboxMax))
		case x.S >= w.to && x.S < w.to+afterS:
			lag = math.Max(lag, math.Max(x.ConsumerLag, x.OutboxMax))
		case x.S >= baseW.from && x.S < baseW.to:
			baseErrs += x.CallErrors
			baseAgain += x.Redeliveries
			baseLag = math.Max(baseLag, math.Max(x.ConsumerLag, x.OutboxMax))
		}
	}
	if n, bn := w.to-w.from, baseW.to-baseW.from; n > 0 && again > 0 && (bn == 0 || again/float64(n) > 2*baseAgain/float64(bn)) {
		evidence = append(evidence, fmt.Sprintf("%.0f events delivered again", again))
	}
	if n, bn := w.to-w.from, baseW.to-baseW.from; n > 0 && errs > 0 && (bn == 0 || errs/float64(n) > 2*baseErrs/float64(bn)) {
		evidence = append(evidence, fmt.Sprintf("%.0f failed calls between services", errs))
	}
	if lag > baseLag+5 {
		evidence = append(evidence, fmt.Sprintf("up to %.0f events waiting (baseline %.0f)", lag, baseLag))
	}
	sort.Strings(evidence)
	if len(evidence) == 0 {
		return false, "every endpoint stayed in its baseline band; no call failed, timed out or was retried; no event waited or came again"
	}
	return true, strings.Join(evidence, "; ")
}

// reacted lists how the resilience patterns answered a fault: each
// breaker that opened and each instance ejected in its window, and the
// edges whose attempts timed out or were retried at more than twice their
// baseline rate.
func reacted(f FaultRecord, w, baseW window, edges []EdgeSecond) []string {
	var out []string
	for _, b := range f.Breakers {
		switch {
		case b.OpenedAfterS == nil:
		case b.Ejection:
			out = append(out, b.Edge+" ejected")
		default:
			out = append(out, "breaker on "+b.Edge+" opened")
		}
	}
	in, before := edgeStats(edges, w), edgeStats(edges, baseW)
	n, bn := float64(w.to-w.from), float64(baseW.to-baseW.from)
	for _, e := range slices.Sorted(maps.Keys(in)) {
		st, b := in[e], before[e]
		more := func(x, bx float64) bool { return n > 0 && x > 0 && (bn == 0 || x/n > 2*bx/bn) }
		if more(st.Timeouts, b.Timeouts) || more(st.Retries, b.Retries) {
			out = append(out, fmt.Sprintf("%s: %.0f attempts timed out, %.0f retried", e, st.Timeouts, st.Retries))
		}
	}
	return out
}
