package kit_test

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"lab/services/kit"
)

// TestWriteRowsNeverAnswersAShortList: a scan that fails mid-table answers
// 500, not the rows before it with 200; the whole table answers 200.
func TestWriteRowsNeverAnswersAShortList(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t(n INTEGER, s TEXT); INSERT INTO t VALUES (1,'a'),(2,'b'),(3,NULL)`); err != nil {
		t.Fatal(err)
	}
	get := func(q string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		kit.WriteRows(w, httptest.NewRequest(http.MethodGet, "/admin/t", nil), db, "rows", q,
			func(rows *sql.Rows, v *struct {
				N int
				S string
			}) error {
				return rows.Scan(&v.N, &v.S)
			})
		return w
	}
	if w := get(`SELECT n, s FROM t WHERE s IS NOT NULL ORDER BY n`); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"S":"b"`) {
		t.Fatalf("whole table: %d %s", w.Code, w.Body)
	}
	if w := get(`SELECT n, s FROM t ORDER BY n`); w.Code != http.StatusInternalServerError { // row 3 cannot scan NULL into a string
		t.Fatalf("a row that does not scan: %d %s, want 500", w.Code, w.Body)
	}
}
