package results

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Autoscaling is what the run's autoscalers did: every scale event with
// its reason, and the replicas of every autoscaled service second by
// second.
type Autoscaling struct {
	Rules    map[string]ScaleRule `json:"rules"`
	Events   []ScaleEvent         `json:"events"`
	Replicas []ReplicaSecond      `json:"replicas"`
	// FailedDuringScaleDown counts, per service, the load's requests that
	// failed while an instance of it was leaving (Judge fills it).
	FailedDuringScaleDown map[string]int64 `json:"failed_during_scale_down"`
}

// ScaleRule is a service's autoscaler as the scenario wrote it.
type ScaleRule struct {
	Min    int     `json:"min"`
	Max    int     `json:"max"`
	Metric string  `json:"metric"`
	Target float64 `json:"target"`
}

// ScaleEvent is one change of a service's replicas, as the autoscaler
// decided it and the runtime carried it out.
type ScaleEvent struct {
	Service string    `json:"service"`
	At      time.Time `json:"at"`
	AtS     float64   `json:"at_s"` // from the start of the measured load
	From    int       `json:"from"`
	To      int       `json:"to"`
	Metric  string    `json:"metric"`
	Value   float64   `json:"value"`
	Target  float64   `json:"target"`
	Reason  string    `json:"reason"`
	// CrossedAtS (a scale-up) is when the metric went past its target and
	// the tolerance, at the first sync of this rise; LagS is from then
	// until the last new instance was serving: the scale-up's lag.
	CrossedAtS *float64 `json:"crossed_at_s,omitempty"`
	LagS       *float64 `json:"lag_s,omitempty"`
	// DoneAtS is when the last instance was serving (up) or had stopped (down).
	DoneAtS   float64  `json:"done_at_s"`
	Instances []string `json:"instances"` // added or removed
	Error     string   `json:"error,omitempty"`
}

// Up reports whether e grew the service.
func (e ScaleEvent) Up() bool { return e.To > e.From }

// ReplicaSecond is how many instances of an autoscaled service were
// serving at one second of the measured load.
type ReplicaSecond struct {
	S        int    `json:"s"`
	Service  string `json:"service"`
	Replicas int    `json:"replicas"`
}

// ScaleFuncs are the functions of expressions over one service's scaling:
// replicas("catalog"), the most it ran in the phase; and
// failed_during_scale_down("catalog"), the requests that failed while an
// instance of it was leaving.
var ScaleFuncs = []string{"replicas", "failed_during_scale_down"}

// scaleFunc answers ScaleFuncs over w.
func scaleFunc(res *Result, s Series, w window) func(fn, service string) (float64, error) {
	return func(fn, service string) (float64, error) {
		switch fn {
		case "replicas":
			most := float64(res.Replicas[service])
			if a := res.Autoscale; a != nil {
				if _, ok := a.Rules[service]; ok {
					most = 0
					for _, r := range a.Replicas {
						if r.Service == service && r.S >= w.from && r.S < w.to {
							most = math.Max(most, float64(r.Replicas))
						}
					}
				}
			}
			if most == 0 {
				return 0, fmt.Errorf("replicas: no service %q ran in the phase", service)
			}
			return most, nil
		case "failed_during_scale_down":
			return float64(FailedDuringScaleDown(res, s, service)), nil
		}
		return 0, fmt.Errorf("no scaling figure %q", fn)
	}
}

// FailedDuringScaleDown counts the requests of the load that failed in the
// seconds while an instance of service was leaving: from each scale-down's
// decision to a second after its last instance stopped.
func FailedDuringScaleDown(res *Result, s Series, service string) int64 {
	if res.Autoscale == nil {
		return 0
	}
	seen := map[int]bool{}
	var n int64
	for _, e := range res.Autoscale.Events {
		if e.Service != service || e.Up() {
			continue
		}
		for sec := int(math.Floor(e.AtS)); sec <= int(math.Ceil(e.DoneAtS)); sec++ {
			if sec < 0 || seen[sec] {
				continue
			}
			seen[sec] = true
			n += s.Sum("", sec, sec+1).Failed
		}
	}
	return n
}

// scaledUpFunc answers scaled_up_after(phase, service): the time from the
// phase's start until the first scale-up of service decided from then on
// was serving, in milliseconds; Never when none was.
func scaledUpFunc(res *Result, byName map[string]window) func(phase, service string) (float64, error) {
	return func(phase, service string) (float64, error) {
		w, ok := byName[phase]
		if !ok {
			return Never, fmt.Errorf("scaled_up_after: no phase %q", phase)
		}
		if res.Autoscale == nil {
			return Never, nil
		}
		for _, e := range res.Autoscale.Events {
			if e.Service == service && e.Up() && e.Error == "" && e.AtS >= float64(w.from) {
				return 1000 * (e.DoneAtS - float64(w.from)), nil
			}
		}
		return Never, nil
	}
}

// SortScaleEvents orders events by time.
func SortScaleEvents(es []ScaleEvent) {
	slices.SortStableFunc(es, func(a, b ScaleEvent) int {
		switch {
		case a.AtS < b.AtS:
			return -1
		case a.AtS > b.AtS:
			return 1
		}
		return 0
	})
}
