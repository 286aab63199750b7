package ratelimit_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/ratelimit"
	"github.com/yizhan/yizhan/hub/store/postgres"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// BenchmarkTake times one try on SQLite and on PostgreSQL: a new key (a
// row inserted), the same key again (its row incremented and read), and a
// key already refused (answered by the front, no statement). Run:
// go test -run '^$' -bench Take -benchtime 2000x ./hub/ratelimit/
func BenchmarkTake(b *testing.B) {
	clk := clock.NewManual(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC))
	b.Run("sqlite", func(b *testing.B) {
		_, l := openB(b, clk)
		benchTake(b, l)
	})
	b.Run("postgres", func(b *testing.B) {
		pg := harness.StartPostgres(b, harness.PostgresOptions{Fsync: true})
		st, err := postgres.Open(context.Background(), pg.NewDatabase(b), postgres.Options{Clock: clk})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		l, err := ratelimit.New(ratelimit.Options{Store: st, Clock: clk})
		if err != nil {
			b.Fatal(err)
		}
		benchTake(b, l)
	})
}

func benchTake(b *testing.B, l *ratelimit.Limiter) {
	ctx := context.Background()
	wide := ratelimit.Rule{Name: "wide", Budget: 1 << 30, Window: time.Hour}
	b.Run("new key", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, ok, _, err := l.Take(ctx, wide, "k"+strconv.Itoa(i)); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("same key", func(b *testing.B) {
		for b.Loop() {
			if _, ok, _, err := l.Take(ctx, wide, "same"); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	for range rule.Budget + 1 {
		l.Take(ctx, rule, "refused")
	}
	b.Run("refused", func(b *testing.B) {
		for b.Loop() {
			if _, ok, _, _ := l.Take(ctx, rule, "refused"); ok {
				b.Fatal("taken")
			}
		}
	})
}
