// Package eventlog is the outlet's durable event log in bbolt: every business
// fact is appended as an immutable event with the next sequence number and an
// HLC stamp, its projections are written in the same transaction, and the
// caller hears back only after that transaction committed. Concurrent appends
// share one commit (group commit), which is what makes durable scans fast.
//
// The log is also the uplink outbox: events above the acknowledged cursor are
// what remains to send. It stores events, cursors, dead letters and the
// downlink log, nothing about what the events mean: projections (a parcel's
// state) belong to their owners and are passed in. It lives in the agent's
// data file, which agent/datafile opens and lays out.
package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// maxGroup bounds how many appends share one commit, so one commit never
// holds a huge transaction.
const maxGroup = 1024

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("event log is closed")

// Projector folds an event into projection buckets inside the append
// transaction. It must check everything before it writes: an error rejects
// that one append, and the others in the group still commit. raw is the
// event's JSON as the log stores it, so a projection that keeps the event
// too need not encode it again.
type Projector interface {
	Project(tx *bolt.Tx, ev *syncproto.Event, raw []byte) error
}

// Options configure Open.
type Options struct {
	// Clock is the physical clock for HLC stamps; clock.System if nil.
	Clock clock.Clock
	// MaxSkew is how far ahead of the hub time it came with a hub stamp
	// may lie and still be adopted into this log's clock (hlc.Adoptable);
	// hlc.DefaultMaxSkew if zero.
	MaxSkew    time.Duration
	Projectors []Projector
	Logger     *slog.Logger
	// AckLatency, if set, is told for each event the hub acknowledges how
	// long ago it was written, in seconds (by its stamp and this PC's
	// clock): a Prometheus histogram on /metrics.
	AckLatency Observer
}

// Observer takes one measurement; prometheus.Histogram is one.
type Observer interface {
	Observe(float64)
}

// Draft is what a caller asks to append; the log fills in the rest.
type Draft struct {
	Actor   string
	Type    string
	V       int
	Subject string
	Payload json.RawMessage
}

// Log is an open event log.
type Log struct {
	file    *datafile.File
	outlet  string
	clock   *hlc.Clock
	wall    clock.Clock
	maxSkew time.Duration
	proj    []Projector
	logger  *slog.Logger
	ackLat  Observer

	reqs    chan *appendReq
	closing chan struct{}
	done    chan struct{}
	closeMu sync.RWMutex
	closed  bool

	lastSeq  atomic.Uint64
	ackedSeq atomic.Uint64
	// restored and hubHead mirror meta's restored and hub_head: while
	// either says the hub may hold more of this stream than the log, new
	// events wait (catchup.go).
	restored atomic.Bool
	hubHead  atomic.Uint64
	dead     atomic.Uint64
	downCur  atomic.Uint64
	// prunedSeq: events/ holds prunedSeq+1..lastSeq (Prune).
	prunedSeq atomic.Uint64
	// refusedDown counts downlink events CheckEvent refused since start.
	refusedDown atomic.Uint64
	notify      chan struct{}
}

type appendReq struct {
	d   Draft
	ev  syncproto.Event
	err error
	ok  chan struct{}
}

