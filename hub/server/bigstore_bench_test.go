package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for the baseline count

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/postgres"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/hub/store/storegen"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// The big-store benchmarks start the hub on a store holding a network's
// year (storegen.Full: 10 million events, 1 million cases, 2,000 outlets)
// and time the API calls behind head office's pages, each against one
// indexed count on the same store in the same run. Nothing here is a
// threshold. Environment:
//
//	YZ_BIGSTORE_SCALE    fraction of storegen.Full to build (default 1);
//	                     0.001 is a smoke run of a few seconds
//	YZ_BIGSTORE_CACHE    where the built SQLite file is kept between runs
//	                     (default $TMPDIR/yizhan-bigstore)
//	YZ_BIGSTORE_SAMPLES  requests per call per round (default 100)
//	YZ_BIGSTORE_ROUNDS   rounds on the same store (default 2)
//	YZ_BIGSTORE_REBUILD  1 builds the cached file again
//
// Run: go test -run '^$' -bench BigStore -benchtime 1x -timeout 90m ./hub/server/
const (
	envBigScale   = "YZ_BIGSTORE_SCALE"
	envBigCache   = "YZ_BIGSTORE_CACHE"
	envBigSamples = "YZ_BIGSTORE_SAMPLES"
	envBigRounds  = "YZ_BIGSTORE_ROUNDS"
	envBigRebuild = "YZ_BIGSTORE_REBUILD"
)

// bigCall is one API call a head-office page makes. path is the request;
// deep, if set, follows the list's "next" cursor that many pages from
// path first, and the page reached is the one timed. Calls whose route is
// not on this build answer an error and are reported as absent.
type bigCall struct {
	name string
	path func(s storegen.Size) string
	deep int
}

// lastWeek is the Monday-to-Sunday week before storegen.End, as the
// measures API takes dates (the hub's time zone, to inclusive).
func lastWeek() (from, to string) {
	end := storegen.End.AddDate(0, 0, -1) // the last generated day
	for end.Weekday() != time.Sunday {
		end = end.AddDate(0, 0, -1)
	}
	return end.AddDate(0, 0, -6).Format(time.DateOnly), end.Format(time.DateOnly)
}

var bigCalls = []bigCall{
	{name: "overview", path: func(storegen.Size) string { return "/api/v1/overview" }},
	{name: "complaints open, by due, page 1", path: func(storegen.Size) string { return "/api/v1/complaints?open=1&sort=due&limit=50" }},
	{name: "complaints open, by due, page 10", path: func(storegen.Size) string { return "/api/v1/complaints?open=1&sort=due&limit=50" }, deep: 9},
	{name: "exceptions open, by due, page 1", path: func(storegen.Size) string { return "/api/v1/exceptions?open=1&sort=due&limit=50" }},
	{name: "complaints open, newest first", path: func(storegen.Size) string { return "/api/v1/complaints?open=1&limit=50" }},
	{name: "outlets", path: func(storegen.Size) string { return "/api/v1/outlets" }},
	{name: "measures last week by outlet", path: func(storegen.Size) string {
		from, to := lastWeek()
		return "/api/v1/measures?" + url.Values{"from": {from}, "to": {to}, "by": {"outlet"}, "period": {"week"}}.Encode()
	}},
}

func envNumber(b *testing.B, name string, def float64) float64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return f
}

func bigSize(b *testing.B) storegen.Size {
	f := envNumber(b, envBigScale, 1)
	if f > 1 {
		b.Fatalf("%s=%v: at most 1", envBigScale, f)
	}
	return storegen.Scale(f)
}

// buildBig fills st with size's events, printing progress to stderr.
func buildBig(b *testing.B, st store.Store, size storegen.Size, label string, committers int) {
	b.Helper()
	fmt.Fprintf(os.Stderr, "bigstore %s: building %s (%d events, %d cases, %d outlets, %d days)\n", label, size.Key(), size.Events, size.Cases, size.Outlets, size.Days)
	began := time.Now()
	stats, err := storegen.Build(context.Background(), st, size, storegen.Options{Committers: committers, Progress: func(p storegen.Progress) {
		rate := float64(p.Events) / p.Elapsed.Seconds()
		eta := "?"
		if rate > 0 {
			eta = (time.Duration(float64(p.Total-p.Events)/rate) * time.Second).Round(time.Second).String()
		}
		fmt.Fprintf(os.Stderr, "bigstore %s: %d/%d events, %d/%d outlets, %s, %.0f events/s, about %s left\n",
			label, p.Events, p.Total, p.Outlets, p.OfOutlets, p.Elapsed.Round(time.Second), rate, eta)
	}})
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(began)
	fmt.Printf("bigstore %s: built in %s (%.0f events/s through store.Core.Commit, %d committers): %+v\n",
		label, took.Round(time.Second), float64(stats.Events)/took.Seconds(), committers, stats)
}

