// Package retention runs head office's purge of personal data: once a day
// at a time of day, on the hub holding the timer lease (one of the hubs
// sharing a store), and by hand (yizhan-hub retention). The purge itself
// is the store's (store.Store.PurgePersonal), which records each run in
// the audit trail; this package says when, prints what it removed and
// keeps the last run for /metrics.
package retention

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Defaults of the hub's [retention].
const (
	DefaultPersonalDays = 180
	DefaultAt           = "04:00"
)

// Config is the hub's [retention] section.
type Config struct {
	// PersonalDays: personal data of business finished longer ago than
	// this is purged; negative turns the purge off, 0 is the default.
	PersonalDays int
	// At is the local time of day of the daily run, "15:04".
	At string
}

func (c Config) withDefaults() Config {
	if c.PersonalDays == 0 {
		c.PersonalDays = DefaultPersonalDays
	}
	if c.At == "" {
		c.At = DefaultAt
	}
	return c
}

// Check refuses settings no run could use.
func (c Config) Check() error {
	c = c.withDefaults()
	if _, err := time.Parse("15:04", c.At); err != nil {
		return fmt.Errorf("[retention] at %q: want a time of day like 04:00", c.At)
	}
	if c.PersonalDays > 36500 {
		return fmt.Errorf("[retention] personal_days: at most 36500")
	}
	return nil
}

// Purger is the store's part the runs need.
type Purger interface {
	PurgePersonal(ctx context.Context, cutoff time.Time, days, batch int, dry bool) (store.PurgeReport, error)
	Audit(ctx context.Context, q store.AuditQuery) ([]store.AuditRow, error)
}

// Run purges once as of clk's now, and reports what went.
func Run(ctx context.Context, p Purger, clk clock.Clock, cfg Config, dry bool) (store.PurgeReport, error) {
	cfg = cfg.withDefaults()
	if cfg.PersonalDays < 0 {
		return store.PurgeReport{}, nil
	}
	cutoff := clk.Now().Add(-time.Duration(cfg.PersonalDays) * 24 * time.Hour)
	return p.PurgePersonal(ctx, cutoff, cfg.PersonalDays, 0, dry)
}

// Print writes a report for the operator, Chinese first.
func Print(w io.Writer, r store.PurgeReport, days int, dry bool) {
	verb := "已清除 / purged"
	if dry {
		verb = "将清除（试运行，未改动）/ would purge (dry run, nothing changed)"
	}
	cut := r.Cutoff.Local().Format("2006-01-02 15:04")
	fmt.Fprintf(w, "早于 %s 办结业务的个人信息（%d 天）/ personal data of business finished before %s (%d days): %s %d 项 / values in %d events\n",
		cut, days, cut, days, verb, r.Values, r.Events)
	kinds := make([]string, 0, len(r.Entities))
	for k := range r.Entities {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %s: %d\n", k, r.Entities[k])
	}
	if !dry {
		fmt.Fprintf(w, "已记入审计日志 / recorded in the audit trail as %s\n", lifecycle.RetentionRan)
	}
}

// Runner runs the purge once a day at Config.At while Leased says this
// hub holds the timer lease.
type Runner struct {
	Store  Purger
	Clock  clock.Clock
	Config Config
	Leased func() bool
	Logger *slog.Logger

	mu   sync.Mutex
	next time.Time
	last lifecycle.RetentionV1
}

// Next is when the run after now is due.
func (r *Runner) Next(now time.Time) time.Time {
	at, _ := time.Parse("15:04", r.Config.withDefaults().At)
	now = now.Local()
	t := time.Date(now.Year(), now.Month(), now.Day(), at.Hour(), at.Minute(), 0, 0, now.Location())
	if !t.After(now) {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// Tick runs the purge if it is due, and reports whether it ran.
func (r *Runner) Tick(ctx context.Context) (store.PurgeReport, bool, error) {
	now := r.Clock.Now()
	r.mu.Lock()
	if r.next.IsZero() {
		r.next = r.Next(now)
	}
	due := !now.Before(r.next)
	if due {
		r.next = r.Next(now)
	}
	r.mu.Unlock()
	if !due || (r.Leased != nil && !r.Leased()) {
		return store.PurgeReport{}, false, nil
	}
	rep, err := Run(ctx, r.Store, r.Clock, r.Config, false)
	if err == nil {
		r.mu.Lock()
		r.last = rep.Payload(r.Config.withDefaults().PersonalDays, now)
		r.mu.Unlock()
	}
	return rep, true, err
}

// Load reads the newest purge in the audit trail (by any hub, or by
// hand), so Last knows it after a restart.
func (r *Runner) Load(ctx context.Context) error {
	rows, err := r.Store.Audit(ctx, store.AuditQuery{Origin: syncproto.HubOrigin, Action: lifecycle.RetentionRan, Limit: 1})
	if err != nil || len(rows) == 0 {
		return err
	}
	var p lifecycle.RetentionV1
	if err := json.Unmarshal([]byte(rows[0].Detail), &p); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.At > r.last.At {
		r.last = p
	}
	return nil
}

// Last is the last purge this runner did or loaded; ok false if none.
func (r *Runner) Last() (lifecycle.RetentionV1, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last, r.last.At != 0
}

// Loop checks every interval until ctx ends.
func (r *Runner) Loop(ctx context.Context, every time.Duration) {
	logger := r.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rep, ran, err := r.Tick(ctx)
		switch {
		case err != nil:
			logger.Error("personal-data purge failed; it runs again tomorrow", "err", err)
		case ran:
			logger.Info("personal-data purge ran", "events", rep.Events, "values", rep.Values, "longest_tx_ms", rep.LongestTx.Milliseconds())
		}
	}
}
