package reports

import (
	"fmt"
	"html/template"
	"image/color"
	"io"
	"strings"

	"lab/internal/table"
	"lab/lab/results"
)

// An explore's folder holds explore.json, explore.md and explore.html for
// the map, and a folder per experiment (ID, and control/ID for a compare's
// control) with its own reports, which the map's cells link to.

// WriteExplore writes explore.json, explore.md and explore.html of e into
// dir, each aside and renamed.
func WriteExplore(dir string, e *results.Explore) error {
	return writeSet(dir, []namedFile{
		{"explore.json", indentedJSON(e)},
		{"explore.md", func(w io.Writer) error { return exploreMarkdown(w, e) }},
		{"explore.html", func(w io.Writer) error { return exploreHTML.Execute(w, exploreView(e)) }},
	})
}

// cellWord is a cell as the terminal and Markdown write it.
func cellWord(c string) string {
	switch c {
	case results.Isolated, results.Held:
		return "ok"
	case results.Degraded:
		return "DEGRADED"
	case results.Failed:
		return "FAILED"
	case results.Broken:
		return "BROKEN"
	case results.NotExercised:
		return "n/e"
	}
	return "-"
}

// invariantsCell sums a row's invariant cells: "held", or the broken ones.
func invariantsCell(e *results.Explore, r results.ExploreRow) string {
	var broken []string
	checked := false
	for _, c := range e.Columns {
		name, ok := strings.CutPrefix(c, "invariant ")
		if !ok {
			continue
		}
		checked = checked || r.Cells[c] != ""
		if r.Cells[c] == results.Broken {
			broken = append(broken, name)
		}
	}
	switch {
	case len(broken) > 0:
		return "BROKEN " + strings.Join(broken, ", ")
	case checked:
		return "held"
	}
	return "-"
}

func endpointColumns(e *results.Explore) []string {
	var out []string
	for _, c := range e.Columns {
		if !strings.HasPrefix(c, "invariant ") {
			out = append(out, c)
		}
	}
	return out
}

// ExploreTerminal writes the map: a row per experiment, a column per
// endpoint and the invariants together; then the findings, worst first,
// and for a compare what the change turned.
func ExploreTerminal(w io.Writer, e *results.Explore) {
	eps := endpointColumns(e)
	maps := []struct {
		title string
		rows  []results.ExploreRow
	}{{"resilience map", e.Rows}}
	if e.Compare != "" {
		maps[0].title = "resilience map, as given"
		maps = append(maps, struct {
			title string
			rows  []results.ExploreRow
		}{"control, with " + e.Compare, e.Control})
	}
	for _, m := range maps {
		fmt.Fprintf(w, "\n%s: %s's shop and load, %d experiments of %d\n", m.title, e.Load, len(m.rows), len(e.Probes))
		t := table.New(w)
		t.Header(append(append([]string{"experiment", "fault"}, eps...), "invariants")...)
		for _, r := range m.rows {
			cells := []string{r.ID, r.Describe()}
			for _, ep := range eps {
				cells = append(cells, cellWord(r.Cells[ep]))
			}
			t.Append(append(cells, invariantsCell(e, r))...)
		}
		t.Render()
	}
	fmt.Fprintln(w)
	if len(e.Findings) == 0 {
		fmt.Fprintln(w, "findings: none; every endpoint stayed in its baseline band and every invariant held")
	} else {
		fmt.Fprintf(w, "findings, worst first (%d):\n", len(e.Findings))
		for i, f := range e.Findings {
			fmt.Fprintf(w, "%3d. %s\n", i+1, f)
		}
	}
	if e.Compare != "" {
		fmt.Fprintln(w)
		fmt.Fprintln(w, compareLine(e))
		for _, t := range e.Changed {
			fmt.Fprintf(w, "  %s %s: %s without, %s with the policies as given\n", t.Probe, t.Column, t.Control, t.With)
		}
	}
	if len(e.Skipped) > 0 {
		fmt.Fprintf(w, "\nskipped %d: %s\n", len(e.Skipped), e.Skipped[0].Why)
	}
}

