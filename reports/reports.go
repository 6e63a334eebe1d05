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
	"os"
	"path/filepath"

	"lab/lab/experiment"
)

// Writer renders a Result to w.
type Writer interface {
	Write(w io.Writer, r *experiment.Result) error
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

// WriteAll writes every file format into dir.
func WriteAll(dir string, r *experiment.Result) error {
	var errs []error
	for _, f := range files {
		out, err := os.Create(filepath.Join(dir, f.name))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := f.w.Write(out, r); err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", f.name, err))
		}
		errs = append(errs, out.Close())
	}
	return errors.Join(errs...)
}

// Read loads report.json from dir.
func Read(dir string) (*experiment.Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		return nil, err
	}
	var r experiment.Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", filepath.Join(dir, "report.json"), err)
	}
	return &r, nil
}

type jsonWriter struct{}

func (jsonWriter) Write(w io.Writer, r *experiment.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
