package store

import (
	"context"
	"fmt"
)

// Tries are the counters head office's public pages limit guessing with
// (hub/ratelimit): one row per key and fixed window, in the store, so that
// every hub on one database counts against one budget. A row is deleted
// once its window ended (DropTries), so the table holds only the keys tried
// in the current windows.

// TryQueries are the tries' statements (TrySQL writes them once for every
// backend; Core runs them on the backend's Autocommit).
type TryQueries interface {
	// Try adds one to key's count in the window that began at start and
	// ends at end (Unix ms), creating the row at 1, and returns the count
	// after it: one statement, so hubs trying the same key at once each
	// read a count of their own.
	Try(ctx context.Context, key string, start, end int64) (int64, error)
	// ReturnTry takes back one try of key's window at start, never below 0.
	ReturnTry(ctx context.Context, key string, start int64) error
	// DropTries deletes the windows that ended at or before now and
	// returns how many.
	DropTries(ctx context.Context, now int64) (int64, error)
}

// TrySQL runs the tries' statements on a backend's runner, the same as
// CustomerSQL's (the tries table is each backend's migration).
type TrySQL CustomerSQL

// Try implements TryQueries. INSERT … ON CONFLICT … DO UPDATE … RETURNING
// is the same statement on SQLite and PostgreSQL.
func (q TrySQL) Try(ctx context.Context, key string, start, end int64) (int64, error) {
	rows, done, err := q.Query(ctx, `INSERT INTO tries (key, start, ends_at, n) VALUES (?, ?, ?, 1)
		ON CONFLICT (key, start) DO UPDATE SET n = tries.n + 1 RETURNING n`, key, start, end)
	if err != nil {
		return 0, fmt.Errorf("count a try: %w", err)
	}
	defer done()
	ns, err := Collect(rows, func(sc Scanner) (int64, error) {
		var n int64
		return n, sc.Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count a try: %w", err)
	}
	if len(ns) != 1 {
		return 0, fmt.Errorf("count a try: %d rows returned", len(ns))
	}
	return ns[0], nil
}

// ReturnTry implements TryQueries.
func (q TrySQL) ReturnTry(ctx context.Context, key string, start int64) error {
	if _, err := q.Exec(ctx, `UPDATE tries SET n = n - 1 WHERE key = ? AND start = ? AND n > 0`, key, start); err != nil {
		return fmt.Errorf("return a try: %w", err)
	}
	return nil
}

// DropTries implements TryQueries.
func (q TrySQL) DropTries(ctx context.Context, now int64) (int64, error) {
	n, err := q.Exec(ctx, `DELETE FROM tries WHERE ends_at <= ?`, now)
	if err != nil {
		return 0, fmt.Errorf("delete ended try windows: %w", err)
	}
	return n, nil
}

// Try implements TryQueries.
func (s *Core) Try(ctx context.Context, key string, start, end int64) (int64, error) {
	return TrySQL(s.Backend.Autocommit()).Try(ctx, key, start, end)
}

// ReturnTry implements TryQueries.
func (s *Core) ReturnTry(ctx context.Context, key string, start int64) error {
	return TrySQL(s.Backend.Autocommit()).ReturnTry(ctx, key, start)
}

// DropTries implements TryQueries.
func (s *Core) DropTries(ctx context.Context, now int64) (int64, error) {
	return TrySQL(s.Backend.Autocommit()).DropTries(ctx, now)
}
