package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lab/lab"
	"lab/lab/results"
	"lab/scenarios"
	"lab/services/contract"
)

// seedFiles adds every built-in scenario and every malformed file of the
// test corpus to f's seed corpus.
func seedFiles(f *testing.F) {
	f.Helper()
	for _, n := range scenarios.Names() {
		sc, err := scenarios.Builtin(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sc.Source)
	}
	for _, glob := range []string{"testdata/bad/*.yaml", "testdata/live/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// checkErr fails unless err is nil or a one-line *scenarios.Error: no
// input may panic the parser or answer without saying where.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var se *scenarios.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *scenarios.Error", err, err)
	}
	if se.File != "f.yaml" {
		t.Fatalf("error names file %q, want f.yaml: %v", se.File, err)
	}
}

// FuzzParse: no scenario file panics the parser; every refusal is an
// *Error naming the file.
func FuzzParse(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := scenarios.Parse("f.yaml", data, nil)
		checkErr(t, err)
		if err == nil && (sc.Name == "" || sc.Duration <= 0) {
			t.Fatalf("accepted a scenario without a name or a duration: %+v", sc)
		}
	})
}

// FuzzParseLive: no live fault file panics the parser (a trainer's `lab up
// --faults` session reads every save with it).
func FuzzParseLive(f *testing.F) {
	seedFiles(f)
	f.Add([]byte("faults:\n  - {name: slow, target: catalog, kind: latency, latency: 300ms}\n"))
	shape := lab.Shape{Replicas: map[string]int{"catalog": 2}}
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := scenarios.ParseLive("f.yaml", data, shape)
		checkErr(t, err)
		for _, s := range specs {
			if s.Name == "" || s.Kind == "" || s.Target == "" {
				t.Fatalf("accepted an incomplete fault: %+v", s)
			}
		}
	})
}

// FuzzParseEntry: one entry as `lab fault add` and the control API take it.
func FuzzParseEntry(f *testing.F) {
	f.Add("{name: slow, target: catalog, kind: latency, latency: 300ms}")
	f.Add(`{"name":"down","target":"orders->payments","kind":"down"}`)
	f.Add("{name: e, target: payments, kind: http_error, status: 503, toxicity: 0.5}")
	f.Add("name: k\ntarget: catalog-2\nkind: kill")
	f.Add("!")
	f.Fuzz(func(t *testing.T, entry string) {
		s, err := scenarios.ParseEntry("f.yaml", []byte(entry), lab.Shape{})
		checkErr(t, err)
		if err == nil && (s.Name == "" || s.Kind == "") {
			t.Fatalf("accepted an incomplete fault: %+v", s)
		}
	})
}

// FuzzCompile: no hypothesis expression panics the compiler, and what it
// compiles evaluates without panicking.
func FuzzCompile(f *testing.F) {
	for _, n := range scenarios.Names() {
		sc, _ := scenarios.Builtin(n)
		for _, h := range sc.Hypotheses {
			f.Add(h.Expect)
		}
	}
	f.Add("browse.p95 < 200ms && recovery_time(\"x\") < 10s")
	f.Add("1.5s1ms")
	f.Add(`browse.p95 < max(100ms, 2 * baseline.browse.p95) && recovery_time("baseline") < 1s`)
	f.Add("baseline.checkout .p95 > baseline['checkout'].p99")
	f.Fuzz(func(t *testing.T, code string) {
		if len(code) > 4096 {
			return
		}
		p, err := results.Compile(code, contract.Endpoints)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("an empty error")
			}
			return
		}
		stats := map[string]results.Stats{"all": {}}
		for _, e := range contract.Endpoints {
			stats[e] = results.Stats{Requests: 10, SuccessRate: 1, P95: 5}
		}
		base := map[string]results.Stats{} // some endpoints had no requests in the baseline
		for _, e := range contract.Endpoints[:len(contract.Endpoints)/2] {
			base[e] = stats[e]
		}
		zero2 := func(string, string) (float64, error) { return 0, nil }
		env := results.Env(stats, base, results.Funcs{
			Recovery: func(string, ...string) (float64, error) { return 0, nil },
			Edge:     zero2, BreakerOpened: zero2, BreakerClosed: zero2,
		})
		_, _ = results.Eval(p, env)
	})
}

// TestBareTags holds the crashers of go-yaml v1.19.2 (a nil dereference on
// a bare tag as a mapping's value): each is a located error, never a panic,
// in every parser of outside input. testdata/fuzz keeps them in the fuzz
// corpora too.
func TestBareTags(t *testing.T) {
	shape := lab.Shape{}
	for _, doc := range []string{"faults: !\n", "faults: !!\n", "faults: !x\n", "faults: !!seq\n", "faults: ! \n", "name: !\n"} {
		t.Run(doc, func(t *testing.T) {
			parsers := map[string]func() error{
				"Parse":      func() error { _, err := scenarios.Parse("f.yaml", []byte(doc), nil); return err },
				"ParseLive":  func() error { _, err := scenarios.ParseLive("f.yaml", []byte(doc), shape); return err },
				"ParseEntry": func() error { _, err := scenarios.ParseEntry("f.yaml", []byte(doc), shape); return err },
			}
			for name, parse := range parsers {
				err := parse()
				var se *scenarios.Error
				if !errors.As(err, &se) || se.Line != 1 || se.Col == 0 {
					t.Errorf("%s: got %v, want an error at line 1 of f.yaml", name, err)
				}
			}
		})
	}
}

// FuzzCheck: lab check goes on past a file's first problem, into sections
// Parse never reaches with a broken scenario: no input may panic it, and
// every problem it reports is located in the file.
func FuzzCheck(f *testing.F) {
	seedFiles(f)
	shape := lab.Shape{Replicas: map[string]int{"catalog": 2}}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, errs := scenarios.Check("f.yaml", data, shape)
		for _, err := range errs {
			checkErr(t, err)
		}
	})
}
