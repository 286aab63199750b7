package eventlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// Counters is a consistent-enough snapshot for status pages.
type Counters struct {
	LastSeq    uint64 `json:"last_seq"`
	AckedSeq   uint64 `json:"acked_seq"`
	Backlog    uint64 `json:"backlog"`
	DeadLetter uint64 `json:"dead_letters"`
	DownCursor uint64 `json:"down_cursor"`
	// CatchingUpFrom is set while a restored file takes no new events:
	// the first sequence it still needs from the hub (catchup.go); HubHead
	// is how far the hub holds the stream, once it has said.
	CatchingUpFrom uint64 `json:"catching_up_from,omitempty"`
	HubHead        uint64 `json:"hub_head,omitempty"`
	// PrunedSeq: the log holds PrunedSeq+1..LastSeq; retention removed
	// the acknowledged events before.
	PrunedSeq uint64 `json:"pruned_seq,omitempty"`
}

// Counters reads the in-memory mirrors of the cursors; no disk access.
func (l *Log) Counters() Counters {
	c := Counters{LastSeq: l.lastSeq.Load(), AckedSeq: l.ackedSeq.Load(), DeadLetter: l.dead.Load(), DownCursor: l.downCur.Load(), PrunedSeq: l.prunedSeq.Load()}
	if c.LastSeq > c.AckedSeq {
		c.Backlog = c.LastSeq - c.AckedSeq
	}
	if from, ok := l.CatchingUp(); ok {
		c.CatchingUpFrom, c.HubHead = from, l.hubHead.Load()
	}
	return c
}

// ReadRaw returns the stored JSON of events from seq on, at most maxN events
// and, past the first, at most maxBytes in total. The slices are copies.
func (l *Log) ReadRaw(from uint64, maxN, maxBytes int) ([][]byte, error) {
	var out [][]byte
	err := l.file.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(datafile.Events).Cursor()
		size := 0
		for k, v := c.Seek(datafile.U64Key(from)); k != nil && len(out) < maxN; k, v = c.Next() {
			if len(out) > 0 && size+len(v) > maxBytes {
				break
			}
			out = append(out, append([]byte(nil), v...))
			size += len(v)
		}
		return nil
	})
	return out, err
}

// DeadLetter is an event the hub refused, kept with its reason.
type DeadLetter struct {
	Seq    uint64          `json:"seq"`
	Code   string          `json:"code"`
	Reason string          `json:"reason"`
	At     time.Time       `json:"at"`
	Event  json.RawMessage `json:"event,omitempty"`
}

// Acknowledge records the hub's acknowledgement: events it refused become
// dead letters, and the uplink cursor moves to acked. It never moves back.
func (l *Log) Acknowledge(acked uint64, rejected []syncproto.Rejection) error {
	if acked <= l.ackedSeq.Load() && len(rejected) == 0 {
		return nil
	}
	var dead, cur uint64
	var written []int64 // wall ms of the stamps of the events acknowledged now
	err := l.file.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(datafile.Meta)
		deadB := tx.Bucket(datafile.Dead)
		events := tx.Bucket(datafile.Events)
		dead = datafile.GetU64(meta, datafile.KeyDeadCount)
		last := datafile.GetU64(meta, datafile.KeyLastSeq)
		for _, r := range rejected {
			if r.Seq == 0 || r.Seq > last || deadB.Get(datafile.U64Key(r.Seq)) != nil {
				continue
			}
			raw, _ := json.Marshal(DeadLetter{Seq: r.Seq, Code: r.Code, Reason: r.Reason, At: l.wall.Now().UTC(),
				Event: append([]byte(nil), events.Get(datafile.U64Key(r.Seq))...)})
			if err := deadB.Put(datafile.U64Key(r.Seq), raw); err != nil {
				return err
			}
			dead++
		}
		if err := datafile.PutU64(meta, datafile.KeyDeadCount, dead); err != nil {
			return err
		}
		cur = datafile.GetU64(meta, datafile.KeyAckedSeq)
		if acked > last {
			// The hub claims more than we ever wrote. A restored backup
			// fetches the rest back (catchup.go); otherwise it is a reused
			// outlet id or a copied directory: never skip local events
			// because of it.
			if meta.Get(datafile.KeyRestored) == nil && datafile.GetU64(meta, datafile.KeyHubHead) <= last {
				l.logger.Error("hub acknowledged events this outlet never wrote; keeping the local cursor", "hub_acked", acked, "last_seq", last)
			}
			acked = cur
		}
		if acked > cur {
			if l.ackLat != nil {
				written = ackedStamps(events, cur, acked)
			}
			cur = acked
			return datafile.PutU64(meta, datafile.KeyAckedSeq, acked)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save hub acknowledgement: %w", err)
	}
	if len(written) > 0 {
		now := l.wall.Now().UnixMilli()
		for _, ms := range written {
			l.ackLat.Observe(float64(max(now-ms, 0)) / 1000)
		}
	}
	l.dead.Store(dead)
	if cur > l.ackedSeq.Load() {
		l.ackedSeq.Store(cur)
	}
	return nil
}

