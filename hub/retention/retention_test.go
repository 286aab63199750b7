package retention

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/hub/store/storetest"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// The daily purge runs at its time of day, once a day, only on the hub
// holding the timer lease, and says what it removed in both languages.
func TestRunnerDailyOnLeaseHolder(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 1, 0, 0, 0, time.Local)
	clk := clock.NewManual(now)
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Commit(ctx, []store.Unit{{Batch: storetest.PurgeScenario(now)}}); err != nil {
		t.Fatal(err)
	}
	leased := false
	r := &Runner{Store: s, Clock: clk, Config: Config{At: "04:00"}, Leased: func() bool { return leased }}
	if _, ran, _ := r.Tick(ctx); ran {
		t.Fatal("ran before its time")
	}
	clk.Set(time.Date(2026, 11, 1, 4, 0, 0, 0, time.Local))
	if _, ran, _ := r.Tick(ctx); ran {
		t.Fatal("ran without the lease")
	}
	leased = true
	clk.Set(time.Date(2026, 11, 2, 4, 0, 0, 0, time.Local))
	rep, ran, err := r.Tick(ctx)
	if err != nil || !ran || rep.Values != 6 {
		t.Fatalf("daily purge: %v %+v %v", ran, rep, err)
	}
	if _, ran, _ := r.Tick(ctx); ran {
		t.Fatal("ran twice in a day")
	}
	if last, ok := r.Last(); !ok || last.Removed["values"] != 6 {
		t.Fatalf("last %+v %v", last, ok)
	}
	fresh := &Runner{Store: s}
	if err := fresh.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if last, ok := fresh.Last(); !ok || last.Removed["events"] != 3 {
		t.Fatalf("loaded %+v %v", last, ok)
	}
	var out strings.Builder
	Print(&out, rep, DefaultPersonalDays, false)
	if !strings.Contains(out.String(), "已清除 / purged 6") || !strings.Contains(out.String(), "audit trail") {
		t.Fatalf("report:\n%s", out.String())
	}
	if err := (Config{At: "4am"}).Check(); err == nil {
		t.Fatal("a time of day 4am passed")
	}
}
