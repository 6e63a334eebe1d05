package scenarios

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compile compiles Schema(what) with a validator of its own.
func compile(t *testing.T, what string) *jsonschema.Schema {
	t.Helper()
	b, ok := Schema(what)
	if !ok {
		t.Fatalf("no schema %q", what)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(what+".json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(what + ".json")
	if err != nil {
		t.Fatalf("the %s schema does not compile: %v", what, err)
	}
	return s
}

// asJSON reads a YAML file as the JSON value an editor's schema check sees;
// an error is a file no schema check gets to (YAML itself refuses it).
func asJSON(data []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// TestSchemaAcceptsEveryBuiltin: each built-in scenario, and the one lab
// init writes, validates against the scenario schema.
func TestSchemaAcceptsEveryBuiltin(t *testing.T) {
	s := compile(t, "scenario")
	for _, n := range Names() {
		sc, err := Builtin(n)
		if err != nil {
			t.Fatal(err)
		}
		v, err := asJSON(sc.Source)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if err := s.Validate(v); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	starter := Starter("my-outage")
	if _, err := Parse("my-outage.yaml", starter, nil); err != nil {
		t.Errorf("lab init's starter: %v", err)
	}
	if v, err := asJSON(starter); err != nil || s.Validate(v) != nil {
		t.Errorf("lab init's starter against the schema: %v, %v", err, s.Validate(v))
	}
	good, _ := filepath.Glob("testdata/*.yaml")
	for _, f := range good {
		b, _ := os.ReadFile(f)
		if _, err := Parse(f, b, nil); err != nil {
			continue // only files the lab accepts
		}
		v, _ := asJSON(b)
		if err := s.Validate(v); err != nil {
			t.Errorf("%s: the lab accepts it, the schema does not: %v", f, err)
		}
	}
}

// beyondSchema are the malformed scenarios whose fault a schema cannot see,
// and why; every other file of the corpus must be rejected by the schema.
var beyondSchema = map[string]string{
	"bad-expression.yaml":                 "an expression's syntax",
	"non-bool-expression.yaml":            "an expression's type",
	"unknown-endpoint-in-expression.yaml": "the names inside an expression",
	"unknown-baseline-endpoint.yaml":      "the names inside an expression",
	"unknown-phase.yaml":                  "a phase is a fault's name from elsewhere in the file",
	"knee-phase-without-until.yaml":       "the knee's phases come from load.until, elsewhere in the file",
	"duplicate-fault-name.yaml":           "names unique across entries",
	"fault-past-end.yaml":                 "a fault's time against the duration",
	"fault-runs-over-end.yaml":            "a fault's time against the duration",
	"stages-wrong-length.yaml":            "the stages' sum against the duration",
	"missing-script.yaml":                 "a file on disk",
	"no-such-instance.yaml":               "an instance against the replicas",
	"autoscale-replicas-outside.yaml":     "replicas against the autoscale's bounds",
	"autoscale-lag.yaml":                  "a metric against the service",
	"autoscale-max-below-min.yaml":        "max against min",
	"autoscale-target-unit.yaml":          "a target's unit against its metric",
}

// TestSchemaRejectsTheMalformedCorpus: every malformed scenario the lab
// refuses, but for the ones listed above (which the schema must accept:
// the list is no larger than it must be), is refused by the schema too.
func TestSchemaRejectsTheMalformedCorpus(t *testing.T) {
	s := compile(t, "scenario")
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) < 40 {
		t.Fatalf("corpus has %d files", len(files))
	}
	rejected := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		v, err := asJSON(b)
		if err == nil {
			err = s.Validate(v)
		}
		why, beyond := beyondSchema[filepath.Base(f)]
		switch {
		case beyond && err != nil:
			t.Errorf("%s is listed as beyond a schema (%s), and the schema refuses it: %v", f, why, firstLine(err))
		case !beyond && err == nil:
			t.Errorf("%s: the lab refuses it; the schema accepts it", f)
		case err != nil:
			rejected++
		}
	}
	t.Logf("the schema refuses %d of %d malformed scenarios; %d are beyond a schema", rejected, len(files), len(beyondSchema))
}

// TestLiveSchema: the live fault corpus's good files pass, its bad ones
// (but those beyond a schema) do not.
func TestLiveSchema(t *testing.T) {
	s := compile(t, "faults")
	beyond := map[string]string{
		"same-name.yaml":        "names unique across entries",
		"unknown-instance.yaml": "an instance against the replicas",
		"alias-twice.yaml":      "a YAML alias, resolved before any schema",
	}
	files, _ := filepath.Glob("testdata/live/*.yaml")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		v, err := asJSON(b)
		if err == nil {
			err = s.Validate(v)
		}
		why, isBeyond := beyond[filepath.Base(f)]
		switch {
		case !isBeyond && err == nil:
			t.Errorf("%s: the lab refuses it; the schema accepts it", f)
		case isBeyond && err != nil:
			t.Errorf("%s is listed as beyond a schema (%s), and the schema refuses it: %v", f, why, firstLine(err))
		}
	}
	v, _ := asJSON([]byte("faults:\n  - {name: slow, target: gateway->catalog, kind: latency, latency: 300ms}\n  - {name: boom, target: payments, kind: http_error, status: 503}\n"))
	if err := s.Validate(v); err != nil {
		t.Errorf("a good live file: %v", err)
	}
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