// Open starts the event log in an open data file, which must belong to an
// outlet (datafile.Options.Outlet). Close it before the file.
func Open(f *datafile.File, o Options) (*Log, error) {
	if f.Outlet() == "" {
		return nil, fmt.Errorf("data directory %s belongs to no outlet: open it with the outlet id", f.Dir())
	}
	l := &Log{
		file: f, outlet: f.Outlet(), proj: o.Projectors, logger: o.Logger, ackLat: o.AckLatency,
		reqs: make(chan *appendReq, maxGroup), closing: make(chan struct{}), done: make(chan struct{}),
		notify: make(chan struct{}, 1),
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	l.wall, l.maxSkew = o.Clock, o.MaxSkew
	if l.wall == nil {
		l.wall = clock.System
	}
	if l.maxSkew <= 0 {
		l.maxSkew = hlc.DefaultMaxSkew
	}
	var floor hlc.Timestamp
	var ownWall, hubAhead int64
	err := f.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(datafile.Meta)
		l.lastSeq.Store(datafile.GetU64(meta, datafile.KeyLastSeq))
		l.ackedSeq.Store(datafile.GetU64(meta, datafile.KeyAckedSeq))
		l.dead.Store(datafile.GetU64(meta, datafile.KeyDeadCount))
		l.downCur.Store(datafile.GetU64(meta, datafile.KeyDownCursor))
		l.restored.Store(meta.Get(datafile.KeyRestored) != nil)
		l.hubHead.Store(datafile.GetU64(meta, datafile.KeyHubHead))
		l.prunedSeq.Store(datafile.GetU64(meta, datafile.KeyPrunedSeq))
		floor = hlc.Timestamp(datafile.GetU64(meta, datafile.KeyLastHLC))
		ownWall = int64(datafile.GetU64(meta, datafile.KeyLastWall))
		if len(meta.Get(datafile.KeyHubOffset)) == 8 {
			hubAhead = max(int64(datafile.GetU64(meta, datafile.KeyHubOffset)), 0)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A floor beyond anything this PC's clock has read (and the hub's, when
	// that runs ahead of it), plus the bound, came from a stamp an older
	// version adopted from another PC's wrong clock. Keeping it would stamp
	// every event here with that PC's year.
	trusted := time.UnixMilli(max(ownWall, l.wall.Now().UnixMilli()) + hubAhead)
	if !hlc.Adoptable(floor, trusted, l.maxSkew) {
		l.logger.Warn("dropping a clock floor beyond this PC's clock: it came from another PC's wrong clock; events from now on carry this PC's time",
			"floor", floor.String(), "pc_clock", trusted.UTC().Format(time.RFC3339))
		floor = hlc.Make(trusted.UnixMilli(), 0)
	}
	l.clock = hlc.New(l.wall, floor)
	if from, ok := l.CatchingUp(); ok {
		l.logger.Warn("this data file was restored from a backup: new events wait until head office has said how far it holds this outlet's stream and its events after the backup are fetched back",
			"from", from, "incarnation", f.Incarnation())
	}
	go l.committer()
	return l, nil
}

// Outlet is the origin of this log's events.
func (l *Log) Outlet() string { return l.outlet }

// Incarnation is the data directory's identity, which the uplink carries.
func (l *Log) Incarnation() string { return l.file.Incarnation() }

// Clock is the log's HLC; the sync client feeds it hub stamps.
func (l *Log) Clock() *hlc.Clock { return l.clock }

// Close waits for queued appends to commit. The data file stays open.
func (l *Log) Close() error {
	l.closeMu.Lock()
	if l.closed {
		l.closeMu.Unlock()
		return nil
	}
	l.closed = true
	close(l.closing)
	l.closeMu.Unlock()
	<-l.done
	return nil
}

// Appended returns a channel that receives a value after new events commit.
// It has one reader: the uplink sender.
func (l *Log) Appended() <-chan struct{} { return l.notify }

// Append adds one event and returns it after the transaction that holds it,
// its projections and its outbox position has committed to disk.
func (l *Log) Append(ctx context.Context, d Draft) (syncproto.Event, error) {
	if d.V == 0 {
		d.V = 1
	}
	if d.Payload == nil {
		d.Payload = json.RawMessage("{}")
	}
	if err := l.catchingUpErr(); err != nil {
		return syncproto.Event{}, err
	}
	r := &appendReq{d: d, ok: make(chan struct{})}
	l.closeMu.RLock()
	if l.closed {
		l.closeMu.RUnlock()
		return syncproto.Event{}, ErrClosed
	}
	select {
	case l.reqs <- r:
	case <-ctx.Done():
		l.closeMu.RUnlock()
		return syncproto.Event{}, ctx.Err()
	}
	l.closeMu.RUnlock()
	// Once queued, wait for the outcome even if ctx ends: the event may be
	// committing and the caller must not be told it failed.
	<-r.ok
	return r.ev, r.err
}

func (l *Log) committer() {
	defer close(l.done)
	group := make([]*appendReq, 0, maxGroup)
	for {
		select {
		case r := <-l.reqs:
			group = append(group[:0], r)
		case <-l.closing:
			for {
				select {
				case r := <-l.reqs:
					l.commit([]*appendReq{r})
				default:
					return
				}
			}
		}
	fill:
		for len(group) < maxGroup {
			select {
			case r := <-l.reqs:
				group = append(group, r)
			default:
				break fill
			}
		}
		l.commit(group)
	}
}

func (l *Log) commit(group []*appendReq) {
	var last uint64
	err := l.file.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(datafile.Meta)
		events := tx.Bucket(datafile.Events)
		seq := datafile.GetU64(meta, datafile.KeyLastSeq)
		// Read in the transaction that would number the events: a catch-up
		// that began after these were queued still stops them.
		holding := meta.Get(datafile.KeyRestored) != nil || datafile.GetU64(meta, datafile.KeyHubHead) > seq
		var stamp hlc.Timestamp
		for _, r := range group {
			r.err = nil
			if holding {
				r.err = catchingUp(seq + 1)
				continue
			}
			ev := syncproto.Event{
				ID: syncproto.NewID(), Origin: l.outlet, Seq: seq + 1, HLC: l.clock.Now(),
				Actor: r.d.Actor, Type: r.d.Type, V: r.d.V, Subject: r.d.Subject, Payload: r.d.Payload,
			}
			if err := syncproto.CheckEvent(&ev); err != nil {
				r.err = err
				continue
			}
			raw, err := json.Marshal(&ev)
			if err != nil {
				r.err = err
				continue
			}
			if err := l.project(tx, &ev, raw); err != nil {
				r.err = err
				continue
			}
			if err := events.Put(datafile.U64Key(ev.Seq), raw); err != nil {
				return err
			}
			seq, stamp = ev.Seq, ev.HLC
			r.ev = ev
		}
		last = seq
		if stamp == 0 {
			return nil
		}
		if err := datafile.PutU64(meta, datafile.KeyLastSeq, seq); err != nil {
			return err
		}
		// What this PC's clock has read, for Open to tell a floor it made
		// from one it was handed.
		if wall := uint64(max(l.wall.Now().UnixMilli(), 0)); wall > datafile.GetU64(meta, datafile.KeyLastWall) {
			if err := datafile.PutU64(meta, datafile.KeyLastWall, wall); err != nil {
				return err
			}
		}
		return datafile.PutU64(meta, datafile.KeyLastHLC, uint64(stamp))
	})
	// Counters move before anyone hears back, so a caller never sees its own
	// event missing from them.
	if err == nil && last > l.lastSeq.Load() {
		l.lastSeq.Store(last)
	}
	for _, r := range group {
		if err != nil {
			r.err = fmt.Errorf("save event: %w", err)
			r.ev = syncproto.Event{}
		}
		close(r.ok)
	}
	if err != nil {
		l.logger.Error("event log commit failed; nothing in this group was saved", "events", len(group), "err", err)
		return
	}
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *Log) project(tx *bolt.Tx, ev *syncproto.Event, raw []byte) error {
	for _, p := range l.proj {
		if err := p.Project(tx, ev, raw); err != nil {
			return err
		}
	}
	return nil
}
