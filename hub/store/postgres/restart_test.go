package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/storetest"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// TestPostgresRestarted: while PostgreSQL is down (stopped, then killed)
// every call fails within its context instead of hanging, and Ping says
// store.unreachable; once it is back the same Store works again by itself
// and nothing was lost or stored twice.
func TestPostgresRestarted(t *testing.T) {
	pg := harness.StartPostgres(t, harness.PostgresOptions{})
	dsn := pg.NewDatabase(t)
	s := openDSN(t, dsn, nil)
	ctx := context.Background()
	commitBatch := func(ctx context.Context, first, last uint64) ([]store.Result, error) {
		return s.Commit(ctx, []store.Unit{{Batch: storetest.Batch("A", first, last)}})
	}
	if _, err := commitBatch(ctx, 1, 10); err != nil {
		t.Fatal(err)
	}
	next := uint64(11)
	for _, down := range []struct {
		name string
		stop func() error
	}{
		{"stopped", pg.Stop},
		{"killed", func() error { pg.Kill(); return nil }},
	} {
		t.Run(down.name, func(t *testing.T) {
			if err := down.stop(); err != nil {
				t.Fatal(err)
			}
			// A killed postmaster's backends end a moment after it; until
			// then the pool's connections still answer.
			for deadline := time.Now().Add(10 * time.Second); s.Ping(ctx) == nil; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("PostgreSQL still answers 10 s after it was %s", down.name)
				}
			}
			for _, call := range []struct {
				name string
				f    func(ctx context.Context) error
			}{
				{"commit", func(ctx context.Context) error { _, err := commitBatch(ctx, next, next+9); return err }},
				{"outlet", func(ctx context.Context) error { _, err := s.Outlet(ctx, "A"); return err }},
				{"ping", s.Ping},
			} {
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err := call.f(cctx)
				waited := cctx.Err()
				cancel()
				if err == nil {
					t.Fatalf("%s with PostgreSQL %s succeeded", call.name, down.name)
				}
				if waited != nil {
					t.Fatalf("%s with PostgreSQL %s waited out its context: %v", call.name, down.name, err)
				}
			}
			var pe *problem.Error
			if err := s.Ping(ctx); !errors.As(err, &pe) || pe.Code() != problem.StoreUnreachable {
				t.Errorf("ping: %v, want store.unreachable", err)
			}
			if err := pg.Start(); err != nil {
				t.Fatal(err)
			}
			// The pool reconnects by itself: the first call may still
			// meet a connection that died with the server.
			deadline := time.Now().Add(30 * time.Second)
			var res []store.Result
			var err error
			for {
				if res, err = commitBatch(ctx, next, next+9); err == nil || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("commit after PostgreSQL came back: %v", err)
			}
			if res[0].AckedSeq != next+9 {
				t.Fatalf("acked %d, want %d", res[0].AckedSeq, next+9)
			}
			if err := s.Ping(ctx); err != nil {
				t.Errorf("ping after restart: %v", err)
			}
			next += 10
		})
	}
	if n := count(t, s, `SELECT count(*) FROM events WHERE origin = 'A'`); uint64(n) != next-1 {
		t.Errorf("%d events of A, want %d, each once", n, next-1)
	}
	if n := count(t, s, `SELECT count(DISTINCT seq) FROM events WHERE origin = 'A'`); uint64(n) != next-1 {
		t.Errorf("%d distinct seqs of A, want %d", n, next-1)
	}
}
