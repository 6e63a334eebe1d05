// Package orders takes checkouts: it prices the items from catalog, reserves
// stock in inventory, and writes the order with an OrderPlaced event in its
// outbox in one SQLite transaction. Payment has two modes ("payments.mode"):
//
//   - async (default): payments consumes OrderPlaced; the order answers 202
//     pending and turns paid or payment_failed when the payment event arrives;
//   - sync: orders calls payments over HTTP and answers 201 with the result;
//     when payments does not answer and the edge's policy has a fallback, the
//     order answers 202 pending and a PaymentRequested event has payments
//     charge it later; without one, the order is cancelled and checkout fails.
//
// Routes:
//
//	POST /orders         {"user_id":..,"items":[{"product_id":..,"qty":..}]}
//	GET  /orders/{id}    {"id":..,"status":..,...}
//	GET  /admin/orders   every order, for the invariant checker
package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"lab/services/contract"
	"lab/services/kit"
)

const schema = `
CREATE TABLE IF NOT EXISTS orders (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  status      TEXT NOT NULL, -- pending, paid, payment_failed, cancelled
  reason      TEXT NOT NULL DEFAULT '',
  total_cents INTEGER NOT NULL,
  mode        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS order_items (
  order_id    TEXT NOT NULL,
  product_id  INTEGER NOT NULL,
  qty         INTEGER NOT NULL,
  price_cents INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS order_items_order ON order_items(order_id);`

// Order statuses.
const (
	StatusPending       = "pending"
	StatusPaid          = "paid"
	StatusPaymentFailed = "payment_failed"
	StatusCancelled     = "cancelled"
)

// Item is a line of an order.
type Item struct {
	ProductID  int `json:"product_id"`
	Qty        int `json:"qty"`
	PriceCents int `json:"price_cents,omitempty"`
}

