package scenarios

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"lab/faults"
	"lab/lab"
	"lab/lab/results"
	"lab/load"
	"lab/services/contract"
)

//go:embed builtin/*.yaml
var builtin embed.FS

// MaxDuration bounds a scenario's measured load.
const MaxDuration = lab.Duration(time.Hour)

// Names returns the names of the built-in scenarios, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(builtin, "builtin")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Builtin returns the built-in scenario called name.
func Builtin(name string) (*Scenario, error) {
	data, err := builtin.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, &Error{File: name, Msg: fmt.Sprintf("no built-in scenario %q (`lab list` shows them: %s)", name, strings.Join(Names(), ", "))}
	}
	return Parse("builtin:"+name, data, nil)
}

// Open returns the built-in scenario called nameOrPath, or reads the file
// at nameOrPath when it names no built-in one; sets override fields
// ("load.rate=50"; see Set).
func Open(nameOrPath string, sets []string) (*Scenario, error) {
	if data, err := builtin.ReadFile("builtin/" + nameOrPath + ".yaml"); err == nil {
		return Parse("builtin:"+nameOrPath, data, sets)
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		if os.IsNotExist(err) && !strings.ContainsAny(nameOrPath, "/.") {
			return nil, &Error{File: nameOrPath, Msg: fmt.Sprintf("no built-in scenario or file %q (built-in: %s)", nameOrPath, strings.Join(Names(), ", "))}
		}
		return nil, &Error{File: nameOrPath, Msg: fmt.Sprintf("read: %v", err)}
	}
	return Parse(nameOrPath, data, sets)
}

// Parse decodes and checks a scenario. Every error is an *Error.
func Parse(file string, data []byte, sets []string) (*Scenario, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{File: file, Msg: "empty file: want a scenario with at least name, duration and load"}
	}
	var s Scenario
	if err := decodeStrict(file, data, &s); err != nil {
		return nil, err
	}
	s.Path, s.Source = file, data
	written := s.Duration
	for _, kv := range sets {
		if err := s.Set(kv); err != nil {
			return nil, &Error{File: file, Msg: fmt.Sprintf("--set %s: %v", kv, err)}
		}
	}
	if s.Duration != written {
		if err := s.fitsDuration(); err != nil {
			return nil, err
		}
	}
	if err := s.check(newLocator(file, data)); err != nil {
		return nil, err
	}
	return &s, nil
}

// fitsDuration checks a duration given on the command line against the
// file's timeline, and refuses one too short with the shortest that fits.
// The timeline is not scaled to fit: its times mean something (a breaker's
// 2 s delay, a recovery within 10 s), and a shrunk outage would teach
// another lesson than the one the scenario was written for.
func (s *Scenario) fitsDuration() error {
	need, why := lab.Duration(0), ""
	for _, f := range s.Faults {
		end := max(f.At+f.For, f.At+lab.Duration(time.Second))
		if end > need {
			need, why = end, fmt.Sprintf("its fault %s runs from %s to %s", f.Name, f.At.D(), (f.At+f.For).D())
		}
	}
	var stages lab.Duration
	for _, st := range s.Load.Stages {
		stages += st.Duration
	}
	switch {
	case stages > 0 && s.Duration != stages:
		return &Error{File: "--duration", Msg: fmt.Sprintf("%s does not fit %s: its load ramps over stages that last %s; want --duration %s, or none",
			s.Duration.D(), s.Name, stages.D(), stages.D())}
	case s.Duration > 0 && s.Duration < need:
		return &Error{File: "--duration", Msg: fmt.Sprintf("%s is too short for %s: %s; want --duration %s or more "+
			"(the timeline is not scaled to fit: its times are part of what it teaches)", s.Duration.D(), s.Name, why, need.D())}
	}
	return nil
}

