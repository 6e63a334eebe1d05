package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"lab/internal/testtool"
)

// actionlintVersion is the actionlint the workflow is checked with.
const actionlintVersion = "v1.7.12"

// TestGitHubWorkflowLints runs actionlint (with shellcheck on its scripts)
// on docs/ci/github-actions.yml, and on a copy with one mistake, which it
// must reject: the linter really ran.
func TestGitHubWorkflowLints(t *testing.T) {
	testtool.Require(t, "shellcheck", "shellcheck") // actionlint runs it on every run: script
	actionlint := testtool.GoInstall(t, "github.com/rhysd/actionlint/cmd/actionlint", actionlintVersion, "actionlint")
	const file = "../../docs/ci/github-actions.yml"
	if out, err := exec.Command(actionlint, "-color=false", file).CombinedOutput(); err != nil {
		t.Fatalf("actionlint %s: %v\n%s", file, err, out)
	}
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(good), "steps.run.outputs.code", "steps.runn.outputs.code", 1)
	if broken == string(good) {
		t.Fatal("the workflow no longer reads steps.run.outputs.code; pick another mistake")
	}
	bad := filepath.Join(t.TempDir(), "broken.yml")
	if err := os.WriteFile(bad, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(actionlint, "-color=false", bad).CombinedOutput(); err == nil || !strings.Contains(string(out), "runn") {
		t.Fatalf("actionlint passed a workflow reading an unknown step: %v\n%s", err, out)
	}
}

// gitlabJobKeywords are the keywords GitLab documents for a job
// (docs.gitlab.com/ci/yaml); GitLab's own linter needs a GitLab instance.
var gitlabJobKeywords = []string{"after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage",
	"dast_configuration", "dependencies", "environment", "extends", "hooks", "identity", "id_tokens", "image",
	"inherit", "interruptible", "manual_confirmation", "needs", "pages", "parallel", "release", "resource_group",
	"retry", "rules", "run", "script", "secrets", "services", "stage", "tags", "timeout", "trigger", "variables", "when"}

// TestGitLabJobLints checks docs/ci/gitlab-ci.yml as far as can be done
// without a GitLab: YAML, GitLab's job keywords only, a junit report and
// the run folder kept, and its script, joined as the runner runs it, clean
// under shellcheck.
func TestGitLabJobLints(t *testing.T) {
	sc := testtool.Require(t, "shellcheck", "shellcheck")
	b, err := os.ReadFile("../../docs/ci/gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	job, ok := doc["resilience"].(map[string]any)
	if !ok {
		t.Fatalf("no job resilience in %v", doc)
	}
	for k := range job {
		if !slices.Contains(gitlabJobKeywords, k) {
			t.Errorf("job keyword %q is not GitLab's", k)
		}
	}
	for k := range doc {
		if k != "resilience" && !slices.Contains([]string{"stages", "variables", "default", "include", "workflow"}, k) {
			t.Errorf("top-level key %q is neither a job nor a global keyword", k)
		}
	}
	art, _ := job["artifacts"].(map[string]any)
	reports, _ := art["reports"].(map[string]any)
	if reports["junit"] != "lab-run/junit.xml" || art["when"] != "always" {
		t.Errorf("artifacts: %v; want junit lab-run/junit.xml, kept always", art)
	}
	var script []string
	for _, l := range job["script"].([]any) {
		script = append(script, l.(string))
	}
	check := exec.Command(sc, "-s", "bash", "-")
	check.Stdin = strings.NewReader(strings.Join(script, "\n") + "\n")
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("shellcheck on the job's script: %v\n%s", err, out)
	}
	if !strings.Contains(strings.Join(script, "\n"), "lab diff base-run lab-run --fail-on") {
		t.Error("the job does not gate on lab diff --fail-on")
	}
}
