package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lab/lab"
	"lab/scenarios"
)

func TestParseLive(t *testing.T) {
	shape := lab.Shape{Replicas: map[string]int{"catalog": 2}}
	tests := []struct {
		name, data, want string // want: "" for valid, else a piece of the error
		n                int
	}{
		{"empty file", "", "", 0},
		{"empty list", "faults: []\n", "", 0},
		{"two faults", "faults:\n  - {name: a, target: catalog-2, kind: latency, latency: 300ms}\n  - {name: b, target: orders->payments, kind: down}\n", "", 2},
		{"at", "faults:\n  - name: a\n    target: catalog\n    kind: down\n    at: 5s\n", "f.yaml:5:9: at: a live fault is in force for as long as it is in the file", 0},
		{"unknown instance", "faults:\n  - {name: a, target: catalog-3, kind: down}\n", "f.yaml:2:", 0},
		{"unknown field", "faults:\n  - {name: a, target: catalog, kind: down, wait: 1s}\n", "f.yaml:2:", 0},
		{"same name twice", "faults:\n  - {name: a, target: catalog, kind: down}\n  - {name: a, target: users, kind: down}\n", "used twice", 0},
		{"bad latency", "faults:\n  - name: a\n    target: catalog\n    kind: latency\n    latency: fast\n", "f.yaml:5:", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := scenarios.ParseLive("f.yaml", []byte(tt.data), shape)
			if tt.want == "" {
				if err != nil || len(specs) != tt.n {
					t.Fatalf("got %d faults, %v; want %d, no error", len(specs), err, tt.n)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestLiveCorpusRefused: every malformed live file of the corpus (which
// lab up --faults must survive a save of) is refused with its position.
func TestLiveCorpusRefused(t *testing.T) {
	files, _ := filepath.Glob("testdata/live/*.yaml")
	if len(files) < 15 {
		t.Fatalf("want at least 15 malformed live files, have %d", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = scenarios.ParseLive(f, data, lab.Shape{})
		var se *scenarios.Error
		if !errors.As(err, &se) || se.Line == 0 || se.Col == 0 {
			t.Errorf("%s: %v, want an error with its line and column", f, err)
		}
	}
}
