package sqlite

import (
	"context"

	"github.com/yizhan/yizhan/hub/store"
)

// Outbox implements store.Tx.Outbox: SQLite's one writer claims alone.
func (t *txn) Outbox() store.OutboxSQL { return store.OutboxSQL{SQL: sqlOn(t.tx)} }

func (s *backend) OutboxMessage(ctx context.Context, key string) (store.OutboxRow, error) {
	return store.OutboxSQL{SQL: sqlOn(s.r)}.Message(ctx, key)
}

func (s *backend) MessageCounts(ctx context.Context, subject string) ([]store.MessageCount, error) {
	return store.OutboxSQL{SQL: sqlOn(s.r)}.Counts(ctx, subject)
}
