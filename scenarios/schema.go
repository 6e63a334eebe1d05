package scenarios

import (
	"encoding/json"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"lab/faults"
	"lab/lab"
	"lab/lab/autoscale"
	"lab/load"
	"lab/services/contract"
)

// Schema returns the JSON Schema (draft-07) of scenario files (what
// "scenario") or of live fault files ("faults"), for editors
// (`# yaml-language-server: $schema=...`) and other tools. It is made from
// the same types and tables the lab decodes and checks with: fields from
// the yaml tags, fault kinds with their own parameters, services, edges,
// journeys, presets and invariants by name. What a schema cannot say (a
// fault past the end of the load, an expression, an instance beyond the
// replicas, a script's own options) `lab check` says.
func Schema(what string) ([]byte, bool) {
	var s map[string]any
	switch what {
	case "scenario":
		s = scenarioSchema()
	case "faults":
		s = liveSchema()
	default:
		return nil, false
	}
	b, _ := json.MarshalIndent(s, "", "  ") // maps of plain values always marshal
	return append(b, '\n'), true
}

// SchemaKinds are what Schema knows.
var SchemaKinds = []string{"scenario", "faults"}

// draft-07: what the YAML language server and most editors read whole.
const draft = "http://json-schema.org/draft-07/schema#"

// goDuration is a Go duration as time.ParseDuration reads it ("300ms",
// "1m30s", "0"); wholeSeconds one of whole seconds ("30s", "1m30s").
var (
	goDuration   = `^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*$|^0$`
	wholeSeconds = `^([0-9]+h([0-9]+m)?([0-9]+s)?|[0-9]+m([0-9]+s)?|[0-9]+s)$`
)

var durationType = reflect.TypeOf(lab.Duration(0))

// typeSchema describes a Go type as its yaml tags write it.
func typeSchema(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return map[string]any{"type": "string", "pattern": goDuration, "description": "a duration such as 300ms or 1m30s"}
	case t.Kind() == reflect.Struct:
		props := map[string]any{}
		addFields(t, props)
		return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": typeSchema(t.Elem())}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": typeSchema(t.Elem())}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{} // any value (shop.config's)
}

// addFields adds t's fields, inline ones flattened, by their yaml names.
func addFields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-" || (!f.IsExported() && !f.Anonymous):
			continue
		case strings.Contains(opts, "inline") || (f.Anonymous && tag == ""):
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			addFields(ft, props)
			continue
		case name == "":
			name = strings.ToLower(f.Name)
		}
		props[name] = typeSchema(f.Type)
	}
}

// at returns the schema at a path of property names, made on the way.
func at(s map[string]any, path ...string) map[string]any {
	for _, p := range path {
		props := s["properties"].(map[string]any)
		s = props[p].(map[string]any)
	}
	return s
}

func enum[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func alternation(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = regexp.QuoteMeta(x)
	}
	return "(" + strings.Join(q, "|") + ")"
}

// targetPattern is what a kind of layer may target: services and instances
// for every kind; edges, broker links for network kinds; the broker for
// network and process kinds.
func targetPattern(l faults.Layer) string {
	svc := alternation(contract.Services)
	alts := []string{"^" + svc + "(-[1-9][0-9]*)?$"}
	if l == faults.Network {
		alts = append(alts, "^"+alternation(faults.Edges())+"(-[1-9][0-9]*)?$", "^"+svc+`\.broker$`)
	}
	if l == faults.Network || l == faults.Process {
		alts = append(alts, "^broker$")
	}
	return strings.Join(alts, "|")
}

// faultSchema is one fault entry: the common fields, then, by kind, the
// kind's own parameters and nothing else. timed entries (a scenario's) have
// at and for; live ones have neither.
func faultSchema(timed bool) map[string]any {
	common := map[string]any{
		"name":   map[string]any{"type": "string", "pattern": `^[^\s/]+$`, "not": map[string]any{"enum": []any{"baseline", "recovery", "all", "warmup"}}},
		"target": map[string]any{"type": "string"},
		"kind":   map[string]any{"enum": enum(faults.Kinds())},
	}
	required := []any{"name", "target", "kind"}
	if timed {
		common["at"] = typeSchema(durationType)
		common["for"] = typeSchema(durationType)
		required = append(required, "at", "for")
	}
	var byKind []any
	for _, name := range faults.Kinds() {
		k, _ := faults.Lookup(name)
		props := map[string]any{}
		for p, v := range common {
			props[p] = v
		}
		addFields(reflect.TypeOf(k.New()).Elem(), props)
		props["target"] = map[string]any{"type": "string", "pattern": targetPattern(k.Layer())}
		if p, ok := props["toxicity"].(map[string]any); ok {
			p["minimum"], p["maximum"] = 0, 1
		}
		if p, ok := props["status"].(map[string]any); ok && name == "http_error" {
			p["minimum"], p["maximum"] = 400, 599
		}
		then := map[string]any{"properties": props, "additionalProperties": false}
		if req := requiredParams[name]; len(req) > 0 {
			then["required"] = enum(req)
		}
		byKind = append(byKind, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"kind": map[string]any{"const": name}}, "required": []any{"kind"}},
			"then": then,
		})
	}
	return map[string]any{"type": "object", "properties": common, "required": required, "allOf": byKind}
}