// bigCacheDir is where built stores are kept between runs.
func bigCacheDir(b *testing.B) string {
	dir := os.Getenv(envBigCache)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "yizhan-bigstore")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	return dir
}

// cachedSQLite returns a SQLite file holding size's store, built once per
// generator version and size and then reused. A file from an older schema
// is migrated in place by the hub's own migrations, as an upgraded hub's
// would be; YZ_BIGSTORE_REBUILD=1 builds it again instead.
func cachedSQLite(b *testing.B, size storegen.Size) string {
	b.Helper()
	path := filepath.Join(bigCacheDir(b), size.Key()+"-sqlite.db")
	if os.Getenv(envBigRebuild) == "1" {
		os.Remove(path)
	}
	if _, err := os.Stat(path); err == nil {
		have := userVersion(b, path)
		if have > sqlite.SchemaVersion() {
			b.Fatalf("%s has schema version %d, newer than this hub's %d: remove it, or set %s or %s=1", path, have, sqlite.SchemaVersion(), envBigCache, envBigRebuild)
		}
		// Opened as the hub opens it: its migrations, and the case list's
		// deadlines brought to the hub's settings (nothing to do when they
		// are there already), so that each run's hub starts on a store it
		// has nothing to redo in.
		began := time.Now()
		st, err := sqlite.Open(context.Background(), path, sqlite.Options{Limits: bigLimits(), Location: storegen.CST})
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		checkpoint(b, path)
		fmt.Printf("bigstore sqlite: reusing %s, schema %d (was %d), opened in %s\n", path, sqlite.SchemaVersion(), have, time.Since(began).Round(time.Millisecond))
		return path
	}
	tmp := fmt.Sprintf("%s.building-%d", path, os.Getpid())
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm", ".lock"} {
			os.Remove(tmp + suffix)
		}
	}()
	st, err := sqlite.Open(context.Background(), tmp, sqlite.Options{Limits: bigLimits(), Location: storegen.CST})
	if err != nil {
		b.Fatal(err)
	}
	buildBig(b, st, size, "sqlite", 1)
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	checkpoint(b, tmp)
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("bigstore sqlite: cached as %s (schema %d)\n", path, sqlite.SchemaVersion())
	return path
}

// bigLimits are the deadline settings of the hub runBigStore starts (its
// Config leaves SLA and ExceptionDeadlines at the defaults), as
// server.openStore hands them to the store; its zone is the outlets'
// (storegen.CST), whose days the rollups count.
func bigLimits() *lifecycle.Limits { return &lifecycle.Limits{} }

// checkpoint leaves the file alone, with no WAL beside it, so that it can
// be renamed and copied.
func checkpoint(b *testing.B, path string) {
	b.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
}

func userVersion(b *testing.B, path string) int {
	b.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		b.Fatal(err)
	}
	return v
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	began := time.Now()
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(out, in)
	if err == nil {
		err = out.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("bigstore sqlite: copied %d MB for this run in %s\n", n>>20, time.Since(began).Round(time.Millisecond))
}

// BenchmarkBigStoreSQLite: the calls on a copy of the cached SQLite file
// (the hub writes to its store: the timers' first sweep escalates the
// complaints already past their deadlines).
func BenchmarkBigStoreSQLite(b *testing.B) {
	size := bigSize(b)
	cached := cachedSQLite(b, size)
	path := filepath.Join(b.TempDir(), "hub.db")
	copyFile(b, cached, path)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	runBigStore(b, size, "sqlite", "sqlite://"+path, db, `SELECT count(*) FROM cases WHERE kind = 'complaint' AND open = 1`,
		`EXPLAIN QUERY PLAN SELECT count(*) FROM cases WHERE kind = 'complaint' AND open = 1`)
}