// compareLine sums a compare: how many cells the policies turn from failed
// to isolated, and how many fail either way.
func compareLine(e *results.Explore) string {
	toIsolated, toDegraded, worse := 0, 0, 0
	for _, t := range e.Changed {
		switch {
		case t.Control == results.Failed && t.With == results.Isolated, t.Control == results.Broken && t.With == results.Held:
			toIsolated++ // an invariant the policies keep counts as a failure they isolate
		case t.Control == results.Failed && t.With == results.Degraded:
			toDegraded++
		case rankOf(t.With) > rankOf(t.Control):
			worse++
		}
	}
	return fmt.Sprintf("against %s, cells turned from failed to isolated: %d; from failed to degraded: %d; worse as given: %d; failed either way: %d",
		e.Compare, toIsolated, toDegraded, worse, len(e.FailedBoth))
}

func rankOf(c string) int {
	switch c {
	case results.Degraded:
		return 1
	case results.Failed, results.Broken:
		return 2
	}
	return 0
}

func exploreMarkdown(w io.Writer, e *results.Explore) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Resilience map: %s's shop and load\n\n", e.Load)
	fmt.Fprintf(&b, "%d experiments of %d planned (kinds %s on %s), runtime %s, budget %s, seed %d; each: %ds baseline, %ds fault, %ds recovery.\n\n",
		len(e.Rows), len(e.Probes), strings.Join(e.Kinds, ", "), e.Targets, e.Runtime, e.Budget, e.Seed, e.BaselineS, e.FaultS, e.RecoveryS)
	if e.Interrupted {
		b.WriteString("**Interrupted**: `lab explore --resume` on this folder runs the rest.\n\n")
	}
	b.WriteString("## Findings, worst first\n\n")
	if len(e.Findings) == 0 {
		b.WriteString("None: every endpoint stayed in its baseline band and every invariant held.\n")
	}
	for _, f := range e.Findings {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	mdMap := func(title string, rows []results.ExploreRow) {
		fmt.Fprintf(&b, "\n## %s\n\n| experiment | fault | setting |", title)
		for _, c := range e.Columns {
			fmt.Fprintf(&b, " %s |", c)
		}
		b.WriteString("\n|---|---|---|" + strings.Repeat("---|", len(e.Columns)) + "\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "| [%s](%s/report.md) | %s | %s |", r.ID, r.Dir, r.Describe(), r.Setting)
			for _, c := range e.Columns {
				fmt.Fprintf(&b, " %s |", cellWord(r.Cells[c]))
			}
			b.WriteString("\n")
		}
	}
	if e.Compare != "" {
		mdMap("The map as given", e.Rows)
		mdMap("The control, with "+e.Compare, e.Control)
		fmt.Fprintf(&b, "\n## What the change makes\n\n%s.\n\n", compareLine(e))
		for _, t := range e.Changed {
			fmt.Fprintf(&b, "- %s, %s: %s with %s, %s as given\n", t.Probe, t.Column, t.Control, e.Compare, t.With)
		}
	} else {
		mdMap("The map", e.Rows)
	}
	if len(e.NotApplicable) > 0 {
		b.WriteString("\n## Not applicable\n\n")
		for _, n := range e.NotApplicable {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	if len(e.Skipped) > 0 {
		b.WriteString("\n## Skipped\n\n")
		for _, s := range e.Skipped {
			fmt.Fprintf(&b, "- %s (%s): %s\n", s.ID, s.Describe(), s.Why)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Colours of the heat map's cells (the Chromium test counts them).
var (
	IsolatedColor = color.RGBA{0xc8, 0xe6, 0xc9, 0xff}
	DegradedColor = color.RGBA{0xff, 0xd5, 0x4f, 0xff}
	FailedColor   = color.RGBA{0xe5, 0x39, 0x35, 0xff}
	BrokenColor   = color.RGBA{0x6a, 0x1b, 0x9a, 0xff}
)

type mapCell struct {
	Word, Class, Title, Href string
}

type mapRow struct {
	ID, Fault, Setting, Href, Restarted string
	Cells                               []mapCell
}

type mapTable struct {
	Title string
	Rows  []mapRow
}

type exploreData struct {
	E       *results.Explore
	Maps    []mapTable
	Compare string
	Colors  map[string]string
}

func exploreView(e *results.Explore) exploreData {
	d := exploreData{E: e, Colors: map[string]string{
		"isolated": hex(IsolatedColor), "degraded": hex(DegradedColor), "failed": hex(FailedColor), "broken": hex(BrokenColor),
	}}
	mk := func(title string, rows []results.ExploreRow) mapTable {
		m := mapTable{Title: title}
		for _, r := range rows {
			hr := mapRow{ID: r.ID, Fault: r.Describe(), Setting: r.Setting, Href: r.Dir + "/report.html", Restarted: r.Restarted}
			for _, c := range e.Columns {
				class := strings.ReplaceAll(r.Cells[c], " ", "-")
				if r.Cells[c] == results.Held {
					class = "isolated"
				}
				hr.Cells = append(hr.Cells, mapCell{Word: cellWord(r.Cells[c]), Class: class,
					Title: c + ": " + r.Cells[c] + " " + r.Details[c], Href: hr.Href})
			}
			m.Rows = append(m.Rows, hr)
		}
		return m
	}
	if e.Compare != "" {
		d.Compare = compareLine(e)
		d.Maps = []mapTable{mk("The map as given", e.Rows), mk("The control, with "+e.Compare, e.Control)}
	} else {
		d.Maps = []mapTable{mk("The map", e.Rows)}
	}
	return d
}

var exploreHTML = template.Must(template.New("explore").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Resilience map: {{.E.Load}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222 }
table { border-collapse: collapse; margin: 12px 0 24px }
th, td { border: 1px solid #fff; padding: 0 }
th { font-weight: 600; font-size: 12px; padding: 4px 6px; text-align: left; background: #eee }
th.col { writing-mode: vertical-rl; transform: rotate(180deg); height: 150px; text-align: left }
td.name { padding: 4px 8px; background: #f6f6f6; white-space: nowrap }
td.cell a { display: block; width: 64px; height: 34px; line-height: 34px; text-align: center; color: #222; text-decoration: none; font-size: 11px }
td.isolated { background: {{index .Colors "isolated"}} }
td.degraded { background: {{index .Colors "degraded"}} }
td.failed { background: {{index .Colors "failed"}} }
td.failed a, td.broken a { color: #fff; font-weight: 600 }
td.broken { background: {{index .Colors "broken"}} }
td.not-exercised { background: #e0e0e0 }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 6px }
</style></head><body>
<h1>Resilience map: {{.E.Load}}'s shop and load</h1>
<p>{{len .E.Rows}} experiments of {{len .E.Probes}} planned (kinds {{range $i, $k := .E.Kinds}}{{if $i}}, {{end}}{{$k}}{{end}} on {{.E.Targets}}), runtime {{.E.Runtime}}, budget {{.E.Budget}}, seed {{.E.Seed}}.
Each cell is an endpoint's class during the fault against the experiment's own baseline, or an invariant after it; it links to the experiment's report.{{if .E.Interrupted}} <b>Interrupted</b>: <code>lab explore --resume</code> on this folder runs the rest.{{end}}</p>
<p class="legend"><span style="background:{{index .Colors "isolated"}}">isolated / held</span><span style="background:{{index .Colors "degraded"}}">degraded</span><span style="background:{{index .Colors "failed"}};color:#fff">failed</span><span style="background:{{index .Colors "broken"}};color:#fff">invariant broken</span></p>
<h2>Findings, worst first</h2>
{{if .E.Findings}}<ol>{{range .E.Findings}}<li>{{.}}</li>{{end}}</ol>{{else}}<p>None: every endpoint stayed in its baseline band and every invariant held.</p>{{end}}
{{if .Compare}}<p><b>{{.Compare}}</b></p>{{end}}
{{range .Maps}}<h2>{{.Title}}</h2>
<table><tr><th>experiment</th><th>fault</th>{{range $.E.Columns}}<th class="col">{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td class="name"><a href="{{.Href}}">{{.ID}}</a></td><td class="name" title="{{.Setting}}">{{.Fault}}{{if .Restarted}} &#8635;{{end}}</td>{{range .Cells}}<td class="cell {{.Class}}"><a href="{{.Href}}" title="{{.Title}}">{{.Word}}</a></td>{{end}}</tr>
{{end}}</table>
{{end}}
{{if .E.Skipped}}<h2>Skipped</h2><ul>{{range .E.Skipped}}<li>{{.ID}}: {{.Why}}</li>{{end}}</ul>{{end}}
{{if .E.NotApplicable}}<h2>Not applicable</h2><ul>{{range .E.NotApplicable}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))
