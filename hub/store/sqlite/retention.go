package sqlite

import (
	"context"
	"fmt"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// PersonalSubjects implements store.Queries.
func (s *backend) PersonalSubjects(ctx context.Context, before hlc.Timestamp, after string, limit int) ([]string, error) {
	b, err := column(before)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT subject FROM events
		WHERE subject > ? AND subject <> '' AND coalesce(order_hlc, hlc) < ? AND `+store.PersonalLike("payload")+`
		ORDER BY subject LIMIT ?`, after, b, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ScrubEvents implements store.Tx. The writer runs with secure_delete,
// so the old payload's bytes are zeroed in the page, not left free.
func (t *txn) ScrubEvents(ctx context.Context, rows []store.Scrubbed) error {
	for _, r := range rows {
		h, err := column(r.HLC)
		if err != nil {
			return err
		}
		res, err := t.tx.ExecContext(ctx, `UPDATE events SET payload = ? WHERE origin = ? AND seq = ? AND hlc = ? AND id = ?`,
			string(r.Payload), r.Origin, int64(r.Seq), h, r.ID)
		if err != nil {
			return fmt.Errorf("scrub event %s/%d: %w", r.Origin, r.Seq, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("scrub event %s/%d: %d rows", r.Origin, r.Seq, n)
		}
	}
	return nil
}

// Checkpoint copies every page in the write-ahead log into the database
// file and empties the log, so that older versions of the pages a purge
// rewrote are in neither.
func (s *backend) Checkpoint(ctx context.Context) error {
	var busy, logged, done int
	if err := s.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &done); err != nil {
		return err
	}
	if busy != 0 {
		return fmt.Errorf("readers held the write-ahead log; the purged pages go out at the next checkpoint")
	}
	return nil
}
