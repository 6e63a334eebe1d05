package scenarios

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"lab/lab"
	"lab/lab/autoscale"
	"lab/services/contract"
)

// Autoscale is one service's autoscaler as a scenario writes it, the
// fields of Kubernetes' HorizontalPodAutoscaler (docs/scaling.md maps
// them):
//
//	shop:
//	  autoscale:
//	    catalog: {min: 1, max: 4, metric: inflight, target: 4, up: {step: 1, every: 2s}, down: {window: 10s}}
type Autoscale struct {
	Min    int    `yaml:"min" json:"min"`
	Max    int    `yaml:"max" json:"max"`
	Metric string `yaml:"metric" json:"metric"`
	// Target is in the metric's unit: 70% (cpu), 4 (inflight), 200ms
	// (p95), 100 (lag: events waiting per replica).
	Target    string         `yaml:"target" json:"target"`
	Tolerance *float64       `yaml:"tolerance" json:"tolerance,omitempty"`
	Up        *ScaleBehavior `yaml:"up" json:"up,omitempty"`
	Down      *ScaleBehavior `yaml:"down" json:"down,omitempty"`
}

// ScaleBehavior is HPA's scaleUp or scaleDown: a stabilisation window
// and rate policies (at most step replicas, or percent of them, per
// every). Unset fields keep the lab's defaults (autoscale.DefaultUp,
// DefaultDown).
type ScaleBehavior struct {
	Window  *lab.Duration `yaml:"window" json:"window,omitempty"`
	Step    *int          `yaml:"step" json:"step,omitempty"`
	Percent *int          `yaml:"percent" json:"percent,omitempty"`
	Every   *lab.Duration `yaml:"every" json:"every,omitempty"`
}

// AutoscaleRules returns each autoscaled service's rules; none when the
// scenario has none or --set shop.autoscale=off turned them off.
func (s *Scenario) AutoscaleRules() map[string]autoscale.Rules {
	if s.Shop.AutoscaleOff || len(s.Shop.Autoscale) == 0 {
		return nil
	}
	out := map[string]autoscale.Rules{}
	for svc, a := range s.Shop.Autoscale {
		r, err := a.rules()
		if err == nil {
			out[svc] = r
		}
	}
	return out
}

// rules turns a into the autoscaler's rules, or says what is wrong.
func (a Autoscale) rules() (autoscale.Rules, error) {
	r := autoscale.Rules{Min: a.Min, Max: a.Max, Metric: a.Metric, Up: autoscale.DefaultUp, Down: autoscale.DefaultDown}
	if a.Tolerance != nil {
		r.Tolerance = *a.Tolerance
	}
	t, err := targetOf(a.Metric, a.Target)
	if err != nil {
		return r, err
	}
	r.Target = t
	a.Up.over(&r.Up)
	a.Down.over(&r.Down)
	for _, b := range []struct {
		name string
		b    autoscale.Behavior
	}{{"up", r.Up}, {"down", r.Down}} {
		if b.b.Step < 0 || b.b.Percent < 0 || b.b.Window < 0 {
			return r, fmt.Errorf("%s: want step, percent and window of 0 or more", b.name)
		}
		if (b.b.Step > 0 || b.b.Percent > 0) && b.b.Every <= 0 {
			return r, fmt.Errorf("%s: a step or percent wants every, the period it counts over (such as 5s)", b.name)
		}
	}
	return r, r.Validate()
}

func (b *ScaleBehavior) over(to *autoscale.Behavior) {
	if b == nil {
		return
	}
	if b.Window != nil {
		to.Window = b.Window.D()
	}
	if b.Step != nil || b.Percent != nil { // the policies the file gives replace the defaults'
		to.Step, to.Percent = 0, 0
	}
	if b.Step != nil {
		to.Step = *b.Step
	}
	if b.Percent != nil {
		to.Percent = *b.Percent
	}
	if b.Every != nil {
		to.Every = b.Every.D()
	}
}

// targetOf reads a target in the metric's unit.
func targetOf(metric, v string) (float64, error) {
	v = strings.TrimSpace(v)
	switch metric {
	case autoscale.CPU:
		x, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
		if err != nil || x <= 0 {
			return 0, fmt.Errorf("target: want a share of one CPU such as 70%%, got %q", v)
		}
		return x, nil
	case autoscale.P95:
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("target: want a latency such as 200ms, got %q", v)
		}
		return float64(d) / float64(time.Millisecond), nil
	case autoscale.InFlight, autoscale.Lag:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x <= 0 {
			return 0, fmt.Errorf("target: want a number above 0 (per replica), got %q", v)
		}
		return x, nil
	}
	return 0, fmt.Errorf("metric: unknown metric %q (want one of %s)", metric, strings.Join(autoscale.Metrics, ", "))
}

func (s *Scenario) checkAutoscale(l *locator) error {
	names := make([]string, 0, len(s.Shop.Autoscale))
	for k := range s.Shop.Autoscale {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, svc := range names {
		at := "$.shop.autoscale." + svc
		a := s.Shop.Autoscale[svc]
		switch {
		case !lab.IsService(svc):
			return l.at(at, "shop.autoscale: unknown service %q (want one of %s)", svc, strings.Join(contract.Services, ", "))
		case svc == "gateway":
			return l.at(at, "shop.autoscale.gateway: the gateway cannot be autoscaled: the load's way in is made with the shop (autoscale the services behind it)")
		case a.Metric == autoscale.Lag && !slices.Contains(contract.Consumers, svc):
			return l.at(at+".metric", "shop.autoscale.%s.metric: %s consumes no events, so it has no lag (consumers: %s)", svc, svc, strings.Join(contract.Consumers, ", "))
		case a.Max > 50:
			return l.at(at+".max", "shop.autoscale.%s.max: want at most 50 replicas", svc)
		}
		if _, err := a.rules(); err != nil {
			field := strings.SplitN(err.Error(), ":", 2)[0]
			if !slices.Contains([]string{"min", "max", "metric", "target", "tolerance", "up", "down"}, field) {
				field = ""
			}
			path := at
			if field != "" {
				path += "." + field
			}
			return l.at(path, "shop.autoscale.%s.%v", svc, err)
		}
		if n, ok := s.Shop.Replicas[svc]; ok && (n < a.Min || n > a.Max) {
			return l.at("$.shop.replicas."+svc, "shop.replicas.%s: %d is outside its autoscale's min %d and max %d", svc, n, a.Min, a.Max)
		}
	}
	return nil
}
