package scenarios

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
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
	// they quote the value: find it in the file.
	e := &Error{File: file, Msg: err.Error()}
	if m := quoted.FindStringSubmatch(err.Error()); m != nil {
		for i, line := range strings.Split(string(data), "\n") {
			key, val, ok := strings.Cut(line, ":")
			if ok && strings.TrimSpace(val) == m[1] {
				e.Line, e.Col = i+1, len(key)+2+strings.Index(val, m[1])
				e.Msg = strings.TrimSpace(strings.TrimPrefix(key, "- ")) + ": " + e.Msg
				break
			}
		}
	}
	return e
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
