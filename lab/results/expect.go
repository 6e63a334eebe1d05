// The hypothesis language: expressions over one phase's figures per
// endpoint (browse.p95 < 200ms), edges' counters and the times of recovery
// and of the breakers' reactions, compiled with expr.

package results

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Stats are one endpoint's figures over a phase as expressions see them:
// browse.p95, checkout.success_rate. Times are in milliseconds.
type Stats struct {
	Requests    float64 `expr:"requests"`
	SuccessRate float64 `expr:"success_rate"`
	ErrorRate   float64 `expr:"error_rate"`
	P50         float64 `expr:"p50"`
	P95         float64 `expr:"p95"`
	P99         float64 `expr:"p99"`
	RPS         float64 `expr:"rps"`
}

// Never is what recovery_time and the breaker functions return for what
// did not happen.
var Never = math.Inf(1)

// Recovery answers recovery_time(fault) (the slowest endpoint) and
// recovery_time(fault, endpoint), in milliseconds.
type Recovery func(fault string, endpoint ...string) (float64, error)

// Funcs are the functions an expression may call.
type Funcs struct {
	Recovery Recovery
	// Edge answers amplification, retries, timeouts, rejections, fallbacks,
	// failures and calls of an edge ("orders->inventory") over the phase.
	Edge func(metric, edge string) (float64, error)
	// BreakerOpened and BreakerClosed answer breaker_opened_after(fault,
	// edge) and breaker_closed_after(fault, edge), in milliseconds;
	// BreakerOpened answers ejected_after(fault, "caller->instance") too.
	BreakerOpened, BreakerClosed func(fault, edge string) (float64, error)
	// Scale answers ScaleFuncs over the phase (replicas("catalog"));
	// ScaledUp answers scaled_up_after(phase, service), in milliseconds.
	Scale    func(fn, service string) (float64, error)
	ScaledUp func(phase, service string) (float64, error)
}

// EdgeFuncs are the per-edge functions of expressions: amplification("a->b").
var EdgeFuncs = []string{"amplification", "retries", "timeouts", "rejections", "fallbacks", "failures", "calls", "ejections"}

// TimeFuncs are the functions of expressions that answer a time in ms.
var TimeFuncs = []string{"recovery_time", "breaker_opened_after", "breaker_closed_after", "ejected_after", "scaled_up_after"}

// StatFields are the fields of an endpoint's Stats: browse.p95.
var StatFields = []string{"requests", "success_rate", "error_rate", "p50", "p95", "p99", "rps"}

// Env is the environment an expression runs in: one Stats per endpoint
// (and "all" for every request together), the same figures over the
// baseline phase (baseline.browse.p95; an endpoint without requests in the
// baseline is left out, so naming it is an error) and the functions.
func Env(stats, baseline map[string]Stats, f Funcs) map[string]any {
	env := map[string]any{}
	for name, s := range stats {
		env[name] = s
	}
	env[Baseline] = baseline
	env["recovery_time"] = f.Recovery
	for _, name := range EdgeFuncs {
		env[name] = func(edge string) (float64, error) { return f.Edge(name, edge) }
	}
	env["breaker_opened_after"] = f.BreakerOpened
	env["breaker_closed_after"] = f.BreakerClosed
	env["ejected_after"] = f.BreakerOpened
	env["scaled_up_after"] = f.ScaledUp
	for _, name := range ScaleFuncs {
		env[name] = func(service string) (float64, error) { return f.Scale(name, service) }
	}
	return env
}

// durationLit matches a duration literal that is not part of a name: 200ms, 1.5s.
var durationLit = regexp.MustCompile(`(^|[^\w.])(\d+(?:\.\d+)?)(us|ms|s|m)\b`)

// Rewrite replaces duration literals with milliseconds: "p95 < 200ms" reads
// "p95 < 200", "recovery_time(x) < 10s" reads "... < 10000".
func Rewrite(code string) string {
	return durationLit.ReplaceAllStringFunc(code, func(m string) string {
		g := durationLit.FindStringSubmatch(m)
		v, _ := strconv.ParseFloat(g[2], 64)
		switch g[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		case "m":
			v *= 60000
		}
		return g[1] + strconv.FormatFloat(v, 'f', -1, 64)
	})
}

// Baseline names, in expressions, the baseline phase's figures whatever
// the phase judged: checkout.p95 < 2 * baseline.checkout.p95.
const Baseline = "baseline"

var (
	// baselineRef matches a reference to the baseline's figures and what
	// follows it: baseline.checkout.p95, baseline.checkout, baseline.
	baselineRef = regexp.MustCompile(`\bbaseline\b(?:\s*\.\s*([A-Za-z_][\w-]*))?(?:\s*\.\s*([A-Za-z_]\w*))?`)
	// stringLit matches a string literal, whose words are no references.
	stringLit = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
)

// baselineRefs are the references to the baseline's figures in code, its
// string literals left out: recovery_time("baseline") is none.
func baselineRefs(code string) [][]string {
	return baselineRef.FindAllStringSubmatch(stringLit.ReplaceAllString(code, `""`), -1)
}

// Compile compiles a hypothesis for endpoints; it must give true or false.
// A reference to the baseline must name an endpoint and one of its
// figures, since expr cannot tell a map's keys when it compiles.
func Compile(code string, endpoints []string) (*vm.Program, error) {
	stats := map[string]Stats{"all": {}}
	for _, e := range endpoints {
		stats[e] = Stats{}
	}
	for _, m := range baselineRefs(code) {
		if _, ok := stats[m[1]]; !ok {
			return nil, fmt.Errorf("%s: want baseline.ENDPOINT.FIGURE, an endpoint of %s", strings.TrimSpace(m[0]), strings.Join(slices.Sorted(maps.Keys(stats)), ", "))
		}
		if !slices.Contains(StatFields, m[2]) {
			return nil, fmt.Errorf("%s: want baseline.%s.FIGURE, a figure of %s", strings.TrimSpace(m[0]), m[1], strings.Join(StatFields, ", "))
		}
	}
	zero2 := func(string, string) (float64, error) { return 0, nil }
	env := Env(stats, stats, Funcs{
		Recovery:      func(string, ...string) (float64, error) { return 0, nil },
		Edge:          zero2,
		BreakerOpened: zero2, BreakerClosed: zero2, ScaledUp: zero2, Scale: zero2,
	})
	p, err := expr.Compile(Rewrite(code), expr.Env(env), expr.AsBool())
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	return p, nil
}

// Eval runs a compiled hypothesis in env.
func Eval(p *vm.Program, env map[string]any) (bool, error) {
	out, err := expr.Run(p, env)
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}
