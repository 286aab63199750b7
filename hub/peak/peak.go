// Package peak is head office's peak planning: each outlet's daily volume
// history read from the store's rollups, head office's calendar of
// promotions and holidays, the 14-day forecast with its band and staffing
// hint (hub/forecast) per outlet, per region and for all outlets, its
// backtest against seasonal-naive, and the forecast sent down to each
// outlet's counter.
//
// Volume is inbound parcels (store.TallyInbound): what arrives at the
// outlet is what the counter has to shelve and hand out, and the one
// counter every outlet records on the day it happens. The history ends
// yesterday (today is not over); the forecast starts today.
//
// Every forecast is computed once per (scope, hour, calendar) and kept:
// requests after the first read the cache, so the compute cost follows
// the hours and the calendar edits, not the number of requests. The
// outlets are sent their forecast once a day and after a calendar edit. A region's
// or all outlets' forecast is the sum of its outlets' (their staffing
// hints too: clerks are not shared between outlets); its backtest is the
// model's on the summed history.
package peak

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/yizhan/yizhan/hub/forecast"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Store is what peak planning reads and writes of the store.
type Store interface {
	store.CalendarQueries
	Tallies(ctx context.Context, q store.RollupQuery) ([]store.Tally, error)
	FindOutlets(ctx context.Context, q store.OutletQuery) ([]store.Outlet, error)
}

// Downlinker publishes a hub event to one outlet (hub/ingest.Hub).
type Downlinker interface {
	PublishDown(ctx context.Context, target, typ, subject string, payload json.RawMessage, actor string) (uint64, error)
}

// Defaults.
const (
	DefaultHistoryDays = 730 // two years: each event seen in a past year
	// calendarFresh is how long a read of the calendar serves before it
	// is read again, so that an edit at another hub process reaches this
	// one's forecasts within it.
	calendarFresh = time.Minute
	// sendActor is who the forecast events are from.
	sendActor = "forecast"
)

// Options configure a Service.
type Options struct {
	Store Store
	Clock clock.Clock // clock.System if nil
	// Location is the zone the rollups count days in (store.Core).
	Location *time.Location
	// PerClerkHour is how many parcels a clerk handles in an hour;
	// forecast.DefaultPerClerkHour if 0.
	PerClerkHour float64
	// Hours are the outlets' opening hours by time.Weekday (0 = Sunday);
	// forecast.DefaultOpeningHours where 0.
	Hours [7]float64
	// HistoryDays is how far back the history reaches; DefaultHistoryDays if 0.
	HistoryDays int
	// Locks keeps the calendar's cap across hub processes
	// (store.Locker); nil: within this process only.
	Locks Locker
}

