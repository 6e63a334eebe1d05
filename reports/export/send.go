package export

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	prompb "buf.build/gen/go/prometheus/prometheus/protocolbuffers/go"
	"github.com/klauspost/compress/snappy"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	metrics "go.opentelemetry.io/proto/otlp/metrics/v1"
	resource "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"
)

// Timeout bounds one export's requests together.
const Timeout = 30 * time.Second

// perRequest is how many series go in one remote-write request: each series
// whole in one request, so its samples reach Prometheus in order.
const perRequest = 1000

// Send sends series to t and returns what it sent: series and samples.
func Send(ctx context.Context, t Target, series []Series) (int, int, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	samples := 0
	for _, s := range series {
		samples += len(s.Samples)
	}
	var err error
	switch t.Kind {
	case "prom-rw":
		for i := 0; i < len(series) && err == nil; i += perRequest {
			err = post(ctx, t.URL, remoteWrite(series[i:min(i+perRequest, len(series))]), map[string]string{
				"Content-Encoding":                  "snappy",
				"Content-Type":                      "application/x-protobuf",
				"X-Prometheus-Remote-Write-Version": "0.1.0",
			})
		}
	case "otlp":
		var body []byte
		body, err = proto.Marshal(otlpRequest(series))
		if err == nil {
			err = post(ctx, t.URL, body, map[string]string{"Content-Type": "application/x-protobuf"})
		}
	default:
		err = fmt.Errorf("unknown export kind %q", t.Kind)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("export %s to %s: %w", t.Kind, t.URL, err)
	}
	return len(series), samples, nil
}

// remoteWrite encodes series as a Prometheus remote-write request: a
// snappy-compressed WriteRequest, labels sorted by name, __name__ among them.
func remoteWrite(series []Series) []byte {
	req := &prompb.WriteRequest{}
	for _, s := range series {
		ts := &prompb.TimeSeries{}
		ts.Labels = append(ts.Labels, &prompb.Label{Name: "__name__", Value: s.Name})
		for k, v := range s.Labels {
			ts.Labels = append(ts.Labels, &prompb.Label{Name: k, Value: v})
		}
		ts.Labels = append(ts.Labels, &prompb.Label{Name: "job", Value: "lab"})
		sort.Slice(ts.Labels, func(i, j int) bool { return ts.Labels[i].Name < ts.Labels[j].Name })
		for _, p := range s.Samples {
			ts.Samples = append(ts.Samples, &prompb.Sample{Value: p.V, Timestamp: p.T.UnixMilli()})
		}
		req.Timeseries = append(req.Timeseries, ts)
	}
	b, _ := proto.Marshal(req) // a message of strings and numbers always marshals
	return snappy.Encode(nil, b)
}

// otlpRequest encodes series as OpenTelemetry metrics: one resource (the
// lab, the run's scenario and id), one gauge per metric name, a data point
// per sample with the series' labels as attributes.
func otlpRequest(series []Series) *colmetrics.ExportMetricsServiceRequest {
	str := func(k, v string) *common.KeyValue {
		return &common.KeyValue{Key: k, Value: &common.AnyValue{Value: &common.AnyValue_StringValue{StringValue: v}}}
	}
	res := &resource.Resource{Attributes: []*common.KeyValue{str("service.name", "lab")}}
	if len(series) > 0 {
		res.Attributes = append(res.Attributes, str("lab.scenario", series[0].Labels["lab_scenario"]), str("lab.run", series[0].Labels["lab_run"]))
	}
	byName := map[string]*metrics.Metric{}
	var order []*metrics.Metric
	for _, s := range series {
		m, ok := byName[s.Name]
		if !ok {
			m = &metrics.Metric{Name: s.Name, Unit: s.Unit, Data: &metrics.Metric_Gauge{Gauge: &metrics.Gauge{}}}
			byName[s.Name] = m
			order = append(order, m)
		}
		keys := make([]string, 0, len(s.Labels))
		for k := range s.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var attrs []*common.KeyValue
		for _, k := range keys {
			attrs = append(attrs, str(k, s.Labels[k]))
		}
		g := m.GetGauge()
		for _, p := range s.Samples {
			g.DataPoints = append(g.DataPoints, &metrics.NumberDataPoint{Attributes: attrs,
				TimeUnixNano: uint64(p.T.UnixNano()), Value: &metrics.NumberDataPoint_AsDouble{AsDouble: p.V}})
		}
	}
	return &colmetrics.ExportMetricsServiceRequest{ResourceMetrics: []*metrics.ResourceMetrics{{
		Resource:     res,
		ScopeMetrics: []*metrics.ScopeMetrics{{Scope: &common.InstrumentationScope{Name: "lab"}, Metrics: order}},
	}}}
}

func post(ctx context.Context, url string, body []byte, headers map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "lab")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}
