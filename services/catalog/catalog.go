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
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"

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
	in.Mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) { list(w, r, in.DB) })
	in.Mux.HandleFunc("GET /products/{id}", func(w http.ResponseWriter, r *http.Request) { show(w, r, in.DB) })
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

func list(w http.ResponseWriter, r *http.Request, db *sql.DB) {
	page, size := intParam(r, "page", 1), intParam(r, "size", 20)
	if page < 1 || size < 1 || size > 100 {
		kit.WriteError(w, http.StatusBadRequest, "page must be at least 1 and size between 1 and 100")
		return
	}
	rows, err := db.QueryContext(r.Context(),
		`SELECT id, name, price_cents FROM products ORDER BY id LIMIT ? OFFSET ?`, size, (page-1)*size)
	if err != nil {
		kit.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	defer rows.Close()
	products := []Product{}
	for rows.Next() {
		var p Product
		if err := rows.Scan(&p.ID, &p.Name, &p.PriceCents); err != nil {
			kit.WriteError(w, http.StatusInternalServerError, err.Error())
			return
		}
		products = append(products, p)
	}
	var total int
	_ = db.QueryRowContext(r.Context(), `SELECT count(*) FROM products`).Scan(&total)
	kit.WriteJSON(w, http.StatusOK, map[string]any{"products": products, "page": page, "size": size, "total": total})
}

func show(w http.ResponseWriter, r *http.Request, db *sql.DB) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		kit.WriteError(w, http.StatusBadRequest, "product id must be a number")
		return
	}
	var p Product
	err = db.QueryRowContext(r.Context(), `SELECT id, name, price_cents FROM products WHERE id=?`, id).
		Scan(&p.ID, &p.Name, &p.PriceCents)
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
