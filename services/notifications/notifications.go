// Package notifications tells shoppers what happened to their orders: it
// consumes every order and payment event and records one notification per
// event, however often the event is delivered (deduplicated by event id,
// unless "shop.idempotency" is "off").
//
// Routes:
//
//	GET /admin/notifications[?order_id=..]   the notifications recorded
package notifications

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"lab/services/contract"
	"lab/services/kit"
)

const schema = `
CREATE TABLE IF NOT EXISTS notifications (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id   TEXT NOT NULL,
  kind       TEXT NOT NULL,
  order_id   TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_order ON notifications(order_id);
CREATE INDEX IF NOT EXISTS notifications_event ON notifications(event_id);`

// Notification is one recorded notification.
type Notification struct {
	EventID   string `json:"event_id"`
	Kind      string `json:"kind"`
	OrderID   string `json:"order_id"`
	CreatedAt string `json:"created_at"`
}

// Service returns the notifications service.
func Service() kit.Service {
	return kit.Service{Name: "notifications", Schema: schema, Setup: setup}
}

func setup(_ context.Context, in *kit.Instance) error {
	in.Mux.HandleFunc("GET /admin/notifications", func(w http.ResponseWriter, r *http.Request) {
		q := `SELECT event_id, kind, order_id, created_at FROM notifications`
		var args []any
		if id := r.URL.Query().Get("order_id"); id != "" {
			q += ` WHERE order_id=?`
			args = append(args, id)
		}
		kit.WriteRows(w, r, in.DB, "notifications", q+` ORDER BY created_at`,
			func(rows *sql.Rows, n *Notification) error {
				return rows.Scan(&n.EventID, &n.Kind, &n.OrderID, &n.CreatedAt)
			}, args...)
	})
	return in.Consume("notifications", []string{contract.SubjectOrderPlaced, contract.SubjectPaymentSucceeded, contract.SubjectPaymentFailed},
		func(ctx context.Context, ev contract.Event, _ string) error {
			now := time.Now().UTC().Format(time.RFC3339Nano)
			if !kit.Idempotent(in.Config) {
				_, err := in.DB.ExecContext(ctx, `INSERT INTO notifications(event_id, kind, order_id, created_at) VALUES(?,?,?,?)`,
					ev.ID, ev.Type, ev.OrderID, now)
				return err
			}
			// One statement, so a redelivery racing the first delivery still records once.
			_, err := in.DB.ExecContext(ctx, `INSERT INTO notifications(event_id, kind, order_id, created_at)
				SELECT ?,?,?,? WHERE NOT EXISTS (SELECT 1 FROM notifications WHERE event_id=?)`,
				ev.ID, ev.Type, ev.OrderID, now, ev.ID)
			return err
		})
}
