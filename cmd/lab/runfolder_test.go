package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestDefaultRunFolderKeepsK6Summary runs the README's first command as a
// new user does, with the default, relative run folder: k6 (started inside
// the run folder) must still write its summary, and report.json must carry
// the cross-check against it.
func TestDefaultRunFolderKeepsK6Summary(t *testing.T) {
	t.Chdir(t.TempDir())
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"run", "baseline", "--duration", "3s", "--runtime", "process"}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	runs, _ := filepath.Glob("runs/*-baseline")
	if len(runs) != 1 {
		t.Fatalf("run folders %v, want one under runs/", runs)
	}
	if _, err := os.Stat(filepath.Join(runs[0], "k6-summary.json")); err != nil {
		log, _ := os.ReadFile(filepath.Join(runs[0], "k6.log"))
		t.Fatalf("no k6 summary: %v; k6.log:\n%s", err, log)
	}
	b, err := os.ReadFile(filepath.Join(runs[0], "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		K6 map[string]struct {
			LabRequests int64 `json:"lab_requests"`
		} `json:"k6"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.K6) == 0 {
		t.Fatalf("report.json has no k6 cross-check:\n%s", b)
	}
}
