// Package retention keeps the outlet's data file from growing for years:
// it prunes the acknowledged events older than a window from the event
// log, the downlink's copies and the dead letters (agent/eventlog),
// compacts the counter's history of business finished before it
// (agent/workflow's Compact), and purges the personal data of business finished
// longer ago than a period (agent/workflow), records each run as an event
// that syncs to head office (lifecycle.RetentionRan), and keeps the last
// run's report for the metrics. It runs daily inside the agent (Runner)
// and by hand (yizhan-agent retention), both through Run.
package retention

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/workflow"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Defaults of [retention].
const (
	DefaultEventsDays   = 90
	DefaultPersonalDays = 180
	DefaultAt           = "03:30"
)

// Config is the agent's [retention] section.
type Config struct {
	// EventsDays: acknowledged events older than this leave the log;
	// PersonalDays: personal data of business finished longer ago than
	// this is purged. Negative turns that part off; 0 takes the default.
	EventsDays   int
	PersonalDays int
	// At is the local time of day of the daily run, "15:04".
	At string
	// Batch bounds each transaction (eventlog.DefaultPruneBatch,
	// workflow.DefaultPurgeBatch if 0).
	Batch int
}

func (c Config) withDefaults() Config {
	if c.EventsDays == 0 {
		c.EventsDays = DefaultEventsDays
	}
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
		return fmt.Errorf("[retention] at %q: want a time of day like 03:30", c.At)
	}
	if c.EventsDays > 36500 || c.PersonalDays > 36500 {
		return fmt.Errorf("[retention] days: at most 36500")
	}
	return nil
}

// Report is what one run removed, or with DryRun would remove.
type Report struct {
	At     time.Time `json:"at"`
	DryRun bool      `json:"dry_run,omitempty"`
	// EventsCutoff and PersonalCutoff are zero for a part turned off.
	EventsCutoff   time.Time          `json:"events_cutoff,omitzero"`
	Events         eventlog.Pruned    `json:"events"`
	Compacted      workflow.Compacted `json:"compacted"`
	PersonalCutoff time.Time          `json:"personal_cutoff,omitzero"`
	Personal       workflow.Purged    `json:"personal"`
	Config         Config             `json:"config"`
	Recorded       []recordedEvent    `json:"recorded,omitempty"`
}

type recordedEvent struct {
	Seq  uint64 `json:"seq"`
	Part string `json:"part"`
}

// Run prunes and purges once, as of now on clk (head office's corrected
// time where the agent knows it), and unless dry records what it removed
// as RetentionRan events and as the last report. The log must belong to
// the file.
func Run(ctx context.Context, f *datafile.File, l *eventlog.Log, clk clock.Clock, cfg Config, dry bool) (Report, error) {
	cfg = cfg.withDefaults()
	now := clk.Now()
	rep := Report{At: now.UTC(), DryRun: dry, Config: cfg}
	if cfg.EventsDays > 0 {
		rep.EventsCutoff = now.Add(-time.Duration(cfg.EventsDays) * 24 * time.Hour).UTC()
		p, err := l.Prune(ctx, rep.EventsCutoff, cfg.Batch, dry)
		rep.Events = p
		if err != nil {
			return rep, err
		}
		c, err := workflow.Compact(ctx, f, rep.EventsCutoff, cfg.Batch, dry)
		rep.Compacted = c
		if err != nil {
			return rep, err
		}
	}
	if cfg.PersonalDays > 0 {
		rep.PersonalCutoff = now.Add(-time.Duration(cfg.PersonalDays) * 24 * time.Hour).UTC()
		p, err := workflow.PurgePersonal(ctx, f, rep.PersonalCutoff, cfg.Batch, dry)
		rep.Personal = p
		if err != nil {
			return rep, err
		}
	}
	if dry {
		return rep, nil
	}
	for _, ev := range rep.Payloads() {
		raw, err := json.Marshal(ev)
		if err != nil {
			return rep, err
		}
		e, err := l.Append(ctx, eventlog.Draft{Actor: "system", Type: lifecycle.RetentionRan, Subject: ev.Subject(), Payload: raw})
		if err != nil {
			return rep, fmt.Errorf("record the retention run: %w", err)
		}
		rep.Recorded = append(rep.Recorded, recordedEvent{Seq: e.Seq, Part: ev.Part})
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		return rep, err
	}
	err = f.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(datafile.Meta)
		// bbolt keeps what was removed in free pages until they are reused:
		// the next open of the file compacts it away.
		if rep.Personal.Values > 0 || rep.Personal.Photos > 0 {
			if err := meta.Put(datafile.KeyCompact, []byte{}); err != nil {
				return err
			}
		}
		return meta.Put(datafile.KeyRetention, raw)
	})
	if err != nil {
		return rep, fmt.Errorf("save the retention report: %w", err)
	}
	return rep, nil
}

