package catalog

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"lab/services/kit"
)

// serve runs the catalog's routes over a real SQLite file seeded with 50
// products.
func serve(t *testing.T) string {
	t.Helper()
	db, err := kit.OpenDB(filepath.Join(t.TempDir(), "catalog.db"), schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := seed(ctx, db, Seeded(7, 50)); err != nil {
		t.Fatal(err)
	}
	c, err := open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /products", c.list)
	mux.HandleFunc("GET /products/{id}", c.show)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func fetch(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestAKeptPageIsTheRenderedOne asks for a page twice (rendered, then
// kept) and checks both answers are the same page of the seeded catalog.
func TestAKeptPageIsTheRenderedOne(t *testing.T) {
	base := serve(t)
	want := Seeded(7, 50)
	code, first := fetch(t, base+"/products?page=3&size=4")
	_, second := fetch(t, base+"/products?page=3&size=4")
	if code != 200 || string(first) != string(second) {
		t.Fatalf("status %d; first %s\nsecond %s", code, first, second)
	}
	var got struct {
		Products          []Product
		Page, Size, Total int
	}
	if err := json.Unmarshal(first, &got); err != nil {
		t.Fatal(err)
	}
	if got.Page != 3 || got.Size != 4 || got.Total != 50 || len(got.Products) != 4 {
		t.Fatalf("page %d size %d total %d, %d products", got.Page, got.Size, got.Total, len(got.Products))
	}
	for i, p := range got.Products {
		if p != want[8+i] {
			t.Errorf("product %d: got %+v, want %+v", i, p, want[8+i])
		}
	}
	if _, past := fetch(t, base+"/products?page=99&size=10"); string(past) != `{"page":99,"products":[],"size":10,"total":50}`+"\n" {
		t.Errorf("a page past the end: %s", past)
	}
	if code, _ := fetch(t, base+"/products?page=0"); code != http.StatusBadRequest {
		t.Errorf("page 0: status %d, want 400", code)
	}
}

func TestShowReadsOneProduct(t *testing.T) {
	base := serve(t)
	code, b := fetch(t, base+"/products/5")
	var p Product
	if err := json.Unmarshal(b, &p); err != nil || code != 200 || p != Seeded(7, 50)[4] {
		t.Fatalf("status %d, %s (%v)", code, b, err)
	}
	if code, _ := fetch(t, base+"/products/51"); code != http.StatusNotFound {
		t.Errorf("product 51 of 50: status %d, want 404", code)
	}
}
