// Package spool is the agent's durable print queue. A job is committed to
// bbolt before it is sent, each printer's jobs are sent in order by one
// worker that first asks the printer's state, and a printer that is out of
// paper, open, paused, silent or unreachable holds its jobs and is retried
// with backoff until it can print them.
//
// # Exactly once, and what a crash leaves behind
//
// A job is marked "sending" in a committed transaction before its first
// byte leaves, and "printed" after the printer confirmed it took the whole
// job (the drivers follow each job with a status query on the same
// connection). Raw transports give no stronger promise: if the process dies
// or the connection breaks after some bytes left, nobody can know whether
// the label came out. Such a job is never resent by itself; it moves to
// needs_confirmation and a clerk resolves it with ConfirmPrinted (it came
// out) or Reprint (a new job that references it). A job whose connection
// failed before any byte left goes back to queued and is retried.
//
// # Bounds
//
// At most Options.MaxPending unfinished jobs (queued, sending,
// needs_confirmation or failed) per printer; Enqueue then fails with ErrFull and the
// caller must show it. Nothing unfinished is ever dropped.
//
// # Jobs that could not be rendered
//
// A label whose template failed (a waybill Code 128 cannot encode, stock
// too small) has no printer bytes, but it is still a job the clerk is owed:
// Fail records it as failed, with the source the caller rendered it from
// and the reason, so the screen can list it next to held and unconfirmed
// jobs. Failed jobs are never sent. The caller renders the source again
// (for example without its barcode) and hands the bytes to Replace, or the
// clerk cancels it. Finished jobs
// (printed, cancelled, superseded) are kept for the status page up to
// Options.KeepFinished in all; the oldest are deleted beyond that. The
// business facts live in the event log, not here.
//
// # Storage
//
// The spool keeps its jobs in two bbolt buckets that the caller provides
// through Buckets, so the agent can keep them in its own data file (which
// agent/datafile lays out, creates and migrates):
//
//	jobs/
//	  <id uint64 big-endian> -> JSON Job without Data, ids from NextSequence
//	data/
//	  <id uint64 big-endian> -> the job's printer bytes
//
// Open must be called once per file and before Run: every job it finds in
// "sending" was interrupted by a crash, since bbolt's file lock keeps a
// second process out.
package spool

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// Buckets are the spool's jobs/ and data/ buckets, reached in transactions
// of the file that holds them; each call commits (Update) or ends (View)
// its own transaction. The buckets exist before Open.
type Buckets interface {
	View(fn func(jobs, data *bbolt.Bucket) error) error
	Update(fn func(jobs, data *bbolt.Bucket) error) error
}

// State is where a job is in its life.
type State string

const (
	Queued            State = "queued"             // waiting for its printer
	Sending           State = "sending"            // bytes may be leaving now
	Printed           State = "printed"            // the printer took it (or a clerk confirmed it)
	NeedsConfirmation State = "needs_confirmation" // may or may not have printed: a clerk decides
	Cancelled         State = "cancelled"          // a clerk withdrew it before it printed
	Superseded        State = "superseded"         // unconfirmed or failed, replaced by a reprint
	Failed            State = "failed"             // could not be rendered: never sent, a clerk decides
)

// Finished reports whether the job will never be sent again.
func (s State) Finished() bool { return s == Printed || s == Cancelled || s == Superseded }

// Job is one print job. Title is what the clerk sees in job lists; it must
// not carry personal data (the rendered bytes already hold only masked data).
type Job struct {
	ID         uint64    `json:"id"`
	Printer    string    `json:"printer"`
	Title      string    `json:"title"`
	Size       int       `json:"size"`
	State      State     `json:"state"`
	ReprintOf  uint64    `json:"reprint_of,omitempty"`
	Attempts   int       `json:"attempts"` // sends that failed before any byte left
	LastError  string    `json:"last_error,omitempty"`
	ResolvedBy string    `json:"resolved_by,omitempty"` // the clerk who confirmed, cancelled or reprinted it
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	Data       []byte    `json:"-"` // filled by Job(), not by Jobs(); a failed job's source
}

// Printer is what the spool needs from a printer driver.
type Printer interface {
	Status(ctx context.Context) printer.Report
	Print(ctx context.Context, data []byte) error
}

