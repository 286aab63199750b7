package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/yizhan/yizhan/hub/store"
)

// testCalendar: head office's calendar comes seeded, lists by date range
// in (first day, id) order page by page, takes edits and deletions, and
// says ErrNotFound for an event it does not hold.
func testCalendar(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t, nil)
	all, err := s.CalendarEvents(ctx, store.CalendarQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(store.DefaultCalendar()) {
		t.Fatalf("%d events on a new store, want the %d seeded", len(all), len(store.DefaultCalendar()))
	}
	for i := 1; i < len(all); i++ {
		if a, b := all[i-1], all[i]; a.First > b.First || (a.First == b.First && a.ID >= b.ID) {
			t.Fatalf("calendar out of order: %s (%d) before %s (%d)", a.ID, a.First, b.ID, b.First)
		}
	}
	e := store.CalendarEvent{ID: "fair-2026", NameZH: "年货节", NameEN: "New Year goods fair", Kind: store.CalendarPromotion,
		First: 20_450, Last: 20_456, Uplift: 1.8, UpdatedAt: 99, UpdatedBy: "hq"}
	if err := s.PutCalendarEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	// Overlapping the range counts; ending before or beginning after does not.
	got, err := s.CalendarEvents(ctx, store.CalendarQuery{From: 20_456, To: 20_456})
	if err != nil || len(got) != 1 || got[0] != e {
		t.Fatalf("events on day 20456: %+v (%v), want only %+v", got, err, e)
	}
	if got, _ := s.CalendarEvents(ctx, store.CalendarQuery{From: 20_457, To: 20_460}); len(got) != 0 {
		t.Errorf("events after the fair's end: %+v", got)
	}
	// Paging from a key gives every event once.
	var paged []store.CalendarEvent
	q := store.CalendarQuery{Limit: 5}
	for {
		page, err := s.CalendarEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page...)
		if len(page) < q.Limit {
			break
		}
		q.AfterFirst, q.AfterID = page[len(page)-1].First, page[len(page)-1].ID
	}
	if len(paged) != len(all)+1 {
		t.Errorf("paging gave %d events, want %d", len(paged), len(all)+1)
	}
	e.Uplift, e.Last, e.UpdatedBy = 0, 20_452, "hq2"
	if err := s.PutCalendarEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.CalendarEvents(ctx, store.CalendarQuery{From: 20_450, To: 20_450}); len(got) != 1 || got[0] != e {
		t.Errorf("after the edit: %+v, want %+v", got, e)
	}
	if err := s.DeleteCalendarEvent(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCalendarEvent(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
	if got, _ := s.CalendarEvents(ctx, store.CalendarQuery{}); len(got) != len(all) {
		t.Errorf("%d events after the delete, want %d", len(got), len(all))
	}
}
