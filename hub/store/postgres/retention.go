package postgres

import (
	"context"
	"fmt"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// PersonalSubjects implements store.Queries.
func (s *backend) PersonalSubjects(ctx context.Context, before hlc.Timestamp, after string, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT subject FROM events
		WHERE subject > $1 AND subject <> '' AND coalesce(order_hlc, hlc) < $2 AND `+store.PersonalLike("payload")+`
		ORDER BY subject LIMIT $3`, after, int64(before), limit)
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

// ScrubEvents implements store.Tx. The stamp finds the month's
// partition. The old row versions stay in the table's pages until
// (auto)vacuum reclaims them; no query reads them.
func (t *txn) ScrubEvents(ctx context.Context, rows []store.Scrubbed) error {
	for _, r := range rows {
		tag, err := t.tx.Exec(ctx, `UPDATE events SET payload = $1 WHERE origin = $2 AND seq = $3 AND hlc = $4 AND id = $5`,
			string(r.Payload), r.Origin, int64(r.Seq), int64(r.HLC), r.ID)
		if err != nil {
			return fmt.Errorf("scrub event %s/%d: %w", r.Origin, r.Seq, err)
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("scrub event %s/%d: %d rows", r.Origin, r.Seq, tag.RowsAffected())
		}
	}
	return nil
}
