package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// benchServer is one durable cluster (fsync on) for the benchmarks.
var (
	benchOnce   sync.Once
	benchServer *harness.Postgres
	benchErr    error
)

func durableServer(b *testing.B) *harness.Postgres {
	benchOnce.Do(func() {
		benchServer, benchErr = harness.NewPostgres(harness.PostgresOptions{Fsync: true})
		if benchErr == nil {
			benchErr = benchServer.Start()
		}
	})
	if benchErr != nil {
		harness.SkipOutsideCI(b, "no PostgreSQL for the benchmark: %v", benchErr)
	}
	return benchServer
}

// BenchmarkCommit measures durable events a second through Commit for
// batches of 300-byte events, several batches per transaction as the
// hub's group committer forms them: the shapes of the SQLite store's
// benchmark. In the same run it COPYs the same rows, as many per
// transaction, into a bare table with the events' primary key: the
// baseline, reported as copy-events/s and the ratio x-copy.
// Run: go test -run '^$' -bench Commit ./hub/store/postgres
func BenchmarkCommit(b *testing.B) {
	pg := durableServer(b)
	pad := strings.Repeat("x", 150)
	for _, c := range []struct{ events, group int }{{100, 1}, {500, 1}, {100, 8}, {500, 8}} {
		b.Run(fmt.Sprintf("batch=%d/group=%d", c.events, c.group), func(b *testing.B) {
			s := openDSN(b, pg.NewDatabase(b), nil)
			ctx := context.Background()
			if _, err := s.b.pool.Exec(ctx, `CREATE TABLE bare (LIKE events INCLUDING DEFAULTS, PRIMARY KEY (origin, epoch, seq, hlc))`); err != nil {
				b.Fatal(err)
			}
			seq := map[string]uint64{}
			origins := []string{"SH-001", "SH-002", "BJ-001", "GZ-001"}
			now := time.Now().UnixMilli()
			mk := func(origin string) *syncproto.Batch {
				first := seq[origin] + 1
				bt := &syncproto.Batch{Origin: origin, First: first, Last: first + uint64(c.events) - 1}
				for s := first; s <= bt.Last; s++ {
					bt.Events = append(bt.Events, syncproto.Event{
						ID: fmt.Sprintf("%s-%020d", origin, s), Origin: origin, Seq: s, HLC: hlc.Make(now, uint16(s)),
						Actor: "clerk-07", Type: "parcel.inbound", V: 1, Subject: fmt.Sprintf("7312345%07d", s),
						Payload: []byte(`{"barcode":"7312345` + fmt.Sprintf("%07d", s) + `","shelf":"3-2","pad":"` + pad + `"}`),
					})
				}
				seq[origin] = bt.Last
				return bt
			}
			groups := make([][]store.Unit, b.N)
			for i := range groups {
				groups[i] = make([]store.Unit, c.group)
				for g := range groups[i] {
					groups[i][g].Batch = mk(origins[(i*c.group+g)%len(origins)])
				}
			}
			// The baseline: the same rows, COPY'd in as many transactions,
			// each right after the commit it mirrors so that both see the
			// same load on a shared machine.
			copyGroup := func(units []store.Unit) {
				var rows [][]any
				for _, u := range units {
					for _, e := range u.Batch.Events {
						rows = append(rows, []any{e.Origin, int64(0), int64(e.Seq), e.ID, int64(e.HLC), e.Actor, e.Type, int32(e.V),
							e.Subject, e.Target, string(e.Payload), now, nil})
					}
				}
				err := pgx.BeginFunc(ctx, s.b.pool, func(tx pgx.Tx) error {
					_, err := tx.CopyFrom(ctx, pgx.Identifier{"bare"}, []string{"origin", "epoch", "seq", "id", "hlc", "actor", "type", "v",
						"subject", "target", "payload", "received_at", "order_hlc"}, pgx.CopyFromRows(rows))
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			var copying time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Commit(ctx, groups[i]); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				start := time.Now()
				copyGroup(groups[i])
				copying += time.Since(start)
				b.StartTimer()
			}
			b.StopTimer()
			events := float64(b.N * c.events * c.group)
			rate := events / b.Elapsed().Seconds()
			copyRate := events / copying.Seconds()
			b.ReportMetric(rate, "events/s")
			b.ReportMetric(copyRate, "copy-events/s")
			b.ReportMetric(rate/copyRate, "x-copy")
		})
	}
}
