// Package catalog is the shop's product catalog: products seeded
// deterministically from the run's seed, listed with paging, shown one by one.
//
// Routes:
//
//	GET /products?page=N&size=M   {"products":[...],"page":N,"size":M,"total":T}
//	GET /products/{id}            {"id":..,"name":..,"price_cents":..}
package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"

	"lab/services/kit"
)

// Product is one product of the catalog.
type Product struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	PriceCents int    `json:"price_cents"`
}

const schema = `
CREATE TABLE IF NOT EXISTS products (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  price_cents INTEGER NOT NULL
);`

// DefaultProducts is the catalog's size unless "catalog.products" says otherwise.
const DefaultProducts = 1000

// Service returns the catalog service.
func Service() kit.Service {
	return kit.Service{Name: "catalog", Schema: schema, Setup: setup}
}

var (
	adjectives = []string{"Sturdy", "Quiet", "Bright", "Compact", "Vintage", "Rugged", "Smart", "Tiny", "Grand", "Swift", "Cosy", "Bold"}
	nouns      = []string{"Kettle", "Lamp", "Backpack", "Chair", "Headphones", "Mug", "Notebook", "Jacket", "Clock", "Blender", "Scarf", "Drone"}
)

// Seeded returns the n products the catalog holds for seed. Inventory seeds
// its stock from the same seed and ids.
func Seeded(seed int64, n int) []Product {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xca7a109))
	out := make([]Product, n)
	for i := range out {
		out[i] = Product{
			ID:         i + 1,
			Name:       fmt.Sprintf("%s %s %d", adjectives[rng.IntN(len(adjectives))], nouns[rng.IntN(len(nouns))], i+1),
			PriceCents: 199 + rng.IntN(20000),
		}
	}
	return out
}

func setup(ctx context.Context, in *kit.Instance) error {
	if err := seed(ctx, in.DB, Seeded(in.Seed, in.Config.Int("products", DefaultProducts))); err != nil {
		return err
	}
	c, err := open(ctx, in.DB)
	if err != nil {
		return err
	}
	in.Mux.HandleFunc("GET /products", c.list)
	in.Mux.HandleFunc("GET /products/{id}", c.show)
	return nil
}

func seed(ctx context.Context, db *sql.DB, products []Product) error {
	return kit.SeedOnce(ctx, db, "products", func(tx *sql.Tx) error {
		stmt, err := tx.Prepare(`INSERT INTO products(id, name, price_cents) VALUES(?,?,?)`)
		if err != nil {
			return err
		}
		for _, p := range products {
			if _, err := stmt.Exec(p.ID, p.Name, p.PriceCents); err != nil {
				return fmt.Errorf("product %d: %w", p.ID, err)
			}
		}
		return nil
	})
}

// catalog answers from SQLite through statements prepared once. The
// catalog never changes after its seed (it has no route that writes), so
// its size is read once and each page is rendered once and kept: browsing
// is the shop's hottest path, and parsing SQL and encoding JSON on every
// request was most of its cost (see docs/BENCHMARKS.md).
type catalog struct {
	page, byID *sql.Stmt
	total      int

	mu    sync.RWMutex
	pages map[[2]int][]byte // (page, size) -> the rendered answer
}

// maxPages bounds the pages kept; beyond it pages are rendered every time.
const maxPages = 4096

func open(ctx context.Context, db *sql.DB) (*catalog, error) {
	c := &catalog{pages: map[[2]int][]byte{}}
	var err error
	if c.page, err = db.PrepareContext(ctx, `SELECT id, name, price_cents FROM products ORDER BY id LIMIT ? OFFSET ?`); err != nil {
		return nil, err
	}
	if c.byID, err = db.PrepareContext(ctx, `SELECT id, name, price_cents FROM products WHERE id=?`); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM products`).Scan(&c.total); err != nil {
		return nil, fmt.Errorf("count products: %w", err)
	}
	return c, nil
}

func (c *catalog) list(w http.ResponseWriter, r *http.Request) {
	page, size := intParam(r, "page", 1), intParam(r, "size", 20)
	if page < 1 || size < 1 || size > 100 {
		kit.WriteError(w, http.StatusBadRequest, "page must be at least 1 and size between 1 and 100")
		return
	}
	key := [2]int{page, size}
	c.mu.RLock()
	body, ok := c.pages[key]
	c.mu.RUnlock()
	if !ok {
		var err error
		if body, err = c.render(r.Context(), page, size); err != nil {
			kit.WriteError(w, http.StatusInternalServerError, err.Error())
			return
		}
		c.mu.Lock()
		if len(c.pages) < maxPages {
			c.pages[key] = body
		}
		c.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// render reads one page and encodes the answer.
func (c *catalog) render(ctx context.Context, page, size int) ([]byte, error) {
	rows, err := c.page.QueryContext(ctx, size, (page-1)*size)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	products := []Product{}
	for rows.Next() {
		var p Product
		if err := rows.Scan(&p.ID, &p.Name, &p.PriceCents); err != nil {
			return nil, err
		}
		products = append(products, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(map[string]any{"products": products, "page": page, "size": size, "total": c.total})
	return append(b, '\n'), err
}

func (c *catalog) show(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		kit.WriteError(w, http.StatusBadRequest, "product id must be a number")
		return
	}
	var p Product
	err = c.byID.QueryRowContext(r.Context(), id).Scan(&p.ID, &p.Name, &p.PriceCents)
	if errors.Is(err, sql.ErrNoRows) {
		kit.WriteError(w, http.StatusNotFound, "no product "+r.PathValue("id"))
		return
	}
	if err != nil {
		kit.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	kit.WriteJSON(w, http.StatusOK, p)
}

func intParam(r *http.Request, name string, def int) int {
	if v := r.URL.Query().Get(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		return -1
	}
	return def
}
