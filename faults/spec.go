package faults

import (
	"encoding/json"
	"fmt"
	"lab/lab"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Common are the fields every fault entry has, beside its kind's.
var Common = []string{"name", "at", "for", "target", "kind"}

// UnmarshalYAML decodes an entry: the common fields, then the kind's own
// parameters from the same mapping (positions of type errors stay the
// file's). A field that no kind has is an unknown field; a field of another
// kind is left for the checkers to refuse at its place (ParamNames says
// what the kind takes), and so is an unknown kind.
func (s *Spec) UnmarshalYAML(node ast.Node) error {
	var c struct {
		Name   string       `yaml:"name"`
		At     lab.Duration `yaml:"at"`
		For    lab.Duration `yaml:"for"`
		Target string       `yaml:"target"`
		Kind   string       `yaml:"kind"`
	}
	if err := yaml.NodeToValue(node, &c); err != nil {
		return err
	}
	*s = Spec{Name: c.Name, At: c.At, For: c.For, Target: c.Target, Kind: c.Kind}
	for _, kv := range mappingValues(node) {
		if key := keyOf(kv); !slices.Contains(Common, key) && !anyParam[key] {
			return &yaml.UnknownFieldError{Message: fmt.Sprintf("unknown field %q", key), Token: kv.Key.GetToken()}
		}
	}
	kind, err := Lookup(c.Kind)
	if err != nil {
		return nil
	}
	p := kind.New()
	if err := yaml.NodeToValue(node, p); err != nil {
		return err
	}
	s.Params = p
	return nil
}

// mappingValues returns the key-value pairs of a mapping node, in order.
func mappingValues(node ast.Node) []*ast.MappingValueNode {
	switch n := node.(type) {
	case *ast.MappingNode:
		return n.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}
	}
	return nil
}

// keyOf returns a mapping value's key as written, without quotes.
func keyOf(kv *ast.MappingValueNode) string {
	if s, ok := kv.Key.(*ast.StringNode); ok {
		return s.Value
	}
	return kv.Key.String()
}

// UnmarshalJSON decodes an entry written as JSON, as YAML does.
func (s *Spec) UnmarshalJSON(data []byte) error { return yaml.Unmarshal(data, s) }

// MarshalJSON writes the entry as it is written: the common fields and the
// kind's parameters side by side.
func (s Spec) MarshalJSON() ([]byte, error) {
	type plain Spec // without this method
	out, err := json.Marshal(plain(s))
	if err != nil || s.Params == nil {
		return out, err
	}
	params, err := json.Marshal(s.Params)
	if err != nil || string(params) == "{}" {
		return out, err
	}
	return append(append(out[:len(out)-1], ','), params[1:]...), nil
}

// ParamNames returns the parameters kind takes, as an entry writes them
// (latency, jitter, ...), beyond what every fault has: the yaml keys of its
// parameters' struct, in order.
func ParamNames(kind Kind) []string { return paramKeys(reflect.TypeOf(kind.New())) }

func paramKeys(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		key, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case opts == "inline":
			out = append(out, paramKeys(f.Type)...)
		case key != "" && key != "-":
			out = append(out, key)
		}
	}
	return out
}

// anyParam holds every parameter some kind takes; filled as kinds register.
var anyParam = map[string]bool{}

// ParamTypes returns the parameters' types of every kind, for readers that
// walk the fields of fault entries (the durations among them).
func ParamTypes() []reflect.Type {
	var out []reflect.Type
	for _, name := range Kinds() {
		out = append(out, reflect.TypeOf(kinds[name].New()))
	}
	return out
}
