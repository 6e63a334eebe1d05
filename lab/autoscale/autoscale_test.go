package autoscale_test

import (
	"strings"
	"testing"
	"time"

	"lab/lab/autoscale"
)

// sync is one call of Decide in a sequence: at second t, with the metric
// at value, and the replicas the decision must give.
type sync struct {
	t     float64
	value float64
	want  int
	why   string // a part of the reason, when it matters
}

var t0 = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func TestDecide(t *testing.T) {
	cpu := func(min, max int, up, down autoscale.Behavior) autoscale.Rules {
		return autoscale.Rules{Min: min, Max: max, Metric: autoscale.CPU, Target: 70, Up: up, Down: down}
	}
	free := autoscale.Behavior{}
	tests := []struct {
		name  string
		rules autoscale.Rules
		start int
		syncs []sync
	}{
		{"inside the tolerance nothing moves", cpu(1, 10, free, free), 2,
			[]sync{{0, 75, 2, "within the tolerance"}, {1, 64, 2, "within the tolerance"}}},
		{"desired is ceil(current x value / target)", cpu(1, 10, free, free), 2,
			[]sync{{0, 140, 4, "ratio 2.00: 4 wanted"}, {1, 80, 5, ""}, {2, 7, 1, ""}}},
		{"max and min bound it", cpu(2, 4, free, free), 3,
			[]sync{{0, 700, 4, "held at max 4"}, {1, 1, 2, "held at min 2"}}},
		{"an idle service keeps min", cpu(1, 4, free, free), 3, []sync{{0, 0, 1, ""}}},
		{"the down window holds the highest recommendation", cpu(1, 10, free, autoscale.Behavior{Window: 30 * time.Second}), 4,
			[]sync{{0, 70, 4, ""}, {10, 10, 4, "held at 4 by the stabilisation window"}, {29, 10, 4, ""}, {31, 10, 1, ""}}},
		{"the up window holds the lowest recommendation", cpu(1, 10, autoscale.Behavior{Window: 10 * time.Second}, free), 1,
			[]sync{{0, 70, 1, ""}, {5, 280, 1, "held at 1 by the stabilisation window"}, {9, 280, 1, ""}, {11, 280, 4, ""}}},
		{"a step policy adds at most step per period", cpu(1, 10, autoscale.Behavior{Step: 1, Every: 5 * time.Second}, free), 1,
			[]sync{{0, 280, 2, "limited to 2 by the scale-up policy"}, {1, 280, 2, "limited to 2"}, {4.9, 280, 2, ""}, {5, 280, 3, ""}, {10, 280, 4, ""}}},
		{"a percent policy adds at most that share of the period's start", cpu(1, 20, autoscale.Behavior{Percent: 100, Every: 5 * time.Second}, free), 2,
			[]sync{{0, 560, 4, "limited to 4"}, {1, 560, 4, ""}, {5, 560, 8, ""}}},
		{"the policy allowing more wins", cpu(1, 20, autoscale.Behavior{Step: 4, Percent: 100, Every: 5 * time.Second}, free), 1,
			[]sync{{0, 700, 5, "limited to 5"}}},
		{"scale-down policies remove at most step per period", cpu(1, 10, free, autoscale.Behavior{Step: 1, Every: 10 * time.Second}), 4,
			[]sync{{0, 1, 3, "limited to 3 by the scale-down policy"}, {5, 1, 3, ""}, {10, 1, 2, ""}}},
		{"the scale-down percent policy truncates", cpu(1, 10, free, autoscale.Behavior{Percent: 50, Every: 10 * time.Second}), 5,
			[]sync{{0, 1, 2, "limited to 2"}}},
		{"the defaults: up at once, down after 30 s", autoscale.Rules{Min: 1, Max: 8, Metric: autoscale.InFlight, Target: 10,
			Up: autoscale.DefaultUp, Down: autoscale.DefaultDown}, 1,
			[]sync{{0, 50, 5, ""}, {1, 2, 5, ""}, {20, 2, 5, ""}, {31, 2, 1, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.rules.Validate(); err != nil {
				t.Fatal(err)
			}
			s := autoscale.New(tt.rules)
			cur := tt.start
			for i, sy := range tt.syncs {
				d := s.Decide(t0.Add(time.Duration(sy.t*float64(time.Second))), cur, sy.value)
				if d.To != sy.want || !strings.Contains(d.Reason, sy.why) {
					t.Fatalf("sync %d (t=%gs, %d replicas, value %g): %d (%s); want %d (%q)", i, sy.t, cur, sy.value, d.To, d.Reason, sy.want, sy.why)
				}
				cur = d.To
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := autoscale.Rules{Min: 1, Max: 4, Metric: autoscale.P95, Target: 200}
	for _, tc := range []struct {
		mod  func(*autoscale.Rules)
		want string
	}{
		{func(r *autoscale.Rules) { r.Min = 0 }, "min"},
		{func(r *autoscale.Rules) { r.Max = 0 }, "max (0): want at least min (1)"},
		{func(r *autoscale.Rules) { r.Target = 0 }, "target"},
		{func(r *autoscale.Rules) { r.Metric = "memory" }, `unknown metric "memory"`},
		{func(r *autoscale.Rules) { r.Tolerance = 1 }, "tolerance"},
	} {
		r := ok
		tc.mod(&r)
		if err := r.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", r, err, tc.want)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}