// maxAckObserved bounds the events one ack adds to the ack latency: an
// ack that jumps over a whole restored log must not decode it all inside
// the write transaction. The newest of them are observed.
const maxAckObserved = 4096

// ackedStamps are the wall times (Unix ms) of the stamps of events from+1
// to to (at most the newest maxAckObserved), for the ack latency. Only the
// stamp is decoded.
func ackedStamps(events *bolt.Bucket, from, to uint64) []int64 {
	from = max(from, to-min(to, maxAckObserved))
	out := make([]int64, 0, to-from)
	c, last := events.Cursor(), datafile.U64Key(to)
	for k, v := c.Seek(datafile.U64Key(from + 1)); k != nil && bytes.Compare(k, last) <= 0; k, v = c.Next() {
		if ts := stampOf(v); ts != 0 {
			out = append(out, ts.WallMillis())
		}
	}
	return out
}

// hlcField is how the log writes an event's stamp: json.Marshal of
// syncproto.Event puts it after id, origin and seq, whose values cannot
// hold it, and before anything free-form.
var hlcField = []byte(`"hlc":`)

// stampOf reads an event's stamp from its stored JSON without decoding the
// rest: decoding whole events cost about 16 µs each, most of an ack's time.
// 0 when the stamp is not where the log writes it (then json decides).
func stampOf(raw []byte) hlc.Timestamp {
	i := bytes.Index(raw, hlcField)
	if i < 0 {
		var e struct {
			HLC hlc.Timestamp `json:"hlc"`
		}
		_ = json.Unmarshal(raw, &e)
		return e.HLC
	}
	var ts uint64
	digits := 0
	for _, b := range raw[i+len(hlcField):] {
		if b < '0' || b > '9' || digits == 20 {
			break
		}
		ts, digits = ts*10+uint64(b-'0'), digits+1
	}
	return hlc.Timestamp(ts)
}

// DeadLetters lists refused events, newest first, at most n.
func (l *Log) DeadLetters(n int) ([]DeadLetter, error) {
	var out []DeadLetter
	err := l.file.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(datafile.Dead).Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			var d DeadLetter
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// DownApplier folds a downlink event into local state inside the transaction
// that records it, so a crash never applies one twice or loses one. raw is
// the event's JSON as down/ stores it.
type DownApplier interface {
	ApplyDown(tx *bolt.Tx, ev *syncproto.Event, raw []byte) error
}

// ApplyDown stores the downlink events of d that are new here and moves the
// downlink cursor to d.Through, all in one transaction. A Down whose From is
// beyond the cursor would leave a gap, so it is refused (the caller pulls
// again from the cursor). It reports how many events were new.
func (l *Log) ApplyDown(d *syncproto.Down, appliers ...DownApplier) (int, error) {
	var n int
	var cur uint64
	err := l.file.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(datafile.Meta)
		down := tx.Bucket(datafile.Down)
		cur = datafile.GetU64(meta, datafile.KeyDownCursor)
		if d.From > cur {
			return fmt.Errorf("downlink from %d is past the local cursor %d", d.From, cur)
		}
		if d.Through <= cur {
			return nil
		}
		for i := range d.Events {
			ev := &d.Events[i]
			if ev.Seq <= cur || ev.Seq > d.Through || down.Get(datafile.U64Key(ev.Seq)) != nil {
				continue
			}
			if ev.Origin != syncproto.HubOrigin || (ev.Target != syncproto.TargetAll && ev.Target != l.outlet) {
				l.logger.Warn("ignoring downlink event not meant for this outlet", "seq", ev.Seq, "origin", ev.Origin, "target", ev.Target)
				continue
			}
			if err := syncproto.CheckEvent(ev); err != nil {
				// Nothing could fold it; the cursor moves on past it.
				l.logger.Error("refusing a downlink event the contract refuses", "seq", ev.Seq, "type", ev.Type, "err", err)
				l.refusedDown.Add(1)
				continue
			}
			// Steps taken here from now on must order after what head office
			// did, unless its stamp lies beyond the hub time it came with.
			l.AdoptHub(ev.HLC, d.HubTime)
			raw, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			if err := down.Put(datafile.U64Key(ev.Seq), raw); err != nil {
				return err
			}
			for _, a := range appliers {
				if err := a.ApplyDown(tx, ev, raw); err != nil {
					return fmt.Errorf("apply downlink event %d (%s): %w", ev.Seq, ev.Type, err)
				}
			}
			n++
		}
		cur = d.Through
		return datafile.PutU64(meta, datafile.KeyDownCursor, cur)
	})
	if err != nil {
		return 0, err
	}
	l.downCur.Store(cur)
	return n, nil
}