// Locker is a lock held across hub processes (store.Locker's Lock).
type Locker interface {
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// Service computes, keeps and sends the forecasts.
type Service struct {
	opt Options

	mu      sync.Mutex
	cal     []store.CalendarEvent
	calAt   time.Time
	calHash uint64
	key     generation // what the entries below were computed for
	plans   map[string]*entry[Plan]
	outlets map[string]*entry[outletForecast]
	poke    chan struct{}
	// computes counts forecasts computed (not served from the cache):
	// what the benchmark and the tests read.
	computes int
}

// generation is one hour of one day under one calendar: a change of any
// starts a fresh cache. The hour takes in the parcels of outlets that
// synced yesterday's work late (an outlet offline overnight).
type generation struct {
	day, cal, hour uint64
}

// RefreshEvery is how long a computed forecast is served before it is
// computed again from the rollups.
const RefreshEvery = time.Hour

type entry[T any] struct {
	once sync.Once
	v    T
	err  error
}

// New returns a Service.
func New(opt Options) (*Service, error) {
	if opt.Store == nil {
		return nil, errors.New("peak: no store")
	}
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.PerClerkHour == 0 {
		opt.PerClerkHour = forecast.DefaultPerClerkHour
	}
	if opt.HistoryDays == 0 {
		opt.HistoryDays = DefaultHistoryDays
	}
	if opt.Locks == nil {
		opt.Locks = &store.Mutexes{}
	}
	if !(opt.PerClerkHour > 0) || math.IsInf(opt.PerClerkHour, 0) {
		return nil, fmt.Errorf("peak: %v parcels per clerk-hour, want a positive number", opt.PerClerkHour)
	}
	for i, h := range opt.Hours {
		if h == 0 {
			opt.Hours[i] = forecast.DefaultOpeningHours
		} else if !(h > 0 && h <= 24) {
			return nil, fmt.Errorf("peak: %v opening hours on weekday %d, want more than 0 and at most 24", h, i)
		}
	}
	if opt.HistoryDays < forecast.MinHistory || opt.HistoryDays > forecast.MaxSpan {
		return nil, fmt.Errorf("peak: %d days of history, want %d to %d", opt.HistoryDays, forecast.MinHistory, forecast.MaxSpan)
	}
	return &Service{opt: opt, poke: make(chan struct{}, 1)}, nil
}

// Date is a day of DayOf's numbering as YYYY-MM-DD.
func Date(day int64) string { return time.Unix(day*86400, 0).UTC().Format(time.DateOnly) }

// ParseDate is Date's inverse.
func ParseDate(s string) (int64, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	return t.Unix() / 86400, true
}

// today is head office's day now.
func (s *Service) today() int64 { return store.DayOf(s.opt.Clock.Now().UnixMilli(), s.opt.Location) }

// Plan is one scope's forecast as head office's screen shows it.
type Plan struct {
	// Scope is the outlet's id, "region:<name>", or "*" for all outlets.
	Scope string `json:"scope"`
	// Outlets counts the outlets summed; Short lists those left out
	// because their history is too short to forecast.
	Outlets      int          `json:"outlets"`
	Short        []string     `json:"short"`
	AsOf         string       `json:"as_of"`
	PerClerkHour float64      `json:"per_clerk_hour"`
	History      []HistoryDay `json:"history"`
	Days         []PlanDay    `json:"days"`
	// Events are the calendar's events over the history and the days.
	Events []EventJSON `json:"events"`
	// Backtest is nil when the history is too short for one.
	Backtest *Backtest `json:"backtest"`
}

// HistoryDay is one past day's inbound parcels.
type HistoryDay struct {
	Date    string `json:"date"`
	Parcels int    `json:"parcels"`
}

// PlanDay is one forecast day: what an outlet's counter is sent
// (lifecycle.ForecastDayV1), with the event's uplift applied.
type PlanDay struct {
	lifecycle.ForecastDayV1
	Uplift float64 `json:"uplift"`
}

// Backtest is the rolling-origin backtest's result (forecast.Backtest)
// over the last weeks of the history.
type Backtest struct {
	Weeks     int     `json:"weeks"`
	Origins   int     `json:"origins"`
	Days      int     `json:"days"`
	WAPE      float64 `json:"wape"`
	NaiveWAPE float64 `json:"naive_wape"`
	MAPE      float64 `json:"mape"`
	NaiveMAPE float64 `json:"naive_mape"`
	Coverage  float64 `json:"coverage"`
}

// outletForecast is one outlet's forecast, kept for the sums and the
// downlink; short when its history was too short.
type outletForecast struct {
	history []forecast.Point
	days    []forecast.Day
	short   bool
	had     int // days of history it had
}

// calendar returns the calendar, read again once calendarFresh passed,
// and the generation it and today make.
func (s *Service) calendar(ctx context.Context) ([]store.CalendarEvent, generation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Clock.Now()
	if s.cal == nil || now.Sub(s.calAt) >= calendarFresh || now.Before(s.calAt) {
		cal, err := s.opt.Store.CalendarEvents(ctx, store.CalendarQuery{})
		if err != nil {
			return nil, generation{}, err
		}
		if cal == nil {
			cal = []store.CalendarEvent{}
		}
		s.cal, s.calAt, s.calHash = cal, now, hashCalendar(cal)
	}
	g := generation{day: uint64(s.today()), cal: s.calHash, hour: uint64(now.UnixMilli() / RefreshEvery.Milliseconds())}
	if g != s.key {
		s.key, s.plans, s.outlets = g, map[string]*entry[Plan]{}, map[string]*entry[outletForecast]{}
	}
	return s.cal, g, nil
}

func hashCalendar(cal []store.CalendarEvent) uint64 {
	h := sha256.New()
	for _, e := range cal {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d\x00%d\x00%v\x00", e.ID, e.NameZH, e.NameEN, e.Kind, e.First, e.Last, e.Uplift)
	}
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// Changed drops the cached forecasts after a calendar edit through this
// process and wakes the sender, which sends the outlets new ones.
func (s *Service) Changed() {
	s.mu.Lock()
	s.cal = nil
	s.mu.Unlock()
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// Computes counts the forecasts this Service computed rather than served
// from its cache.
func (s *Service) Computes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.computes
}

// get returns the entry of key in m for generation g, made if needed; a
// fresh one, kept nowhere, when g is no longer current (the caller then
// computes without keeping).
func get[T any](s *Service, g generation, m func() map[string]*entry[T], key string) *entry[T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g != s.key {
		return &entry[T]{}
	}
	e := m()[key]
	if e == nil {
		e = &entry[T]{}
		m()[key] = e
	}
	return e
}

func (s *Service) counted() {
	s.mu.Lock()
	s.computes++
	s.mu.Unlock()
}

// params are the forecast's settings under cal.
func (s *Service) params(cal []store.CalendarEvent) forecast.Params {
	p := forecast.Params{PerClerkHour: s.opt.PerClerkHour, OpeningHours: forecast.DefaultOpeningHours, WeekdayHours: s.opt.Hours}
	for _, e := range cal {
		p.Calendar = append(p.Calendar, forecast.Event{Name: e.NameZH, First: e.First, Last: e.Last, Uplift: e.Uplift})
	}
	if len(p.Calendar) > forecast.MaxEvents {
		// The newest events matter most: the horizon's and last years'.
		p.Calendar = p.Calendar[len(p.Calendar)-forecast.MaxEvents:]
	}
	return p
}

// span is the history's days: HistoryDays up to yesterday.
func (s *Service) span(g generation) (first, last int64) {
	last = int64(g.day) - 1
	return last - int64(s.opt.HistoryDays) + 1, last
}

// histories reads the inbound parcels of the span per outlet: one
// outlet's, or every outlet's with outlet "".
func (s *Service) histories(ctx context.Context, g generation, outlet string) (map[string][]forecast.Point, error) {
	first, last := s.span(g)
	ts, err := s.opt.Store.Tallies(ctx, store.RollupQuery{From: first, To: last, Outlet: outlet})
	if err != nil {
		return nil, fmt.Errorf("read inbound parcels: %w", err)
	}
	out := map[string][]forecast.Point{}
	for _, t := range ts {
		if t.Name != store.TallyInbound || t.N <= 0 {
			continue
		}
		out[t.Outlet] = append(out[t.Outlet], forecast.Point{Day: t.Day, Parcels: int(min(t.N, forecast.MaxParcels))})
	}
	for o, ps := range out {
		slices.SortFunc(ps, func(a, b forecast.Point) int { return int(a.Day - b.Day) })
		if ps[len(ps)-1].Day < last {
			// Days without parcels up to yesterday count as zero.
			ps = append(ps, forecast.Point{Day: last})
		}
		out[o] = ps
	}
	return out, nil
}

// outletOf is one outlet's forecast from its history, kept per generation.
func (s *Service) outletOf(g generation, cal []store.CalendarEvent, id string, history []forecast.Point) (outletForecast, error) {
	e := get(s, g, func() map[string]*entry[outletForecast] { return s.outlets }, id)
	e.once.Do(func() {
		s.counted()
		of := outletForecast{history: history, had: len(history)}
		if len(history) > 0 {
			of.had = int(history[len(history)-1].Day - history[0].Day + 1)
		}
		f, err := forecast.Predict(history, s.params(cal))
		switch {
		case errors.Is(err, forecast.ErrShortSeries):
			of.short = true
		case err != nil:
			e.err = err
		default:
			of.days = f.Days
		}
		e.v = of
	})
	return e.v, e.err
}

// Outlet is one outlet's plan; problem forecast.short_history when its
// history is too short.
func (s *Service) Outlet(ctx context.Context, id string) (Plan, error) {
	return s.plan(ctx, id, func(ctx context.Context, g generation, cal []store.CalendarEvent) (Plan, error) {
		if _, err := s.scopeOutlets(ctx, id, ""); err != nil {
			return Plan{}, err
		}
		hs, err := s.histories(ctx, g, id)
		if err != nil {
			return Plan{}, err
		}
		of, err := s.outletOf(g, cal, id, hs[id])
		if err != nil {
			return Plan{}, err
		}
		if of.short {
			return Plan{}, problem.New(problem.ForecastShort, "outlet", id, "days", of.had, "min", forecast.MinHistory)
		}
		return s.sum(g, cal, id, []outletForecast{of}, nil, true)
	})
}

// Region is the plan of a region's outlets summed, or of every outlet
// with region "".
func (s *Service) Region(ctx context.Context, region string) (Plan, error) {
	scope := "*"
	if region != "" {
		scope = "region:" + region
	}
	return s.plan(ctx, scope, func(ctx context.Context, g generation, cal []store.CalendarEvent) (Plan, error) {
		ids, err := s.scopeOutlets(ctx, "", region)
		if err != nil {
			return Plan{}, err
		}
		hs, err := s.histories(ctx, g, "")
		if err != nil {
			return Plan{}, err
		}
		var fs []outletForecast
		var short []string
		for _, id := range ids {
			of, err := s.outletOf(g, cal, id, hs[id])
			if err != nil {
				return Plan{}, fmt.Errorf("forecast of %s: %w", id, err)
			}
			if of.short {
				short = append(short, id)
				continue
			}
			fs = append(fs, of)
		}
		return s.sum(g, cal, scope, fs, short, true)
	})
}

// scopeOutlets lists the registered outlets by id: one (outlet.not_found
// when unknown), a region's, or all.
func (s *Service) scopeOutlets(ctx context.Context, outlet, region string) ([]string, error) {
	os, err := s.opt.Store.FindOutlets(ctx, store.OutletQuery{Region: region, IDPrefix: outlet})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, o := range os {
		if outlet == "" || o.ID == outlet {
			ids = append(ids, o.ID)
		}
	}
	if outlet != "" && len(ids) == 0 {
		return nil, problem.New(problem.OutletNotFound, "outlet", outlet)
	}
	return ids, nil
}

// plan serves scope's plan from the cache or computes it once.
func (s *Service) plan(ctx context.Context, scope string, compute func(context.Context, generation, []store.CalendarEvent) (Plan, error)) (Plan, error) {
	cal, g, err := s.calendar(ctx)
	if err != nil {
		return Plan{}, err
	}
	e := get(s, g, func() map[string]*entry[Plan] { return s.plans }, scope)
	e.once.Do(func() {
		// Not the first caller's deadline: others wait on the same result.
		e.v, e.err = compute(context.WithoutCancel(ctx), g, cal)
	})
	if e.err != nil {
		// A failure is not kept: the next request tries again.
		s.mu.Lock()
		if s.plans[scope] == e {
			delete(s.plans, scope)
		}
		s.mu.Unlock()
	}
	return e.v, e.err
}

// sum adds the outlets' histories and forecasts into a plan, with the
// backtest of the summed history if asked.
func (s *Service) sum(g generation, cal []store.CalendarEvent, scope string, fs []outletForecast, short []string, backtest bool) (Plan, error) {
	first, last := s.span(g)
	p := Plan{Scope: scope, Outlets: len(fs), Short: short, AsOf: Date(last), PerClerkHour: s.opt.PerClerkHour,
		History: []HistoryDay{}, Days: []PlanDay{}, Events: []EventJSON{}}
	if p.Short == nil {
		p.Short = []string{}
	}
	byDay := map[int64]int{}
	start := last + 1
	for _, f := range fs {
		for _, pt := range f.history {
			byDay[pt.Day] += pt.Parcels
			start = min(start, pt.Day)
		}
	}
	var series []forecast.Point
	for d := max(start, first); d <= last; d++ {
		p.History = append(p.History, HistoryDay{Date: Date(d), Parcels: byDay[d]})
		series = append(series, forecast.Point{Day: d, Parcels: byDay[d]})
	}
	horizon := forecast.DefaultHorizon
	for k := range horizon {
		day := last + 1 + int64(k)
		pd := PlanDay{ForecastDayV1: lifecycle.ForecastDayV1{Date: Date(day), Hours: s.opt.Hours[weekday(day)]}, Uplift: 1}
		base := 0.0 // the expected parcels without the event's uplift
		for _, f := range fs {
			if k < len(f.days) {
				d := f.days[k]
				pd.Expected += d.Expected
				pd.Low += d.Low
				pd.High += d.High
				pd.Clerks += d.Clerks
				if d.Uplift > 0 {
					base += float64(d.Expected) / d.Uplift
				}
			}
		}
		if e, ok := eventOn(cal, day); ok {
			pd.EventZH, pd.EventEN = e.NameZH, e.NameEN
			if base > 0 {
				// The outlets' uplifts, weighed by their parcels.
				pd.Uplift = math.Round(float64(pd.Expected)/base*100) / 100
			}
		}
		p.Days = append(p.Days, pd)
	}
	for _, e := range cal {
		if e.Last >= max(start, first) && e.First <= last+int64(horizon) {
			p.Events = append(p.Events, eventJSON(e))
		}
	}
	if backtest && len(fs) > 0 {
		s.counted()
		r, err := forecast.Backtest(series, s.params(cal), 0)
		switch {
		case errors.Is(err, forecast.ErrShortSeries):
		case err != nil:
			return Plan{}, err
		default:
			p.Backtest = &Backtest{Weeks: forecast.DefaultBacktestWeeks, Origins: r.Origins, Days: r.Days,
				WAPE: r.Model.WAPE, NaiveWAPE: r.Naive.WAPE, MAPE: r.Model.MAPE, NaiveMAPE: r.Naive.MAPE, Coverage: r.Coverage}
		}
	}
	return p, nil
}

// eventOn is the first calendar event holding day, as the forecast takes it.
func eventOn(cal []store.CalendarEvent, day int64) (store.CalendarEvent, bool) {
	for _, e := range cal {
		if e.First <= day && day <= e.Last {
			return e, true
		}
	}
	return store.CalendarEvent{}, false
}

// weekday is day's time.Weekday; day 0 (1970-01-01) was a Thursday.
func weekday(day int64) int { return int(((day % 7) + 7 + 4) % 7) }

// Payload is the forecast event for one outlet, from its plan.
func (p Plan) Payload(at int64) lifecycle.ForecastV1 {
	out := lifecycle.ForecastV1{AsOf: p.AsOf, At: at, PerClerkHour: p.PerClerkHour}
	for _, d := range p.Days[:min(len(p.Days), lifecycle.MaxForecastDays)] {
		out.Days = append(out.Days, d.ForecastDayV1)
	}
	return out
}
