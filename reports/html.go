package reports

import (
	"fmt"
	"html/template"
	"image/color"
	"io"
	"lab/lab/results"
	"maps"
	"slices"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// htmlReport is report.html: one self-contained page a trainer can put on a
// projector. The verdict on top; charts with the fault windows shaded
// (rate, error rate, p50/p95/p99 per endpoint, breaker lanes, instances up);
// the blast radius and recovery; phases, hypotheses, faults, invariants.
type htmlReport struct{}

type htmlChart struct {
	Title  string
	SVG    template.HTML
	Legend []legendItem
}

type htmlCell struct {
	Text, Class string
}

type htmlMatrix struct {
	Faults []string
	Rows   []struct {
		Name  string
		Cells []htmlCell
	}
}

func (htmlReport) Write(w io.Writer, r *results.Result) error {
	charts, err := htmlCharts(r)
	if err != nil {
		return fmt.Errorf("draw charts: %w", err)
	}
	data := map[string]any{
		"R": r, "Charts": charts,
		"Blast":         toHTMLMatrix(blastMatrix(r, blastCell, false)),
		"Recovery":      toHTMLMatrix(blastMatrix(r, recoveryCell, true)),
		"Endpoints":     sortedEndpoints[results.EndpointStats],
		"ScalingHeader": scalingHeader, "Placement": placement(r), "Scaling": scalingRows(r),
		"AutoscaleHeader": autoscaleHeader, "Autoscale": autoscaleRows(r), "AutoscaleSummary": autoscaleSummary(r),
		"Shade": hex(shadeColor), "Open": hex(openC), "Closed": hex(closedC), "HalfOpen": hex(halfOpenC),
		"Start": measuredStart(r),
	}
	return page.Execute(w, data)
}

func toHTMLMatrix(m matrix) htmlMatrix {
	out := htmlMatrix{Faults: m.faults}
	for _, r := range m.rows {
		row := struct {
			Name  string
			Cells []htmlCell
		}{Name: r.label()}
		for i, c := range r.cells {
			class := ""
			if im := r.impacts[i]; im != nil {
				class = im.Class
			}
			row.Cells = append(row.Cells, htmlCell{Text: c, Class: class})
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// htmlCharts draws every chart of the page.
func htmlCharts(r *results.Result) ([]htmlChart, error) {
	shades := faultShades(r)
	seconds := r.DurationS
	if seconds <= 0 {
		seconds = 1
	}
	eps := map[string]bool{}
	for _, s := range r.Series {
		eps[s.Endpoint] = true
	}
	names := slices.SortedFunc(func(yield func(string) bool) {
		for e := range eps {
			if !yield(e) {
				return
			}
		}
	}, func(a, b string) int { return results.EndpointRank(a) - results.EndpointRank(b) })
	// Each endpoint keeps its colour on every chart: its rank's.
	colorOf := func(e string) color.Color {
		if r := results.EndpointRank(e); r >= 0 && r < len(palette)-1 {
			return palette[r]
		}
		if e == "all" {
			return palette[len(palette)-1]
		}
		return palette[len(e)%(len(palette)-1)]
	}
	per := func(f func(results.Second) (float64, bool)) []line {
		var out []line
		for _, e := range names {
			l := line{name: e, color: colorOf(e)}
			for _, s := range r.Series {
				if s.Endpoint == e {
					if y, ok := f(s); ok {
						l.pts = append(l.pts, plotter.XY{X: float64(s.S) + 0.5, Y: y})
					}
				}
			}
			out = append(out, l)
		}
		return out
	}
	wide, tall := vg.Points(900), vg.Points(260)
	var out []htmlChart
	add := func(title string, svg template.HTML, legend []legendItem, err error) error {
		if err == nil && svg != "" {
			out = append(out, htmlChart{Title: title, SVG: svg, Legend: legend})
		}
		return err
	}
	svg, legend, err := lineChart("requests per second", "req/s", per(func(s results.Second) (float64, bool) {
		return float64(s.Requests), true
	}), shades, seconds, wide, tall)
	if err := add("rate", svg, legend, err); err != nil {
		return nil, err
	}
	svg, legend, err = lineChart("error rate", "% failed", per(func(s results.Second) (float64, bool) {
		return 100 * float64(s.Failed) / float64(s.Requests), s.Requests > 0
	}), shades, seconds, wide, tall)
	if err := add("errors", svg, legend, err); err != nil {
		return nil, err
	}
	for _, e := range names {
		var p50, p95, p99 line
		p50.name, p95.name, p99.name = "p50", "p95", "p99"
		for _, s := range r.Series {
			if s.Endpoint == e && s.Requests > 0 {
				x := float64(s.S) + 0.5
				p50.pts = append(p50.pts, plotter.XY{X: x, Y: s.P50})
				p95.pts = append(p95.pts, plotter.XY{X: x, Y: s.P95})
				p99.pts = append(p99.pts, plotter.XY{X: x, Y: s.P99})
			}
		}
		svg, legend, err := lineChart(e+": latency", "ms", []line{p50, p95, p99}, shades, seconds, vg.Points(440), vg.Points(220))
		if err := add("latency "+e, svg, legend, err); err != nil {
			return nil, err
		}
	}
	if a := r.Autoscale; a != nil && len(a.Replicas) > 0 {
		var ls []line
		for _, svc := range slices.Sorted(maps.Keys(a.Rules)) {
			l := line{name: svc}
			for _, x := range a.Replicas {
				if x.Service == svc {
					l.pts = append(l.pts, plotter.XY{X: float64(x.S) + 0.5, Y: float64(x.Replicas)})
				}
			}
			ls = append(ls, l)
		}
		svg, legend, err := lineChart("replicas of the autoscaled services", "replicas", ls, shades, seconds, wide, vg.Points(200))
		if err := add("replicas", svg, legend, err); err != nil {
			return nil, err
		}
	}
	svg, err = breakerLanes(r, shades, seconds, wide)
	if err := add("breakers", svg, nil, err); err != nil {
		return nil, err
	}
	if len(r.Signals) > 0 {
		all := line{name: "instances", color: palette[len(palette)-1]}
		up := line{name: "processes up (answering the lab directly)", color: palette[2]}
		reach := line{name: "reachable by every caller (no proxy in front cut)", color: palette[5]}
		cut := cutOff(r)
		for _, s := range r.Signals {
			x := float64(s.S) + 0.5
			all.pts = append(all.pts, plotter.XY{X: x, Y: float64(s.InstancesAll)})
			up.pts = append(up.pts, plotter.XY{X: x, Y: float64(s.InstancesUp)})
			reach.pts = append(reach.pts, plotter.XY{X: x, Y: float64(max(0, s.InstancesUp-cut(s.S)))})
		}
		svg, legend, err = lineChart("instances: up, and reachable through their proxies", "instances", []line{all, up, reach}, shades, seconds, wide, vg.Points(220))
		if err := add("instances", svg, legend, err); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cutOff returns, for a second of the measured load, how many instances
// had a proxy in front of them cut by a down fault (a down fault stops the
// proxies, not the process: the instance answers the lab, its callers
// cannot reach it).
func cutOff(r *results.Result) func(second int) int {
	type cut struct {
		from, to  int
		instances map[string]bool
	}
	var cuts []cut
	for _, ph := range r.Phases {
		for _, f := range r.Faults {
			if f.Name != ph.Name || f.Kind != "down" {
				continue
			}
			c := cut{from: ph.StartS, to: ph.EndS, instances: map[string]bool{}}
			for _, t := range f.Targets {
				if _, inst, ok := strings.Cut(t, "->"); ok { // caller->instance; a broker link cuts no caller off
					c.instances[inst] = true
				}
			}
			cuts = append(cuts, c)
		}
	}
	return func(second int) int {
		off := map[string]bool{}
		for _, c := range cuts {
			if second >= c.from && second < c.to {
				maps.Copy(off, c.instances)
			}
		}
		return len(off)
	}
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":   func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) },
	"ms":    func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"whole": orWhole,
	"since": since,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>lab: {{.R.Scenario}}: {{.R.Verdict}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1180px;color:#1c1c1c;font-size:17px}
.verdict{padding:18px 24px;border-radius:8px;color:#fff;font-size:30px;font-weight:700}
.pass{background:{{.Closed}}}.fail{background:{{.Open}}}.inconclusive{background:{{.HalfOpen}}}
.meta{color:#555;margin:8px 0 20px}
h2{margin-top:32px;border-bottom:2px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:15px}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f2f2f2}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.isolated{background:#d9f2e1}td.degraded{background:#fde9b8}td.failed{background:#f7c6c2}
.ok{color:{{.Closed}};font-weight:700}.bad{color:{{.Open}};font-weight:700}
.charts svg{display:block;margin:6px 0}
.small{display:inline-block;vertical-align:top}
.key span{display:inline-block;width:14px;height:14px;margin:0 4px 0 12px;vertical-align:middle}
</style></head><body>
<div class="verdict {{.R.Verdict}}">{{.R.Scenario}}: {{.R.Verdict}}</div>
<p class="meta">{{.R.Summary}}<br>{{.R.Reason}}<br>runtime {{.R.Runtime}}, seed {{.R.Seed}}, {{printf "%.0f" .R.DurationS}} s measured, started {{.R.Started.Format "2006-01-02 15:04:05 MST"}}</p>
{{with .R.Compare}}<p><b>Compared with <code>{{.Key}}={{.Value}}</b></code> (control: {{.Control.Verdict}}). {{.Summary}}</p>{{end}}

{{if .R.Hypotheses}}<h2>Hypotheses</h2>
<table><tr><th></th><th>hypothesis</th><th>during</th><th>expect</th><th>observed</th></tr>
{{range .R.Hypotheses}}<tr><td class="{{if .Pass}}ok{{else}}bad{{end}}">{{if .Pass}}PASS{{else}}FAIL{{end}}</td><td>{{.Name}}</td><td>{{whole .During}}</td><td><code>{{.Expect}}</code></td><td>{{.Observed}}</td></tr>
{{end}}</table>{{end}}
{{if .R.Thresholds}}<h2>k6 thresholds</h2>
<table><tr><th></th><th>metric</th><th>expression</th><th>observed</th></tr>
{{range .R.Thresholds}}<tr><td class="{{if .Pass}}ok{{else}}bad{{end}}">{{if .Pass}}PASS{{else}}FAIL{{end}}</td><td>{{.Name}}</td><td><code>{{.Expression}}</code></td><td>{{.Observed}}</td></tr>
{{end}}</table>{{end}}
{{with .R.Aborted}}<p><b>Load aborted:</b> {{.}}</p>{{end}}
{{with .Placement}}<p><b>Placement:</b> {{.}}</p>{{end}}

<h2>Over time</h2>
<p class="key">Shaded: a fault's window.<span style="background:{{.Shade}}"></span>fault
<span style="background:{{.Closed}}"></span>closed<span style="background:{{.HalfOpen}}"></span>half-open<span style="background:{{.Open}}"></span>open</p>
<div class="charts">{{range .Charts}}<div class="{{if ge (len .Title) 8}}{{if eq (slice .Title 0 8) "latency "}}small{{end}}{{end}}" data-chart="{{.Title}}">{{.SVG}}{{if .Legend}}<p class="key">{{range .Legend}}<span style="background:{{.Color}}"></span>{{.Name}} {{end}}</p>{{end}}</div>
{{end}}</div>

{{if .Blast.Rows}}<h2>Blast radius</h2>
<p>Each endpoint and each service (as its callers saw it) during each fault's window, against the baseline:
<b>isolated</b> (within the baseline band), <b>degraded</b> (slower, or up to 10 points less successful), <b>failed</b> (10 points or more).</p>
<table><tr><th></th>{{range .Blast.Faults}}<th>{{.}}</th>{{end}}</tr>
{{range .Blast.Rows}}<tr><td>{{.Name}}</td>{{range .Cells}}<td class="{{.Class}}">{{.Text}}</td>{{end}}</tr>
{{end}}</table>
<h2>Recovery</h2><p>From each fault's end until the endpoint was back in its baseline band for two seconds.</p>
<table><tr><th></th>{{range .Recovery.Faults}}<th>{{.}}</th>{{end}}</tr>
{{range .Recovery.Rows}}<tr><td>{{.Name}}</td>{{range .Cells}}<td class="num">{{.Text}}</td>{{end}}</tr>
{{end}}</table>{{end}}

{{if .AutoscaleSummary}}<h2>Autoscaling</h2><p>The lab's autoscaler follows Kubernetes' HorizontalPodAutoscaler (docs/scaling.md): {{range .AutoscaleSummary}}{{.}}. {{end}}The chart <i>replicas</i> above shows them second by second.</p>
<table><tr>{{range .AutoscaleHeader}}<th>{{.}}</th>{{end}}</tr>
{{range .Autoscale}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{if .Scaling}}<h2>Scaling</h2><p>Throughput per replica, and the rate from which p95 left its low-load band (twice the low-load p95 and 20 ms more), fault windows left out. Scaling efficiency, against the control run of <code>--compare shop.replicas.SVC=N</code>: capacity gained over replicas added (1: linear).</p>
<table><tr>{{range .ScalingHeader}}<th>{{.}}</th>{{end}}</tr>
{{range .Scaling}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{with .R.Ramp}}<p>{{.}}</p>{{end}}{{end}}

<h2>Phases</h2>
<table><tr><th>phase</th><th>seconds</th><th>endpoint</th><th>requests</th><th>success</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>req/s</th></tr>
{{range $p := .R.Phases}}{{range $e := call $.Endpoints $p.Endpoints}}{{with index $p.Endpoints $e}}<tr><td>{{$p.Name}}</td><td>{{$p.StartS}}-{{$p.EndS}}</td><td>{{$e}}</td><td class="num">{{.Requests}}</td><td class="num">{{pct .SuccessRate}}</td><td class="num">{{ms .P50}}</td><td class="num">{{ms .P95}}</td><td class="num">{{ms .P99}}</td><td class="num">{{ms .RPS}}</td></tr>
{{end}}{{end}}{{end}}</table>

{{if .R.Faults}}<h2>Faults</h2>
<table><tr><th>fault</th><th>kind</th><th>target</th><th>applied</th><th>removed</th><th>late ms</th><th>visible</th></tr>
{{range .R.Faults}}<tr><td>{{.Name}}</td><td>{{.Kind}}</td><td><code>{{.Target}}</code></td><td class="num">{{since $.Start .AppliedAt}}</td><td class="num">{{since $.Start .RemovedAt}}</td><td class="num">{{ms .LateMS}}</td><td>{{if .Error}}error: {{.Error}}{{else if .Visible}}yes: {{.Evidence}}{{else}}no: {{.Evidence}}{{end}}</td></tr>
{{end}}</table>{{end}}

{{if .R.Invariants}}<h2>Invariants</h2>
<table>{{range .R.Invariants}}<tr><td class="{{if .NotExercised}}{{else if .Pass}}ok{{else}}bad{{end}}">{{if .NotExercised}}N/A{{else if .Pass}}PASS{{else}}FAIL{{end}}</td><td>{{.Name}}</td><td>{{if .NotExercised}}not exercised: {{end}}{{.Detail}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`))
