package peak_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/peak"
	"github.com/yizhan/yizhan/hub/peak/peakgen"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// now is early November: the next 14 days hold Double 11.
var now = time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)

// open is a SQLite store holding two years of generated inbound parcels
// of outlets A1 and A2 (region East) and B1 (West), and a new outlet N1
// with four days of them.
func open(t *testing.T, clk clock.Clock) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st := emptyStore(t, clk)
	east, west := "East", "West"
	for _, o := range []struct {
		id     string
		region *string
	}{{"A1", &east}, {"A2", &east}, {"B1", &west}, {"N1", &west}} {
		if err := st.AddOutlet(ctx, o.id, "", false); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetPlace(ctx, o.id, store.Place{Region: o.region}); err != nil {
			t.Fatal(err)
		}
	}
	today := store.DayOf(now.UnixMilli(), time.UTC)
	ts := peakgen.Tallies([]string{"A1", "A2", "B1"}, today-730, today-1, 7)
	ts = append(ts, peakgen.Tallies([]string{"N1"}, today-4, today-1, 7)...)
	if err := peakgen.Write(ctx, st, ts); err != nil {
		t.Fatal(err)
	}
	return st
}

// emptyStore is a new SQLite store in UTC, closed when the test ends.
func emptyStore(t testing.TB, clk clock.Clock) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{Clock: clk, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newService(t *testing.T, st *sqlite.Store, clk clock.Clock) *peak.Service {
	t.Helper()
	svc, err := peak.New(peak.Options{Store: st, Clock: clk, Location: time.UTC, PerClerkHour: 50})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestOutletForecastOnTwoYears: an outlet's plan holds its history up to
// yesterday, 14 days from today with Double 11's learnt uplift, and a
// backtest that beats seasonal-naive on the same days.
func TestOutletForecastOnTwoYears(t *testing.T) {
	clk := clock.NewManual(now)
	st := open(t, clk)
	svc := newService(t, st, clk)
	p, err := svc.Outlet(context.Background(), "A1")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.History) != 730 || p.History[729].Date != "2026-11-04" || p.AsOf != "2026-11-04" {
		t.Fatalf("history of %d days to %s (as of %s), want 730 to 2026-11-04", len(p.History), p.History[len(p.History)-1].Date, p.AsOf)
	}
	if len(p.Days) != 14 || p.Days[0].Date != "2026-11-05" {
		t.Fatalf("%d days from %s, want 14 from 2026-11-05", len(p.Days), p.Days[0].Date)
	}
	var ordinary, peakDay peak.PlanDay
	for _, d := range p.Days {
		switch d.Date {
		case "2026-11-06": // a Friday, like 11-13
			ordinary = d
		case "2026-11-13":
			peakDay = d
		}
		if d.Low > d.Expected || d.High < d.Expected || d.Clerks*50*int(d.Hours) < d.Expected {
			t.Errorf("%s: %+v: band or staffing does not hold the expected parcels", d.Date, d)
		}
	}
	if peakDay.EventZH != "双11" || peakDay.EventEN != "Double 11" || peakDay.Uplift < 1.8 || peakDay.Expected < ordinary.Expected*18/10 {
		t.Errorf("Double 11 day %+v against ordinary %+v: want the learnt uplift (generated %.1f)", peakDay, ordinary, peakgen.Effects["双11"])
	}
	if peakDay.Clerks <= ordinary.Clerks {
		t.Errorf("Double 11 needs %d clerks, an ordinary day %d: want more", peakDay.Clerks, ordinary.Clerks)
	}
	b := p.Backtest
	if b == nil || b.Days == 0 || !(b.WAPE < b.NaiveWAPE) {
		t.Errorf("backtest %+v: want the model's WAPE below seasonal-naive's", b)
	}
	if !slices.ContainsFunc(p.Events, func(e peak.EventJSON) bool { return e.ID == "double11-2025" }) {
		t.Errorf("the plan's events miss last year's Double 11: %+v", p.Events)
	}
}

// TestForecastCachedPerDayAndCalendar: requests after the first are
// served from the cache, concurrent ones too; a calendar edit and the
// next day compute again.
func TestForecastCachedPerDayAndCalendar(t *testing.T) {
	clk := clock.NewManual(now)
	st := open(t, clk)
	svc := newService(t, st, clk)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.Outlet(ctx, "A1"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n := svc.Computes()
	if n == 0 {
		t.Fatal("nothing computed")
	}
	for range 20 {
		if _, err := svc.Outlet(ctx, "A1"); err != nil {
			t.Fatal(err)
		}
	}
	if got := svc.Computes(); got != n {
		t.Errorf("28 requests computed %d times, the first 8 %d: want the cache to serve the rest", got, n)
	}
	// A new event with head office's uplift moves the forecast at once.
	e, err := svc.AddEvent(ctx, peak.EventReq{NameZH: "店庆", NameEN: "Store anniversary", Kind: store.CalendarPromotion,
		First: "2026-11-07", Last: "2026-11-07", Uplift: 3}, "hq")
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Outlet(ctx, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if svc.Computes() == n {
		t.Error("the calendar edit did not compute again")
	}
	if d := p.Days[2]; d.Date != "2026-11-07" || d.EventEN != "Store anniversary" || d.Uplift != 3 {
		t.Errorf("the edited day: %+v, want the anniversary at uplift 3", d)
	}
	if err := svc.DeleteEvent(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteEvent(ctx, e.ID); !errors.Is(err, problem.New(problem.CalendarNotFound)) {
		t.Errorf("deleting it twice: %v, want calendar.not_found", err)
	}
	// Parcels of yesterday that an outlet synced late count within the hour.
	before, _ := svc.Outlet(ctx, "A1")
	yesterday := store.DayOf(now.UnixMilli(), time.UTC) - 1
	if err := peakgen.Write(ctx, st, []store.Tally{{Day: yesterday, Outlet: "A1", Person: "A1/c02", Name: store.TallyInbound, N: 1000}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := svc.Outlet(ctx, "A1"); p.History[729].Parcels != before.History[729].Parcels {
		t.Errorf("the cache was not served within the hour")
	}
	clk.Advance(peak.RefreshEvery)
	if p, _ := svc.Outlet(ctx, "A1"); p.History[729].Parcels != before.History[729].Parcels+1000 {
		t.Errorf("an hour later yesterday holds %d parcels, want the %d synced late added to %d", p.History[729].Parcels, 1000, before.History[729].Parcels)
	}
	n = svc.Computes()
	clk.Advance(24 * time.Hour)
	p, err = svc.Outlet(ctx, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if svc.Computes() == n || p.Days[0].Date != "2026-11-06" {
		t.Errorf("the next day: computed again %v, first day %s", svc.Computes() != n, p.Days[0].Date)
	}
}

// TestRegionSumsOutletsAndLeavesShortOnesOut: a region's plan is its
// outlets' forecasts summed; an outlet with four days of history is left
// out and named, and asked for alone it says why.
func TestRegionSumsOutletsAndLeavesShortOnesOut(t *testing.T) {
	clk := clock.NewManual(now)
	st := open(t, clk)
	svc := newService(t, st, clk)
	ctx := context.Background()
	a1, _ := svc.Outlet(ctx, "A1")
	a2, _ := svc.Outlet(ctx, "A2")
	b1, _ := svc.Outlet(ctx, "B1")
	east, err := svc.Region(ctx, "East")
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range east.Days {
		if d.Expected != a1.Days[i].Expected+a2.Days[i].Expected || d.Clerks != a1.Days[i].Clerks+a2.Days[i].Clerks {
			t.Errorf("East on %s: %d parcels %d clerks, want A1+A2 = %d, %d", d.Date, d.Expected, d.Clerks,
				a1.Days[i].Expected+a2.Days[i].Expected, a1.Days[i].Clerks+a2.Days[i].Clerks)
		}
	}
	if east.Outlets != 2 || east.History[0].Parcels != a1.History[0].Parcels+a2.History[0].Parcels {
		t.Errorf("East sums %d outlets, history day 0 %d", east.Outlets, east.History[0].Parcels)
	}
	all, err := svc.Region(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if all.Scope != "*" || all.Outlets != 3 || !slices.Equal(all.Short, []string{"N1"}) {
		t.Errorf("all: scope %q, %d outlets, short %v; want 3 and N1 left out", all.Scope, all.Outlets, all.Short)
	}
	if all.Days[0].Expected != east.Days[0].Expected+b1.Days[0].Expected {
		t.Errorf("all on day 0: %d, want East + B1 = %d", all.Days[0].Expected, east.Days[0].Expected+b1.Days[0].Expected)
	}
	_, err = svc.Outlet(ctx, "N1")
	if pr := problem.As(err); pr == nil || pr.Code() != problem.ForecastShort || pr.Param("days") != 4 {
		t.Errorf("N1 alone: %v, want forecast.short_history with its 4 days", err)
	}
	if _, err := svc.Outlet(ctx, "ZZ"); !errors.Is(err, problem.New(problem.OutletNotFound)) {
		t.Errorf("an unknown outlet: %v, want outlet.not_found", err)
	}
}

// downlog is a Downlinker that keeps what it was given.
type downlog struct {
	mu  sync.Mutex
	got map[string]lifecycle.ForecastV1
}

func (d *downlog) PublishDown(_ context.Context, target, typ, subject string, payload json.RawMessage, actor string) (uint64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if typ != lifecycle.ForecastPublished || subject != "" || actor == "" {
		return 0, errors.New("unexpected event " + typ)
	}
	var p lifecycle.ForecastV1
	if err := json.Unmarshal(payload, &p); err != nil {
		return 0, err
	}
	d.got[target] = p
	return uint64(len(d.got)), nil
}

// TestSendGivesEachOutletItsOwnForecast: the downlink carries each
// outlet's own 14 days, none for an outlet too new to forecast.
func TestSendGivesEachOutletItsOwnForecast(t *testing.T) {
	clk := clock.NewManual(now)
	st := open(t, clk)
	svc := newService(t, st, clk)
	ctx := context.Background()
	d := &downlog{got: map[string]lifecycle.ForecastV1{}}
	n, err := svc.Send(ctx, d)
	if err != nil || n != 3 {
		t.Fatalf("sent %d (%v), want 3", n, err)
	}
	if _, ok := d.got["N1"]; ok {
		t.Error("N1, with four days of history, was sent a forecast")
	}
	b1, _ := svc.Outlet(ctx, "B1")
	got := d.got["B1"]
	if got.AsOf != "2026-11-04" || len(got.Days) != 14 || got.Days[8].Expected != b1.Days[8].Expected || got.Days[8].EventZH != "双11" || got.PerClerkHour != 50 {
		t.Errorf("B1 was sent %+v, want its own plan's days", got)
	}
}

// TestCalendarFull: the calendar takes new events up to peak.MaxEvents
// in all, the seed included, and refuses the next with calendar.full;
// an edit of a held event still goes through, and a deletion makes room
// for one event, however many are added at once through several hubs.
func TestCalendarFull(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(now)
	st := emptyStore(t, clk)
	svc := newService(t, st, clk)
	held, err := st.CalendarEvents(ctx, store.CalendarQuery{})
	if err != nil || len(held) == 0 {
		t.Fatalf("the seeded calendar: %d events (%v)", len(held), err)
	}
	for i := len(held); i < peak.MaxEvents; i++ {
		if err := st.PutCalendarEvent(ctx, store.CalendarEvent{ID: fmt.Sprintf("fill-%04d", i), NameZH: "填充", NameEN: "fill",
			Kind: store.CalendarPromotion, First: int64(20_000 + i), Last: int64(20_000 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	req := peak.EventReq{NameZH: "店庆", NameEN: "Store anniversary", Kind: store.CalendarPromotion, First: "2026-11-07", Last: "2026-11-07"}
	_, err = svc.AddEvent(ctx, req, "fenxi")
	if !problem.Is(err, problem.CalendarFull) || problem.Status(err) != 409 {
		t.Fatalf("event %d: %v, want calendar.full (409)", peak.MaxEvents+1, err)
	}
	if n, _ := st.CalendarEvents(ctx, store.CalendarQuery{}); len(n) != peak.MaxEvents {
		t.Errorf("%d events after the refusal, want %d", len(n), peak.MaxEvents)
	}
	if _, err := svc.UpdateEvent(ctx, "fill-0500", req, "fenxi"); err != nil {
		t.Errorf("editing an event of a full calendar: %v", err)
	}
	if err := svc.DeleteEvent(ctx, "fill-0501"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddEvent(ctx, req, "fenxi"); err != nil {
		t.Errorf("adding after a deletion made room: %v", err)
	}
	if _, err := svc.AddEvent(ctx, req, "fenxi"); !problem.Is(err, problem.CalendarFull) {
		t.Errorf("adding to the full calendar again: %v, want calendar.full", err)
	}

	// One place left and eight adds at once through two services (two
	// hubs) holding the store's lock: one is taken.
	if err := svc.DeleteEvent(ctx, "fill-0502"); err != nil {
		t.Fatal(err)
	}
	svcs := make([]*peak.Service, 2)
	for i := range svcs {
		if svcs[i], err = peak.New(peak.Options{Store: st, Locks: st, Clock: clk, Location: time.UTC}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svcs[i%2].AddEvent(ctx, req, "fenxi")
		}()
	}
	wg.Wait()
	taken := 0
	for _, err := range errs {
		switch {
		case err == nil:
			taken++
		case !problem.Is(err, problem.CalendarFull):
			t.Errorf("an add at once: %v", err)
		}
	}
	if n, _ := st.CalendarEvents(ctx, store.CalendarQuery{}); taken != 1 || len(n) != peak.MaxEvents {
		t.Errorf("%d of 8 adds at once taken, %d events; want 1 and %d", taken, len(n), peak.MaxEvents)
	}
}
