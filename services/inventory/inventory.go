// Package inventory keeps the stock of every product: available, reserved for
// orders awaiting payment, and sold. Reservations are idempotent by order id,
// all-or-nothing over an order's items, and stock never goes negative, also
// under concurrent reservations: each one is a single immediate SQLite
// transaction that checks and decrements together.
//
// Routes:
//
//	POST /reservations                      {"order_id":..,"items":[{"product_id":..,"qty":..}]}
//	                                        201 reserved, 200 already known, 409 out of stock
//	POST /reservations/{order_id}/release   give reserved stock back (idempotent)
//	GET  /stock/{id}                        {"product_id":..,"available":..,"reserved":..,"sold":..}
//	GET  /admin/stock                       every product's stock, for the invariant checker
//
// Events consumed: PaymentSucceeded (reserved becomes sold) and PaymentFailed
// (reserved becomes available again).
package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"lab/services/contract"
	"lab/services/kit"
)

const schema = `
CREATE TABLE IF NOT EXISTS stock (
  product_id INTEGER PRIMARY KEY,
  initial    INTEGER NOT NULL,
  available  INTEGER NOT NULL CHECK (available >= 0),
  reserved   INTEGER NOT NULL CHECK (reserved >= 0),
  sold       INTEGER NOT NULL CHECK (sold >= 0)
);
CREATE TABLE IF NOT EXISTS reservations (
  order_id   TEXT PRIMARY KEY,
  state      TEXT NOT NULL -- reserved, sold, released
);
CREATE TABLE IF NOT EXISTS reservation_items (
  order_id   TEXT NOT NULL,
  product_id INTEGER NOT NULL,
  qty        INTEGER NOT NULL,
  PRIMARY KEY (order_id, product_id)
);`

// Item is a quantity of one product.
type Item struct {
	ProductID int `json:"product_id"`
	Qty       int `json:"qty"`
}

// Stock is one product's stock.
type Stock struct {
	ProductID int `json:"product_id"`
	Initial   int `json:"initial"`
	Available int `json:"available"`
	Reserved  int `json:"reserved"`
	Sold      int `json:"sold"`
}

// Service returns the inventory service.
func Service() kit.Service {
	return kit.Service{Name: "inventory", Schema: schema, Setup: setup}
}

// InitialStock returns the initial stock of products 1..n for seed, or the
// same fixed amount for each when fixed > 0.
func InitialStock(seed int64, n, fixed int) []int {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x570c))
	out := make([]int, n)
	for i := range out {
		out[i] = 20 + rng.IntN(181)
		if fixed > 0 {
			out[i] = fixed
		}
	}
	return out
}

func setup(ctx context.Context, in *kit.Instance) error {
	n := 1000
	if v, ok := in.Config.Raw("catalog.products"); ok {
		if p, err := strconv.Atoi(v); err == nil {
			n = p
		}
	}
	if err := seed(ctx, in.DB, InitialStock(in.Seed, n, in.Config.Int("initial_stock", 0))); err != nil {
		return err
	}
	s := &store{db: in.DB}
	for _, col := range []string{"available", "reserved", "sold"} {
		in.Metrics.Reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "shop_stock_" + col, Help: "Units of every product that are " + col + ".",
		}, func() float64 { return s.total(col) }))
	}
	in.Mux.HandleFunc("POST /reservations", s.reserve)
	in.Mux.HandleFunc("POST /reservations/{order_id}/release", func(w http.ResponseWriter, r *http.Request) {
		if err := s.settle(r.Context(), r.PathValue("order_id"), "released"); err != nil {
			kit.WriteError(w, http.StatusInternalServerError, err.Error())
			return
		}
		kit.WriteJSON(w, http.StatusOK, map[string]string{"order_id": r.PathValue("order_id"), "state": "released"})
	})
	in.Mux.HandleFunc("GET /stock/{id}", s.show)
	in.Mux.HandleFunc("GET /admin/stock", s.all)
	return in.Consume("inventory", []string{contract.SubjectPaymentSucceeded, contract.SubjectPaymentFailed},
		func(ctx context.Context, ev contract.Event, subject string) error {
			state := "sold"
			if subject == contract.SubjectPaymentFailed {
				state = "released"
			}
			return s.settle(ctx, ev.OrderID, state)
		})
}

func seed(ctx context.Context, db *sql.DB, stock []int) error {
	return kit.SeedOnce(ctx, db, "stock", func(tx *sql.Tx) error {
		for i, q := range stock {
			if _, err := tx.Exec(`INSERT INTO stock(product_id, initial, available, reserved, sold) VALUES(?,?,?,0,0)`,
				i+1, q, q); err != nil {
				return fmt.Errorf("stock of %d: %w", i+1, err)
			}
		}
		return nil
	})
}

type store struct{ db *sql.DB }

var errOutOfStock = errors.New("out of stock")

