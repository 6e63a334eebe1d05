package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lab/faults"
	"lab/internal/testtool"
	"lab/lab"
	"lab/scenarios"
)

// lines runs lab with args in this process and returns its stdout's lines
// and exit code.
func lines(t *testing.T, args ...string) ([]string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, &stdout, &stderr)
	return strings.Split(strings.TrimSpace(stdout.String()), "\n"), code
}

// TestCompletionCandidates asks cobra's hidden __complete command what a
// shell would be offered at each place.
func TestCompletionCandidates(t *testing.T) {
	first := func(ls []string) []string {
		var out []string
		for _, l := range ls {
			if !strings.HasPrefix(l, ":") {
				w, _, _ := strings.Cut(l, "\t")
				out = append(out, w)
			}
		}
		return out
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"run", ""}, scenarios.Names()},
		{[]string{"explain", "pay"}, []string{"payment-outage"}},
		{[]string{"check", "baseline", "crash-"}, []string{"crash-orders", "crash-payments"}},
		{[]string{"fault", "add", ""}, faults.Kinds()},
		{[]string{"fault", "add", "latency", ""}, []string{"catalog", "gateway->catalog", "orders.broker", "broker"}},
		{[]string{"fault", "add", "latency", "catalog", ""}, []string{"name=", "for=", "latency=", "jitter="}},
		{[]string{"run", "baseline", "--runtime", ""}, []string{"auto", "process", "docker"}},
		{[]string{"bench", "--runtime", ""}, []string{"process,docker"}},
		{[]string{"up", "--replicas", ""}, []string{"catalog=", "payments="}},
		{[]string{"bench", "--only", ""}, []string{"browse_rps", "child_init_ms"}},
	}
	for _, tt := range tests {
		got, code := lines(t, append([]string{"__complete"}, tt.args...)...)
		if code != ExitOK {
			t.Errorf("lab __complete %q: exit %d", tt.args, code)
			continue
		}
		for _, w := range tt.want {
			if !slices.Contains(first(got), w) {
				t.Errorf("lab %s<TAB>: %q not offered in %q", strings.Join(tt.args, " "), w, first(got))
			}
		}
	}
	if got, _ := lines(t, "__complete", "run", "baseline", ""); len(first(got)) != 0 {
		t.Errorf("lab run baseline <TAB> offers %q; run takes one scenario", first(got))
	}
}