// Order is an order as GET /orders/{id} shows it.
type Order struct {
	ID         string `json:"id"`
	UserID     string `json:"user_id"`
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
	TotalCents int    `json:"total_cents"`
	Mode       string `json:"mode"`
	Items      []Item `json:"items,omitempty"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
}

// Service returns the orders service.
func Service() kit.Service {
	return kit.Service{Name: "orders", Callees: []string{"catalog", "inventory", "payments"}, Schema: schema, Setup: setup}
}

type shop struct{ in *kit.Instance }

func setup(_ context.Context, in *kit.Instance) error {
	s := &shop{in: in}
	in.Mux.HandleFunc("POST /orders", s.checkout)
	in.Mux.HandleFunc("GET /orders/{id}", s.show)
	in.Mux.HandleFunc("GET /admin/orders", s.all)
	return in.Consume("orders", []string{contract.SubjectPaymentSucceeded, contract.SubjectPaymentFailed},
		func(ctx context.Context, ev contract.Event, subject string) error {
			status := StatusPaid
			if subject == contract.SubjectPaymentFailed {
				status = StatusPaymentFailed
			}
			return s.setStatus(ctx, ev.OrderID, status, "")
		})
}

func (s *shop) checkout(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserID string `json:"user_id"`
		Items  []Item `json:"items"`
	}
	if !kit.ReadJSON(w, r, &req) {
		return
	}
	if req.UserID == "" || len(req.Items) == 0 || len(req.Items) > 20 {
		kit.WriteError(w, http.StatusBadRequest, "user_id and 1 to 20 items are required")
		return
	}
	ctx := r.Context()
	total := 0
	for i, it := range req.Items {
		if it.Qty < 1 || it.Qty > 10 {
			kit.WriteError(w, http.StatusBadRequest, "qty must be between 1 and 10")
			return
		}
		var p struct {
			PriceCents int `json:"price_cents"`
		}
		if err := s.in.Client("catalog").Do(ctx, http.MethodGet, fmt.Sprintf("/products/%d", it.ProductID), nil, &p); err != nil {
			var se *kit.StatusError
			if errors.As(err, &se) && se.Code == http.StatusNotFound {
				kit.WriteError(w, http.StatusBadRequest, fmt.Sprintf("no product %d", it.ProductID))
				return
			}
			kit.WriteError(w, kit.FailureStatus(err), "price items: "+err.Error())
			return
		}
		req.Items[i].PriceCents = p.PriceCents
		total += p.PriceCents * it.Qty
	}

	id := kit.NewID("ord_")
	type line struct {
		ProductID int `json:"product_id"`
		Qty       int `json:"qty"`
	}
	lines := make([]line, len(req.Items))
	for i, it := range req.Items {
		lines[i] = line{it.ProductID, it.Qty}
	}
	reservation := map[string]any{"order_id": id, "items": lines}
	if err := s.in.Client("inventory").Do(ctx, http.MethodPost, "/reservations", reservation, nil); err != nil {
		var se *kit.StatusError
		if errors.As(err, &se) && se.Code == http.StatusConflict {
			kit.WriteError(w, http.StatusConflict, "out of stock")
			return
		}
		// The reservation may have happened before the call failed.
		s.in.Go(func(ctx context.Context) { s.release(ctx, id) })
		kit.WriteError(w, kit.FailureStatus(err), "reserve stock: "+err.Error())
		return
	}

	mode := "async"
	if m, _ := s.in.Config.Raw(contract.PaymentModeKey); m == "sync" {
		mode = "sync"
	}
	o := Order{ID: id, UserID: req.UserID, Status: StatusPending, TotalCents: total, Mode: mode, Items: req.Items}
	if err := s.place(ctx, o); err != nil {
		s.in.Go(func(ctx context.Context) { s.release(ctx, id) })
		kit.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if mode == "async" {
		kit.WriteJSON(w, http.StatusAccepted, map[string]string{"id": id, "status": StatusPending})
		return
	}
	var charge struct {
		Status string `json:"status"`
	}
	pay := s.in.Client("payments")
	err := pay.Do(ctx, http.MethodPost, "/charges", map[string]any{"order_id": id, "amount_cents": total}, &charge)
	if err != nil && !pay.Policy().Fallback {
		// No fallback: the checkout fails and the order is cancelled.
		ctx := context.WithoutCancel(ctx)
		_ = s.setStatus(ctx, id, StatusCancelled, "payment failed: "+err.Error())
		s.in.Go(func(ctx context.Context) { s.release(ctx, id) })
		kit.WriteError(w, kit.FailureStatus(err), "pay: "+err.Error())
		return
	}
	if err != nil {
		// The fallback: accept the order and have it paid later.
		pay.FellBack()
		if err := s.requestPayment(ctx, o, err); err != nil {
			kit.WriteError(w, http.StatusInternalServerError, err.Error())
			return
		}
		kit.WriteJSON(w, http.StatusAccepted, map[string]string{"id": id, "status": StatusPending})
		return
	}
	status := StatusPaid
	if charge.Status != "succeeded" {
		status = StatusPaymentFailed
	}
	if err := s.setStatus(ctx, id, status, ""); err != nil {
		kit.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	kit.WriteJSON(w, http.StatusCreated, map[string]string{"id": id, "status": status})
}

// place writes o, its items and its OrderPlaced event in one transaction.
func (s *shop) place(ctx context.Context, o Order) error {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	tx, err := s.in.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin order: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO orders(id, user_id, status, total_cents, mode, created_at, updated_at)
		VALUES(?,?,?,?,?,?,?)`, o.ID, o.UserID, o.Status, o.TotalCents, o.Mode, now, now); err != nil {
		return fmt.Errorf("write order: %w", err)
	}
	for _, it := range o.Items {
		if _, err := tx.Exec(`INSERT INTO order_items(order_id, product_id, qty, price_cents) VALUES(?,?,?,?)`,
			o.ID, it.ProductID, it.Qty, it.PriceCents); err != nil {
			return fmt.Errorf("write order item: %w", err)
		}
	}
	if err := s.in.Outbox.Add(tx, contract.SubjectOrderPlaced, paymentEvent("OrderPlaced", o)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit order: %w", err)
	}
	s.in.Outbox.Kick()
	return nil
}

