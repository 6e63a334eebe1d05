package experiment

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestThresholdsOfSeveralGenerators: each generator's k6 judged its own
// segment; a threshold that failed in one fails the row, which gives both
// generators' values.
func TestThresholdsOfSeveralGenerators(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, p95 float64, failed bool) string {
		path := filepath.Join(dir, name)
		body := fmt.Sprintf(`{"metrics":{"http_req_duration":{"p(95)":%v,"thresholds":{"p(95)<200":%v}}}}`, p95, failed)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	got := readThresholds([]string{write("a.json", 150, false), write("b.json", 250, true)}, true)
	if len(got) != 1 || got[0].Pass || got[0].Observed != "generator 1: p(95)=150; generator 2: p(95)=250" {
		t.Fatalf("thresholds %+v: want one failed row with each generator's p(95)", got)
	}
	one := readThresholds([]string{write("c.json", 150, false)}, false)
	if len(one) != 1 || !one[0].Pass || one[0].Observed != "p(95)=150" {
		t.Fatalf("one generator: %+v", one)
	}
}
