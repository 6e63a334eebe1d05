// Package payments charges orders through a simulated card processor with a
// configurable latency ("payments.latency", default 20ms) and decline rate
// ("payments.decline_rate", default 0). The order id is the idempotency key:
// a repeated charge, by HTTP or by event, returns the first result and never
// charges twice. Whether an order is declined is decided from the run's seed
// and the order id, so a rerun with the same seed declines the same orders.
//
// Routes:
//
//	POST /charges         {"order_id":..,"amount_cents":..} 201 new, 200 repeat;
//	                      {"order_id":..,"status":"succeeded"|"declined",..}
//	GET  /admin/charges   every charge, for the invariant checker
//
// Events: consumes OrderPlaced (when the order is to be paid asynchronously)
// and PaymentRequested; publishes PaymentSucceeded or PaymentFailed through
// its outbox, in the same transaction as the charge.
package payments

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"time"

	"lab/services/contract"
	"lab/services/kit"
)

const schema = `
CREATE TABLE IF NOT EXISTS charges (
  charge_id    TEXT PRIMARY KEY,
  order_id     TEXT NOT NULL,
  amount_cents INTEGER NOT NULL,
  status       TEXT NOT NULL, -- succeeded, declined
  created_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS charges_order ON charges(order_id);`

// Charge is the result of charging one order.
type Charge struct {
	ChargeID    string `json:"charge_id"`
	OrderID     string `json:"order_id"`
	AmountCents int    `json:"amount_cents"`
	Status      string `json:"status"`
	CreatedAt   string `json:"created_at"`
}

// OrderPayment is the data of OrderPlaced and PaymentRequested events.
type OrderPayment struct {
	AmountCents int    `json:"amount_cents"`
	Mode        string `json:"mode"` // sync or async: how orders wants it paid
}

// Service returns the payments service.
func Service() kit.Service {
	return kit.Service{Name: "payments", Schema: schema, Setup: setup}
}

type processor struct{ in *kit.Instance }

func setup(_ context.Context, in *kit.Instance) error {
	p := &processor{in: in}
	in.Mux.HandleFunc("POST /charges", p.handleCharge)
	in.Mux.HandleFunc("GET /admin/charges", p.all)
	return in.Consume("payments", []string{contract.SubjectOrderPlaced, contract.SubjectPaymentRequested},
		func(ctx context.Context, ev contract.Event, subject string) error {
			var op OrderPayment
			if err := json.Unmarshal(ev.Data, &op); err != nil {
				return fmt.Errorf("decode %s: %w", ev.ID, err)
			}
			if subject == contract.SubjectOrderPlaced && op.Mode != "async" {
				return nil // orders calls us itself
			}
			_, _, err := p.charge(ctx, ev.OrderID, op.AmountCents)
			return err
		})
}

func (p *processor) handleCharge(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderID     string `json:"order_id"`
		AmountCents int    `json:"amount_cents"`
	}
	if !kit.ReadJSON(w, r, &req) {
		return
	}
	if req.OrderID == "" || req.AmountCents <= 0 {
		kit.WriteError(w, http.StatusBadRequest, "order_id and a positive amount_cents are required")
		return
	}
	c, created, err := p.charge(r.Context(), req.OrderID, req.AmountCents)
	if err != nil {
		kit.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	kit.WriteJSON(w, code, c)
}

// charge charges order once: the first call runs the processor and records
// the charge with its event; every later call returns that record. The check
// is made again inside the write transaction, which replicas share, so two
// deliveries racing each other still charge once. With idempotency off
// ("shop.idempotency": "off", the control of --compare idempotency=off)
// every call charges: the bug the invariant checker must catch.
func (p *processor) charge(ctx context.Context, order string, amount int) (Charge, bool, error) {
	idempotent := kit.Idempotent(p.in.Config)
	if idempotent {
		if c, err := p.find(ctx, order); err == nil {
			return c, false, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return Charge{}, false, err
		}
	}
	// The processor: its latency is spent outside any transaction.
	if d := p.in.Config.Duration("latency", 20*time.Millisecond); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return Charge{}, false, ctx.Err()
		}
	}
	status := "succeeded"
	if declined(p.in.Seed, order, p.in.Config.Float("decline_rate", 0)) {
		status = "declined"
	}
	c := Charge{ChargeID: kit.NewID("chg_"), OrderID: order, AmountCents: amount, Status: status,
		CreatedAt: time.Now().UTC().Format(time.RFC3339Nano)}
	tx, err := p.in.DB.BeginTx(ctx, nil)
	if err != nil {
		return Charge{}, false, fmt.Errorf("begin charge: %w", err)
	}
	defer tx.Rollback()
	if idempotent {
		var prior Charge
		err := tx.QueryRow(`SELECT charge_id, order_id, amount_cents, status, created_at FROM charges WHERE order_id=?`, order).
			Scan(&prior.ChargeID, &prior.OrderID, &prior.AmountCents, &prior.Status, &prior.CreatedAt)
		if err == nil {
			return prior, false, nil // a concurrent call won the race
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Charge{}, false, fmt.Errorf("read charge: %w", err)
		}
	}
	if _, err := tx.Exec(`INSERT INTO charges(charge_id, order_id, amount_cents, status, created_at) VALUES(?,?,?,?,?)`,
		c.ChargeID, c.OrderID, c.AmountCents, c.Status, c.CreatedAt); err != nil {
		return Charge{}, false, fmt.Errorf("record charge: %w", err)
	}
	subject, typ := contract.SubjectPaymentSucceeded, "PaymentSucceeded"
	if status == "declined" {
		subject, typ = contract.SubjectPaymentFailed, "PaymentFailed"
	}
	data, _ := json.Marshal(c)
	ev := contract.Event{ID: "evt_" + strings.ToLower(typ) + "_" + order, Type: typ, OrderID: order, At: time.Now().UTC(), Data: data}
	if !idempotent {
		ev.ID = "evt_" + strings.ToLower(typ) + "_" + c.ChargeID
	}
	if err := p.in.Outbox.Add(tx, subject, ev); err != nil {
		return Charge{}, false, err
	}
	if err := tx.Commit(); err != nil {
		return Charge{}, false, fmt.Errorf("commit charge: %w", err)
	}
	p.in.Outbox.Kick()
	return c, true, nil
}

func (p *processor) find(ctx context.Context, order string) (Charge, error) {
	var c Charge
	err := p.in.DB.QueryRowContext(ctx, `SELECT charge_id, order_id, amount_cents, status, created_at FROM charges WHERE order_id=? ORDER BY created_at LIMIT 1`, order).
		Scan(&c.ChargeID, &c.OrderID, &c.AmountCents, &c.Status, &c.CreatedAt)
	return c, err
}

// declined decides, from the seed and the order id alone, whether the
// processor declines order at the given rate.
func declined(seed int64, order string, rate float64) bool {
	if rate <= 0 {
		return false
	}
	h := fnv.New64a()
	_ = binary.Write(h, binary.LittleEndian, seed)
	h.Write([]byte(order))
	return float64(h.Sum64()%1_000_000)/1_000_000 < rate
}

func (p *processor) all(w http.ResponseWriter, r *http.Request) {
	kit.WriteRows(w, r, p.in.DB, "charges", `SELECT charge_id, order_id, amount_cents, status, created_at FROM charges ORDER BY created_at`,
		func(rows *sql.Rows, c *Charge) error {
			return rows.Scan(&c.ChargeID, &c.OrderID, &c.AmountCents, &c.Status, &c.CreatedAt)
		})
}