// requiredParams are the parameters a kind cannot do without.
var requiredParams = map[string][]string{
	"latency": {"latency"},
}

func scenarioSchema() map[string]any {
	s := typeSchema(reflect.TypeOf(Scenario{}))
	s["$schema"] = draft
	s["title"] = "lab scenario"
	s["description"] = "A scenario of the lab (lab run FILE): load, faults on a timeline, hypotheses. lab check FILE checks what a schema cannot."
	s["required"] = []any{"name", "load"}
	at(s, "name")["minLength"] = 1
	at(s, "duration")["pattern"] = wholeSeconds
	at(s, "duration")["not"] = map[string]any{"pattern": `^(0+[hms])+$`} // some load
	at(s, "warmup")["pattern"] = wholeSeconds
	shop := at(s, "shop")
	at(shop, "payment_mode")["enum"] = []any{"sync", "async"}
	replicas := at(shop, "replicas")
	replicas["propertyNames"] = map[string]any{"enum": enum(contract.Services)}
	replicas["additionalProperties"] = map[string]any{"type": "integer", "minimum": 1, "maximum": 50}
	as := at(shop, "autoscale")
	var scalable []string
	for _, svc := range contract.Services {
		if svc != "gateway" {
			scalable = append(scalable, svc)
		}
	}
	as["propertyNames"] = map[string]any{"enum": enum(scalable)}
	one := as["additionalProperties"].(map[string]any)
	one["required"] = []any{"min", "max", "metric", "target"}
	at(one, "min")["minimum"] = 1
	at(one, "max")["minimum"], at(one, "max")["maximum"] = 1, 50
	at(one, "metric")["enum"] = enum(autoscale.Metrics)
	at(one, "target")["type"] = []any{"string", "number"}
	at(one, "tolerance")["minimum"], at(one, "tolerance")["exclusiveMaximum"] = 0, 1
	res := at(s, "resilience")
	at(res, "preset")["enum"] = enum(contract.Presets)
	at(res, "edges")["propertyNames"] = map[string]any{"enum": enum(faults.Edges())}
	eject := at(at(res, "edges")["additionalProperties"].(map[string]any), "eject")
	at(eject, "failures")["maximum"] = 100
	at(eject, "max_share")["exclusiveMinimum"], at(eject, "max_share")["maximum"] = 0, 1
	ld := at(s, "load")
	at(ld, "journey")["enum"] = enum(load.Journeys())
	at(ld, "executor")["enum"] = []any{"constant-arrival-rate", "ramping-arrival-rate", "constant-vus"}
	at(ld, "rate")["minimum"] = 1
	at(ld, "until")["enum"] = []any{UntilKnee}
	at(at(s, "shop"), "placement")["enum"] = []any{lab.PlacementSpread, lab.PlacementPack}
	cons := at(at(s, "shop"), "constraints")
	cons["propertyNames"] = map[string]any{"enum": enum(contract.Services)}
	cons["additionalProperties"].(map[string]any)["items"] = map[string]any{"type": "string",
		"pattern": `^\s*node\.(id|hostname|role|labels\.[^=!\s]+)\s*(==|!=)\s*[^=!\s]+\s*$`}
	at(ld, "checkout_share")["minimum"], at(ld, "checkout_share")["maximum"] = 0, 1
	stage := at(ld, "stages")["items"].(map[string]any)
	at(stage, "name")["not"] = map[string]any{"enum": enum(slices.Sorted(maps.Keys(reserved)))}
	ld["oneOf"] = []any{map[string]any{"required": []any{"journey"}}, map[string]any{"required": []any{"script"}}}
	ld["if"] = map[string]any{"properties": map[string]any{"executor": map[string]any{"const": "ramping-arrival-rate"}}, "required": []any{"executor"}}
	ld["then"] = map[string]any{"required": []any{"stages"}}
	ld["allOf"] = []any{map[string]any{ // until: knee ends a ramp
		"if":   map[string]any{"required": []any{"until"}},
		"then": map[string]any{"properties": map[string]any{"executor": map[string]any{"const": "ramping-arrival-rate"}}, "required": []any{"executor"}},
	}}
	at(s, "faults")["items"] = faultSchema(true)
	hyp := at(s, "hypotheses")["items"].(map[string]any)
	hyp["required"] = []any{"name", "expect"}
	at(s, "invariants")["items"] = map[string]any{"enum": enum(contract.Invariants)}
	return s
}

func liveSchema() map[string]any {
	return map[string]any{
		"$schema":              draft,
		"title":                "lab live fault file",
		"description":          "The faults in force now (lab up --faults FILE, lab run --live FILE): entries as in a scenario, without at and for.",
		"type":                 "object",
		"properties":           map[string]any{"faults": map[string]any{"type": "array", "items": faultSchema(false)}},
		"additionalProperties": false,
	}
}
