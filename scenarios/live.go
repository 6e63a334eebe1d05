package scenarios

import (
	"bytes"
	"fmt"

	"github.com/goccy/go-yaml"

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
	var lf liveFile
	if err := yaml.UnmarshalWithOptions(data, &lf, yaml.Strict()); err != nil {
		return nil, decodeError(file, data, err)
	}
	l := newLocator(file, data)
	seen := map[string]bool{}
	for i, f := range lf.Faults {
		if err := checkFault(l, i, f, shape, seen); err != nil {
			return nil, err
		}
		if f.At != 0 || f.For != 0 {
			field := "at"
			if f.At == 0 {
				field = "for"
			}
			return nil, l.at(fmt.Sprintf("$.faults[%d].%s", i, field),
				"%s: a live fault is in force for as long as it is in the file; want no at and no for", field)
		}
	}
	return lf.Faults, nil
}