// AdoptHub merges a stamp from the hub into the log's clock if it lies at
// most MaxSkew ahead of hubMillis, the hub time that came with it (this
// PC's clock if the hub sent none). It reports whether it did: a stamp
// beyond never moves this outlet's clock, so one outlet's wrong clock that
// reached the hub cannot move this one's.
func (l *Log) AdoptHub(stamp hlc.Timestamp, hubMillis int64) bool {
	trusted := l.wall.Now()
	if hubMillis > 0 {
		trusted = time.UnixMilli(hubMillis)
	}
	_, ok := l.clock.ObserveWithin(stamp, trusted, l.maxSkew)
	if !ok && stamp != 0 {
		l.logger.Warn("not adopting a hub stamp beyond hub time plus the skew bound", "stamp", stamp.String(), "hub_time", trusted.UTC().Format(time.RFC3339))
	}
	return ok
}

// MaxSkew is the bound AdoptHub applies; the sync status uses it to tell
// a clock problem.
func (l *Log) MaxSkew() time.Duration { return l.maxSkew }

// RefusedDown counts downlink events refused since start.
func (l *Log) RefusedDown() uint64 { return l.refusedDown.Load() }

// DownEvents lists applied downlink events, newest first, at most n.
func (l *Log) DownEvents(n int) ([]syncproto.Event, error) {
	var out []syncproto.Event
	err := l.file.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(datafile.Down).Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			var ev syncproto.Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

// SaveHubOffset remembers the hub clock correction, hub time less this
// PC's in milliseconds, across restarts. Milliseconds, not a Duration: a
// PC set centuries off is past what a Duration holds.
func (l *Log) SaveHubOffset(offsetMS int64) error {
	return l.file.Update(func(tx *bolt.Tx) error {
		return datafile.PutU64(tx.Bucket(datafile.Meta), datafile.KeyHubOffset, uint64(offsetMS))
	})
}

// HubOffset is the last saved hub clock correction in milliseconds.
func (l *Log) HubOffset() (offsetMS int64, known bool) {
	_ = l.file.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(datafile.Meta).Get(datafile.KeyHubOffset)
		if len(v) == 8 {
			offsetMS, known = int64(datafile.GetU64(tx.Bucket(datafile.Meta), datafile.KeyHubOffset)), true
		}
		return nil
	})
	return offsetMS, known
}

// OldestUnacked is the wall time (Unix ms) of the stamp of the oldest
// event the hub has not acknowledged; ok is false when every event is.
// Head office shows it as the outlet's oldest unsynced event.
func (l *Log) OldestUnacked() (ms int64, ok bool, err error) {
	c := l.Counters()
	if c.LastSeq <= c.AckedSeq {
		return 0, false, nil
	}
	err = l.file.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(datafile.Events).Get(datafile.U64Key(c.AckedSeq + 1))
		if raw == nil {
			return nil
		}
		var e struct {
			HLC hlc.Timestamp `json:"hlc"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("event %d: %w", c.AckedSeq+1, err)
		}
		ms, ok = e.HLC.WallMillis(), true
		return nil
	})
	return ms, ok, err
}
