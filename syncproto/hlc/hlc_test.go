package hlc

import (
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/clock"
)

func TestMonotonicWhenWallClockJumps(t *testing.T) {
	base := time.Date(2026, 11, 11, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		jump time.Duration
	}{
		{"back 6h", -6 * time.Hour},
		{"ahead 6h", 6 * time.Hour},
		{"back 1ms", -time.Millisecond},
		{"frozen", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := clock.NewManual(base)
			c := New(sc, 0)
			prev := c.Now()
			sc.Set(base.Add(tc.jump))
			for i := 0; i < 100000; i++ {
				ts := c.Now()
				if ts <= prev {
					t.Fatalf("stamp %d went back: %v after %v", i, ts, prev)
				}
				prev = ts
			}
		})
	}
}

func TestFollowsWallClock(t *testing.T) {
	sc := clock.NewManual(time.UnixMilli(1_700_000_000_000))
	c := New(sc, 0)
	if got := c.Now(); got.WallMillis() != 1_700_000_000_000 || got.Logical() != 0 {
		t.Fatalf("first stamp = %v", got)
	}
	if got := c.Now(); got.Logical() != 1 {
		t.Fatalf("same-ms stamp should bump logical, got %v", got)
	}
	sc.Set(time.UnixMilli(1_700_000_000_005))
	if got := c.Now(); got.WallMillis() != 1_700_000_000_005 || got.Logical() != 0 {
		t.Fatalf("stamp after clock moved = %v", got)
	}
}

func TestObserveOrdersAfterRemote(t *testing.T) {
	sc := clock.NewManual(time.UnixMilli(1_000))
	c := New(sc, 0)
	remote := Make(9_000_000, 7) // a peer whose clock is far ahead
	c.Observe(remote)
	if got := c.Now(); got <= remote {
		t.Fatalf("local stamp %v not after observed %v", got, remote)
	}
}

func TestFloorSurvivesRestart(t *testing.T) {
	floor := Make(5_000_000, 3)
	c := New(clock.NewManual(time.UnixMilli(1)), floor)
	if got := c.Now(); got <= floor {
		t.Fatalf("stamp %v not above persisted floor %v", got, floor)
	}
}

func TestLogicalOverflowBorrowsMillisecond(t *testing.T) {
	c := New(clock.NewManual(time.UnixMilli(10)), Make(10, logicalMax-1))
	a := c.Now()
	b := c.Now()
	if !(b > a) || b.WallMillis() != 11 {
		t.Fatalf("overflow: a=%v b=%v", a, b)
	}
}

func TestSkewRule(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	bound := time.Minute
	within := Make(now.Add(bound).UnixMilli(), 7)
	beyond := Make(now.Add(bound).UnixMilli()+1, 0)
	y2500 := Make(time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 0)
	if !Adoptable(within, now, bound) || Adoptable(beyond, now, bound) || Adoptable(y2500, now, bound) {
		t.Fatalf("adoptable: within %v beyond %v 2500 %v", Adoptable(within, now, bound), Adoptable(beyond, now, bound), Adoptable(y2500, now, bound))
	}
	if got := Capped(y2500, now, bound); got.WallMillis() != now.Add(bound).UnixMilli() || got <= within {
		t.Fatalf("Capped(2500) = %v, want the ceiling %v", got, Ceiling(now, bound))
	}
	if got := Capped(within, now, bound); got != within {
		t.Fatalf("Capped moved a stamp within the bound: %v -> %v", within, got)
	}
	if c := Ceiling(time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC), 0); c != ^Timestamp(0) {
		t.Fatalf("Ceiling past the 48-bit wall wrapped: %v", uint64(c))
	}

	// A clock keeps its own time when offered a stamp beyond the bound,
	// and follows one within it.
	c := New(clock.NewManual(now), 0)
	if ts, ok := c.ObserveWithin(y2500, now, bound); ok || ts.Time().After(now) {
		t.Fatalf("ObserveWithin(2500) = %v, %v", ts, ok)
	}
	if ts, ok := c.ObserveWithin(within, now, bound); !ok || ts <= within {
		t.Fatalf("ObserveWithin(within) = %v, %v", ts, ok)
	}
	if c.Last().Time().After(now.Add(bound)) {
		t.Fatalf("clock at %v, beyond the bound", c.Last())
	}
}

func TestHorizonFitsInt64(t *testing.T) {
	if top := Make(HorizonMillis, logicalMax); uint64(top) > 1<<63-1 {
		t.Fatalf("a stamp below the horizon does not fit an int64: %d", uint64(top))
	}
	if h := time.UnixMilli(HorizonMillis).UTC(); h != time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("horizon is %v", h)
	}
}