// Options tune the spool; zero values take the documented defaults.
type Options struct {
	Logger       *slog.Logger
	MaxPending   int           // unfinished jobs per printer; default 2000
	MaxJobBytes  int           // default 1 MiB
	KeepFinished int           // finished jobs kept for the status page; default 2000
	IdlePoll     time.Duration // status poll of a printer with no jobs; default 30 s
	SendTimeout  time.Duration // one job's send and receipt; default 60 s
	// Clock, NewTimer and NewBackOff make retries testable without waiting.
	Clock      clock.Clock
	NewTimer   func() backoff.Timer
	NewBackOff func() backoff.BackOff // default exponential 500 ms doubling to 30 s, never giving up
}

// ErrFull is returned by Enqueue when a printer already holds MaxPending jobs.
var ErrFull = errors.New("print queue full")

// ErrWrongState is returned when a job is not in a state that allows the
// request (confirming a job that printed normally, cancelling one in flight).
var ErrWrongState = errors.New("print job is not in a state that allows this")

// ErrNotFound is returned for an unknown job id.
var ErrNotFound = errors.New("print job not found")

// Spool is the durable print queue.
type Spool struct {
	db       Buckets
	printers map[string]Printer
	o        Options
	logger   *slog.Logger

	mu     sync.Mutex
	status map[string]*PrinterStatus
	wake   map[string]chan struct{}
}

// PrinterStatus is one printer as the status page shows it.
type PrinterStatus struct {
	Name              string         `json:"name"`
	Device            devices.Status `json:"device"`
	Report            printer.Report `json:"report"`
	Queued            int            `json:"queued"`
	NeedsConfirmation int            `json:"needs_confirmation"`
	Failed            int            `json:"failed"`
	NextTry           time.Time      `json:"next_try,omitzero"` // when a held printer is asked again
}

type realTimer struct{ t *time.Timer }

func (r *realTimer) Start(d time.Duration) {
	if r.t == nil {
		r.t = time.NewTimer(d)
		return
	}
	r.t.Reset(d)
}

func (r *realTimer) Stop() {
	if r.t != nil {
		r.t.Stop()
	}
}

func (r *realTimer) C() <-chan time.Time { return r.t.C }