// BenchmarkBigStorePostgres runs the calls on a throwaway cluster (fsync
// off, as harness.StartPostgres runs for tests; the calls measured only
// read) holding the same store as BenchmarkBigStoreSQLite's: the cached
// SQLite file, built through store.Core.Commit, copied table by table with
// COPY (copyToPostgres). Building it through Commit on PostgreSQL ran at
// about 1,500 events/s on the shared machine, nearly two hours for the
// full size. The month partitions are those a hub running since the first
// generated day would have made.
func BenchmarkBigStorePostgres(b *testing.B) {
	size := bigSize(b)
	cached := cachedSQLite(b, size)
	pg := harness.StartPostgres(b, harness.PostgresOptions{})
	dsn := pg.NewDatabase(b)
	ctx := context.Background()
	// A hub started a year ago made a partition per month from then on.
	first, err := postgres.Open(ctx, dsn, postgres.Options{Clock: clock.Func(size.Start)})
	if err != nil {
		b.Fatal(err)
	}
	first.Close()
	st, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	st.Close()
	copyToPostgres(b, cached, dsn)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	// What autovacuum would have done over the year: statistics for the
	// planner, a visibility map for index-only scans.
	began := time.Now()
	if _, err := db.Exec("VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("CHECKPOINT"); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("bigstore postgres: VACUUM ANALYZE and CHECKPOINT in %s\n", time.Since(began).Round(time.Millisecond))
	runBigStore(b, size, "postgres", dsn, db, `SELECT count(*) FROM cases WHERE kind = 'complaint' AND open`,
		`EXPLAIN SELECT count(*) FROM cases WHERE kind = 'complaint' AND open`)
}

// copyToPostgres replaces the rows of every table the SQLite file and the
// PostgreSQL store both have with the file's, by COPY, column by name. Both
// backends keep the same rows (the storetest suite holds them to it); only
// SQLite's 0/1 for booleans needs turning into PostgreSQL's.
func copyToPostgres(b *testing.B, file, dsn string) {
	b.Helper()
	ctx := context.Background()
	src, err := sql.Open("sqlite", "file:"+file+"?_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	src.SetMaxOpenConns(copyStreams)
	var outlets []string
	ids, err := src.Query(`SELECT id FROM outlets ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	for ids.Next() {
		var id string
		if err := ids.Scan(&id); err != nil {
			b.Fatal(err)
		}
		outlets = append(outlets, id)
	}
	ids.Close()
	var tables []string
	rows, err := src.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			b.Fatal(err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	began := time.Now()
	for _, table := range tables {
		pgRows, err := conn.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
		if err != nil {
			b.Fatal(err)
		}
		pgType := map[string]string{}
		var pgCols []string
		for pgRows.Next() {
			var c, t string
			if err := pgRows.Scan(&c, &t); err != nil {
				b.Fatal(err)
			}
			pgType[c] = t
			pgCols = append(pgCols, c)
		}
		pgRows.Close()
		if len(pgCols) == 0 {
			fmt.Printf("bigstore postgres: table %s is SQLite's only, not copied\n", table)
			continue
		}
		var cols []string
		info, err := src.Query(`SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			b.Fatal(err)
		}
		for info.Next() {
			var c string
			if err := info.Scan(&c); err != nil {
				b.Fatal(err)
			}
			if _, ok := pgType[c]; ok {
				cols = append(cols, c)
			}
		}
		info.Close()
		if len(cols) < len(pgCols) {
			fmt.Printf("bigstore postgres: table %s: SQLite lacks some of %v, copied %v\n", table, pgCols, cols)
		}
		if _, err := conn.Exec(ctx, "DELETE FROM "+pgx.Identifier{table}.Sanitize()); err != nil {
			b.Fatal(err)
		}
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = `"` + c + `"`
		}
		// Tables keyed by origin go in streams of outlet ranges at once:
		// one COPY of ten million events is bound by one backend's index
		// upkeep.
		where := []string{""}
		if slices.Contains(cols, "origin") && len(outlets) > copyStreams {
			where = nil
			for i := range copyStreams {
				var conds []string
				if i > 0 {
					conds = append(conds, "origin >= '"+outlets[i*len(outlets)/copyStreams]+"'")
				}
				if i < copyStreams-1 {
					conds = append(conds, "origin < '"+outlets[(i+1)*len(outlets)/copyStreams]+"'")
				}
				where = append(where, " WHERE "+strings.Join(conds, " AND "))
			}
		}
		t0 := time.Now()
		var total atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, len(where))
		for _, w := range where {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dst, err := pgx.Connect(ctx, dsn)
				if err != nil {
					errs <- err
					return
				}
				defer dst.Close(ctx)
				data, err := src.Query("SELECT " + strings.Join(quoted, ", ") + " FROM " + `"` + table + `"` + w)
				if err != nil {
					errs <- err
					return
				}
				defer data.Close()
				n, err := dst.CopyFrom(ctx, pgx.Identifier{table}, cols, &sqliteRows{rows: data, cols: cols, types: pgType})
				if err != nil {
					errs <- fmt.Errorf("copy %s%s: %w", table, w, err)
					return
				}
				total.Add(n)
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		var want int64
		if err := src.QueryRow(`SELECT count(*) FROM "` + table + `"`).Scan(&want); err != nil {
			b.Fatal(err)
		}
		if n := total.Load(); n != want {
			b.Fatalf("copied %d rows of %s, the file holds %d", n, table, want)
		}
		if n := total.Load(); n > 0 {
			fmt.Printf("bigstore postgres: copied %d rows of %s in %s (%d streams)\n", n, table, time.Since(t0).Round(time.Millisecond), len(where))
		}
	}
	fmt.Printf("bigstore postgres: copied the store in %s\n", time.Since(began).Round(time.Second))
}

