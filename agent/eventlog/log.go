// Package eventlog is the outlet's durable event log in bbolt: every business
// fact is appended as an immutable event with the next sequence number and an
// HLC stamp, its projections are written in the same transaction, and the
// caller hears back only after that transaction committed. Concurrent appends
// share one commit (group commit), which is what makes durable scans fast.
//
// The log is also the uplink outbox: events above the acknowledged cursor are
// what remains to send. See buckets.go for the file layout.
package eventlog

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// FileName is the data file inside the agent's data directory.
const FileName = "agent.db"

// maxGroup bounds how many appends share one commit, so one commit never
// holds a huge transaction.
const maxGroup = 1024

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("event log is closed")

// Projector folds an event into projection buckets inside the append
// transaction. It must check everything before it writes: an error rejects
// that one append, and the others in the group still commit.
type Projector interface {
	Project(tx *bolt.Tx, ev *syncproto.Event) error
}

// Options configure Open.
type Options struct {
	Outlet string
	// Now is the physical clock for HLC stamps; time.Now if nil.
	Now        func() time.Time
	Projectors []Projector
	Logger     *slog.Logger
	// NoSync skips fsync. Only for benchmarks that want an upper bound.
	NoSync bool
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
	db     *bolt.DB
	outlet string
	clock  *hlc.Clock
	proj   []Projector
	log    *slog.Logger

	reqs    chan *appendReq
	closing chan struct{}
	done    chan struct{}
	closeMu sync.RWMutex
	closed  bool

	lastSeq  atomic.Uint64
	ackedSeq atomic.Uint64
	dead     atomic.Uint64
	downCur  atomic.Uint64
	notify   chan struct{}
}

type appendReq struct {
	d   Draft
	ev  syncproto.Event
	err error
	ok  chan struct{}
}

// Open opens or creates the log in dir. A second process on the same
// directory fails at once with a clear error instead of waiting on the lock.
func Open(dir string, o Options) (*Log, error) {
	if err := syncproto.ValidOutletID(o.Outlet); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      200 * time.Millisecond,
		FreelistType: bolt.FreelistMapType,
		NoSync:       o.NoSync,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("data directory %s is in use by another yizhan-agent: stop it first, or give this one its own --data", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	l := &Log{
		db: db, outlet: o.Outlet, proj: o.Projectors, log: o.Logger,
		reqs: make(chan *appendReq, maxGroup), closing: make(chan struct{}), done: make(chan struct{}),
		notify: make(chan struct{}, 1),
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.proj = append([]Projector{parcelProjector{}}, l.proj...)
	var floor hlc.Timestamp
	err = db.Update(func(tx *bolt.Tx) error {
		if err := migrate(tx); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		switch have := string(meta.Get(keyOutlet)); have {
		case "":
			if err := meta.Put(keyOutlet, []byte(o.Outlet)); err != nil {
				return err
			}
		case o.Outlet:
		default:
			return fmt.Errorf("data directory %s belongs to outlet %s, not %s: use that outlet id or another --data", dir, have, o.Outlet)
		}
		l.lastSeq.Store(getU64(meta, keyLastSeq))
		l.ackedSeq.Store(getU64(meta, keyAckedSeq))
		l.dead.Store(getU64(meta, keyDeadCount))
		l.downCur.Store(getU64(meta, keyDownCursor))
		floor = hlc.Timestamp(getU64(meta, keyLastHLC))
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	l.clock = hlc.New(o.Now, floor)
	go l.committer()
	return l, nil
}

// DB exposes the bbolt handle for packages that keep their own buckets in
// the same file (the print spool). They must not touch this package's buckets.
func (l *Log) DB() *bolt.DB { return l.db }

// Outlet is the origin of this log's events.
func (l *Log) Outlet() string { return l.outlet }

// Clock is the log's HLC; the sync client feeds it hub stamps.
func (l *Log) Clock() *hlc.Clock { return l.clock }

// Close waits for queued appends to commit, then closes the file.
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
	return l.db.Close()
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
	err := l.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		events := tx.Bucket(bucketEvents)
		seq := getU64(meta, keyLastSeq)
		var stamp hlc.Timestamp
		for _, r := range group {
			r.err = nil
			ev := syncproto.Event{
				ID: newID(), Origin: l.outlet, Seq: seq + 1, HLC: l.clock.Now(),
				Actor: r.d.Actor, Type: r.d.Type, V: r.d.V, Subject: r.d.Subject, Payload: r.d.Payload,
			}
			if err := syncproto.CheckEvent(&ev); err != nil {
				r.err = err
				continue
			}
			if err := l.project(tx, &ev); err != nil {
				r.err = err
				continue
			}
			raw, err := json.Marshal(&ev)
			if err != nil {
				r.err = err
				continue
			}
			if err := events.Put(u64Key(ev.Seq), raw); err != nil {
				return err
			}
			seq, stamp = ev.Seq, ev.HLC
			r.ev = ev
		}
		last = seq
		if stamp == 0 {
			return nil
		}
		if err := putU64(meta, keyLastSeq, seq); err != nil {
			return err
		}
		return putU64(meta, keyLastHLC, uint64(stamp))
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
		l.log.Error("event log commit failed; nothing in this group was saved", "events", len(group), "err", err)
		return
	}
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *Log) project(tx *bolt.Tx, ev *syncproto.Event) error {
	for _, p := range l.proj {
		if err := p.Project(tx, ev); err != nil {
			return err
		}
	}
	return nil
}

func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

func u64Key(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func getU64(b *bolt.Bucket, k []byte) uint64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putU64(b *bolt.Bucket, k []byte, v uint64) error { return b.Put(k, u64Key(v)) }