// Open starts the spool on db's buckets and marks jobs a crash interrupted
// as needs_confirmation. printers are the configured printers by name.
func Open(db Buckets, printers map[string]Printer, o Options) (*Spool, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 2000
	}
	if o.MaxJobBytes <= 0 {
		o.MaxJobBytes = 1 << 20
	}
	if o.KeepFinished <= 0 {
		o.KeepFinished = 2000
	}
	if o.IdlePoll <= 0 {
		o.IdlePoll = 30 * time.Second
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 60 * time.Second
	}
	if o.Clock == nil {
		o.Clock = clock.System
	}
	if o.NewTimer == nil {
		o.NewTimer = func() backoff.Timer { return &realTimer{} }
	}
	if o.NewBackOff == nil {
		clock := o.Clock
		o.NewBackOff = func() backoff.BackOff {
			b := backoff.NewExponentialBackOff(backoff.WithInitialInterval(500*time.Millisecond),
				backoff.WithRandomizationFactor(0.2), backoff.WithMultiplier(2),
				backoff.WithMaxInterval(30*time.Second), backoff.WithMaxElapsedTime(0))
			b.Clock = clock
			b.Reset()
			return b
		}
	}
	s := &Spool{db: db, printers: printers, o: o, logger: o.Logger.With("component", "spool"),
		status: map[string]*PrinterStatus{}, wake: map[string]chan struct{}{}}
	for name := range printers {
		s.wake[name] = make(chan struct{}, 1)
		s.status[name] = &PrinterStatus{Name: name, Device: devices.Status{Name: name, Kind: "printer", State: devices.StateReconnecting, Code: "printer.not_asked", Detail: "尚未查询 / not asked yet"}}
	}
	var interrupted []uint64
	err := db.Update(func(jobs, _ *bbolt.Bucket) error {
		now := o.Clock.Now()
		return eachJob(jobs, func(j *Job) (bool, error) {
			if j.State != Sending {
				return false, nil
			}
			j.State, j.Updated = NeedsConfirmation, now
			j.LastError = "程序在发送中途退出，无法确认是否已打印 / the agent stopped while sending; check whether the label printed"
			interrupted = append(interrupted, j.ID)
			return true, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("open print spool: %w", err)
	}
	for _, id := range interrupted {
		s.logger.Warn("print job interrupted mid-send needs confirmation", "job", id)
	}
	return s, nil
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// eachJob visits jobs in id order; fn returns true to write the job back.
func eachJob(jobs *bbolt.Bucket, fn func(*Job) (bool, error)) error {
	type upd struct {
		k []byte
		v []byte
	}
	var writes []upd
	err := jobs.ForEach(func(k, v []byte) error {
		var j Job
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("decode print job %x: %w", k, err)
		}
		changed, err := fn(&j)
		if err != nil || !changed {
			return err
		}
		b, err := json.Marshal(&j)
		writes = append(writes, upd{append([]byte(nil), k...), b})
		return err
	})
	if err != nil {
		return err
	}
	for _, w := range writes {
		if err := jobs.Put(w.k, w.v); err != nil {
			return err
		}
	}
	return nil
}

func getJob(jobs *bbolt.Bucket, id uint64) (Job, error) {
	v := jobs.Get(u64(id))
	if v == nil {
		return Job{}, fmt.Errorf("print job %d: %w", id, ErrNotFound)
	}
	var j Job
	if err := json.Unmarshal(v, &j); err != nil {
		return Job{}, fmt.Errorf("decode print job %d: %w", id, err)
	}
	return j, nil
}

func putJob(jobs *bbolt.Bucket, j *Job) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return jobs.Put(u64(j.ID), b)
}

// Enqueue stores a job for the named printer and returns its id. The job is
// durable when Enqueue returns.
func (s *Spool) Enqueue(printerName, title string, data []byte) (uint64, error) {
	return s.add(printerName, title, data, 0, "", Queued, "")
}

// Fail records a job for the named printer that could not be rendered:
// source is what the caller renders it from (kept as the job's Data) and
// cause says why it failed. The job is durable when Fail returns and is
// never sent; see Replace and Cancel.
func (s *Spool) Fail(printerName, title string, source []byte, cause error) (uint64, error) {
	why := "render failed"
	if cause != nil {
		why = cause.Error()
	}
	return s.add(printerName, title, source, 0, "", Failed, why)
}

// Replace queues data, rendered again from failed job id's source, as a new
// job that references it; the failed job becomes superseded.
func (s *Spool) Replace(id uint64, by, title string, data []byte) (uint64, error) {
	orig, err := s.resolve(id, by, Superseded, Failed)
	if err != nil {
		return 0, err
	}
	nid, err := s.add(orig.Printer, title, data, id, by, Queued, "")
	if err != nil {
		// Not replaced after all (a full queue): it stays the clerk's to solve.
		if _, rerr := s.resolve(id, "", Failed, Superseded); rerr != nil {
			s.logger.Error("restore failed print job", "job", id, "err", rerr)
		}
		return 0, err
	}
	return nid, nil
}

// Refail records that rendering failed job id again, and why.
func (s *Spool) Refail(id uint64, cause error) error {
	return s.db.Update(func(jobs, _ *bbolt.Bucket) error {
		j, err := getJob(jobs, id)
		if err != nil {
			return err
		}
		if j.State != Failed {
			return fmt.Errorf("print job %d is %s, want %s: %w", id, j.State, Failed, ErrWrongState)
		}
		j.Attempts++
		j.LastError, j.Updated = cause.Error(), s.o.Clock.Now()
		return putJob(jobs, &j)
	})
}

func (s *Spool) add(printerName, title string, data []byte, reprintOf uint64, by string, state State, why string) (uint64, error) {
	if _, ok := s.printers[printerName]; !ok {
		return 0, fmt.Errorf("enqueue print job: printer %q is not configured: use one of %s", printerName, strings.Join(s.names(), ", "))
	}
	if len(data) == 0 {
		return 0, fmt.Errorf("enqueue print job for %q: the job is empty", printerName)
	}
	if len(data) > s.o.MaxJobBytes {
		return 0, fmt.Errorf("enqueue print job for %q: %d bytes is over the %d byte limit: split the job", printerName, len(data), s.o.MaxJobBytes)
	}
	var id uint64
	err := s.db.Update(func(jobs, dataB *bbolt.Bucket) error {
		pending, finished := 0, []uint64{}
		if err := eachJob(jobs, func(j *Job) (bool, error) {
			if j.State.Finished() {
				finished = append(finished, j.ID)
			} else if j.Printer == printerName {
				pending++
			}
			return false, nil
		}); err != nil {
			return err
		}
		if pending >= s.o.MaxPending {
			return fmt.Errorf("%w: printer %q already holds %d unfinished jobs: fix the printer or cancel jobs, then try again", ErrFull, printerName, pending)
		}
		for len(finished) > s.o.KeepFinished {
			if err := jobs.Delete(u64(finished[0])); err != nil {
				return err
			}
			if err := dataB.Delete(u64(finished[0])); err != nil {
				return err
			}
			finished = finished[1:]
		}
		seq, err := jobs.NextSequence()
		if err != nil {
			return err
		}
		id = seq
		now := s.o.Clock.Now()
		j := Job{ID: id, Printer: printerName, Title: title, Size: len(data), State: state, ReprintOf: reprintOf, ResolvedBy: by, LastError: why, Created: now, Updated: now}
		if err := putJob(jobs, &j); err != nil {
			return err
		}
		return dataB.Put(u64(id), data)
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue print job for %q: %w", printerName, err)
	}
	s.kick(printerName)
	return id, nil
}

func (s *Spool) names() []string {
	out := make([]string, 0, len(s.printers))
	for n := range s.printers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Kick makes a held printer's worker ask again now, e.g. after the clerk
// loaded paper and pressed "retry".
func (s *Spool) Kick(printerName string) { s.kick(printerName) }

func (s *Spool) kick(name string) {
	if ch, ok := s.wake[name]; ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// resolve moves job id from one of the states in from to state to.
func (s *Spool) resolve(id uint64, by string, to State, from ...State) (Job, error) {
	var j Job
	err := s.db.Update(func(jobs, _ *bbolt.Bucket) error {
		var err error
		j, err = getJob(jobs, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, j.State) {
			return fmt.Errorf("print job %d is %s, want %v: %w", id, j.State, from, ErrWrongState)
		}
		j.State, j.Updated = to, s.o.Clock.Now()
		if by != "" {
			j.ResolvedBy = by
		}
		return putJob(jobs, &j)
	})
	return j, err
}

// ConfirmPrinted records that a clerk saw an unconfirmed job's label come out.
func (s *Spool) ConfirmPrinted(id uint64, by string) error {
	_, err := s.resolve(id, by, Printed, NeedsConfirmation)
	return err
}

// Cancel withdraws a job that has not printed.
func (s *Spool) Cancel(id uint64, by string) error {
	_, err := s.resolve(id, by, Cancelled, Queued, NeedsConfirmation, Failed)
	return err
}

// Reprint queues a new job with the same bytes that references id. An
// unconfirmed original becomes superseded; a printed one stays printed.
func (s *Spool) Reprint(id uint64, by string) (uint64, error) {
	orig, err := s.Job(id)
	if err != nil {
		return 0, err
	}
	switch orig.State {
	case NeedsConfirmation:
		if _, err := s.resolve(id, by, Superseded, NeedsConfirmation); err != nil {
			return 0, err
		}
	case Printed, Superseded:
	default:
		return 0, fmt.Errorf("reprint job %d: it is %s; only printed or unconfirmed jobs can be reprinted", id, orig.State)
	}
	return s.add(orig.Printer, "重印 / reprint #"+fmt.Sprint(id)+": "+orig.Title, orig.Data, id, by, Queued, "")
}

// Job returns one job with its bytes.
func (s *Spool) Job(id uint64) (Job, error) {
	var j Job
	err := s.db.View(func(jobs, data *bbolt.Bucket) error {
		var err error
		if j, err = getJob(jobs, id); err != nil {
			return err
		}
		j.Data = append([]byte(nil), data.Get(u64(id))...)
		return nil
	})
	return j, err
}

// Filter selects jobs for Jobs; zero values select everything.
type Filter struct {
	Printer string
	States  []State
	Limit   int // newest Limit jobs
}

// Jobs lists jobs oldest first, without their bytes.
func (s *Spool) Jobs(f Filter) ([]Job, error) {
	var out []Job
	err := s.db.View(func(jobs, _ *bbolt.Bucket) error {
		return eachJob(jobs, func(j *Job) (bool, error) {
			if (f.Printer == "" || j.Printer == f.Printer) && (len(f.States) == 0 || slices.Contains(f.States, j.State)) {
				out = append(out, *j)
			}
			return false, nil
		})
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, err
}

// Printers returns each configured printer's last known state and queue.
func (s *Spool) Printers() []PrinterStatus {
	counts := map[string][3]int{}
	jobs, err := s.Jobs(Filter{States: []State{Queued, Sending, NeedsConfirmation, Failed}})
	if err != nil {
		s.logger.Error("list print jobs for status", "err", err)
	}
	for _, j := range jobs {
		c := counts[j.Printer]
		switch j.State {
		case NeedsConfirmation:
			c[1]++
		case Failed:
			c[2]++
		default:
			c[0]++
		}
		counts[j.Printer] = c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []PrinterStatus
	for _, name := range s.names() {
		ps := *s.status[name]
		ps.Queued, ps.NeedsConfirmation, ps.Failed = counts[name][0], counts[name][1], counts[name][2]
		out = append(out, ps)
	}
	return out
}

func (s *Spool) setStatus(name string, r printer.Report, next time.Time) {
	st := r.DeviceStatus(name, "")
	if r.Primary() == printer.Offline {
		st.State = devices.StateReconnecting
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.status[name]
	if ps.Device.State == st.State && ps.Device.Detail == st.Detail {
		st.Since = ps.Device.Since
	}
	ps.Device, ps.Report, ps.NextTry = st, r, next
}

// Run drives every configured printer until ctx ends.
func (s *Spool) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for name, p := range s.printers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(ctx, name, p)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// next returns the printer's oldest queued job, with its bytes.
func (s *Spool) next(name string) (Job, bool, error) {
	var found *Job
	err := s.db.View(func(jobs, data *bbolt.Bucket) error {
		errStop := errors.New("stop")
		err := eachJob(jobs, func(j *Job) (bool, error) {
			if j.Printer == name && j.State == Queued {
				found = j
				return false, errStop
			}
			return false, nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
		if found != nil {
			found.Data = append([]byte(nil), data.Get(u64(found.ID))...)
		}
		return nil
	})
	if found == nil {
		return Job{}, false, err
	}
	return *found, true, err
}

// claim moves a queued job to sending; false if a clerk cancelled it meanwhile.
func (s *Spool) claim(id uint64) (bool, error) {
	_, err := s.resolve(id, "", Sending, Queued)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrWrongState) {
		return false, nil
	}
	return err == nil, err
}

func (s *Spool) finish(id uint64, to State, cause error) error {
	return s.db.Update(func(jobs, _ *bbolt.Bucket) error {
		j, err := getJob(jobs, id)
		if err != nil {
			return err
		}
		j.State, j.Updated = to, s.o.Clock.Now()
		if cause != nil {
			j.LastError = cause.Error()
			if to == Queued {
				j.Attempts++
			}
		}
		return putJob(jobs, &j)
	})
}

func (s *Spool) work(ctx context.Context, name string, p Printer) {
	logger := s.logger.With("printer", name)
	b := s.o.NewBackOff()
	timer := s.o.NewTimer()
	defer timer.Stop()
	wait := func(d time.Duration) bool {
		timer.Start(d)
		select {
		case <-ctx.Done():
			return false
		case <-timer.C():
		case <-s.wake[name]:
			timer.Stop()
		}
		return true
	}
	retry := func() bool {
		d := b.NextBackOff()
		if d == backoff.Stop {
			d = 30 * time.Second
		}
		s.mu.Lock()
		s.status[name].NextTry = s.o.Clock.Now().Add(d)
		s.mu.Unlock()
		return wait(d)
	}
	polled := false
	for ctx.Err() == nil {
		job, ok, err := s.next(name)
		if err != nil {
			logger.Error("read print spool", "err", err)
			if !retry() {
				return
			}
			continue
		}
		if !ok {
			if polled && !wait(s.o.IdlePoll) {
				return
			}
			if job, ok, _ = s.next(name); !ok {
				s.setStatus(name, p.Status(ctx), time.Time{})
				polled = true
				continue
			}
		}
		polled = false
		rep := p.Status(ctx)
		if !rep.Ready() {
			s.setStatus(name, rep, time.Time{})
			logger.Info("printer holds its jobs", "condition", rep.Primary(), "err", rep.Err)
			if !retry() {
				return
			}
			continue
		}
		s.setStatus(name, rep, time.Time{})
		claimed, err := s.claim(job.ID)
		if err != nil {
			logger.Error("mark print job sending", "job", job.ID, "err", err)
			if !retry() {
				return
			}
			continue
		}
		if !claimed {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, s.o.SendTimeout)
		perr := p.Print(sctx, job.Data)
		cancel()
		var to State
		switch {
		case perr == nil:
			to = Printed
			b.Reset()
		case printer.Resendable(perr):
			to = Queued
		default:
			to = NeedsConfirmation
		}
		if err := s.finish(job.ID, to, perr); err != nil {
			// The job stays "sending" on disk and becomes needs_confirmation
			// at the next Open: never resent blindly.
			logger.Error("record print job result", "job", job.ID, "state", to, "err", err)
			return
		}
		if perr != nil {
			logger.Warn("print job failed", "job", job.ID, "now", to, "err", perr)
			if to == Queued {
				s.setStatus(name, printer.Report{Conditions: []printer.Condition{printer.Offline}, Err: perr, At: s.o.Clock.Now()}, time.Time{})
				if !retry() {
					return
				}
			}
		}
	}
}