func (s *store) reserve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderID string `json:"order_id"`
		Items   []Item `json:"items"`
	}
	if !kit.ReadJSON(w, r, &req) {
		return
	}
	if req.OrderID == "" || len(req.Items) == 0 {
		kit.WriteError(w, http.StatusBadRequest, "order_id and at least one item are required")
		return
	}
	for _, it := range req.Items {
		if it.Qty < 1 {
			kit.WriteError(w, http.StatusBadRequest, "qty must be at least 1")
			return
		}
	}
	created, state, short, err := s.tryReserve(r.Context(), req.OrderID, req.Items)
	switch {
	case errors.Is(err, errOutOfStock):
		kit.WriteJSON(w, http.StatusConflict, map[string]any{"error": "out of stock", "product_id": short})
	case err != nil:
		kit.WriteError(w, http.StatusInternalServerError, err.Error())
	case created:
		kit.WriteJSON(w, http.StatusCreated, map[string]string{"order_id": req.OrderID, "state": state})
	default:
		kit.WriteJSON(w, http.StatusOK, map[string]string{"order_id": req.OrderID, "state": state})
	}
}

// tryReserve reserves items for order in one transaction, or reports the
// reservation already made for it.
func (s *store) tryReserve(ctx context.Context, order string, items []Item) (created bool, state string, short int, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, "", 0, fmt.Errorf("begin reservation: %w", err)
	}
	defer tx.Rollback()
	err = tx.QueryRow(`SELECT state FROM reservations WHERE order_id=?`, order).Scan(&state)
	if err == nil {
		return false, state, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, "", 0, fmt.Errorf("read reservation: %w", err)
	}
	for _, it := range items {
		res, err := tx.Exec(`UPDATE stock SET available=available-?, reserved=reserved+?
			WHERE product_id=? AND available>=?`, it.Qty, it.Qty, it.ProductID, it.Qty)
		if err != nil {
			return false, "", 0, fmt.Errorf("reserve %d: %w", it.ProductID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return false, "", it.ProductID, errOutOfStock
		}
		if _, err := tx.Exec(`INSERT INTO reservation_items(order_id, product_id, qty) VALUES(?,?,?)
			ON CONFLICT(order_id, product_id) DO UPDATE SET qty=qty+excluded.qty`, order, it.ProductID, it.Qty); err != nil {
			return false, "", 0, fmt.Errorf("record reservation: %w", err)
		}
	}
	if _, err := tx.Exec(`INSERT INTO reservations(order_id, state) VALUES(?, 'reserved')`, order); err != nil {
		return false, "", 0, fmt.Errorf("record reservation: %w", err)
	}
	return true, "reserved", 0, tx.Commit()
}

// settle moves a reserved order to sold or released. Settling an order that
// is unknown or already settled changes nothing, so events may repeat.
func (s *store) settle(ctx context.Context, order, to string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin settle: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.Exec(`UPDATE reservations SET state=? WHERE order_id=? AND state='reserved'`, to, order)
	if err != nil {
		return fmt.Errorf("settle %s: %w", order, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	move := `UPDATE stock SET reserved=reserved-?, sold=sold+? WHERE product_id=?`
	if to == "released" {
		move = `UPDATE stock SET reserved=reserved-?, available=available+? WHERE product_id=?`
	}
	rows, err := tx.Query(`SELECT product_id, qty FROM reservation_items WHERE order_id=?`, order)
	if err != nil {
		return fmt.Errorf("read items of %s: %w", order, err)
	}
	var items []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ProductID, &it.Qty); err != nil {
			rows.Close()
			return fmt.Errorf("read items of %s: %w", order, err)
		}
		items = append(items, it)
	}
	rows.Close()
	for _, it := range items {
		if _, err := tx.Exec(move, it.Qty, it.Qty, it.ProductID); err != nil {
			return fmt.Errorf("settle %s: %w", order, err)
		}
	}
	return tx.Commit()
}

func (s *store) show(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		kit.WriteError(w, http.StatusBadRequest, "product id must be a number")
		return
	}
	var st Stock
	err = s.db.QueryRowContext(r.Context(), `SELECT product_id, initial, available, reserved, sold FROM stock WHERE product_id=?`, id).
		Scan(&st.ProductID, &st.Initial, &st.Available, &st.Reserved, &st.Sold)
	if errors.Is(err, sql.ErrNoRows) {
		kit.WriteError(w, http.StatusNotFound, "no stock for product "+r.PathValue("id"))
		return
	}
	if err != nil {
		kit.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	kit.WriteJSON(w, http.StatusOK, st)
}

func (s *store) all(w http.ResponseWriter, r *http.Request) {
	kit.WriteRows(w, r, s.db, "stock", `SELECT product_id, initial, available, reserved, sold FROM stock ORDER BY product_id`,
		func(rows *sql.Rows, st *Stock) error {
			return rows.Scan(&st.ProductID, &st.Initial, &st.Available, &st.Reserved, &st.Sold)
		})
}

func (s *store) total(col string) float64 {
	var n float64
	_ = s.db.QueryRow(`SELECT coalesce(sum(` + col + `),0) FROM stock`).Scan(&n)
	return n
}
