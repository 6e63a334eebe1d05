package table_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"lab/internal/table"
)

const prose = "yes: 25 failed calls between services; checkout p95 1027ms (baseline 26ms); up to 46 events waiting (baseline 3) while the broker was down"

// widest renders a table with a long prose cell and returns its widest line.
func widest(t *testing.T) int {
	t.Helper()
	var b bytes.Buffer
	tb := table.New(&b)
	tb.Header("fault", "kind", "target", "visible")
	tb.Append("payments-hangs", "latency", "orders->payments", prose)
	if err := tb.Render(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(b.String(), "\n") {
		n = max(n, utf8.RuneCountInString(l))
	}
	var words []string
	for _, w := range strings.Fields(b.String()) {
		if !strings.ContainsAny(w, "│┌┐└┘├┤┬┴┼─") {
			words = append(words, w)
		}
	}
	if !strings.Contains(strings.Join(words, " "), "up to 46 events waiting (baseline 3) while the broker was down") {
		t.Fatalf("the long cell lost its text:\n%s", b.String())
	}
	return n
}

// TestTablesFitTheWidth: a table is as wide as COLUMNS at most, its long
// cell wrapped; written to a pipe without COLUMNS, at most table.Piped.
func TestTablesFitTheWidth(t *testing.T) {
	for _, cols := range []int{70, 80, 100} {
		t.Setenv("COLUMNS", itoa(cols))
		if n := widest(t); n > cols {
			t.Errorf("COLUMNS=%d: a line of %d", cols, n)
		}
	}
	t.Setenv("COLUMNS", "")
	if n := widest(t); n > table.Piped || n < 60 {
		t.Errorf("piped: a line of %d, want at most %d and readable", n, table.Piped)
	}
}

func itoa(n int) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
