package clock

import (
	"sync"
	"testing"
	"time"
)

var base = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)

func TestManualMovesOnlyWhenTold(t *testing.T) {
	m := NewManual(base)
	if !m.Now().Equal(base) || !m.Now().Equal(base) {
		t.Fatalf("now %v, want %v on every read", m.Now(), base)
	}
	if got := m.Advance(90 * time.Minute); !got.Equal(base.Add(90*time.Minute)) || !m.Now().Equal(got) {
		t.Errorf("after Advance: returned %v, now %v", got, m.Now())
	}
	m.Advance(-2 * time.Hour)
	if want := base.Add(-30 * time.Minute); !m.Now().Equal(want) {
		t.Errorf("after going back: %v, want %v", m.Now(), want)
	}
	m.Set(base.AddDate(1, 0, 0))
	if !m.Now().Equal(base.AddDate(1, 0, 0)) {
		t.Errorf("after Set: %v", m.Now())
	}
}

// Readers and movers on other goroutines see every advance exactly once
// (run with -race).
func TestManualConcurrent(t *testing.T) {
	m := NewManual(base)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				m.Advance(time.Millisecond)
				_ = m.Now()
			}
		}()
	}
	wg.Wait()
	if want := base.Add(800 * time.Millisecond); !m.Now().Equal(want) {
		t.Errorf("now %v, want %v", m.Now(), want)
	}
}

func TestOffsetAndFunc(t *testing.T) {
	m := NewManual(base)
	skewed := Offset(m, -6*time.Hour)
	if want := base.Add(-6 * time.Hour); !skewed.Now().Equal(want) {
		t.Errorf("offset clock %v, want %v", skewed.Now(), want)
	}
	m.Advance(time.Minute)
	if want := base.Add(-6*time.Hour + time.Minute); !skewed.Now().Equal(want) {
		t.Errorf("offset clock does not follow its base: %v, want %v", skewed.Now(), want)
	}
	if f := Func(func() time.Time { return base }); !f.Now().Equal(base) {
		t.Errorf("Func clock %v", f.Now())
	}
}

func TestSystemFollowsTheMachine(t *testing.T) {
	before := time.Now()
	got := System.Now()
	if got.Before(before) || got.After(time.Now()) {
		t.Errorf("System.Now() = %v, not between two time.Now readings", got)
	}
}