// copyStreams is how many COPYs of one table run at once.
const copyStreams = 3

// sqliteRows feeds database/sql rows to pgx's CopyFrom.
type sqliteRows struct {
	rows  *sql.Rows
	cols  []string
	types map[string]string
	vals  []any
	ptrs  []any
	err   error
}

func (r *sqliteRows) Next() bool {
	if !r.rows.Next() {
		return false
	}
	// CopyFrom encodes a row before asking for the next, so one slice
	// serves every row.
	if r.vals == nil {
		r.vals = make([]any, len(r.cols))
		r.ptrs = make([]any, len(r.cols))
		for i := range r.ptrs {
			r.ptrs[i] = &r.vals[i]
		}
	}
	clear(r.vals)
	if r.err = r.rows.Scan(r.ptrs...); r.err != nil {
		return false
	}
	for i, c := range r.cols {
		if n, ok := r.vals[i].(int64); ok && r.types[c] == "boolean" {
			r.vals[i] = n != 0
		}
	}
	return true
}

func (r *sqliteRows) Values() ([]any, error) { return r.vals, nil }

func (r *sqliteRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// runBigStore starts the hub on storeURL, waits for its timers' first
// sweep, then times every call of bigCalls that this build answers,
// interleaved with count on db.
func runBigStore(b *testing.B, size storegen.Size, label, storeURL string, db *sql.DB, count, explain string) {
	samples := int(envNumber(b, envBigSamples, 100))
	rounds := int(envNumber(b, envBigRounds, 2))
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	var plan []string
	rows, err := db.Query(explain)
	if err != nil {
		b.Fatal(err)
	}
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
	}
	rows.Close()
	fmt.Printf("bigstore %s: baseline %q, plan: %s\n", label, count, strings.Join(plan, " / "))

	began := time.Now()
	// The hub's clock reads the generated year's end, so "now", "today"
	// and the deadlines are the store's.
	s, err := Start(ctx, Config{DataDir: b.TempDir(), StoreURL: storeURL, HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0",
		APIToken: "bigstore-benchmark-token-0123456789", Logger: discard(), Location: storegen.CST, Clock: clock.Offset(clock.System, time.Until(storegen.End))})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for s.Cases.Sweeps() == 0 {
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("bigstore %s: hub started and swept once in %s\n", label, time.Since(began).Round(time.Millisecond))

	client := &http.Client{Timeout: 5 * time.Minute}
	get := func(path string) (int, []byte, time.Duration) {
		req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+path, nil)
		req.Header.Set("Authorization", "Bearer "+s.Token())
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		return resp.StatusCode, body, took
	}
	timeCount := func() time.Duration {
		t0 := time.Now()
		var n int
		if err := db.QueryRowContext(ctx, count).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}

	// Resolve each call to the request that is timed; calls this build
	// does not answer are listed as absent.
	type active struct {
		name, path string
	}
	var calls []active
	var absent []string
	for _, c := range bigCalls {
		path := c.path(size)
		code, body, _ := get(path)
		page := 1
		for ; code == http.StatusOK && page <= c.deep; page++ {
			var list struct {
				Next *string `json:"next"`
			}
			if json.Unmarshal(body, &list) != nil || list.Next == nil {
				break
			}
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			path = strings.Split(path, "&cursor=")[0] + sep + "cursor=" + url.QueryEscape(*list.Next)
			code, body, _ = get(path)
		}
		switch {
		case code != http.StatusOK:
			absent = append(absent, fmt.Sprintf("%s (%d %s)", c.name, code, errorCode(body)))
		case c.deep > 0 && page <= c.deep:
			absent = append(absent, fmt.Sprintf("%s (the list ends at page %d)", c.name, page))
		default:
			calls = append(calls, active{c.name, path})
		}
	}
	for _, a := range absent {
		fmt.Printf("bigstore %s: not measured: %s\n", label, a)
	}
	// One of each before timing: the first request pays for caches every
	// later one finds warm.
	for _, c := range calls {
		get(c.path)
	}
	timeCount()

	// The benchmark process's CPU time (the hub's, with SQLite in it; with
	// PostgreSQL the server's is not counted) spent on each call, summed
	// over its samples: on a shared machine it moves less than the
	// latency does. Linux only; 10 ms ticks, so only a mean over samples.
	cpu := func() time.Duration {
		d, err := harness.CPUTime(os.Getpid())
		if err != nil {
			return 0
		}
		return d
	}

	// A call slower than a second gets fewer samples, at least 10.
	const budget = 60 * time.Second
	all := make([][]time.Duration, len(calls))
	var allCount []time.Duration
	b.ResetTimer()
	for round := 1; round <= rounds; round++ {
		took := make([][]time.Duration, len(calls))
		spent, cpus := make([]time.Duration, len(calls)), make([]time.Duration, len(calls))
		var counts []time.Duration
		for i := 0; i < samples; i++ {
			counts = append(counts, timeCount())
			for k, c := range calls {
				if spent[k] > budget && len(took[k]) >= 10 {
					continue
				}
				c0 := cpu()
				code, body, d := get(c.path)
				cpus[k] += cpu() - c0
				if code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.path, code, body)
				}
				took[k] = append(took[k], d)
				spent[k] += d
			}
		}
		cp50, cp95 := quantiles(counts)
		fmt.Printf("bigstore %s round %d/%d at %s (load %s): indexed count p50 %s p95 %s (%d samples)\n",
			label, round, rounds, time.Now().UTC().Format(time.TimeOnly), loadAverage(), msOf(cp50), msOf(cp95), len(counts))
		fmt.Printf("  %-36s %10s %10s %10s %10s %8s %12s\n", "call", "p50 ms", "p95 ms", "p50/count", "p95/count", "samples", "cpu ms/call")
		for k, c := range calls {
			p50, p95 := quantiles(took[k])
			fmt.Printf("  %-36s %10s %10s %10.1f %10.1f %8d %12s\n", c.name, msOf(p50), msOf(p95),
				float64(p50)/float64(cp50), float64(p95)/float64(cp95), len(took[k]), msOf(cpus[k]/time.Duration(len(took[k]))))
			all[k] = append(all[k], took[k]...)
		}
		allCount = append(allCount, counts...)
	}
	b.StopTimer()
	cp50, cp95 := quantiles(allCount)
	b.ReportMetric(float64(cp50)/1e6, "count-p50-ms")
	b.ReportMetric(float64(cp95)/1e6, "count-p95-ms")
	for k, c := range calls {
		p50, p95 := quantiles(all[k])
		unit := strings.NewReplacer(" ", "-", ",", "").Replace(c.name)
		b.ReportMetric(float64(p50)/1e6, unit+"-p50-ms")
		b.ReportMetric(float64(p95)/1e6, unit+"-p95-ms")
		b.ReportMetric(float64(p50)/float64(cp50), unit+"-p50-x-count")
	}
}

// quantiles returns the 50th and 95th percentiles (nearest rank).
func quantiles(ds []time.Duration) (p50, p95 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return at(0.50), at(0.95)
}

func msOf(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }

// errorCode is the problem code of an error body, or the body's start.
func errorCode(body []byte) string {
	var p struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &p) == nil && p.Error.Code != "" {
		return p.Error.Code
	}
	return strings.TrimSpace(string(body[:min(len(body), 60)]))
}

// loadAverage is the machine's 1-minute load average, for the record of
// what shared it.
func loadAverage() string {
	bs, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(bs))[0]
}