// Payloads are the RetentionRan payloads of the parts that ran.
func (r Report) Payloads() []lifecycle.RetentionV1 {
	var out []lifecycle.RetentionV1
	if !r.EventsCutoff.IsZero() {
		removed := map[string]int64{"events": int64(r.Events.Events), "downlink": int64(r.Events.Down), "dead_letters": int64(r.Events.Dead),
			"history": int64(r.Compacted.Events)}
		if r.Events.Events > 0 {
			removed["first_seq"], removed["last_seq"] = int64(r.Events.First), int64(r.Events.Last)
		}
		for k, n := range r.Compacted.Entities {
			removed["history."+k] = int64(n)
		}
		out = append(out, lifecycle.RetentionV1{Part: lifecycle.RetentionEvents, Days: r.Config.EventsDays, Cutoff: r.EventsCutoff.UnixMilli(), Removed: removed, At: r.At.UnixMilli()})
	}
	if !r.PersonalCutoff.IsZero() {
		removed := map[string]int64{"values": int64(r.Personal.Values), "photos": int64(r.Personal.Photos)}
		for k, n := range r.Personal.Entities {
			removed[k] = int64(n)
		}
		out = append(out, lifecycle.RetentionV1{Part: lifecycle.RetentionPersonal, Days: r.Config.PersonalDays, Cutoff: r.PersonalCutoff.UnixMilli(), Removed: removed, At: r.At.UnixMilli()})
	}
	return out
}

// Last reads the last run's report from the file; ok false if none ran.
func Last(f *datafile.File) (rep Report, ok bool, err error) {
	err = f.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(datafile.Meta).Get(datafile.KeyRetention)
		if raw == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(raw, &rep)
	})
	return rep, ok, err
}

// Print writes the report for the operator, Chinese first.
func (r Report) Print(w io.Writer) {
	verb := "已删除 / removed"
	if r.DryRun {
		verb = "将删除（试运行，未改动）/ would remove (dry run, nothing changed)"
	}
	day := func(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }
	if r.EventsCutoff.IsZero() {
		fmt.Fprintln(w, "事件清理已关闭 / event pruning is off")
	} else {
		fmt.Fprintf(w, "已确认且早于 %s 的事件（%d 天）/ acknowledged events older than %s (%d days): %s %d",
			day(r.EventsCutoff), r.Config.EventsDays, day(r.EventsCutoff), r.Config.EventsDays, verb, r.Events.Events)
		if r.Events.Events > 0 {
			fmt.Fprintf(w, ", seq %d..%d", r.Events.First, r.Events.Last)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  总部下发的事件 / events from head office: %d; 拒收记录 / dead letters: %d\n", r.Events.Down, r.Events.Dead)
		fmt.Fprintf(w, "  已办结业务的历史并入其状态 / history of finished business folded into its state: %d 个事件 / events", r.Compacted.Events)
		for _, k := range slices.Sorted(maps.Keys(r.Compacted.Entities)) {
			fmt.Fprintf(w, ", %s %d", k, r.Compacted.Entities[k])
		}
		fmt.Fprintln(w)
	}
	if r.PersonalCutoff.IsZero() {
		fmt.Fprintln(w, "个人信息清除已关闭 / personal-data purge is off")
	} else {
		fmt.Fprintf(w, "早于 %s 办结业务的个人信息（%d 天）/ personal data of business finished before %s (%d days): %s %d 项 / values, %d 张照片 / photos\n",
			day(r.PersonalCutoff), r.Config.PersonalDays, day(r.PersonalCutoff), r.Config.PersonalDays, verb, r.Personal.Values, r.Personal.Photos)
		for _, k := range slices.Sorted(maps.Keys(r.Personal.Entities)) {
			fmt.Fprintf(w, "  %s: %d\n", k, r.Personal.Entities[k])
		}
	}
	for _, e := range r.Recorded {
		fmt.Fprintf(w, "已记录为事件 / recorded as event seq %d (%s), sent to head office with the next sync\n", e.Seq, e.Part)
	}
}

// Runner runs retention once a day at Config.At on its clock.
type Runner struct {
	File   *datafile.File
	Log    *eventlog.Log
	Clock  clock.Clock
	Config Config
	Logger *slog.Logger

	next time.Time
}

// Next is when the run after now is due: today's At if still ahead,
// else tomorrow's.
func (r *Runner) Next(now time.Time) time.Time {
	at, _ := time.Parse("15:04", r.Config.withDefaults().At)
	now = now.Local()
	t := time.Date(now.Year(), now.Month(), now.Day(), at.Hour(), at.Minute(), 0, 0, now.Location())
	if !t.After(now) {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// Tick runs retention if it is due, and reports whether it ran.
func (r *Runner) Tick(ctx context.Context) (Report, bool, error) {
	now := r.Clock.Now()
	if r.next.IsZero() {
		r.next = r.Next(now)
	}
	if now.Before(r.next) {
		return Report{}, false, nil
	}
	r.next = r.Next(now)
	rep, err := Run(ctx, r.File, r.Log, r.Clock, r.Config, false)
	return rep, true, err
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
			logger.Error("retention run failed; it runs again tomorrow", "err", err)
		case ran:
			logger.Info("retention ran", "events_pruned", rep.Events.Events, "personal_values", rep.Personal.Values,
				"photos", rep.Personal.Photos, "longest_tx_ms", max(rep.Events.LongestTx, rep.Personal.LongestTx).Milliseconds())
		}
	}
}
