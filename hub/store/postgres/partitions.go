package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan/yizhan/syncproto/hlc"
)

// Months of events partitions kept around now: from monthsBehind before
// the current month to monthsAhead after it.
const (
	monthsBehind = 1
	monthsAhead  = 12
	// checkEvery bounds how often Begin looks whether a month is missing.
	checkEvery = time.Hour
)

// lockMonths is the advisory lock key of partition maintenance, so that
// two hubs never create or drop the same month at once.
const lockMonths = lockMigrate + 1

// month is the first instant (UTC) of a calendar month.
type month time.Time

func monthOf(t time.Time) month {
	t = t.UTC()
	return month(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC))
}

func (m month) add(n int) month { return month(time.Time(m).AddDate(0, n, 0)) }

// table is the partition's name, events_YYYY_MM.
func (m month) table() string { return time.Time(m).Format("events_2006_01") }

// bounds are the partition's hlc range [lo, hi).
func (m month) bounds() (lo, hi int64) {
	return int64(hlc.Make(time.Time(m).UnixMilli(), 0)), int64(hlc.Make(time.Time(m.add(1)).UnixMilli(), 0))
}

// parseMonth reads a partition's name back; ok is false for any other table.
func parseMonth(name string) (month, bool) {
	t, err := time.Parse("events_2006_01", name)
	if err != nil {
		return month{}, false
	}
	return month(t), true
}

// months lists the month partitions of events, oldest first.
func months(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]month, error) {
	rows, err := q.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'events'::regclass`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var out []month
	for _, n := range names {
		if m, ok := parseMonth(n); ok {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b month) int { return time.Time(a).Compare(time.Time(b)) })
	return out, nil
}

// ensureMonths creates the month partitions from monthsBehind before now's
// month to monthsAhead after it that are missing, in one transaction. Rows
// the default partition holds in a new month's range move into it: the
// table is created alone, filled from the default partition, then
// attached, since PostgreSQL refuses a new partition whose rows sit in
// the default one.
func (s *backend) ensureMonths(ctx context.Context, now time.Time) error {
	have, err := months(ctx, s.pool)
	if err != nil {
		return fmt.Errorf("list event partitions: %w", err)
	}
	cur := monthOf(now)
	var missing []month
	for i := -monthsBehind; i <= monthsAhead; i++ {
		if m := cur.add(i); !slices.Contains(have, m) {
			missing = append(missing, m)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// A long transaction on the default partition must not hold this
		// hub's commits behind the maintenance for long.
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, s.monthsLockTimeout.Milliseconds())); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(lockMonths)); err != nil {
			return err
		}
		// Another hub may have made them while this one waited.
		if have, err = months(ctx, tx); err != nil {
			return err
		}
		for _, m := range missing {
			if slices.Contains(have, m) {
				continue
			}
			if err := addMonth(ctx, tx, m); err != nil {
				return fmt.Errorf("create event partition %s: %w", m.table(), err)
			}
			if s.log != nil {
				s.log.Info("created event partition", "table", m.table())
			}
		}
		return nil
	})
}

// addMonth creates m's partition inside tx, moving its rows out of the
// default partition if it holds any. The table is made alone and then
// attached: ATTACH locks events only against other schema changes, where
// CREATE TABLE ... PARTITION OF would stop every hub's inserts meanwhile.
func addMonth(ctx context.Context, tx pgx.Tx, m month) error {
	lo, hi := m.bounds()
	name := pgx.Identifier{m.table()}.Sanitize()
	check := pgx.Identifier{m.table() + "_range"}.Sanitize()
	var strays bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events_default WHERE hlc >= $1 AND hlc < $2)`, lo, hi).Scan(&strays); err != nil {
		return err
	}
	qs := []string{`CREATE TABLE ` + name + ` (LIKE events INCLUDING DEFAULTS)`}
	if strays {
		qs = append(qs,
			// The check lets ATTACH skip scanning the table just filled.
			fmt.Sprintf(`ALTER TABLE %s ADD CONSTRAINT %s CHECK (hlc >= %d AND hlc < %d)`, name, check, lo, hi),
			fmt.Sprintf(`WITH moved AS (DELETE FROM events_default WHERE hlc >= %d AND hlc < %d RETURNING *)
				INSERT INTO %s SELECT * FROM moved`, lo, hi, name))
	}
	qs = append(qs, fmt.Sprintf(`ALTER TABLE events ATTACH PARTITION %s FOR VALUES FROM (%d) TO (%d)`, name, lo, hi))
	if strays {
		qs = append(qs, `ALTER TABLE `+name+` DROP CONSTRAINT `+check)
	}
	for _, q := range qs {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// maybeEnsureMonths runs ensureMonths when the last check is checkEvery
// old, so that a hub running for a year keeps twelve months ahead. A
// failure is logged and tried again a minute later: events outside the
// months made so far land in the default partition meanwhile, so it must
// not stop the hub from committing.
func (s *backend) maybeEnsureMonths(ctx context.Context) {
	now := s.clock.Now()
	s.monthsMu.Lock()
	defer s.monthsMu.Unlock()
	if !s.monthsNext.IsZero() && now.Before(s.monthsNext) && !now.Before(s.monthsNext.Add(-checkEvery)) {
		return
	}
	if err := s.ensureMonths(ctx, now); err != nil {
		s.monthsNext = now.Add(time.Minute)
		if s.log != nil {
			s.log.Warn("could not create the coming months' event partitions; trying again in a minute", "db", s.name, "err", err)
		}
		return
	}
	s.monthsNext = now.Add(checkEvery)
}

// DropMonthsBefore detaches and drops the month partitions of events that
// end at or before t: retention by whole months, not by DELETE. It returns
// the tables dropped, oldest first. Events stamped outside every month
// (the default partition) are never dropped by it.
func (s *Store) DropMonthsBefore(ctx context.Context, t time.Time) (dropped []string, err error) {
	err = pgx.BeginFunc(ctx, s.b.pool, func(tx pgx.Tx) error {
		dropped = nil
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(lockMonths)); err != nil {
			return err
		}
		have, err := months(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range have {
			if time.Time(m.add(1)).After(t) {
				continue
			}
			name := pgx.Identifier{m.table()}.Sanitize()
			if _, err := tx.Exec(ctx, `ALTER TABLE events DETACH PARTITION `+name); err != nil {
				return fmt.Errorf("detach %s: %w", m.table(), err)
			}
			if _, err := tx.Exec(ctx, `DROP TABLE `+name); err != nil {
				return fmt.Errorf("drop %s: %w", m.table(), err)
			}
			dropped = append(dropped, m.table())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("drop event months before %s in %s: %w", t.Format(time.DateOnly), s.b.name, err)
	}
	return dropped, nil
}