// Set overrides one field: duration, warmup, seed, load.rate, load.vus,
// load.journey, load.think, shop.payment_mode, shop.placement, shop.replicas.SVC,
// shop.config.KEY.
func (s *Scenario) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("want key=value")
	}
	dur := func(d *lab.Duration) error { return d.UnmarshalText([]byte(v)) }
	num := func(n *int) error {
		x, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", v)
		}
		*n = x
		return nil
	}
	switch {
	case k == "duration":
		return dur(&s.Duration)
	case k == "warmup":
		var d lab.Duration
		s.Warmup = &d
		return dur(&d)
	case k == "seed":
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", v)
		}
		s.Seed = x
	case k == "load.rate":
		return num(&s.Load.Rate)
	case k == "load.vus":
		return num(&s.Load.VUs)
	case k == "load.journey":
		s.Load.Journey, s.Load.Script = v, ""
	case k == "load.think":
		return dur(&s.Load.Think)
	case k == "idempotency":
		if v != "on" && v != "off" {
			return fmt.Errorf("want on or off, got %q", v)
		}
		if s.Shop.Config == nil {
			s.Shop.Config = map[string]any{}
		}
		s.Shop.Config[contract.IdempotencyKey] = v
	case k == "resilience" || strings.HasPrefix(k, "resilience."):
		return s.setResilience(k, v)
	case k == "shop.payment_mode":
		s.Shop.PaymentMode = v
	case k == "shop.placement":
		s.Shop.Placement = v
	case k == "shop.autoscale":
		if v != "on" && v != "off" {
			return fmt.Errorf("want on or off, got %q", v)
		}
		s.Shop.AutoscaleOff = v == "off"
	case strings.HasPrefix(k, "shop.replicas."):
		if s.Shop.Replicas == nil {
			s.Shop.Replicas = map[string]int{}
		}
		var n int
		if err := num(&n); err != nil {
			return err
		}
		s.Shop.Replicas[strings.TrimPrefix(k, "shop.replicas.")] = n
	case strings.HasPrefix(k, "shop.config."):
		if s.Shop.Config == nil {
			s.Shop.Config = map[string]any{}
		}
		s.Shop.Config[strings.TrimPrefix(k, "shop.config.")] = v
	default:
		return fmt.Errorf("unknown key %q (want duration, warmup, seed, load.rate, load.vus, load.journey, load.think, shop.payment_mode, shop.placement, shop.replicas.SVC, shop.config.KEY, shop.autoscale=on|off, idempotency=on|off, resilience=PRESET or resilience.CALLER->CALLEE.FIELD)", k)
	}
	return nil
}

// Shape returns the shop's shape for the scenario.
func (s *Scenario) Shape() lab.Shape {
	sh := lab.Shape{Replicas: map[string]int{}, Config: map[string]string{}, Seed: s.Seed, Placement: s.Shop.Placement,
		Constraints: s.Shop.Constraints}
	for k, v := range s.Shop.Replicas {
		sh.Replicas[k] = v
	}
	for svc, r := range s.AutoscaleRules() {
		if _, ok := sh.Replicas[svc]; !ok {
			sh.Replicas[svc] = r.Min
		}
		if sh.Most == nil {
			sh.Most = map[string]int{}
		}
		sh.Most[svc] = r.Max
	}
	for k, v := range s.Shop.Config {
		sh.Config[k] = fmt.Sprint(v)
	}
	if s.Shop.PaymentMode != "" {
		sh.Config[contract.PaymentModeKey] = s.Shop.PaymentMode
	}
	for k, v := range s.Resilience.config() {
		sh.Config[k] = v
	}
	return sh
}

// EndpointNames are the endpoints hypotheses may name.
func (s *Scenario) EndpointNames() []string {
	return append(append([]string{}, contract.Endpoints...), s.Load.Endpoints...)
}

// ScriptPath returns the k6 script's path, relative to the scenario's file.
func (s *Scenario) ScriptPath() string {
	if s.Load.Script == "" || filepath.IsAbs(s.Load.Script) || strings.HasPrefix(s.Path, "builtin:") {
		return s.Load.Script
	}
	return filepath.Join(filepath.Dir(s.Path), s.Load.Script)
}

