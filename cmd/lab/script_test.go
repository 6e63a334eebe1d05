package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const closedLoop = `import http from 'k6/http';
import { sleep } from 'k6';
import { page } from './lib.js';

export const options = { vus: 5, duration: '4s' };

export default function () {
  http.get(page(__ENV.BASE_URL), { tags: { name: 'browse' } });
  sleep(0.2);
}
`

const lib = "export function page(base) { return `${base}/api/products?size=3`; }\n"

// TestBareScriptRunsAsWritten: lab run my.js runs a user's 5-VU closed-loop
// script as it declares itself: announced as 5 VUs for 4s, no warmup cut
// (its first second is measured), the script and its local import kept in
// the run folder.
func TestBareScriptRunsAsWritten(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "my.js")
	os.WriteFile(script, []byte(closedLoop), 0o644)
	os.WriteFile(filepath.Join(dir, "lib.js"), []byte(lib), 0o644)
	out := filepath.Join(t.TempDir(), "run")
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"run", script, "--runtime", "process", "--out", out}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if want := "load started: my.js: 5 VUs for 4s (constant-vus), warmup 0s, then 4s measured"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr does not announce %q:\n%s", want, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		DurationS float64 `json:"duration_s"`
		Series    []struct {
			S        int    `json:"s"`
			Endpoint string `json:"endpoint"`
			Requests int64  `json:"requests"`
		} `json:"series"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	perSecond := map[int]int64{}
	for _, s := range rep.Series {
		if s.Endpoint == "browse" {
			perSecond[s.S] += s.Requests
		}
	}
	if rep.DurationS != 4 || perSecond[0] < 10 || perSecond[3] < 10 {
		t.Errorf("measured %gs, browse per second %v: want 4 s, each with the script's requests from the first", rep.DurationS, perSecond)
	}
	for _, f := range []string{"script/my.js", "script/lib.js", "scenario.yaml"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("run folder lacks %s: %v", f, err)
		}
	}
}

// TestScriptDurationContradiction: a scenario whose duration says otherwise
// than its script is refused before anything starts, at the duration's line.
func TestScriptDurationContradiction(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "my.js"), []byte(closedLoop), 0o644)
	os.WriteFile(filepath.Join(dir, "lib.js"), []byte(lib), 0o644)
	sc := filepath.Join(dir, "s.yaml")
	os.WriteFile(sc, []byte("name: s\nduration: 10s\nload:\n  script: my.js\n"), 0o644)
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"run", sc, "--runtime", "process", "--out", filepath.Join(t.TempDir(), "run")}, &stdout, &stderr)
	want := "s.yaml:2:11: duration: 10s, but the script's own options run its load for 4s (my.js: 5 VUs for 4s (constant-vus)); want duration: 4s, or none"
	if code != ExitBadInput || !strings.Contains(stderr.String(), want) {
		t.Fatalf("exit %d, stderr %q; want 2 saying %q", code, stderr.String(), want)
	}
	os.WriteFile(sc, []byte("name: s\nload:\n  script: my.js\nfaults:\n  - {name: f, at: 3s, for: 2s, target: catalog, kind: down}\n"), 0o644)
	stderr.Reset()
	code = Main(context.Background(), []string{"run", sc, "--runtime", "process"}, &stdout, &stderr)
	if want := "s.yaml:5:"; code != ExitBadInput || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "past the end of the load (duration 4s)") {
		t.Fatalf("a fault past the script's end: exit %d, stderr %q", code, stderr.String())
	}
}
