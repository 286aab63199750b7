package backup

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yizhan/yizhan/syncproto/clock"
)

// Defaults of the [backup] settings.
const (
	DefaultAt   = "02:30"
	DefaultKeep = 7
	// StaleAfter is the age past which doctor warns about the newest
	// backup, when backups are configured: a night missed is a warning
	// the next day, two are a problem.
	StaleAfter = 48 * time.Hour
)

// ParseAt reads a time of day "HH:MM" (24-hour, local time).
func ParseAt(s string) (hour, minute int, err error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if ok && len(h) >= 1 && len(h) <= 2 && len(m) == 2 {
		hour, err1 := strconv.Atoi(h)
		minute, err2 := strconv.Atoi(m)
		if err1 == nil && err2 == nil && hour >= 0 && hour < 24 && minute >= 0 && minute < 60 {
			return hour, minute, nil
		}
	}
	return 0, 0, fmt.Errorf("%q is not a time of day HH:MM such as %s", s, DefaultAt)
}

// Next is the first hour:minute in now's location strictly after now.
// Across a daylight-saving change the wall time is kept, as people read
// "every night at 02:30".
func Next(now time.Time, hour, minute int) time.Time {
	t := time.Date(now.Year(), now.Month(), now.Day(), hour, minute, 0, 0, now.Location())
	if !t.After(now) {
		t = time.Date(now.Year(), now.Month(), now.Day()+1, hour, minute, 0, 0, now.Location())
	}
	return t
}

// Nightly takes a backup every day at a time of day and keeps the newest
// Keep. A failure is logged and counted and the next night tries again;
// nothing of it reaches the counter.
type Nightly struct {
	Dir          string
	Hour, Minute int
	Keep         int
	Outlet       string
	Copy         Copier
	Clock        clock.Clock // the PC's clock; clock.System if nil
	Logger       *slog.Logger

	mu          sync.Mutex // one backup at a time
	lastSuccess atomic.Int64
	failures    atomic.Uint64
}

// Run backs up at each planned time until ctx ends.
func (n *Nightly) Run(ctx context.Context) {
	for {
		now := n.now()
		wait := Next(now, n.Hour, n.Minute).Sub(now)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if _, err := n.Take(n.Dir); err == nil {
			if removed, err := Prune(n.Dir, n.Outlet, n.keep()); err != nil {
				n.logger().Warn("could not remove an old backup", "dir", n.Dir, "err", err)
			} else if len(removed) > 0 {
				n.logger().Info("old backups removed", "removed", removed, "keep", n.keep())
			}
		}
	}
}

// Take backs up into dir now, and counts the outcome as the nightly run
// does: the command line's backups count too.
func (n *Nightly) Take(dir string) (Result, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	res, err := Take(dir, n.Copy, n.now())
	if err != nil {
		n.failures.Add(1)
		n.logger().Error("backup failed; the next one is tried as planned", "dir", dir, "err", err)
		return res, err
	}
	n.lastSuccess.Store(n.now().Unix())
	n.logger().Info("backup taken", "path", res.Path, "bytes", res.Bytes, "last_seq", res.ID.LastSeq,
		"took", res.Took.Round(time.Millisecond))
	return res, nil
}

// Recall takes the time of the newest backup already in Dir as the last
// success, so that a restart does not report backups as never taken.
func (n *Nightly) Recall() {
	if list, err := List(n.Dir, n.Outlet); err == nil && len(list) > 0 {
		n.lastSuccess.CompareAndSwap(0, list[0].At.Unix())
	}
}

// LastSuccess is when the last backup passed, in Unix seconds; 0 never
// since start.
func (n *Nightly) LastSuccess() int64 { return n.lastSuccess.Load() }

// Failures counts failed backups since start.
func (n *Nightly) Failures() uint64 { return n.failures.Load() }

func (n *Nightly) keep() int {
	if n.Keep <= 0 {
		return DefaultKeep
	}
	return n.Keep
}

func (n *Nightly) now() time.Time {
	if n.Clock == nil {
		return time.Now()
	}
	return n.Clock.Now()
}

func (n *Nightly) logger() *slog.Logger {
	if n.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return n.Logger
}
