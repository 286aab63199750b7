package postgres

import (
	"context"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/problem"
)

var _ store.Locker = (*Store)(nil)

// lockKey is the advisory lock key of a lock or lease name. Advisory
// locks are per database, so hubs on other databases of one server never
// meet.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("yizhan/" + name))
	return int64(h.Sum64())
}

func (s *Store) unreachable(err error) error {
	return problem.Wrap(err, problem.StoreUnreachable, "db", s.b.name, "detail", err.Error())
}

// Lock implements store.Locker: a pool connection holds
// pg_advisory_lock(key) until unlock runs pg_advisory_unlock and gives the
// connection back. A hub that dies closes its connections, and PostgreSQL
// frees their locks with the session.
func (s *Store) Lock(ctx context.Context, name string) (func(), error) {
	conn, err := s.b.pool.Acquire(ctx)
	if err != nil {
		return nil, s.unreachable(err)
	}
	key := lockKey(name)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		// The lock may have been granted as the wait was cancelled:
		// ending the session frees it either way.
		conn.Conn().Close(context.Background())
		conn.Release()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.unreachable(err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
				conn.Conn().Close(uctx) // the session's end frees the lock
			}
			conn.Release()
		})
	}, nil
}

// leases are the dedicated connections TryLease holds its leases on, one
// per name, outside the pool, so that no pool recycling ends them.
type leases struct {
	mu    sync.Mutex
	conns map[string]*leaseConn
}

type leaseConn struct {
	conn *pgx.Conn
	held bool
}

// TryLease implements store.Locker: a dedicated connection takes
// pg_try_advisory_lock(key) and keeps it for as long as the hub runs.
// Each call checks that connection first (SELECT 1): a lease held on a
// connection that died was freed with it, so the call connects again and
// tries anew; it does not wait for another holder.
func (s *Store) TryLease(ctx context.Context, name string) (bool, error) {
	l := &s.leases
	l.mu.Lock()
	defer l.mu.Unlock()
	lc := l.conns[name]
	if lc != nil {
		if _, err := lc.conn.Exec(ctx, `SELECT 1`); err != nil {
			lc.conn.Close(context.Background())
			delete(l.conns, name)
			lc = nil
		} else if lc.held {
			return true, nil
		}
	}
	if lc == nil {
		conn, err := pgx.ConnectConfig(ctx, s.b.pool.Config().ConnConfig.Copy())
		if err != nil {
			return false, s.unreachable(err)
		}
		lc = &leaseConn{conn: conn}
		if l.conns == nil {
			l.conns = map[string]*leaseConn{}
		}
		l.conns[name] = lc
	}
	if err := lc.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lockKey(name)).Scan(&lc.held); err != nil {
		lc.conn.Close(context.Background())
		delete(l.conns, name)
		return false, s.unreachable(err)
	}
	return lc.held, nil
}

// Close gives up the leases (their connections) and closes the pool.
func (s *Store) Close() error {
	l := &s.leases
	l.mu.Lock()
	for name, lc := range l.conns {
		lc.conn.Close(context.Background())
		delete(l.conns, name)
	}
	l.mu.Unlock()
	return s.Core.Close()
}
