package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lab/lab/results"
)

// TestRepeatReportsKOfN runs a short scenario three times: three run
// folders with seeds 5, 6, 7, repeat.json with every hypothesis held k of 3
// and each figure as a median inside its range, the per-run verdicts, and a
// junit.xml case per hypothesis saying k of N.
func TestRepeatReportsKOfN(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "repeat-check.yaml")
	if err := os.WriteFile(scenario, []byte(`name: repeat-check
summary: Payments down for 3 s under a light shopper load.
seed: 5
duration: 9s
shop: {payment_mode: sync}
load: {journey: shopper, rate: 20, checkout_share: 0.5}
faults:
  - {name: payments-down, at: 3s, for: 3s, target: payments, kind: down}
hypotheses:
  - name: browsing does not notice
    during: payments-down
    expect: browse.success_rate >= 0.99
  - name: the fallback serves checkouts
    during: payments-down
    expect: fallbacks("orders->payments") > 0
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "rep")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"run", scenario, "--repeat", "3", "--runtime", "process", "--out", out}, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	var rep results.Repeat
	b, err := os.ReadFile(filepath.Join(out, "repeat.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Done != 3 || rep.Verdict != results.Pass || len(rep.Seeds) != 3 || rep.Seeds[0] != 5 || rep.Seeds[2] != 7 {
		t.Fatalf("repeat.json: done %d, verdict %s, seeds %v", rep.Done, rep.Verdict, rep.Seeds)
	}
	for i, seed := range rep.Seeds {
		var r results.Result
		b, err := os.ReadFile(filepath.Join(out, "run-"+string(rune('1'+i)), "report.json"))
		if err != nil || json.Unmarshal(b, &r) != nil || r.Seed != seed {
			t.Errorf("run-%d's report: seed %d (%v), want %d", i+1, r.Seed, err, seed)
		}
	}
	if len(rep.Hypotheses) != 2 {
		t.Fatalf("hypotheses %+v", rep.Hypotheses)
	}
	for _, h := range rep.Hypotheses {
		if h.Held != 3 || h.Of != 3 || len(h.Observed) != 3 {
			t.Errorf("%s: held %d of %d, %d observed", h.Name, h.Held, h.Of, len(h.Observed))
		}
	}
	var phase *results.RepeatPhase
	for i := range rep.Phases {
		if rep.Phases[i].Name == "payments-down" {
			phase = &rep.Phases[i]
		}
	}
	if phase == nil {
		t.Fatalf("no payments-down phase in %+v", rep.Phases)
	}
	browse := phase.Endpoints["browse"]
	if browse.Requests.Median <= 0 || browse.P95.Min > browse.P95.Median || browse.P95.Median > browse.P95.Max {
		t.Errorf("browse over the runs: %+v", browse)
	}
	var suite struct {
		Tests int `xml:"tests,attr"`
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
		} `xml:"testcase"`
	}
	b, _ = os.ReadFile(filepath.Join(out, "junit.xml"))
	if err := xml.Unmarshal(b, &suite); err != nil {
		t.Fatal(err)
	}
	if len(suite.Cases) < 2 || suite.Cases[0].Name != "browsing does not notice (held in 3 of 3)" || suite.Cases[0].Failure != nil {
		t.Errorf("junit.xml: %+v", suite)
	}
	if !strings.Contains(stdout.String(), "3 of 3") || !strings.Contains(stdout.String(), "verdict: PASS") {
		t.Errorf("the tables do not say k of N:\n%s", stdout.String())
	}
}
