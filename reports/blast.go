package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"lab/internal/table"
	"lab/lab/results"
)

// matrix is the blast radius or the recovery laid out as a table: a row per
// endpoint, then per service, a column per fault.
type matrix struct {
	faults []string
	rows   []matrixRow
}

type matrixRow struct {
	subject, kind, node string
	cells               []string
	impacts             []*results.Impact // nil where the subject had nothing in that window
}

// blastMatrix lays r's blast radius out; cell says what a cell shows.
func blastMatrix(r *results.Result, cell func(*results.Impact) string, endpointsOnly bool) matrix {
	var m matrix
	col := map[string]int{}
	for _, f := range r.Faults {
		if _, ok := col[f.Name]; !ok {
			col[f.Name] = len(m.faults)
			m.faults = append(m.faults, f.Name)
		}
	}
	row := map[string]int{}
	impacts := append([]results.Impact{}, r.BlastRadius...)
	kindRank := map[string]int{"endpoint": 0, "service": 1, "instance": 2}
	sort.SliceStable(impacts, func(i, j int) bool {
		if impacts[i].Kind != impacts[j].Kind {
			return kindRank[impacts[i].Kind] < kindRank[impacts[j].Kind]
		}
		return results.EndpointRank(impacts[i].Subject) < results.EndpointRank(impacts[j].Subject)
	})
	for i := range impacts {
		im := &impacts[i]
		if endpointsOnly && im.Kind != "endpoint" {
			continue
		}
		key := im.Kind + " " + im.Subject
		ri, ok := row[key]
		if !ok {
			ri = len(m.rows)
			row[key] = ri
			m.rows = append(m.rows, matrixRow{subject: im.Subject, kind: im.Kind, node: im.Node,
				cells: make([]string, len(m.faults)), impacts: make([]*results.Impact, len(m.faults))})
			for c := range m.rows[ri].cells {
				m.rows[ri].cells[c] = "-"
			}
		}
		m.rows[ri].cells[col[im.Fault]] = cell(im)
		m.rows[ri].impacts[col[im.Fault]] = im
	}
	return m
}

// blastCell says a subject's class, with the figures that put it there.
func blastCell(im *results.Impact) string {
	switch {
	case im.Class == results.Isolated:
		return im.Class
	case im.Kind != "endpoint" && im.P95Ratio == 0:
		return fmt.Sprintf("%s: %.1f%% ok", im.Class, 100*im.SuccessRate)
	}
	return fmt.Sprintf("%s: %.1f%% ok, p95 x%.1f", im.Class, 100*im.SuccessRate, im.P95Ratio)
}

// recoveryCell says how long after the fault the endpoint was back in band.
func recoveryCell(im *results.Impact) string {
	if im.RecoveryS == nil {
		return "not back"
	}
	return fmt.Sprintf("%.0f s", *im.RecoveryS)
}

// grid is the matrix as a header and rows of text.
func (m matrix) grid(corner string) ([]string, [][]string) {
	head := append([]string{corner}, m.faults...)
	var rows [][]string
	for _, r := range m.rows {
		rows = append(rows, append([]string{r.label()}, r.cells...))
	}
	return head, rows
}

// label names a row's subject with its kind: browse, catalog (service),
// catalog-2 (instance on lab-node2).
func (r matrixRow) label() string {
	switch {
	case r.kind == "service":
		return r.subject + " (service)"
	case r.kind == "instance" && r.node != "":
		return r.subject + " (instance on " + r.node + ")"
	case r.kind == "instance":
		return r.subject + " (instance)"
	}
	return r.subject
}

func (m matrix) terminal(w io.Writer, corner string) {
	head, rows := m.grid(corner)
	termGrid(w, head, rows)
}

func (m matrix) markdown(w io.Writer, corner string) {
	head, rows := m.grid(corner)
	mdGrid(w, head, rows)
}

// termGrid draws a header and rows as a terminal table; nothing without rows.
func termGrid(w io.Writer, head []string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	t := table.New(w)
	t.Header(head...)
	for _, r := range rows {
		t.Append(r...)
	}
	t.Render()
}

// mdGrid writes a header and rows as a Markdown table; nothing without rows.
func mdGrid(w io.Writer, head []string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	line := func(cells []string) { fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")) }
	line(head)
	fmt.Fprintln(w, "|"+strings.Repeat("---|", len(head)))
	for _, r := range rows {
		line(r)
	}
}
