package kit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"lab/services/contract"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// OutboxSchema is the table an outbox lives in; a service using Outbox adds
// it to its own schema.
const OutboxSchema = `
CREATE TABLE IF NOT EXISTS outbox (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT NOT NULL UNIQUE,
  subject      TEXT NOT NULL,
  payload      BLOB NOT NULL,
  created_at   TEXT NOT NULL,
  published_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(seq) WHERE published_at IS NULL;
`

// Outbox is the transactional outbox: an event is written in the same
// transaction as the state change it announces (Add), and a relay publishes
// pending events to the broker in order, marking each once the broker has
// acknowledged it. A crash between commit and publish, or between publish and
// mark, leads to a publish after restart; the event id is the JetStream
// message id, so the broker's duplicate window drops the repeat.
type Outbox struct {
	db   *sql.DB
	js   jetstream.JetStream
	m    *Metrics
	log  *slog.Logger
	kick chan struct{}
}

// Add writes ev to the outbox inside tx. Call Kick after the commit.
func (o *Outbox) Add(tx *sql.Tx, subject string, ev contract.Event) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	_, err = tx.Exec(`INSERT INTO outbox(id, subject, payload, created_at) VALUES(?,?,?,?)`,
		ev.ID, subject, payload, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("write outbox %s: %w", ev.ID, err)
	}
	return nil
}

// Kick wakes the relay now instead of at its next tick.
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// relay publishes pending events until ctx ends.
func (o *Outbox) relay(ctx context.Context) {
	backoff := 50 * time.Millisecond
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-o.kick:
		}
		n, err := o.publishPending(ctx)
		if err != nil && ctx.Err() == nil {
			o.log.Warn("outbox relay", "err", err, "retry_in_ms", backoff.Milliseconds())
			t.Reset(backoff)
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		if n > 0 {
			t.Reset(0)
		} else {
			t.Reset(100 * time.Millisecond)
		}
	}
}

type pending struct {
	seq     int64
	id      string
	subject string
	payload []byte
}

func (o *Outbox) publishPending(ctx context.Context) (int, error) {
	rows, err := o.db.QueryContext(ctx,
		`SELECT seq, id, subject, payload FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT 100`)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	var batch []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.seq, &p.id, &p.subject, &p.payload); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read outbox: %w", err)
		}
		batch = append(batch, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	for i, p := range batch {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := o.js.Publish(pctx, p.subject, p.payload, jetstream.WithMsgID(p.id))
		cancel()
		if err != nil {
			return i, fmt.Errorf("publish %s: %w", p.id, err)
		}
		if _, err := o.db.ExecContext(ctx, `UPDATE outbox SET published_at=? WHERE seq=?`,
			time.Now().UTC().Format(time.RFC3339Nano), p.seq); err != nil {
			return i, fmt.Errorf("mark %s published: %w", p.id, err)
		}
		o.m.published.Inc()
	}
	return len(batch), nil
}

// Pending returns how many events wait in the outbox.
func (o *Outbox) Pending(ctx context.Context) (int, error) {
	var n int
	err := o.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&n)
	return n, err
}
