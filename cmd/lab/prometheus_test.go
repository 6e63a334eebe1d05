package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"lab/internal/promtest"
	"lab/internal/testtool"
)

// TestPrometheusScrapesLabUp points a real Prometheus at the file_sd
// targets `lab up` writes: every instance is scraped and up, the shop's own
// series arrive, `promtool check metrics` passes on every instance's
// /metrics after traffic, and the targets are emptied when lab up ends.
func TestPrometheusScrapesLabUp(t *testing.T) {
	promtool := testtool.Require(t, "promtool", "prometheus")
	sd := filepath.Join(t.TempDir(), "targets.json")
	up := startUp(t, "process", "--prometheus-sd", sd)
	var groups []sdGroup
	b, err := os.ReadFile(sd)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &groups); err != nil || len(groups) != 7 {
		t.Fatalf("targets file: %d groups (%v), want 7:\n%s", len(groups), err, b)
	}
	for _, p := range []string{"/api/products", "/api/products/1", "/api/products/2"} {
		for range 5 {
			resp, err := http.Get(up.gateway + p)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	for _, g := range groups {
		resp, err := http.Get("http://" + g.Targets[0] + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check := exec.Command(promtool, "check", "metrics")
		check.Stdin = bytes.NewReader(body)
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics on %s (%s): %v\n%s", g.Labels["lab_instance"], g.Targets[0], err, out)
		}
	}

	prom := promtest.Start(t, `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: lab
    file_sd_configs:
      - files: [`+sd+`]
        refresh_interval: 1s
`)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	poll := func(query string, ok func([]promtest.Sample) bool) []promtest.Sample {
		t.Helper()
		for {
			got, err := prom.Query(ctx, url.Values{"query": {query}})
			if err == nil && ok(got) {
				return got
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s: %v, %v", query, got, err)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	value := func(s []promtest.Sample) string {
		if len(s) != 1 || len(s[0].Value) != 2 {
			return ""
		}
		v, _ := s[0].Value[1].(string)
		return v
	}
	poll(`count(up{job="lab"} == 1)`, func(s []promtest.Sample) bool { return value(s) == "7" })
	poll(`count(count by (lab_service) (shop_http_in_flight_requests))`, func(s []promtest.Sample) bool { return value(s) == "7" })
	poll(`sum(shop_edge_calls_total{service="gateway",callee="catalog"})`, func(s []promtest.Sample) bool { return value(s) != "" && value(s) != "0" })

	up.cmd.Process.Signal(syscall.SIGINT)
	if err := up.cmd.Wait(); err != nil {
		t.Fatalf("lab up after SIGINT: %v", err)
	}
	if b, _ := os.ReadFile(sd); strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("after lab up ended the targets file holds:\n%s", b)
	}
}
