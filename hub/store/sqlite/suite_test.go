package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/storetest"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// TestStoreSuite holds the SQLite backend to the semantics every backend
// keeps.
func TestStoreSuite(t *testing.T) {
	openIn := func(t testing.TB, path string, wall clock.Clock, loc *time.Location) store.Store {
		t.Helper()
		s, err := Open(context.Background(), path, Options{Clock: wall, Location: loc})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	open := func(t testing.TB, path string, wall clock.Clock) store.Store { return openIn(t, path, wall, nil) }
	storetest.Run(t, storetest.Backend{
		Open: func(t testing.TB, wall clock.Clock) store.Store {
			return open(t, filepath.Join(t.TempDir(), "hub.db"), wall)
		},
		Reopen: func(t testing.TB, s store.Store) store.Store {
			s.Close()
			return open(t, s.(*Store).b.path, nil)
		},
		Another: func(t testing.TB, s store.Store) store.Store {
			return open(t, s.(*Store).b.path, nil)
		},
		ReopenIn: func(t testing.TB, s store.Store, loc *time.Location) store.Store {
			s.Close()
			return openIn(t, s.(*Store).b.path, nil, loc)
		},
		OpenIn: func(t testing.TB, wall clock.Clock, loc *time.Location) store.Store {
			return openIn(t, filepath.Join(t.TempDir(), "hub.db"), wall, loc)
		},
	})
}