// check validates the decoded scenario and returns its first problem; l
// places errors in the file.
func (s *Scenario) check(l *locator) error {
	if errs := s.problems(l); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// problems validates the decoded scenario and returns every problem found,
// in the order of the file's sections: each section, fault entry and
// hypothesis stops at its own first problem, and the next is checked too.
func (s *Scenario) problems(l *locator) []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	if s.Drain == 0 {
		s.Drain = DefaultDrain
	}
	if s.Name == "" {
		add(l.at("$", "name: want the scenario's name"))
	}
	switch {
	case s.Duration == 0 && s.Load.Script != "":
		// The script's own options give it; FitScript reads them.
	case s.Duration <= 0 || s.Duration > MaxDuration:
		add(l.at("$.duration", "duration: want the measured load's length, from 1s to 1h, such as 30s"))
	case s.Duration.D()%time.Second != 0:
		add(l.at("$.duration", "duration: want whole seconds, such as 30s: the lab measures the load second by second"))
	}
	if w := s.WarmupOrDefault(); w > lab.Duration(time.Minute) || w.D()%time.Second != 0 {
		add(l.at("$.warmup", "warmup: want whole seconds, at most 1m: the measured seconds start where it ends"))
	}
	add(s.checkShop(l))
	add(s.checkResilience(l))
	add(s.checkLoad(l))
	errs = append(errs, s.checkFaults(l)...)
	errs = append(errs, s.checkHypotheses(l)...)
	for i, n := range s.Invariants {
		if !slices.Contains(contract.Invariants, n) {
			add(l.at(fmt.Sprintf("$.invariants[%d]", i), "invariants: unknown invariant %q (want some of %s)", n, strings.Join(contract.Invariants, ", ")))
		}
	}
	return errs
}

