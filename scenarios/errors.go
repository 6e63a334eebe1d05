package scenarios

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"lab/faults"
	"lab/lab"
)

// Error is a problem in a scenario file, at a line and column (from 1; 0
// when the problem is not at one place, such as an empty file).
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ErrBadScenario is matched by every *Error (errors.Is).
var ErrBadScenario = errors.New("scenarios: bad scenario")

// Is makes errors.Is(err, ErrBadScenario) true for an *Error.
func (e *Error) Is(target error) bool { return target == ErrBadScenario }

// decodeError turns a go-yaml error into an *Error with its position.
func decodeError(file string, data []byte, err error) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		msg := ye.GetMessage()
		if tok := ye.GetToken(); tok != nil {
			return &Error{File: file, Line: tok.Position.Line, Col: tok.Position.Column, Msg: explain(msg)}
		}
		return &Error{File: file, Msg: explain(msg)}
	}
	// Errors of our own unmarshalers (durations) carry no position, but
	// they quote the value: find the node, in the file's YAML tree, of a
	// duration field holding it (never the text, which may stand earlier
	// under another field).
	e := &Error{File: file, Msg: err.Error()}
	// A list or a mapping where a duration goes reaches the duration's
	// text unmarshaler, and the library says only "does not implemented
	// Unmarshaler", with no position: find the duration field that holds
	// something other than a plain value.
	if strings.Contains(err.Error(), "Unmarshaler") {
		if key, line, col, ok := nonScalarDuration(parseAST(data)); ok {
			e.Line, e.Col, e.Msg = line, col, key+": want a duration such as 10s or 300ms, not a list or a mapping"
		}
		return e
	}
	if m := quoted.FindStringSubmatch(err.Error()); m != nil {
		if key, line, col, ok := durationNode(parseAST(data), m[1]); ok {
			e.Line, e.Col, e.Msg = line, col, key+": "+e.Msg
		}
	}
	return e
}

// durationKeys are the YAML keys of every duration field a scenario or a
// fault entry has, read off the types.
var durationKeys = func() map[string]bool {
	keys := map[string]bool{}
	dur := reflect.TypeOf(lab.Duration(0))
	var walk func(t reflect.Type, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, seen map[reflect.Type]bool) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft == dur && key != "" && key != "-" {
				keys[key] = true
			}
			walk(f.Type, seen)
		}
	}
	seen := map[reflect.Type]bool{}
	walk(reflect.TypeOf(Scenario{}), seen)
	for _, t := range faults.ParamTypes() { // a fault entry's, by its kind
		walk(t, seen)
	}
	return keys
}()

// durationNode finds, in document order, the first value of a duration
// field that is value, and returns its key and position.
func durationNode(f *ast.File, value string) (key string, line, col int, ok bool) {
	return findDuration(f, func(v ast.Node) bool {
		if sc, isScalar := v.(ast.ScalarNode); isScalar {
			return strings.TrimSpace(fmt.Sprint(sc.GetValue())) == value
		}
		return v.Type() == ast.NullType && value == ""
	})
}

// nonScalarDuration finds, in document order, the first duration field
// whose value is a list or a mapping.
func nonScalarDuration(f *ast.File) (key string, line, col int, ok bool) {
	return findDuration(f, func(v ast.Node) bool {
		_, isScalar := v.(ast.ScalarNode)
		return !isScalar && v.Type() != ast.NullType
	})
}

// findDuration finds, in document order, the first duration field whose
// value match takes, and returns its key and the value's position (the
// key's, for an empty value).
func findDuration(f *ast.File, match func(value ast.Node) bool) (key string, line, col int, ok bool) {
	if f == nil {
		return "", 0, 0, false
	}
	var found *ast.MappingValueNode
	for _, doc := range f.Docs {
		ast.Walk(visitor(func(n ast.Node) bool {
			if mv, isMV := n.(*ast.MappingValueNode); found == nil && isMV && durationKeys[mv.Key.String()] && match(mv.Value) {
				found = mv
			}
			return found == nil
		}), doc)
	}
	if found == nil {
		return "", 0, 0, false
	}
	tok := found.Value.GetToken()
	if tok == nil || found.Value.Type() == ast.NullType {
		tok = found.Key.GetToken()
	}
	return found.Key.String(), tok.Position.Line, tok.Position.Column, true
}

