package workflow

import (
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Head office's forecast is kept from the downlink: the newest wins, an
// older or malformed one is skipped, and the counter reads it back.
func TestForecastFromTheDownlink(t *testing.T) {
	f := newFixture(t, 0)
	send := func(seq uint64, p any) {
		t.Helper()
		ev := hubEvent(t, seq, lifecycle.ForecastPublished, "", p)
		ev.Target = "SH-001"
		if _, err := f.events.ApplyDown(&syncproto.Down{From: seq - 1, Through: seq, HubTime: hubMillis(), Events: []syncproto.Event{ev}}, Projector()); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := f.svc.Forecast(); ok || err != nil {
		t.Fatalf("before head office sent one: %v %v", ok, err)
	}
	day := func(date string, n int) lifecycle.ForecastDayV1 {
		return lifecycle.ForecastDayV1{Date: date, Expected: n, Low: n - 10, High: n + 10, Hours: 10, Clerks: 1}
	}
	send(1, lifecycle.ForecastV1{AsOf: "2026-11-04", At: 1, PerClerkHour: 60, Days: []lifecycle.ForecastDayV1{day("2026-11-05", 400)}})
	send(2, lifecycle.ForecastV1{AsOf: "2026-11-03", At: 2, Days: []lifecycle.ForecastDayV1{day("2026-11-04", 1)}}) // older
	send(3, lifecycle.ForecastV1{AsOf: "2026-11-05", At: 3, Days: []lifecycle.ForecastDayV1{day("11/06", 1)}})      // malformed
	send(4, lifecycle.ForecastV1{AsOf: "2026-11-05", At: 4, Days: make([]lifecycle.ForecastDayV1, 40)})             // too long
	send(5, map[string]any{"as_of": 5})                                                                             // not one at all
	got, ok, err := f.svc.Forecast()
	if err != nil || !ok || got.AsOf != "2026-11-04" || len(got.Days) != 1 || got.Days[0].Expected != 400 {
		t.Fatalf("kept %+v (%v %v), want the first", got, ok, err)
	}
	send(6, lifecycle.ForecastV1{AsOf: "2026-11-05", At: 6, Days: []lifecycle.ForecastDayV1{day("2026-11-06", 500), day("2026-11-07", 900)}})
	if got, _, _ := f.svc.Forecast(); got.AsOf != "2026-11-05" || len(got.Days) != 2 {
		t.Errorf("after a newer one: %+v", got)
	}
}

// An agent from before contract minor 4 applied every downlink event
// through the entity fold (apply): a forecast belongs to no kind, so it
// stores nothing there and fails nothing.
func TestOlderAgentIgnoresTheForecast(t *testing.T) {
	f := newFixture(t, 0)
	ev := hubEvent(t, 1, lifecycle.ForecastPublished, "", lifecycle.ForecastV1{AsOf: "2026-11-04", Days: []lifecycle.ForecastDayV1{{Date: "2026-11-05"}}})
	err := f.file.Update(func(tx *bolt.Tx) error {
		before := tx.Bucket(datafile.WorkflowEvents).Stats().KeyN
		if err := apply(tx, &ev, nil, false); err != nil {
			return err
		}
		if after := tx.Bucket(datafile.WorkflowEvents).Stats().KeyN; after != before {
			t.Errorf("the entity fold stored the forecast: %d events, had %d", after, before)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the entity fold refused the forecast: %v", err)
	}
	if _, ok, _ := f.svc.Forecast(); ok {
		t.Error("the entity fold kept a forecast")
	}
}
