package postgres

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// server is one PostgreSQL cluster for the package's tests, each in a
// database of its own; serverErr says why there is none.
var (
	server    *harness.Postgres
	serverErr error
)

func TestMain(m *testing.M) {
	server, serverErr = harness.NewPostgres(harness.PostgresOptions{})
	if serverErr == nil {
		serverErr = server.Start()
	}
	code := m.Run()
	if server != nil {
		server.Close()
	}
	os.Exit(code)
}

// newDSN returns an empty database of the shared server for t.
func newDSN(t testing.TB) string {
	t.Helper()
	if serverErr != nil {
		harness.SkipOutsideCI(t, "no PostgreSQL for the tests: %v", serverErr)
	}
	return server.NewDatabase(t)
}

// dsns remembers each open store's database, for Reopen and Another.
var dsns sync.Map // *Store -> string

func openDSN(t testing.TB, dsn string, wall clock.Clock) *Store {
	t.Helper()
	return openIn(t, dsn, wall, nil)
}

// openIn is openDSN in the hub time zone loc (UTC if nil).
func openIn(t testing.TB, dsn string, wall clock.Clock, loc *time.Location) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{Clock: wall, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	dsns.Store(s, dsn)
	t.Cleanup(func() { s.Close() })
	return s
}

func dsnOf(s *Store) string {
	d, ok := dsns.Load(s)
	if !ok {
		panic(fmt.Sprintf("store %p was not opened by openDSN", s))
	}
	return d.(string)
}

// sqlRows runs a query through the store's pool and returns its one
// integer.
func count(t testing.TB, s *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.b.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
