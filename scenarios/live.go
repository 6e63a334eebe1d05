package scenarios

import (
	"bytes"
	"fmt"

	"lab/faults"
	"lab/lab"
)

// liveFile is a live fault file: the faults that should be in force now.
type liveFile struct {
	Faults []faults.Spec `yaml:"faults"`
}

// ParseLive decodes a live fault file (`lab up --faults FILE`): a `faults:`
// list of entries as in scenarios, without `at` and `for`, since a fault is
// in force for as long as it is in the file. It decodes strictly and checks
// every entry for a shop of shape; an error names file, line and column. An
// empty file, or an empty list, means no faults.
func ParseLive(file string, data []byte, shape lab.Shape) ([]faults.Spec, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	specs, errs := checkLive(file, data, shape)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return specs, nil
}

// checkLiveEntry checks the i-th entry of a live fault file.
func checkLiveEntry(l *locator, i int, f faults.Spec, shape lab.Shape, seen map[string]bool) error {
	base := fmt.Sprintf("$.faults[%d]", i)
	if err := checkFault(l, base, f, shape, seen); err != nil {
		return err
	}
	if f.At != 0 || f.For != 0 {
		field := "at"
		if f.At == 0 {
			field = "for"
		}
		return l.at(base+"."+field, "%s: a live fault is in force for as long as it is in the file; want no at and no for", field)
	}
	return nil
}

// ParseEntry decodes one fault entry as `lab fault add` and the control
// API take it (YAML, flow or block style; JSON is YAML too), without `at`
// and `for`, and checks it as ParseLive checks a file's entries; positions
// in errors are in the entry itself.
func ParseEntry(file string, data []byte, shape lab.Shape) (faults.Spec, error) {
	var s faults.Spec
	if len(bytes.TrimSpace(data)) == 0 {
		return s, &Error{File: file, Msg: "empty fault: want one entry, such as {name: slow, target: catalog, kind: latency, latency: 300ms}"}
	}
	if err := decodeStrict(file, data, &s); err != nil {
		return s, err
	}
	l := newLocator(file, data)
	if err := checkFault(l, "$", s, shape, map[string]bool{}); err != nil {
		return s, err
	}
	if s.At != 0 || s.For != 0 {
		field := "at"
		if s.At == 0 {
			field = "for"
		}
		return s, l.at("$."+field, "%s: a live fault is in force until it is removed; want no at and no for", field)
	}
	return s, nil
}