func paymentEvent(typ string, o Order) contract.Event {
	data, _ := json.Marshal(map[string]any{"amount_cents": o.TotalCents, "mode": o.Mode})
	return contract.Event{ID: kit.NewID("evt_"), Type: typ, OrderID: o.ID, At: time.Now().UTC(), Data: data}
}

// requestPayment records why the order is still pending and asks payments,
// through the outbox, to charge it when it can.
func (s *shop) requestPayment(ctx context.Context, o Order, cause error) error {
	ctx = context.WithoutCancel(ctx) // the order exists: finish this even if the client left
	tx, err := s.in.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin payment request: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE orders SET reason=? WHERE id=? AND status='pending'`,
		"payment deferred: "+cause.Error(), o.ID); err != nil {
		return fmt.Errorf("record payment request: %w", err)
	}
	if err := s.in.Outbox.Add(tx, contract.SubjectPaymentRequested, paymentEvent("PaymentRequested", o)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit payment request: %w", err)
	}
	s.in.Outbox.Kick()
	return nil
}

// setStatus moves a pending order to status; other orders are left alone, so
// repeated events change nothing.
func (s *shop) setStatus(ctx context.Context, id, status, reason string) error {
	_, err := s.in.DB.ExecContext(ctx, `UPDATE orders SET status=?, reason=?, updated_at=? WHERE id=? AND status='pending'`,
		status, reason, time.Now().UTC().Format(time.RFC3339Nano), id)
	if err != nil {
		return fmt.Errorf("set status of %s: %w", id, err)
	}
	return nil
}

// release gives back the stock of an order that was not placed, retrying
// for up to a minute.
func (s *shop) release(ctx context.Context, id string) {
	deadline := time.Now().Add(time.Minute)
	for wait := 100 * time.Millisecond; time.Now().Before(deadline); wait = min(2*wait, 5*time.Second) {
		err := s.in.Client("inventory").Do(ctx, http.MethodPost, "/reservations/"+id+"/release", nil, nil)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
	s.in.Log.Error("give up releasing stock", "order", id)
}

func (s *shop) load(ctx context.Context, id string) (Order, error) {
	var o Order
	err := s.in.DB.QueryRowContext(ctx, `SELECT id, user_id, status, reason, total_cents, mode, created_at, updated_at
		FROM orders WHERE id=?`, id).Scan(&o.ID, &o.UserID, &o.Status, &o.Reason, &o.TotalCents, &o.Mode, &o.CreatedAt, &o.UpdatedAt)
	if err != nil {
		return o, err
	}
	rows, err := s.in.DB.QueryContext(ctx, `SELECT product_id, qty, price_cents FROM order_items WHERE order_id=?`, id)
	if err != nil {
		return o, err
	}
	defer rows.Close()
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ProductID, &it.Qty, &it.PriceCents); err != nil {
			return o, err
		}
		o.Items = append(o.Items, it)
	}
	return o, rows.Err()
}

func (s *shop) show(w http.ResponseWriter, r *http.Request) {
	o, err := s.load(r.Context(), r.PathValue("id"))
	if errors.Is(err, sql.ErrNoRows) {
		kit.WriteError(w, http.StatusNotFound, "no order "+r.PathValue("id"))
		return
	}
	if err != nil {
		kit.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	kit.WriteJSON(w, http.StatusOK, o)
}

func (s *shop) all(w http.ResponseWriter, r *http.Request) {
	kit.WriteRows(w, r, s.in.DB, "orders", `SELECT id, user_id, status, reason, total_cents, mode, created_at, updated_at
		FROM orders ORDER BY created_at`,
		func(rows *sql.Rows, o *Order) error {
			return rows.Scan(&o.ID, &o.UserID, &o.Status, &o.Reason, &o.TotalCents, &o.Mode, &o.CreatedAt, &o.UpdatedAt)
		})
}
