package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"lab/internal/promtest"
	"lab/lab/results"
	"lab/lab/skeleton"
	"lab/reports/export"
)

// otlpReceiver runs the OpenTelemetry Collector's own OTLP receiver (HTTP
// only) on loopback until the test ends, and returns its base URL and the
// sink that holds what it received.
func otlpReceiver(t *testing.T) (string, *consumertest.MetricsSink) {
	t.Helper()
	addr, err := skeleton.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = addr
	cfg.HTTP = configoptional.Some(otlpreceiver.HTTPConfig{ServerConfig: server, MetricsURLPath: "/v1/metrics"})
	cfg.GRPC = configoptional.None[configgrpc.ServerConfig]()
	sink := new(consumertest.MetricsSink)
	r, err := f.CreateMetrics(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return "http://" + addr, sink
}

// TestExportReachesPrometheusAndOTLP runs a scenario with --export to a real
// Prometheus (remote write) and to the OpenTelemetry Collector's OTLP
// receiver at once: the browse rate Prometheus answers for the run, second
// by second, and the data points the receiver got, are report.json's own,
// and so are the verdict and the fault windows.
func TestExportReachesPrometheusAndOTLP(t *testing.T) {
	prom := promtest.Start(t, "global:\n  scrape_interval: 15s\n")
	otlpURL, sink := otlpReceiver(t)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "export-check.yaml")
	if err := os.WriteFile(scenario, []byte(`name: export-check
summary: Catalog 50 ms slower for 3 s under a light shopper load.
duration: 10s
load: {journey: shopper, rate: 20}
faults:
  - {name: catalog-slow, at: 3s, for: 3s, target: catalog, kind: latency, latency: 50ms}
hypotheses:
  - name: browsing holds
    expect: browse.success_rate >= 0.9
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "exported-run")
	var stdout, stderr bytes.Buffer
	args := []string{"run", scenario, "--runtime", "process", "--out", out,
		"--export", "prom-rw=" + prom.URL + "/api/v1/write", "--export", "otlp=" + otlpURL}
	if code := Main(context.Background(), args, &stdout, &stderr); code != ExitOK {
		t.Fatalf("lab run: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res results.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	want := map[int64]float64{} // browse requests by the second's time, in ms
	start := export.LoadStart(&res)
	for _, s := range res.Series {
		if s.Endpoint == "browse" {
			want[start.Add(time.Duration(s.S)*time.Second).UnixMilli()] = float64(s.Requests)
		}
	}
	if len(want) < 10 {
		t.Fatalf("report.json has %d seconds of browse", len(want))
	}

	// Prometheus, through its HTTP API, as a dashboard would ask.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := filepath.Base(out)
	first, last := int64(math.MaxInt64), int64(0)
	for ms := range want {
		first, last = min(first, ms), max(last, ms)
	}
	got, err := prom.Query(ctx, url.Values{"query": {fmt.Sprintf(`lab_endpoint_requests_per_second{endpoint="browse",lab_run=%q}`, run)},
		"start": {seconds(first)}, "end": {seconds(last)}, "step": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Values) != len(want) {
		t.Fatalf("prometheus: %d series, want 1 with %d seconds: %+v", len(got), len(want), got)
	}
	for _, v := range got[0].Values {
		ts, _ := v[0].(float64)
		val, _ := strconv.ParseFloat(fmt.Sprint(v[1]), 64)
		if w, ok := want[int64(math.Round(ts*1000))]; !ok || w != val {
			t.Errorf("prometheus: browse at %.3f is %v, report.json says %v (known %v)", ts, val, w, ok)
		}
	}
	verdict, err := prom.Query(ctx, url.Values{"query": {fmt.Sprintf(`lab_run_verdict{lab_run=%q}`, run)}, "time": {seconds(res.Ended.UnixMilli())}})
	if err != nil || len(verdict) != 1 || verdict[0].Metric["verdict"] != "pass" {
		t.Errorf("prometheus: the run's verdict: %+v, %v", verdict, err)
	}
	window, err := prom.Query(ctx, url.Values{"query": {fmt.Sprintf(`sum_over_time(lab_fault_active{lab_run=%q,fault="catalog-slow"}[1h])`, run)},
		"time": {seconds(last)}})
	if err != nil || len(window) != 1 {
		t.Fatalf("prometheus: the fault window: %+v, %v", window, err)
	}
	if secs, _ := strconv.ParseFloat(fmt.Sprint(window[0].Value[1]), 64); secs < 3 || secs > 4 {
		t.Errorf("prometheus: catalog-slow in force in %v seconds, the scenario says 3 (4 when its edges fall inside seconds)", secs)
	}

	// The Grafana dashboard in docs/: every query of every panel, for this
	// run, answers.
	dash, err := os.ReadFile("../../docs/grafana/lab-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var board struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(dash, &board); err != nil || len(board.Panels) < 6 {
		t.Fatalf("the dashboard: %d panels, %v", len(board.Panels), err)
	}
	for _, p := range board.Panels {
		for _, q := range p.Targets {
			expr := strings.ReplaceAll(q.Expr, "$run", run)
			got, err := prom.Query(ctx, url.Values{"query": {expr}, "time": {seconds(res.Ended.UnixMilli() + 1000)}})
			if err != nil || len(got) == 0 {
				t.Errorf("dashboard panel %q: %s: %d series, %v", p.Title, expr, len(got), err)
			}
		}
	}

	// The OTLP receiver: the same figures as data points.
	points := map[int64]float64{}
	for _, md := range sink.AllMetrics() {
		rms := md.ResourceMetrics()
		for i := 0; i < rms.Len(); i++ {
			sms := rms.At(i).ScopeMetrics()
			for j := 0; j < sms.Len(); j++ {
				ms := sms.At(j).Metrics()
				for k := 0; k < ms.Len(); k++ {
					m := ms.At(k)
					if m.Name() != "lab_endpoint_requests_per_second" || m.Type() != pmetric.MetricTypeGauge {
						continue
					}
					dps := m.Gauge().DataPoints()
					for p := 0; p < dps.Len(); p++ {
						dp := dps.At(p)
						if e, _ := dp.Attributes().Get("endpoint"); e.Str() == "browse" {
							points[dp.Timestamp().AsTime().UnixMilli()] = dp.DoubleValue()
						}
					}
				}
			}
		}
	}
	if len(points) != len(want) {
		t.Fatalf("otlp: %d browse data points, report.json has %d seconds", len(points), len(want))
	}
	for ms, w := range want {
		if points[ms] != w {
			t.Errorf("otlp: browse at %d is %v, report.json says %v", ms, points[ms], w)
		}
	}
}

func seconds(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64) }
