package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestVersionListsEveryLinkedModuleLicence builds the lab and reads its
// `version --licenses`: every module of its build info with a licence, k6's
// the AGPL, and the JSON form saying the same.
func TestVersionListsEveryLinkedModuleLicence(t *testing.T) {
	exe := plainLab(t)
	out, err := exec.Command(exe, "version", "--licenses").CombinedOutput()
	if err != nil {
		t.Fatalf("lab version --licenses: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "(AGPL-3.0-or-later)") || strings.Contains(string(out), "UNKNOWN") {
		t.Fatalf("lab version --licenses:\n%s", out)
	}
	js, err := exec.Command(exe, "version", "--licenses", "--json").Output()
	if err != nil {
		t.Fatalf("lab version --licenses --json: %v", err)
	}
	var info versionInfo
	if err := json.Unmarshal(js, &info); err != nil {
		t.Fatalf("%v in %s", err, js)
	}
	if len(info.Modules) < 100 || info.License != "AGPL-3.0-or-later" {
		t.Fatalf("%d modules, licence %q", len(info.Modules), info.License)
	}
	k6 := false
	for _, m := range info.Modules {
		if m.License == "" {
			t.Errorf("%s %s: no licence", m.Path, m.Version)
		}
		k6 = k6 || m.Path == "go.k6.io/k6" && m.License == "AGPL-3.0"
	}
	if !k6 {
		t.Error("k6 is not listed as AGPL-3.0")
	}
}
