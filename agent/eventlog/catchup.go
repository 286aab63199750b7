package eventlog

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Catching up: a data file restored from a backup (datafile.MarkRestored)
// may stop short of what the hub holds of its stream, because the PC it
// came from went on writing after the backup. A new event numbered after
// the file's last would take a sequence the hub holds with other content,
// a conflict. So until the hub has answered how far it holds the stream
// (syncproto.Own) and every event up to there is fetched back, appends are
// refused with sync.catching_up: seconds with head office reachable. The
// events fetched back are the outlet's own, already acknowledged: they go
// into the log as such and are folded into the projections by the
// appliers that fold head office's events (facts, not re-checked
// requests), and new events number after them.
//
// Only a file marked restored does this. A file that was not restored and
// hears the hub claim more than it wrote keeps its cursor and says so
// (Acknowledge): that is a reused outlet id or a copied directory, and
// skipping its own events would lose them.

// CatchingUp reports whether new events wait for the catch-up, and from
// which sequence on the log needs the hub's events.
func (l *Log) CatchingUp() (from uint64, ok bool) {
	last := l.lastSeq.Load()
	return last + 1, l.restored.Load() || l.hubHead.Load() > last
}

// HubHead is how far the hub holds this stream when that is beyond the
// log (0 when unknown or not beyond).
func (l *Log) HubHead() uint64 { return l.hubHead.Load() }

func (l *Log) catchingUpErr() error {
	if from, ok := l.CatchingUp(); ok {
		return catchingUp(from)
	}
	return nil
}

func catchingUp(from uint64) error { return problem.New(problem.SyncCatchingUp, "from", from) }

// AdoptOwn takes the hub's answer to a Fetch: the outlet's own events from
// o.From on, appended to the log as acknowledged and folded by appliers in
// the transaction that stores them, its dead letters recorded as such,
// and the hub's acknowledged sequence remembered. The restored mark goes
// with the first answer for this incarnation; new events are taken again
// once the log reaches the hub's acknowledged sequence. An answer for
// another stream is ignored; one that would leave a gap is refused (the
// caller fetches again from the log's end). It reports how many events
// were appended.
func (l *Log) AdoptOwn(o *syncproto.Own, appliers ...DownApplier) (int, error) {
	if o.Origin != l.outlet || o.Incarnation != l.Incarnation() {
		l.logger.Warn("ignoring fetched events of another stream", "origin", o.Origin, "incarnation", o.Incarnation)
		return 0, nil
	}
	if o.Error != nil {
		return 0, fmt.Errorf("head office refused the fetch: %s: %s", o.Error.Code, o.Error.Reason)
	}
	byseq := make(map[uint64]*syncproto.Event, len(o.Events))
	for i := range o.Events {
		byseq[o.Events[i].Seq] = &o.Events[i]
	}
	dead := make(map[uint64]syncproto.Rejection, len(o.Rejected))
	for _, r := range o.Rejected {
		dead[r.Seq] = r
	}
	var n int
	var last, acked, head, deadN uint64
	err := l.file.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(datafile.Meta)
		events, deadB := tx.Bucket(datafile.Events), tx.Bucket(datafile.Dead)
		last = datafile.GetU64(meta, datafile.KeyLastSeq)
		acked = datafile.GetU64(meta, datafile.KeyAckedSeq)
		deadN = datafile.GetU64(meta, datafile.KeyDeadCount)
		if o.From > last+1 {
			return fmt.Errorf("fetched events from %d would leave a gap after the log's %d", o.From, last)
		}
		stamp := hlc.Timestamp(datafile.GetU64(meta, datafile.KeyLastHLC))
		for seq := last + 1; seq <= o.Through; seq++ {
			if r, ok := dead[seq]; ok {
				raw, _ := json.Marshal(DeadLetter{Seq: seq, Code: r.Code, Reason: r.Reason, At: l.wall.Now().UTC()})
				if err := deadB.Put(datafile.U64Key(seq), raw); err != nil {
					return err
				}
				deadN++
				last = seq
				continue
			}
			ev, ok := byseq[seq]
			if !ok {
				break // the answer ends short; fetch again from here
			}
			if ev.Origin != l.outlet {
				return fmt.Errorf("fetched event %d has origin %q", seq, ev.Origin)
			}
			if err := syncproto.CheckEvent(ev); err != nil {
				return fmt.Errorf("fetched event %d: %w", seq, err)
			}
			raw, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			for _, a := range appliers {
				if err := a.ApplyDown(tx, ev, raw); err != nil {
					return fmt.Errorf("fold fetched event %d (%s): %w", seq, ev.Type, err)
				}
			}
			if err := events.Put(datafile.U64Key(seq), raw); err != nil {
				return err
			}
			// New events must order after this outlet's own earlier ones.
			l.AdoptHub(ev.HLC, o.HubTime)
			stamp = max(stamp, ev.HLC)
			last = seq
			n++
		}
		acked = max(acked, min(last, o.AckedSeq))
		head = max(datafile.GetU64(meta, datafile.KeyHubHead), o.AckedSeq)
		if head <= last {
			head = 0
		}
		for _, kv := range []struct {
			k []byte
			v uint64
		}{{datafile.KeyLastSeq, last}, {datafile.KeyAckedSeq, acked}, {datafile.KeyDeadCount, deadN}, {datafile.KeyLastHLC, uint64(stamp)}} {
			if err := datafile.PutU64(meta, kv.k, kv.v); err != nil {
				return err
			}
		}
		if head == 0 {
			if err := meta.Delete(datafile.KeyHubHead); err != nil {
				return err
			}
		} else if err := datafile.PutU64(meta, datafile.KeyHubHead, head); err != nil {
			return err
		}
		return meta.Delete(datafile.KeyRestored)
	})
	if err != nil {
		return 0, err
	}
	// The head before the log's end, so that no reader sees the catch-up
	// done before the events are counted.
	l.lastSeq.Store(last)
	l.ackedSeq.Store(acked)
	l.dead.Store(deadN)
	l.hubHead.Store(head)
	l.restored.Store(false)
	if _, ok := l.CatchingUp(); !ok && n > 0 {
		l.logger.Info("caught up with head office: new events number on from here", "last_seq", last)
	}
	return n, nil
}
