package peak

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yizhan/yizhan/hub/forecast"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Limits of a calendar event head office writes. MaxEvents is the whole
// calendar's: the forecast takes at most forecast.MaxEvents entries, so a
// calendar refused beyond that is one the forecast always reads whole. A
// total rather than a cap per year: the forecast reads every year at once,
// and 1,000 entries is fifty a year for twenty years.
const (
	MaxNameChars = 60
	MaxUplift    = 20 // a day at twenty times the usual is already extreme
	MaxEvents    = forecast.MaxEvents
)

// EventKinds are the calendar's kinds, in the order the screen offers them.
var EventKinds = []string{store.CalendarPromotion, store.CalendarHoliday}

// EventJSON is a calendar event as the API reads it: head office's
// fields (EventReq) with its id and last edit.
type EventJSON struct {
	ID string `json:"id"`
	EventReq
	UpdatedAt int64  `json:"updated_at"`
	UpdatedBy string `json:"updated_by"`
}

func eventJSON(e store.CalendarEvent) EventJSON {
	return EventJSON{ID: e.ID, EventReq: EventReq{NameZH: e.NameZH, NameEN: e.NameEN, Kind: e.Kind, First: Date(e.First), Last: Date(e.Last),
		Uplift: e.Uplift}, UpdatedAt: e.UpdatedAt, UpdatedBy: e.UpdatedBy}
}

// EventReq is a new or edited calendar event: dates as YYYY-MM-DD in head
// office's zone.
type EventReq struct {
	NameZH string  `json:"name_zh"`
	NameEN string  `json:"name_en"`
	Kind   string  `json:"kind"`
	First  string  `json:"first"`
	Last   string  `json:"last"`
	Uplift float64 `json:"uplift"`
}

// check turns r into a store event, or says what is wrong with it.
func (r EventReq) check() (store.CalendarEvent, error) {
	name := func(s string) bool {
		s = strings.TrimSpace(s)
		return s != "" && utf8.RuneCountInString(s) <= MaxNameChars && !strings.ContainsFunc(s, unicode.IsControl)
	}
	if !name(r.NameZH) || !name(r.NameEN) {
		return store.CalendarEvent{}, problem.New(problem.CalendarBadName, "max", MaxNameChars)
	}
	ok := false
	for _, k := range EventKinds {
		ok = ok || r.Kind == k
	}
	if !ok {
		return store.CalendarEvent{}, problem.New(problem.CalendarBadKind, "kind", r.Kind, "allowed", strings.Join(EventKinds, ", "))
	}
	first, ok1 := ParseDate(r.First)
	last, ok2 := ParseDate(r.Last)
	if !ok1 || !ok2 || last < first || last-first >= forecast.MaxEventDays {
		return store.CalendarEvent{}, problem.New(problem.CalendarBadDates, "max", forecast.MaxEventDays)
	}
	if !(r.Uplift >= 0 && r.Uplift <= MaxUplift) {
		return store.CalendarEvent{}, problem.New(problem.CalendarBadUplift, "max", MaxUplift)
	}
	return store.CalendarEvent{NameZH: strings.TrimSpace(r.NameZH), NameEN: strings.TrimSpace(r.NameEN), Kind: r.Kind,
		First: first, Last: last, Uplift: r.Uplift}, nil
}

// Calendar lists the calendar's events q selects.
func (s *Service) Calendar(ctx context.Context, q store.CalendarQuery) ([]EventJSON, error) {
	es, err := s.opt.Store.CalendarEvents(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]EventJSON, len(es))
	for i, e := range es {
		out[i] = eventJSON(e)
	}
	return out, nil
}

// AddEvent adds an event to the calendar under a new id.
func (s *Service) AddEvent(ctx context.Context, r EventReq, actor string) (EventJSON, error) {
	e, err := r.check()
	if err != nil {
		return EventJSON{}, err
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return EventJSON{}, err
	}
	e.ID = "ev-" + hex.EncodeToString(b)
	unlock, err := s.opt.Locks.Lock(ctx, store.LockCalendar)
	if err != nil {
		return EventJSON{}, err
	}
	defer unlock()
	all, err := s.opt.Store.CalendarEvents(ctx, store.CalendarQuery{})
	if err != nil {
		return EventJSON{}, err
	}
	if len(all) >= MaxEvents {
		return EventJSON{}, problem.New(problem.CalendarFull, "max", MaxEvents)
	}
	return s.write(ctx, e, actor)
}

// UpdateEvent writes over an event of the calendar; calendar.not_found
// for an id it does not hold.
func (s *Service) UpdateEvent(ctx context.Context, id string, r EventReq, actor string) (EventJSON, error) {
	e, err := r.check()
	if err != nil {
		return EventJSON{}, err
	}
	if err := s.known(ctx, id); err != nil {
		return EventJSON{}, err
	}
	e.ID = id
	return s.write(ctx, e, actor)
}

// DeleteEvent removes an event from the calendar.
func (s *Service) DeleteEvent(ctx context.Context, id string) error {
	if err := s.known(ctx, id); err != nil {
		return err
	}
	if err := s.opt.Store.DeleteCalendarEvent(ctx, id); err != nil {
		return err
	}
	s.Changed()
	return nil
}

func (s *Service) known(ctx context.Context, id string) error {
	es, err := s.opt.Store.CalendarEvents(ctx, store.CalendarQuery{})
	if err != nil {
		return err
	}
	for _, e := range es {
		if e.ID == id {
			return nil
		}
	}
	return problem.New(problem.CalendarNotFound, "id", id)
}

func (s *Service) write(ctx context.Context, e store.CalendarEvent, actor string) (EventJSON, error) {
	e.UpdatedAt, e.UpdatedBy = s.opt.Clock.Now().UnixMilli(), actor
	if err := s.opt.Store.PutCalendarEvent(ctx, e); err != nil {
		return EventJSON{}, err
	}
	s.Changed()
	return eventJSON(e), nil
}
