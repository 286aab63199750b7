package postgres

import (
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/storetest"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// TestStoreSuite holds the PostgreSQL backend to the semantics every
// backend keeps; Another is a second hub process on the same database.
func TestStoreSuite(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t testing.TB, wall clock.Clock) store.Store {
			return openDSN(t, newDSN(t), wall)
		},
		Reopen: func(t testing.TB, s store.Store) store.Store {
			s.Close()
			return openDSN(t, dsnOf(s.(*Store)), nil)
		},
		Another: func(t testing.TB, s store.Store) store.Store {
			return openDSN(t, dsnOf(s.(*Store)), nil)
		},
		ReopenIn: func(t testing.TB, s store.Store, loc *time.Location) store.Store {
			s.Close()
			return openIn(t, dsnOf(s.(*Store)), nil, loc)
		},
		OpenIn: func(t testing.TB, wall clock.Clock, loc *time.Location) store.Store {
			return openIn(t, newDSN(t), wall, loc)
		},
	})
}