// TestCompletionInBash loads `lab completion bash` into a real bash and
// presses TAB after `lab run `: the built-in scenarios come back.
func TestCompletionInBash(t *testing.T) {
	// Cobra's bash script stands on the bash-completion package, as every
	// distribution's bash does when completion is on.
	const helpers = "/usr/share/bash-completion/bash_completion"
	bash := testtool.Require(t, "bash", "bash")
	if _, err := os.Stat(helpers); err != nil {
		testtool.Missing(t, helpers+" (Debian's bash-completion)")
	}
	dir := filepath.Dir(plainLab(t)) // the lab is on the PATH as "lab"
	script := `source ` + helpers + `
source <(lab completion bash)
COMP_LINE="lab run pay"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(lab run pay); COMP_CWORD=2
__start_lab
printf '%s\n' "${COMPREPLY[@]}"
COMP_LINE="lab fault add "; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(lab fault add ""); COMP_CWORD=3
__start_lab
printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	if !slices.Contains(got, "payment-outage") || !slices.Contains(got, "latency") || !slices.Contains(got, "http_error") {
		t.Fatalf("bash completed %q", got)
	}
}

// TestFaultSpecFromWords: `lab fault add KIND TARGET KEY=VALUE...` makes the
// entry the control API parses as the same fault as its SPEC form.
func TestFaultSpecFromWords(t *testing.T) {
	shape := lab.Shape{Seed: 1}
	spec, err := faultSpec([]string{"latency", "gateway->catalog", "latency=300ms", "jitter=20ms"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenarios.ParseEntry("fault", []byte(spec), shape)
	if err != nil {
		t.Fatalf("%s: %v", spec, err)
	}
	p, ok := s.Params.(*faults.LatencyParams)
	if s.Name != "latency-gateway-catalog" || s.Kind != "latency" || s.Target != "gateway->catalog" || !ok ||
		p.Latency.D() != 300*time.Millisecond || p.Jitter.D() != 20*time.Millisecond {
		t.Fatalf("%s parsed as %+v (%+v)", spec, s, s.Params)
	}
	spec, err = faultSpec([]string{"http_error", "payments", "status=503", "name=pay:503"})
	if err != nil {
		t.Fatal(err)
	}
	s, err = scenarios.ParseEntry("fault", []byte(spec), shape)
	if err != nil {
		t.Fatalf("%s: %v", spec, err)
	}
	if h, ok := s.Params.(*faults.HTTPErrorParams); s.Name != "pay:503" || !ok || h.Status != 503 {
		t.Fatalf("%s parsed as %+v (%+v)", spec, s, s.Params)
	}
	if spec, _ := faultSpec([]string{"{name: a, target: catalog, kind: down}"}); spec != "{name: a, target: catalog, kind: down}" {
		t.Errorf("a SPEC is changed: %s", spec)
	}
	for _, bad := range [][]string{{"latency"}, {"latency", "catalog", "300ms"}, {"latency", "catalog", "kind=down"}, {"{a: b}", "c"}} {
		if spec, err := faultSpec(bad); err == nil {
			t.Errorf("%q: no error, made %s", bad, spec)
		}
	}
}

// TestInitWritesAScenarioThatChecks: lab init writes NAME.yaml, which lab
// check accepts; a second init will not overwrite it, and a bad name or a
// built-in's name is bad input with nothing written.
func TestInitWritesAScenarioThatChecks(t *testing.T) {
	dir := t.TempDir()
	if out, code := lines(t, "init", "my-outage", "--dir", dir); code != ExitOK {
		t.Fatalf("lab init: exit %d: %q", code, out)
	}
	path := filepath.Join(dir, "my-outage.yaml")
	if out, code := lines(t, "check", path); code != ExitOK {
		t.Fatalf("lab check of what init wrote: exit %d: %q", code, out)
	}
	sc, err := scenarios.Open(path, nil)
	if err != nil || sc.Name != "my-outage" || len(sc.Faults) == 0 || len(sc.Hypotheses) == 0 {
		t.Fatalf("init's scenario: %+v, %v", sc, err)
	}
	// What it wrote is the starter the scenarios' tests hold to the schema.
	if raw, _ := os.ReadFile(path); !bytes.Equal(raw, scenarios.Starter("my-outage")) {
		t.Errorf("lab init wrote something other than scenarios.Starter:\n%s", raw)
	}
	if _, code := lines(t, "schema", "nothing"); code != ExitBadInput {
		t.Errorf("lab schema nothing: exit %d", code)
	}
	before, _ := os.ReadFile(path)
	for _, args := range [][]string{{"init", "my-outage", "--dir", dir}, {"init", "My Outage", "--dir", dir}, {"init", "baseline", "--dir", dir}} {
		if _, code := lines(t, args...); code != ExitBadInput {
			t.Errorf("lab %q: exit %d, want %d", args, code, ExitBadInput)
		}
	}
	after, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if !bytes.Equal(before, after) || len(entries) != 1 {
		t.Errorf("a refused init changed the folder: %d files", len(entries))
	}
}

// TestJSONOutputs: list, explain and diff speak JSON with --json, and
// explain --yaml prints the built-in file itself.
func TestJSONOutputs(t *testing.T) {
	var list []listed
	decode(t, &list, "list", "--json")
	if len(list) != len(scenarios.Names()) || list[0].Name == "" || list[0].Summary == "" {
		t.Fatalf("lab list --json: %+v", list)
	}
	var e explained
	decode(t, &e, "explain", "payment-outage", "--json")
	if e.Name != "payment-outage" || len(e.Faults) != 1 || e.Faults[0].Kind != "down" || len(e.Hypotheses) < 3 || len(e.Happens) != 2 {
		t.Fatalf("lab explain --json: %+v", e)
	}
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"explain", "payment-outage", "--yaml"}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("explain --yaml: exit %d: %s", code, stderr.String())
	}
	sc, _ := scenarios.Builtin("payment-outage")
	if !bytes.Equal(stdout.Bytes(), sc.Source) {
		t.Errorf("explain --yaml is not the built-in file:\n%s", stdout.String())
	}
	if _, code := lines(t, "explain", "baseline", "--yaml", "--json"); code != ExitBadInput {
		t.Errorf("--yaml with --json: exit %d", code)
	}
}

func decode(t *testing.T, v any, args ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), args, &stdout, &stderr); code != ExitOK {
		t.Fatalf("lab %q: exit %d: %s", args, code, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), v); err != nil {
		t.Fatalf("lab %q: %v in\n%s", args, err, stdout.String())
	}
}