// visitor adapts a function to ast.Visitor: it goes on into n's children
// while fn says so.
type visitor func(n ast.Node) bool

func (v visitor) Visit(n ast.Node) ast.Visitor {
	if v(n) {
		return v
	}
	return nil
}

var quoted = regexp.MustCompile(`got "([^"]*)"$`)

// goType finds the Go type go-yaml wanted in a "cannot unmarshal" message.
var goType = regexp.MustCompile(`(?:Go value of type|of type) (\S+?)\)?$`)

// wantFor says what to write for a Go type, by the type's prefix.
var wantFor = []struct{ gotype, want string }{
	{"int", "a whole number"}, {"uint", "a whole number"}, {"float", "a number"}, {"string", "text"},
	{"bool", "true or false"}, {"[]", "a list"}, {"map[", "a mapping"},
	{"faults.Spec", "a mapping with name, at, for, target, kind"}, {"scenarios.", "a mapping"},
}

// explain rewrites go-yaml's messages into what the user should write.
func explain(msg string) string {
	switch {
	case strings.Contains(msg, "where sequence is expected"):
		return "wrong type: want a list (" + msg + ")"
	case strings.Contains(msg, "where mapping is expected"):
		return "wrong type: want a mapping of fields (" + msg + ")"
	case strings.HasPrefix(msg, "unknown field"):
		return msg + " (see `lab explain` or the README for the fields of a scenario)"
	case strings.Contains(msg, "cannot unmarshal"):
		if m := goType.FindStringSubmatch(msg); m != nil {
			for _, t := range wantFor {
				if strings.HasPrefix(m[1], t.gotype) {
					return "wrong type: want " + t.want + " (" + msg + ")"
				}
			}
		}
		return "wrong type: " + msg
	}
	return msg
}

// locator finds the position of a YAML path in a file.
type locator struct {
	file string
	ast  *ast.File
}

func newLocator(file string, data []byte) *locator {
	return &locator{file: file, ast: parseAST(data)}
}

// at returns an *Error at path ("$.faults[1].target"), or at the closest
// parent of it that the file has.
func (l *locator) at(path, format string, args ...any) (e *Error) {
	e = &Error{File: l.file, Msg: fmt.Sprintf(format, args...)}
	defer func() {
		if recover() != nil { // the YAML library's path filter: the file alone
			e.Line, e.Col = 0, 0
		}
	}()
	for p := path; p != "" && l.ast != nil; p = parent(p) {
		if p == "$" { // a field missing at the top: point at the document
			e.Line, e.Col = 1, 1
			return e
		}
		yp, err := yaml.PathString(p)
		if err != nil {
			continue
		}
		n, err := yp.FilterFile(l.ast)
		if err != nil || n == nil {
			continue
		}
		if tok := n.GetToken(); tok != nil {
			e.Line, e.Col = tok.Position.Line, tok.Position.Column
			return e
		}
	}
	return e
}

func parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// keyAt is a key of a mapping and where it stands.
type keyAt struct {
	key       string
	line, col int
}

// keys returns the keys of the mapping at path, in the file's order, or
// none when the file has no mapping there.
func (l *locator) keys(path string) (out []keyAt) {
	defer func() {
		if recover() != nil { // the YAML library's path filter
			out = nil
		}
	}()
	if l.ast == nil {
		return nil
	}
	var n ast.Node
	if path == "$" {
		if len(l.ast.Docs) == 0 {
			return nil
		}
		n = l.ast.Docs[0].Body
	} else {
		yp, err := yaml.PathString(path)
		if err != nil {
			return nil
		}
		if n, err = yp.FilterFile(l.ast); err != nil {
			return nil
		}
	}
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	}
	for _, v := range values {
		if tok := v.Key.GetToken(); tok != nil {
			out = append(out, keyAt{key: v.Key.String(), line: tok.Position.Line, col: tok.Position.Column})
		}
	}
	return out
}
