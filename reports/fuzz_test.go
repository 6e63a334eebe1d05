package reports_test

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"lab/lab/results"
	"lab/reports"
)

// FuzzDecode: no report.json that `lab report` or `lab diff` reads panics
// the decoder or any renderer; a refusal names the file.
func FuzzDecode(f *testing.F) {
	for _, r := range []*results.Result{outage(1), outage(0.5)} {
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"scenario":"x","verdict":"pass","phases":[{"name":"baseline","start_s":0,"end_s":1}]}`))
	f.Add([]byte(`{"scenario":"x","verdict":"fail","series":[{"s":3,"endpoint":"browse","requests":-1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		r, err := reports.Decode("report.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "report.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if r.BlastRadius == nil {
			r.BlastRadius = results.BlastRadius(r)
		}
		reports.Terminal(io.Discard, r)
		for _, w := range reports.Formats() {
			var buf bytes.Buffer
			_ = w.Write(&buf, r)
		}
		rows := reports.Diff(outage(1), r, reports.DefaultDiff)
		reports.DiffTable(io.Discard, outage(1), r, rows)
		reports.Regressions(outage(1), r, rows)
	})
}

func TestDecodeSaysWhere(t *testing.T) {
	tests := []struct{ data, want string }{
		{"{\n  \"scenario\": \"x\",\n  \"verdict\": 3\n}", "report.json:3:14: verdict: want string, got a JSON number"},
		{"{\n  \"scenario\": \"x\",,\n}", "report.json:2:19: not JSON"},
		{`{"scenario":"x","verdict":"maybe"}`, `report.json: verdict "maybe"`},
		{`{"verdict":"pass"}`, "report.json: no scenario"},
	}
	for _, tt := range tests {
		_, err := reports.Decode("report.json", []byte(tt.data))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Decode(%q): %v, want %q", tt.data, err, tt.want)
		}
	}
}

// FuzzDecodeExplore: no explore.json that `lab explore --resume` reads
// panics the decoder or the map's renderers; a refusal names the file.
func FuzzDecodeExplore(f *testing.F) {
	b, err := json.Marshal(exploreMap())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"load":"baseline","probes":[{"id":"01","kind":"latency","params":{"latency":7}}],"rows":[{"id":"01","cells":{"x":"failed"}}]}`))
	f.Add([]byte(`{"load":"x","probes":[{"id":"a"}],"control":[{"id":"a","cells":null}],"compare":"resilience=none","columns":["invariant "]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		e, err := reports.DecodeExplore("explore.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "explore.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		e.Settle()
		reports.ExploreTerminal(io.Discard, e)
		if err := reports.WriteExplore(t.TempDir(), e); err != nil {
			t.Fatal(err)
		}
	})
}
