package postgres

import (
	"context"

	"github.com/yizhan/yizhan/hub/store"
)

// Outbox implements store.Tx.Outbox: a claim skips the rows another hub's
// claim holds.
func (t *txn) Outbox() store.OutboxSQL { return store.OutboxSQL{SQL: pgOn(t.tx), SkipLocked: true} }

func (s *backend) OutboxMessage(ctx context.Context, key string) (store.OutboxRow, error) {
	return store.OutboxSQL{SQL: pgOn(s.pool)}.Message(ctx, key)
}

func (s *backend) MessageCounts(ctx context.Context, subject string) ([]store.MessageCount, error) {
	return store.OutboxSQL{SQL: pgOn(s.pool)}.Counts(ctx, subject)
}
