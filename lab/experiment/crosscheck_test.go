package experiment_test

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"lab/internal/shoptest"
	"lab/lab/experiment"
	"lab/lab/results"
	"lab/scenarios"
)

// sample is one http_req_duration point of k6's own JSON output.
type sample struct {
	at    time.Time
	ms    float64
	ok    bool
	name  string
	scene string
}

// runWithRawSamples runs the scenario with k6's JSON output on, and returns
// the result and k6's raw samples.
func runWithRawSamples(t *testing.T, name string, sets ...string) (*results.Result, []sample) {
	t.Helper()
	sc, err := scenarios.Open(name, sets)
	if err != nil {
		t.Fatal(err)
	}
	raw := filepath.Join(t.TempDir(), "k6.json")
	res, err := experiment.Run(context.Background(), experiment.Params{Scenario: sc, Runtime: shoptest.Runtime(),
		Command: []string{os.Args[0]}, Dir: t.TempDir(), K6Outs: []string{"json=" + raw}})
	if err != nil {
		t.Fatal(err)
	}
	return res, readK6JSON(t, raw)
}

func readK6JSON(t *testing.T, path string) []sample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []sample
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var p struct {
			Type   string `json:"type"`
			Metric string `json:"metric"`
			Data   struct {
				Time  time.Time         `json:"time"`
				Value float64           `json:"value"`
				Tags  map[string]string `json:"tags"`
			} `json:"data"`
		}
		if json.Unmarshal(sc.Bytes(), &p) != nil || p.Type != "Point" || p.Metric != "http_req_duration" {
			continue
		}
		out = append(out, sample{at: p.Data.Time, ms: p.Data.Value, ok: p.Data.Tags["expected_response"] == "true",
			name: p.Data.Tags["name"], scene: p.Data.Tags["scenario"]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// exact is the nearest-rank quantile of sorted values, as HDR histograms
// answer it.
func exact(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// TestFiguresAgreeWithK6RawSamples is an independent cross-check: two
// scenarios (one with a fault) run with k6's own raw JSON output beside the
// lab's, and every endpoint figure of every phase is recomputed from the
// raw samples: counts exact, p50/p95/p99 within 1%, phase boundaries
// exactly where the samples' times put them.
func TestFiguresAgreeWithK6RawSamples(t *testing.T) {
	for _, name := range []string{"testdata/latency100.yaml", "baseline"} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			sets := []string{}
			if name == "baseline" {
				sets = append(sets, "duration=8s")
			}
			res, samples := runWithRawSamples(t, name, sets...)
			if len(samples) < 100 {
				t.Fatalf("%d raw samples", len(samples))
			}
			checked := 0
			for _, ph := range res.Phases {
				byEndpoint := map[string][]float64{}
				failed := map[string]int64{}
				for _, s := range samples {
					if s.scene == "warmup" || s.at.Before(ph.Start) || !s.at.Before(ph.End) {
						continue
					}
					for _, e := range []string{s.name, "all"} {
						byEndpoint[e] = append(byEndpoint[e], s.ms)
						if !s.ok {
							failed[e]++
						}
					}
				}
				for e, st := range ph.Endpoints {
					vals := byEndpoint[e]
					sort.Float64s(vals)
					if int64(len(vals)) != st.Requests || failed[e] != st.Failed {
						t.Errorf("%s/%s: lab %d requests (%d failed), k6's raw samples %d (%d failed)", ph.Name, e, st.Requests, st.Failed, len(vals), failed[e])
						continue
					}
					for _, q := range []struct {
						name   string
						q, lab float64
					}{{"p50", 0.50, st.P50}, {"p95", 0.95, st.P95}, {"p99", 0.99, st.P99}} {
						want := exact(vals, q.q)
						if math.Abs(q.lab-want) > 0.01*want+0.001 {
							t.Errorf("%s/%s %s: lab %.4fms, raw %.4fms (%.2f%% apart) n=%d tail=%v", ph.Name, e, q.name, q.lab, want, 100*math.Abs(q.lab-want)/want, len(vals), vals[max(0, len(vals)-4):])
						}
					}
					checked++
				}
				for e, vals := range byEndpoint {
					if _, ok := ph.Endpoints[e]; !ok && len(vals) > 0 {
						t.Errorf("%s/%s: %d raw samples the lab does not count", ph.Name, e, len(vals))
					}
				}
			}
			t.Logf("%d phase-endpoint figures checked against %d raw samples", checked, len(samples))
		})
	}
}
