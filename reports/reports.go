// Package reports renders a run's Result: the terminal tables, report.json,
// report.md (for a pull request), report.html (charts, for people) and
// junit.xml (for CI viewers). Each format
// is a Writer listed in one table; WriteAll writes every file format.
package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"lab/internal/atomicfile"
	"lab/lab/results"
	"os"
	"path/filepath"
	"strings"
)

// Writer renders a Result to w.
type Writer interface {
	Write(w io.Writer, r *results.Result) error
}

// files lists every file format of the run folder.
var files = []struct {
	name string
	w    Writer
}{
	{"report.json", jsonWriter{}},
	{"report.md", markdown{}},
	{"report.html", htmlReport{}},
	{"junit.xml", junit{}},
}

// WriteAll writes every file format into dir. Each file is written under
// a temporary name and renamed into place, so a lab killed mid-write leaves
// the previous file or the new one, never a truncated one.
func WriteAll(dir string, r *results.Result) error {
	var errs []error
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), func(w io.Writer) error { return f.w.Write(w, r) }); err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", f.name, err))
		}
	}
	return errors.Join(errs...)
}

// namedFile is one file of a set: its name and what writes it.
type namedFile struct {
	name  string
	write func(io.Writer) error
}

// writeSet writes each file into dir, each aside and renamed, stopping at
// the first that fails.
func writeSet(dir string, set []namedFile) error {
	for _, f := range set {
		if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return nil
}

// indentedJSON writes v as indented JSON, with "p95 < 200ms" and
// "orders->payments" as written, not "\u003c" and "-\u003e": the lab's
// JSON files are read by people and jq, never inlined in HTML.
func indentedJSON(v any) func(io.Writer) error {
	return func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	}
}

// writeFile writes path through write, whole or not at all.
func writeFile(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, 0o644, write)
}

// Read loads report.json from dir (see Decode).
func Read(dir string) (*results.Result, error) {
	name := filepath.Join(dir, "report.json")
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return Decode(name, b)
}

// Decode reads a report.json's bytes; name is the file's name for errors,
// which say where in the file (line and column) and what was expected.
// It refuses what the renderers cannot draw: a report without a scenario or
// a verdict, a phase that ends before it starts, a second far out of the run.
func Decode(name string, b []byte) (*results.Result, error) {
	var r results.Result
	if err := decodeAt(name, b, &r, "report.json a run"); err != nil {
		return nil, err
	}
	if err := check(&r); err != nil {
		return nil, fmt.Errorf("%s: %w; want the report.json a run wrote", name, err)
	}
	return &r, nil
}

// decodeAt decodes the JSON file name into v; an error names the line and
// column of the culprit and what wrote the file ("report.json a run").
func decodeAt(name string, b []byte, v any, writer string) error {
	if err := json.Unmarshal(b, v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := position(b, se.Offset-1)
			return fmt.Errorf("%s:%d:%d: not JSON: %v; want the %s wrote", name, line, col, se, writer)
		case errors.As(err, &te):
			line, col := position(b, valueStart(b, te.Offset))
			return fmt.Errorf("%s:%d:%d: %s: want %s, got a JSON %s", name, line, col, te.Field, te.Type, te.Value)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// DecodeExplore reads an explore's explore.json (name is its path, for
// errors), refusing one an explore cannot have written.
func DecodeExplore(name string, b []byte) (*results.Explore, error) {
	var e results.Explore
	if err := decodeAt(name, b, &e, "explore.json an explore"); err != nil {
		return nil, err
	}
	if len(e.Probes) == 0 || e.Load == "" {
		return nil, fmt.Errorf("%s: no probes or no load; want the explore.json an explore wrote", name)
	}
	return &e, nil
}

// check refuses a Result the renderers cannot draw.
func check(r *results.Result) error {
	switch {
	case r.Scenario == "":
		return errors.New("no scenario")
	case r.Verdict != results.Pass && r.Verdict != results.Fail && r.Verdict != results.Inconclusive:
		return fmt.Errorf("verdict %q", r.Verdict)
	case r.DurationS < 0 || r.DurationS > 7*24*3600:
		return fmt.Errorf("duration_s %g", r.DurationS)
	}
	for i, p := range r.Phases {
		if p.EndS < p.StartS || p.StartS < -3600 || p.EndS > 7*24*3600 {
			return fmt.Errorf("phases[%d] (%s): from %ds to %ds", i, p.Name, p.StartS, p.EndS)
		}
	}
	for i, s := range r.Series {
		if s.S < -3600 || s.S > 7*24*3600 {
			return fmt.Errorf("series[%d]: second %d", i, s.S)
		}
	}
	return nil
}

// valueStart returns where the JSON value that ends at off begins: after
// the ':', ',' or '[' before it and any white space.
func valueStart(b []byte, off int64) int64 {
	off = min(max(off, 0), int64(len(b)))
	i := off - 1
	for i >= 0 && !strings.ContainsRune(":,[", rune(b[i])) {
		if b[i] == '"' { // skip a string value back to its opening quote
			for i--; i >= 0 && b[i] != '"'; i-- {
			}
		}
		i--
	}
	for i++; i < off && strings.ContainsRune(" \t\r\n", rune(b[i])); i++ {
	}
	return i
}

// position turns a byte offset of b into a line and column, from 1.
func position(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	line, col = 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

type jsonWriter struct{}

func (jsonWriter) Write(w io.Writer, r *results.Result) error { return indentedJSON(r)(w) }

// Formats returns the Writer of every file format, in the order WriteAll
// writes them.
func Formats() []Writer {
	out := make([]Writer, len(files))
	for i, f := range files {
		out[i] = f.w
	}
	return out
}
