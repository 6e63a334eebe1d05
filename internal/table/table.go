// Package table makes the lab's terminal tables: tablewriter with headers
// kept as written (its auto-format would turn "p95 ms" into "P 95 MS"), at
// most as wide as the terminal, long cells wrapped at word boundaries.
package table

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/term"
)

// Piped is the width of tables written anywhere but a terminal (a file, a
// pipe, CI's log) when COLUMNS does not say: wide enough to read, narrow
// enough for a log viewer.
const Piped = 120

// Narrowest is the least width a table is squeezed to.
const Narrowest = 40

// Table is a table of text cells, rendered on Render.
type Table struct {
	w      io.Writer
	header []string
	rows   [][]string
}

// New returns a table writing to w.
func New(w io.Writer) *Table { return &Table{w: w} }

// Header sets the column names.
func (t *Table) Header(cells ...string) { t.header = cells }

// Append adds a row.
func (t *Table) Append(cells ...string) { t.rows = append(t.rows, cells) }

// Render writes the table: as it comes when it fits Width(w), else squeezed
// to it, cells wrapped at word boundaries (a word longer than its column
// keeps the table wider: numbers and names are not cut).
func (t *Table) Render() error {
	out, err := t.render(0)
	if err != nil {
		return err
	}
	if limit := Width(t.w); widest(out) > limit {
		if out, err = t.render(limit); err != nil {
			return err
		}
	}
	_, err = t.w.Write(out)
	return err
}

func (t *Table) render(limit int) ([]byte, error) {
	var b bytes.Buffer
	opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off)}
	if limit > 0 {
		opts = append(opts, tablewriter.WithMaxWidth(limit), tablewriter.WithRowAutoWrap(tw.WrapNormal),
			tablewriter.WithHeaderAutoWrap(tw.WrapNormal))
	}
	tb := tablewriter.NewTable(&b, opts...)
	if len(t.header) > 0 {
		tb.Header(t.header)
	}
	for _, r := range t.rows {
		if err := tb.Append(r); err != nil {
			return nil, err
		}
	}
	if err := tb.Render(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func widest(b []byte) int {
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		n = max(n, utf8.RuneCountInString(l))
	}
	return n
}

// Width is how wide a table written to w may be: COLUMNS when it is set
// (as shells export it, and as a user may to ask for another width), else
// the terminal's width when w is one, else Piped.
func Width(w io.Writer) int {
	if n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS"))); err == nil && n > 0 {
		return max(n, Narrowest)
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if n, _, err := term.GetSize(int(f.Fd())); err == nil && n > 0 {
			return max(n, Narrowest)
		}
	}
	return Piped
}
