// Package ratelimit limits guessing at head office's public pages, the
// complaint progress page (hub/progress) and the survey page
// (hub/surveys): one Limiter for both, whose tries are counted in the
// store (store.TryQueries) in fixed windows, so that every hub on one
// database shares each budget. Several hubs behind a load balancer do not
// multiply a limit by their number, and a restart ends no window.
//
// A try is one statement, an increment that reads the count back, so hubs
// counting the same key at once each see a count of their own and none is
// lost. Windows are aligned to the Unix epoch (a 24-hour one ends at
// midnight UTC): every hub computes the same window for the same instant.
// Each Limiter deletes the windows that ended DropEvery ago or more (a
// margin for hub clocks a little apart), at most once per DropEvery, so
// the table holds the keys tried in the current windows and the last
// minutes' and no more: one row per key and window, a ticket's row
// costing its address one of its tries.
//
// The front: a refusal the store gave is remembered in process until its
// window ends, in a fixed table of frontSlots slots (1 MiB), so that a
// flood from a client already refused costs the database nothing. The
// store stays the one truth: the front only repeats what it answered for
// the same key and window (a fingerprint mismatch or an overwritten slot
// asks the store again), and a count past the budget only grows until the
// window ends.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// Rule is one budget: Budget tries of a key per Window. Name keeps its
// keys apart from another rule's.
type Rule struct {
	Name   string
	Budget int
	Window time.Duration
}

// DropEvery is how often a Limiter deletes the ended windows.
const DropEvery = time.Minute

// frontSlots is the front's size: 65,536 slots of 16 bytes, 1 MiB.
const frontSlots = 1 << 16

// Options configure a Limiter. Store is required.
type Options struct {
	Store  store.TryQueries
	Clock  clock.Clock // clock.System if nil
	Logger *slog.Logger
}

// Limiter counts tries against Rules.
type Limiter struct {
	opt  Options
	seed maphash.Seed

	mu    sync.Mutex
	front []lock
	// dropAt is when the ended windows are next deleted.
	dropAt time.Time
}

// lock is a refusal the store gave: key's fingerprint, and the end of its
// window (Unix ms).
type lock struct {
	print uint64
	until int64
}

// New returns a Limiter.
func New(opt Options) (*Limiter, error) {
	if opt.Store == nil {
		return nil, errors.New("ratelimit: Store is required")
	}
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Limiter{opt: opt, seed: maphash.MakeSeed(), front: make([]lock, frontSlots)}, nil
}

// Spent is one try Take counted; Give takes it back.
type Spent struct {
	key   string
	start int64
}

// Take spends one try of key under r. ok false says the budget of the
// window is spent and retry how long until it ends. An error is the
// store's: the caller refuses the try (fails closed).
func (l *Limiter) Take(ctx context.Context, r Rule, key string) (spent Spent, ok bool, retry time.Duration, err error) {
	now := l.opt.Clock.Now()
	t, w := now.UnixMilli(), r.Window.Milliseconds()
	start := t - mod(t, w)
	end := start + w
	print, slot := l.fingerprint(r, key)
	l.mu.Lock()
	if f := l.front[slot]; f.print == print && f.until > t && f.until-w <= t {
		l.mu.Unlock()
		return Spent{}, false, time.Duration(f.until-t) * time.Millisecond, nil
	}
	drop := !now.Before(l.dropAt) || now.Add(DropEvery).Before(l.dropAt)
	if drop {
		l.dropAt = now.Add(DropEvery)
	}
	l.mu.Unlock()
	if drop {
		// A minute's margin: a hub whose clock is a little behind still
		// counts in a window this one saw end.
		if _, err := l.opt.Store.DropTries(ctx, t-DropEvery.Milliseconds()); err != nil {
			l.opt.Logger.Warn("delete ended guessing windows", "err", err)
		}
	}
	sk := storeKey(r, key)
	n, err := l.opt.Store.Try(ctx, sk, start, end)
	if err != nil {
		return Spent{}, false, 0, err
	}
	if n > int64(r.Budget) {
		l.mu.Lock()
		l.front[slot] = lock{print: print, until: end}
		l.mu.Unlock()
		return Spent{}, false, time.Duration(end-t) * time.Millisecond, nil
	}
	return Spent{key: sk, start: start}, true, 0, nil
}

// Give takes back a try Take spent: one that was no guess (the right
// pair, head office's own failure). The zero Spent is a no-op.
func (l *Limiter) Give(ctx context.Context, s Spent) {
	if s.key == "" {
		return
	}
	if err := l.opt.Store.ReturnTry(context.WithoutCancel(ctx), s.key, s.start); err != nil {
		l.opt.Logger.Warn("return a try", "err", err)
	}
}

// RetryAfter is a refusal's wait as a Retry-After header gives it: whole
// seconds, rounded up, at least 1.
func RetryAfter(retry time.Duration) int {
	return max(1, int((retry+time.Second-1)/time.Second))
}

// fingerprint is key's under r in the front, and its slot there; the seed
// is the process's own, so nobody can aim keys at another's slot.
func (l *Limiter) fingerprint(r Rule, key string) (uint64, int) {
	h := maphash.String(l.seed, r.Name+"\x00"+key)
	return h, int(h % frontSlots)
}

// storeKey is key's row under r: the rule's name and a hash of the key,
// so that a row has a fixed size whatever a client sends. Not a secret:
// a row lives for its window only.
func storeKey(r Rule, key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.Name + ":" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// mod is a mod b in [0, b), for instants before 1970 too.
func mod(a, b int64) int64 {
	if b <= 0 {
		return 0
	}
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
