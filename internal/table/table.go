// Package table makes the lab's terminal tables: tablewriter with headers
// kept as written (its auto-format would turn "p95 ms" into "P 95 MS").
package table

import (
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// New returns a table writing to w.
func New(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
}