func (s *Scenario) checkShop(l *locator) error {
	names := make([]string, 0, len(s.Shop.Replicas))
	for k := range s.Shop.Replicas {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, svc := range names {
		if !lab.IsService(svc) {
			return l.at("$.shop.replicas."+svc, "shop.replicas: unknown service %q (want one of %s)", svc, strings.Join(contract.Services, ", "))
		}
		if n := s.Shop.Replicas[svc]; n < 1 || n > 50 {
			return l.at("$.shop.replicas."+svc, "shop.replicas.%s: want a count from 1 to 50, got %d", svc, n)
		}
	}
	switch s.Shop.PaymentMode {
	case "", "sync", "async":
	default:
		return l.at("$.shop.payment_mode", "shop.payment_mode: want sync or async, got %q", s.Shop.PaymentMode)
	}
	for _, svc := range slices.Sorted(maps.Keys(s.Shop.Constraints)) {
		if !lab.IsService(svc) {
			return l.at("$.shop.constraints."+svc, "shop.constraints: unknown service %q (services: %s)", svc, strings.Join(contract.Services, ", "))
		}
		for i, c := range s.Shop.Constraints[svc] {
			if _, err := lab.ParseConstraint(c); err != nil {
				return l.at(fmt.Sprintf("$.shop.constraints.%s[%d]", svc, i), "shop.constraints.%s: %v", svc, err)
			}
		}
	}
	switch s.Shop.Placement {
	case "", lab.PlacementSpread, lab.PlacementPack:
	default:
		return l.at("$.shop.placement", "shop.placement: want %s (the nodes in turn) or %s (all on the manager's node), got %q",
			lab.PlacementSpread, lab.PlacementPack, s.Shop.Placement)
	}
	return s.checkAutoscale(l)
}

func (s *Scenario) checkLoad(l *locator) error {
	ld := &s.Load
	switch {
	case ld.Journey == "" && ld.Script == "":
		return l.at("$.load", "load: want a journey (%s) or a script", strings.Join(load.Journeys(), ", "))
	case ld.Journey != "" && ld.Script != "":
		return l.at("$.load.script", "load: want a journey or a script, not both")
	case ld.Journey != "" && !load.IsJourney(ld.Journey):
		return l.at("$.load.journey", "load.journey: unknown journey %q (want one of %s)", ld.Journey, strings.Join(load.Journeys(), ", "))
	case ld.Script != "":
		if _, err := os.Stat(s.ScriptPath()); err != nil {
			return l.at("$.load.script", "load.script: cannot read %s: want the path of a k6 script, relative to the scenario", s.ScriptPath())
		}
		// The script's own options decide its load: a field of the lab's
		// journeys would be silently ignored.
		for field, set := range map[string]bool{"executor": ld.Executor != "", "rate": ld.Rate != 0, "vus": ld.VUs != 0,
			"start_rate": ld.StartRate != 0, "stages": len(ld.Stages) > 0, "think": ld.Think != 0, "checkout_share": ld.CheckoutShare != nil, "until": ld.Until != ""} {
			if set {
				return l.at("$.load."+field, "load.%s does not apply to a script: its own options decide its load (set it in the script)", field)
			}
		}
		return nil
	}
	if ld.Executor == "" {
		ld.Executor = "constant-arrival-rate"
	}
	if ld.Rate == 0 {
		ld.Rate = DefaultRate
	}
	if ld.VUs == 0 {
		ld.VUs = DefaultVUs
	}
	switch ld.Executor {
	case "constant-arrival-rate", "constant-vus":
	case "ramping-arrival-rate":
		if len(ld.Stages) == 0 {
			return l.at("$.load.stages", "load.stages: a ramping-arrival-rate load wants stages of target and duration")
		}
		var total lab.Duration
		named := map[string]bool{}
		for _, f := range s.Faults {
			named[f.Name] = true
		}
		for i, st := range ld.Stages {
			if st.Target < 0 || st.Duration <= 0 {
				return l.at(fmt.Sprintf("$.load.stages[%d]", i), "load.stages: want a target of 0 or more and a duration above 0")
			}
			if st.Name != "" && (reserved[st.Name] || named[st.Name]) {
				return l.at(fmt.Sprintf("$.load.stages[%d].name", i), "load.stages[%d].name: %q is taken (by a fault, another stage, or the lab: baseline, recovery, all, warmup, below-knee, past-knee); want a phase name of its own", i, st.Name)
			}
			if st.Name != "" && st.Duration.D()%time.Second != 0 {
				return l.at(fmt.Sprintf("$.load.stages[%d].duration", i), "load.stages[%d].duration: a named stage is a phase, measured in whole seconds", i)
			}
			named[st.Name] = st.Name != ""
			total += st.Duration
		}
		if total != s.Duration {
			return l.at("$.load.stages", "load.stages: the stages last %s, want the scenario's duration %s", total.D(), s.Duration.D())
		}
	default:
		return l.at("$.load.executor", "load.executor: want constant-arrival-rate, ramping-arrival-rate or constant-vus, got %q", ld.Executor)
	}
	switch {
	case ld.Until != "" && ld.Until != UntilKnee:
		return l.at("$.load.until", "load.until: want %s (end the ramp once latency bends), got %q", UntilKnee, ld.Until)
	case ld.Until != "" && ld.Executor != "ramping-arrival-rate":
		return l.at("$.load.until", "load.until: %s ends a ramp; want executor: ramping-arrival-rate with stages up to the highest rate to try", UntilKnee)
	}
	if ld.Rate < 1 || ld.Rate > 20000 {
		return l.at("$.load.rate", "load.rate: want iterations per second from 1 to 20000, got %d", ld.Rate)
	}
	if ld.VUs < 1 || ld.VUs > 5000 {
		return l.at("$.load.vus", "load.vus: want from 1 to 5000 virtual users, got %d", ld.VUs)
	}
	if c := ld.CheckoutShare; c != nil && (*c < 0 || *c > 1) {
		return l.at("$.load.checkout_share", "load.checkout_share: want a share from 0 to 1")
	}
	return nil
}

// reserved phase names.
var reserved = map[string]bool{"baseline": true, "recovery": true, "all": true, "warmup": true, BelowKnee: true, PastKnee: true}

// checkFaults returns the first problem of each fault entry.
func (s *Scenario) checkFaults(l *locator) []error {
	var errs []error
	seen := map[string]bool{}
	shape := s.Shape()
	for i, f := range s.Faults {
		if err := s.checkTimedFault(l, i, f, shape, seen); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (s *Scenario) checkTimedFault(l *locator, i int, f faults.Spec, shape lab.Shape, seen map[string]bool) error {
	if err := checkFault(l, fmt.Sprintf("$.faults[%d]", i), f, shape, seen); err != nil {
		return err
	}
	at := func(field, format string, args ...any) error {
		return l.at(fmt.Sprintf("$.faults[%d].%s", i, field), format, args...)
	}
	if s.Duration == 0 { // a script's, not read yet: FitScript checks the times
		return nil
	}
	if f.At >= s.Duration {
		return at("at", "at: %s is past the end of the load (duration %s); want a time within it", f.At.D(), s.Duration.D())
	}
	if f.For <= 0 && f.Kind != "restart" {
		return at("for", "for: want how long the fault lasts, such as 10s")
	}
	if f.At+f.For > s.Duration {
		return at("for", "for: the fault would end at %s, past the end of the load (duration %s)", (f.At + f.For).D(), s.Duration.D())
	}
	return nil
}

// checkFault validates one fault entry at base ("$.faults[2]", or "$" for
// an entry on its own): what it is and where it acts, not when, for a shop
// of shape; seen collects the names so far.
func checkFault(l *locator, base string, f faults.Spec, shape lab.Shape, seen map[string]bool) error {
	at := func(field, format string, args ...any) error {
		p := base
		if field != "" {
			p += "." + field
		}
		return l.at(p, format, args...)
	}
	if f.Name == "" {
		return at("", "%swant a name (it names the fault's phase in the results)", entryLabel(base))
	}
	if reserved[f.Name] || strings.ContainsAny(f.Name, " \t\"/") {
		return at("name", "fault name %q: want a name other than baseline, recovery, all, warmup, below-knee or past-knee, without spaces or slashes", f.Name)
	}
	if seen[f.Name] {
		return at("name", "fault name %q: used twice; want a unique name", f.Name)
	}
	seen[f.Name] = true
	kind, err := faults.Lookup(f.Kind)
	if err != nil {
		return at("kind", "kind: unknown fault kind %q (want one of %s)", f.Kind, strings.Join(faults.Kinds(), ", "))
	}
	if err := checkParams(l, base, f.Kind, faults.ParamNames(kind)); err != nil {
		return err
	}
	if f.Target == "" {
		return at("target", "target: want a service, an instance (payments-2), an edge (orders->payments) or a broker link (orders.broker)")
	}
	if _, err := faults.Resolve(f.Target, kind.Layer(), shape); err != nil && !errors.Is(err, faults.ErrNeedsPlacement) {
		return at("target", "%v", err)
	}
	if err := f.Check(); err != nil {
		field, _, _ := strings.Cut(err.Error(), ":")
		if strings.ContainsAny(field, " ,") {
			field = ""
		}
		return at(field, "%s fault %q: %v", f.Kind, f.Name, err)
	}
	return nil
}

// checkParams refuses a field of the entry at base that its kind does not
// take, at the field's position: the kind would silently ignore it.
func checkParams(l *locator, base, kind string, params []string) error {
	for _, k := range l.keys(base) {
		if slices.Contains(faults.Common, k.key) || slices.Contains(params, k.key) {
			continue
		}
		takes := "it takes no parameters"
		if len(params) > 0 {
			takes = "it takes " + strings.Join(params, ", ")
		}
		return &Error{File: l.file, Line: k.line, Col: k.col, Msg: fmt.Sprintf("%s does not apply to a %s fault; %s", k.key, kind, takes)}
	}
	return nil
}

// entryLabel names the entry at base in a message: "faults[2]: ".
func entryLabel(base string) string {
	if base == "$" {
		return ""
	}
	return strings.TrimPrefix(base, "$.") + ": "
}

// checkHypotheses returns the first problem of each hypothesis.
func (s *Scenario) checkHypotheses(l *locator) []error {
	phases := map[string]bool{"baseline": true, "recovery": true, "": true}
	for _, f := range s.Faults {
		phases[f.Name] = true
	}
	if s.Load.Until == UntilKnee {
		phases[BelowKnee], phases[PastKnee] = true, true
	}
	for _, st := range s.StagePhases() {
		phases[st.Name] = true
	}
	var errs []error
	names := map[string]bool{}
	for i, h := range s.Hypotheses {
		if err := s.checkHypothesis(l, i, h, phases, names); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (s *Scenario) checkHypothesis(l *locator, i int, h Hypothesis, phases, names map[string]bool) error {
	p := fmt.Sprintf("$.hypotheses[%d]", i)
	if h.Name == "" {
		return l.at(p, "hypotheses[%d]: want a name", i)
	}
	if names[h.Name] {
		return l.at(p+".name", "hypothesis %q: name used twice", h.Name)
	}
	names[h.Name] = true
	if !phases[h.During] {
		return l.at(p+".during", "during: no phase %q; want baseline, recovery, a fault's name, a named stage's, or below-knee and past-knee with until: knee", h.During)
	}
	if strings.TrimSpace(h.Expect) == "" {
		return l.at(p, "hypothesis %q: want expect, such as checkout.success_rate >= 0.99", h.Name)
	}
	if _, err := results.Compile(h.Expect, s.EndpointNames()); err != nil {
		msg := strings.SplitN(err.Error(), "\n", 2)[0]
		return l.at(p+".expect", "expect: bad expression %q: %s (want true or false over endpoints' %s)", h.Expect, msg, strings.Join(results.StatFields, ", "))
	}
	return nil
}
