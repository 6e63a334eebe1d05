package kit

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// OpenDB opens (creating it if needed) the SQLite file at path in WAL mode,
// with a busy timeout and immediate write transactions, and applies schema.
//
// synchronous is OFF: a commit is in the operating system's cache when it
// returns, not yet on the disk. That keeps every committed transaction
// through every fault the lab injects (SIGKILL, SIGSTOP, a container killed
// or restarted: the kernel, which holds the cache, lives on), and loses it
// only if the machine itself dies, which the lab never simulates. With
// NORMAL, the fsync of each WAL checkpoint stalled whatever request made it
// and the checkout knee of `lab bench` went 641, 467, 246, 270 orders/s in
// one bench; with OFF 446, 456, 445, 452 (docs/BENCHMARKS.md).
//
// The pool holds one connection: SQLite has one writer at a time, and one
// connection makes every transaction serial without SQLITE_BUSY. Callers must
// therefore never hold a transaction across a network call.
//
// Replicas starting together race to create the file, switch it to WAL and
// apply the schema; in those first moments SQLite can answer SQLITE_BUSY
// without waiting out the busy timeout, so a busy open is tried again, for
// up to openRetry.
func OpenDB(path string, schema string) (*sql.DB, error) {
	deadline := time.Now().Add(openRetry)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		db, err := openDB(path, schema)
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return db, err
		}
		time.Sleep(wait + time.Duration(rand.Int64N(int64(wait))))
	}
}

// openRetry bounds how long OpenDB tries again a file that is busy.
const openRetry = 5 * time.Second

func openDB(path string, schema string) (*sql.DB, error) {
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)" +
		"&_pragma=synchronous(OFF)&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := applySchema(db, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("apply schema to %s: %w", path, err)
	}
	return db, nil
}

// applySchema runs schema in one write transaction, begun IMMEDIATE (the
// DSN's _txlock), so that a replica applies it whole or not at all and
// replicas starting together take turns.
func applySchema(db *sql.DB, schema string) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(schema); err != nil {
		return err
	}
	return tx.Commit()
}

// SeedOnce fills table by calling insert inside one write transaction, but
// only when the table is empty. The count is taken inside the transaction, so
// replicas starting together seed it once.
func SeedOnce(ctx context.Context, db *sql.DB, table string, insert func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed %s: %w", table, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		return fmt.Errorf("count %s: %w", table, err)
	}
	if n > 0 {
		return nil
	}
	if err := insert(tx); err != nil {
		return fmt.Errorf("seed %s: %w", table, err)
	}
	return tx.Commit()
}
