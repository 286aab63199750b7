package store

import (
	"context"
	"fmt"
	"time"
)

// Head office's calendar of promotions and holidays, which the peak
// forecast (hub/forecast, hub/peak) learns each event's uplift from and
// applies to the days ahead. Occurrences of one event in different years
// share their Chinese name: that is what ties Double 11 of 2024 to Double
// 11 of 2025.

// Calendar event kinds.
const (
	CalendarPromotion = "promotion"
	CalendarHoliday   = "holiday"
)

// CalendarEvent is one occurrence of a promotion or a holiday, its days
// First to Last inclusive (DayOf's numbering, in the hub's zone).
type CalendarEvent struct {
	ID     string
	NameZH string
	NameEN string
	Kind   string // CalendarPromotion or CalendarHoliday
	First  int64
	Last   int64
	// Uplift, when above 0, is head office's expected factor for the
	// event's days, used instead of the one learnt from past years.
	Uplift float64
	// UpdatedAt (Unix ms) and UpdatedBy: the last edit, "" for the seed.
	UpdatedAt int64
	UpdatedBy string
}

// CalendarQuery selects calendar events that end at or after From and
// begin at or before To (days; 0 for an open end), ordered by First then
// ID, after (AfterFirst, AfterID) when AfterID is set, at most Limit (0:
// all).
type CalendarQuery struct {
	From, To   int64
	AfterFirst int64
	AfterID    string
	Limit      int
}

// CalendarQueries are the calendar's statements a backend answers on its
// own (CalendarSQL writes them once for every backend).
type CalendarQueries interface {
	CalendarEvents(ctx context.Context, q CalendarQuery) ([]CalendarEvent, error)
	// PutCalendarEvent writes e over the event of the same ID, or adds it.
	PutCalendarEvent(ctx context.Context, e CalendarEvent) error
	// DeleteCalendarEvent removes one; ErrNotFound if there is none.
	DeleteCalendarEvent(ctx context.Context, id string) error
}

// CalendarSQL runs the calendar's statements on a backend's runner, the
// same as CustomerSQL's (the calendar table is each backend's migration).
type CalendarSQL CustomerSQL

const calendarColumns = `id, name_zh, name_en, kind, first_day, last_day, uplift, updated_at, updated_by`

// CalendarEvents implements CalendarQueries.
func (q CalendarSQL) CalendarEvents(ctx context.Context, cq CalendarQuery) ([]CalendarEvent, error) {
	sql := `SELECT ` + calendarColumns + ` FROM calendar WHERE 1 = 1`
	var args []any
	if cq.From != 0 {
		sql += ` AND last_day >= ?`
		args = append(args, cq.From)
	}
	if cq.To != 0 {
		sql += ` AND first_day <= ?`
		args = append(args, cq.To)
	}
	if cq.AfterID != "" {
		sql += ` AND (first_day > ? OR (first_day = ? AND id > ?))`
		args = append(args, cq.AfterFirst, cq.AfterFirst, cq.AfterID)
	}
	sql += ` ORDER BY first_day, id`
	if cq.Limit > 0 {
		sql += fmt.Sprintf(` LIMIT %d`, cq.Limit)
	}
	rows, done, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read the calendar: %w", err)
	}
	defer done()
	return Collect(rows, func(sc Scanner) (CalendarEvent, error) {
		var e CalendarEvent
		return e, sc.Scan(&e.ID, &e.NameZH, &e.NameEN, &e.Kind, &e.First, &e.Last, &e.Uplift, &e.UpdatedAt, &e.UpdatedBy)
	})
}

// PutCalendarEvent implements CalendarQueries.
func (q CalendarSQL) PutCalendarEvent(ctx context.Context, e CalendarEvent) error {
	_, err := q.Exec(ctx, `INSERT INTO calendar (`+calendarColumns+`) VALUES (?,?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, kind = excluded.kind,
			first_day = excluded.first_day, last_day = excluded.last_day, uplift = excluded.uplift,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		e.ID, e.NameZH, e.NameEN, e.Kind, e.First, e.Last, e.Uplift, e.UpdatedAt, e.UpdatedBy)
	if err != nil {
		return fmt.Errorf("write calendar event %s: %w", e.ID, err)
	}
	return nil
}

// DeleteCalendarEvent implements CalendarQueries.
func (q CalendarSQL) DeleteCalendarEvent(ctx context.Context, id string) error {
	n, err := q.Exec(ctx, `DELETE FROM calendar WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete calendar event %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("calendar event %s: %w", id, ErrNotFound)
	}
	return nil
}

// SeedCalendar writes the default calendar, for the migration that adds
// the table: Double 11 and 618 (the parcels arrive at the outlets in the
// days after the sale) and Spring Festival (the outlets slow down over
// the official holiday, whose date moves) for 2023 to 2028.
func (q CalendarSQL) SeedCalendar(ctx context.Context) error {
	for _, e := range DefaultCalendar() {
		if err := q.PutCalendarEvent(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// springFestival is the first day of the lunar new year.
var springFestival = map[int]string{
	2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29",
	2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26",
}

// DefaultCalendar is the seeded calendar.
func DefaultCalendar() []CalendarEvent {
	day := func(s string) int64 {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			panic(err) // the table above
		}
		return t.Unix() / 86400
	}
	var out []CalendarEvent
	for y := 2023; y <= 2028; y++ {
		sf := day(springFestival[y])
		out = append(out,
			CalendarEvent{ID: fmt.Sprintf("spring-%d", y), NameZH: "春节", NameEN: "Spring Festival", Kind: CalendarHoliday, First: sf - 1, Last: sf + 6},
			CalendarEvent{ID: fmt.Sprintf("618-%d", y), NameZH: "618", NameEN: "618", Kind: CalendarPromotion,
				First: day(fmt.Sprintf("%d-06-18", y)), Last: day(fmt.Sprintf("%d-06-25", y))},
			CalendarEvent{ID: fmt.Sprintf("double11-%d", y), NameZH: "双11", NameEN: "Double 11", Kind: CalendarPromotion,
				First: day(fmt.Sprintf("%d-11-11", y)), Last: day(fmt.Sprintf("%d-11-20", y))},
		)
	}
	return out
}
