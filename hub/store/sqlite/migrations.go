package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// Schema, as of the last migration. Change this comment with every migration.
//
//	outlets        id PK, secret_hash, acked_seq, last_seen (unix ms),
//	               down_cursor (Since of its last Pull), created_at
//	events         (origin, seq) PK, id, hlc, actor, type, v, subject, target,
//	               payload (JSON text), received_at; index on subject
//	dead_letters   (origin, seq) PK, code, reason, event (JSON), at
//	pending_ranges (origin, first, last): batches held beyond acked_seq,
//	               consumed when the gap before them closes
//	downlink       seq PK (hub-wide), target (outlet id or "*"), event (JSON),
//	               created_at; index on (target, seq)
//	counters       name PK, n
//
// The version is PRAGMA user_version.
type migration struct {
	version int
	name    string
	sql     string
}

var migrations = []migration{
	{1, "create outlets, events, dead letters, pending ranges, downlink", `
CREATE TABLE outlets (
	id          TEXT PRIMARY KEY,
	secret_hash TEXT NOT NULL DEFAULT '',
	acked_seq   INTEGER NOT NULL DEFAULT 0,
	last_seen   INTEGER NOT NULL DEFAULT 0,
	down_cursor INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL
);
CREATE TABLE events (
	origin      TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	id          TEXT NOT NULL,
	hlc         INTEGER NOT NULL,
	actor       TEXT NOT NULL,
	type        TEXT NOT NULL,
	v           INTEGER NOT NULL,
	subject     TEXT NOT NULL DEFAULT '',
	target      TEXT NOT NULL DEFAULT '',
	payload     TEXT,
	received_at INTEGER NOT NULL,
	PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
CREATE INDEX events_subject ON events (subject) WHERE subject <> '';
CREATE TABLE dead_letters (
	origin TEXT NOT NULL,
	seq    INTEGER NOT NULL,
	code   TEXT NOT NULL,
	reason TEXT NOT NULL,
	event  TEXT,
	at     INTEGER NOT NULL,
	PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
CREATE TABLE pending_ranges (
	origin TEXT NOT NULL,
	first  INTEGER NOT NULL,
	last   INTEGER NOT NULL,
	PRIMARY KEY (origin, first, last)
) WITHOUT ROWID;
CREATE TABLE downlink (
	seq        INTEGER PRIMARY KEY,
	target     TEXT NOT NULL,
	event      TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX downlink_target ON downlink (target, seq);
`},
	{2, "add counters", `
CREATE TABLE counters (
	name TEXT PRIMARY KEY,
	n    INTEGER NOT NULL
) WITHOUT ROWID;
`},
}

// SchemaVersion is the version a database has after Open.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// migrate runs the missing migrations in one immediate transaction, so two
// processes opening a fresh file do not both apply them.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > SchemaVersion() {
		return fmt.Errorf("database has schema version %d, newer than this hub's %d: run the newer hub or restore a backup", have, SchemaVersion())
	}
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		// PRAGMA takes no bind parameters; the value is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			return fmt.Errorf("migration %d: set version: %w", m.version, err)
		}
	}
	return tx.Commit()
}
