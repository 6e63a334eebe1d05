package scenarios

import (
	"bytes"

	"github.com/goccy/go-yaml/ast"

	"lab/faults"
	"lab/lab"
)

// File kinds Check tells apart.
const (
	KindScenario = "scenario"
	KindLive     = "live fault file"
)

// Check validates a scenario or a live fault file without starting
// anything and returns every problem found, each an *Error with its file,
// line and column (a file that does not decode has that one problem). A
// file whose only top-level key is `faults` is a live fault file, checked
// for a shop of shape; anything else is a scenario.
func Check(file string, data []byte, shape lab.Shape) (kind string, errs []error) {
	if isLive(data) {
		_, errs := checkLive(file, data, shape)
		return KindLive, errs
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return KindScenario, []error{&Error{File: file, Msg: "empty file: want a scenario with at least name, duration and load"}}
	}
	var s Scenario
	if err := decodeStrict(file, data, &s); err != nil {
		return KindScenario, []error{err}
	}
	s.Path, s.Source = file, data
	return KindScenario, s.problems(newLocator(file, data))
}

// isLive reports whether data's top level is a mapping of `faults` alone.
func isLive(data []byte) bool {
	f := parseAST(data)
	if f == nil || len(f.Docs) != 1 {
		return false
	}
	m, ok := f.Docs[0].Body.(*ast.MappingNode)
	if !ok || len(m.Values) != 1 {
		return false
	}
	return m.Values[0].Key.String() == "faults"
}

// checkLive decodes a live fault file and returns its entries and every
// problem: its first if it does not decode, else the first of each entry.
func checkLive(file string, data []byte, shape lab.Shape) ([]faults.Spec, []error) {
	var lf liveFile
	if err := decodeStrict(file, data, &lf); err != nil {
		return nil, []error{err}
	}
	l := newLocator(file, data)
	seen := map[string]bool{}
	var errs []error
	for i, f := range lf.Faults {
		if err := checkLiveEntry(l, i, f, shape, seen); err != nil {
			errs = append(errs, err)
		}
	}
	return lf.Faults, errs
}
