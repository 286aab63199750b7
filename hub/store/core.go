package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/purge"
)

// Options tune a Core.
type Options struct {
	// Clock is the wall clock; clock.System if nil.
	Clock clock.Clock
	// MaxSkew is how far ahead of the time it arrives an outlet's stamp
	// may lie before the event is flagged and folded at hlc.Capped of its
	// arrival; hlc.DefaultMaxSkew if zero. The hub's ingest uses the same.
	MaxSkew time.Duration
	// Retries is how many times a transaction another writer broke
	// (Backend.Retryable) runs again before its error is returned.
	// Default 5.
	Retries int
	// Limits are head office's deadline settings the case rows' deadlines
	// (Case.Due) are computed with; zero fields are the defaults.
	Limits lifecycle.Limits
	// Location is the hub's time zone, whose days the rollups count in
	// (hub/config's [measures] timezone); UTC if nil.
	Location *time.Location
}

// Core is a Store: the commit semantics of the package comment, written
// once over a Backend's statements and locks.
type Core struct {
	Backend
	clock   clock.Clock
	maxSkew time.Duration
	retries int
	limits  lifecycle.Limits
	loc     *time.Location
	// maxPerOutlet caps a notice's start messages per outlet (0: none).
	maxPerOutlet atomic.Int64
}

var _ Store = (*Core)(nil)

// New returns the Store of b.
func New(b Backend, opt Options) *Core {
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	if opt.MaxSkew <= 0 {
		opt.MaxSkew = hlc.DefaultMaxSkew
	}
	if opt.Retries <= 0 {
		opt.Retries = 5
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	return &Core{Backend: b, clock: opt.Clock, maxSkew: opt.MaxSkew, retries: opt.Retries, limits: opt.Limits, loc: opt.Location}
}

// SetMaxPerOutlet caps the start messages a notice sends at one outlet
// from now on ([gateway] max_per_outlet; 0 for no cap). A hub sets it at
// start, before it appends anything.
func (s *Core) SetMaxPerOutlet(n int) { s.maxPerOutlet.Store(int64(max(n, 0))) }

// MaxPerOutlet is the cap SetMaxPerOutlet set.
func (s *Core) MaxPerOutlet() int { return int(s.maxPerOutlet.Load()) }

// Location is the time zone the rollups' days are counted in.
func (s *Core) Location() *time.Location { return s.loc }

// inTx runs f in a transaction, again if another writer broke it.
func (s *Core) inTx(ctx context.Context, f func(Tx) error) error {
	for attempt := 0; ; attempt++ {
		tx, err := s.Begin(ctx)
		if err != nil {
			if attempt < s.retries && s.Retryable(err) {
				continue
			}
			return err
		}
		err = f(tx)
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
		if err == nil || attempt >= s.retries || !s.Retryable(err) {
			return err
		}
	}
}

// outletState is one outlet's stream while a group transaction runs.
type outletState struct {
	Stream
	pending bool // pending ranges may exist for its epoch
	// clock: the newest stamp of its last new batch less the time it
	// arrived, and how many of its events lay beyond the skew bound.
	clockSet bool
	offsetMS int64
	skewed   int64
}

// CaseKey names one entity of the case list.
type CaseKey struct{ Kind, ID string }

// commitTx is one group commit's transaction and what it gathers.
type commitTx struct {
	s       *Core
	ctx     context.Context
	tx      Tx
	now     int64
	nowT    time.Time
	counts  map[string]uint64
	touched map[CaseKey]bool
	// parcels are the parcel events this commit made visible, by outlet
	// and waybill: the index rows to refresh.
	parcels map[string]map[string][]syncproto.Event
	// shown are the events this transaction made visible, once each
	// (fresh ones and released ones may overlap), for the rollups.
	shown   []syncproto.Event
	shownAt map[EventKey]bool
}

// show records that e became visible in this transaction.
func (c *commitTx) show(e syncproto.Event, epoch uint64) {
	k := EventKey{Origin: e.Origin, Epoch: epoch, Seq: e.Seq}
	if !c.shownAt[k] {
		c.shownAt[k] = true
		c.shown = append(c.shown, e)
	}
}

// Commit implements Store with the semantics of the package comment.
func (s *Core) Commit(ctx context.Context, units []Unit) (res []Result, err error) {
	// Read before the transaction: a change another hub makes meanwhile
	// reaches the next commit, and Reclassify after it fixes the rest.
	cs, err := ReadClassSettings(ctx, s)
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx Tx) error {
		res, err = s.commit(ctx, tx, units, cs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Core) commit(ctx context.Context, tx Tx, units []Unit, cs ClassSettings) ([]Result, error) {
	nowT := s.clock.Now()
	c := &commitTx{s: s, ctx: ctx, tx: tx, now: nowT.UnixMilli(), nowT: nowT, counts: map[string]uint64{}, touched: map[CaseKey]bool{}, parcels: map[string]map[string][]syncproto.Event{}, shownAt: map[EventKey]bool{}}

	// Lock every outlet the group writes, in id order, before any work.
	var ids []string
	for _, u := range units {
		if u.Pull != nil {
			ids = append(ids, u.Pull.Origin)
		}
		if u.Batch != nil {
			ids = append(ids, u.Batch.Origin)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	states := make(map[string]*outletState, len(ids))
	for _, id := range ids {
		st, err := tx.LockOutlet(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("read outlet %s: %w", id, err)
		}
		o := &outletState{Stream: st}
		if o.pending, err = tx.HasPending(ctx, id, st.Epoch); err != nil {
			return nil, fmt.Errorf("read pending ranges of %s: %w", id, err)
		}
		states[id] = o
	}

	res := make([]Result, len(units))
	origins := make([]string, len(units))
	for i, u := range units {
		for k, n := range u.Count {
			c.counts[k] += n
		}
		if p := u.Pull; p != nil {
			o := states[p.Origin]
			o.Cursor = p.Since
			origins[i] = p.Origin
			if o.Incarnation != "" && p.Incarnation != o.Incarnation {
				res[i] = Result{Incarnation: p.Incarnation, Refused: syncproto.IncarnationRefused(o.Acked)}
				origins[i] = ""
				c.counts[CounterRejectPrefix+syncproto.CodeIncarnation]++
				o.Rejects++
			} else {
				reportHealth(o, p, c.nowT)
			}
		}
		b := u.Batch
		if b == nil {
			continue
		}
		origins[i] = b.Origin
		window := u.Window
		if window == 0 {
			window = syncproto.DefaultWindow
		}
		r, fixed, err := c.batch(b, states[b.Origin], window)
		if err != nil {
			return nil, err
		}
		res[i] = r
		if fixed {
			origins[i] = ""
		}
		if r.Refused != nil && r.Refused.Code != syncproto.CodeConflict {
			// Conflicts are counted once each, by firstMismatch.
			c.counts[CounterRejectPrefix+r.Refused.Code]++
		}
		if r.Refused != nil {
			states[b.Origin].Rejects++
		}
	}
	for _, id := range ids {
		o := states[id]
		settleHealth(o)
		if err := tx.PutOutlet(ctx, id, o.Stream, c.now); err != nil {
			return nil, fmt.Errorf("update outlet %s: %w", id, err)
		}
		if o.clockSet {
			if err := tx.PutClock(ctx, id, o.offsetMS, o.skewed); err != nil {
				return nil, fmt.Errorf("update clock of outlet %s: %w", id, err)
			}
		}
	}
	if err := refreshParcels(ctx, tx, c.parcels); err != nil {
		return nil, err
	}
	cu := newCustomerUpkeep(s.loc)
	if err := refreshCases(ctx, tx, c.touched, s.limits, cu); err != nil {
		return nil, err
	}
	if len(c.counts) > 0 {
		if err := tx.AddCounters(ctx, c.counts); err != nil {
			return nil, fmt.Errorf("update counters: %w", err)
		}
	}
	t := newTallies(s.loc)
	for i := range c.shown {
		if err := t.add(ctx, tx, &c.shown[i]); err != nil {
			return nil, err
		}
	}
	if err := t.flush(ctx, tx); err != nil {
		return nil, err
	}
	for i := range c.shown {
		cu.add(&c.shown[i])
	}
	if err := cu.flush(ctx, tx, cs, c.now); err != nil {
		return nil, err
	}
	for i, id := range origins {
		if id != "" {
			res[i].AckedSeq = states[id].Acked
			res[i].Incarnation = states[id].Incarnation
		}
	}
	return res, nil
}

// batch applies one checked batch to its outlet's state. fixed reports that
// the result's AckedSeq and Incarnation are final: a refusal, whose ack
// must not count the refused stream's events by the adopted one's.
func (c *commitTx) batch(b *syncproto.Batch, o *outletState, window uint64) (r Result, fixed bool, err error) {
	refuse := func(p *syncproto.Problem, acked uint64) (Result, bool, error) {
		return Result{Incarnation: b.Incarnation, AckedSeq: acked, Refused: p}, true, nil
	}
	if b.Incarnation != o.Incarnation {
		if o.Incarnation != "" {
			return refuse(syncproto.IncarnationRefused(o.Acked), 0)
		}
		// No incarnation adopted for this epoch yet: adopt this one only
		// if it continues what the epoch holds.
		if b.First > o.Acked+1 {
			if err := syncproto.CheckWindow(b, o.Acked, window); err != nil {
				return refuse(syncproto.BeyondWindow(b.First, o.Acked, window), 0)
			}
			// Its start is still in flight; the agent sends it again.
			return Result{Incarnation: b.Incarnation}, true, nil
		}
		if seq, _, err := c.firstMismatch(b, o, false); err != nil {
			return r, false, err
		} else if seq != 0 {
			return refuse(syncproto.IncarnationRefused(o.Acked), 0)
		}
		o.Incarnation = b.Incarnation
	} else if b.First <= o.Acked || o.pending {
		seq, held, err := c.firstMismatch(b, o, true)
		if err != nil {
			return r, false, err
		}
		if seq != 0 {
			return refuse(syncproto.Conflict(seq, held, b.Events[seq-b.First].ID), min(o.Acked, seq-1))
		}
	}
	if err := syncproto.CheckWindow(b, o.Acked, window); err != nil {
		return refuse(syncproto.BeyondWindow(b.First, o.Acked, window), o.Acked)
	}
	ok, rej := Classify(b)
	r.Rejected = rej
	if b.Last <= o.Acked {
		r.Replayed = true
		c.counts[CounterReplayed]++
		return r, false, nil
	}
	held := b.First > o.Acked+1
	if o.HeadKnown {
		o.Head = max(o.Head, b.Last) // it holds at least what it sent
	}
	rows := make([]Row, len(ok))
	var top hlc.Timestamp
	for i, e := range ok {
		rows[i] = Row{Event: e, Epoch: o.Epoch, ReceivedAt: c.now}
		// A stamp beyond the bound is kept as sent and folded at its cap.
		if capped := hlc.Capped(e.HLC, c.nowT, c.s.maxSkew); capped != e.HLC {
			rows[i].Order = capped
		}
		top = max(top, e.HLC)
		if kind := CaseKind(e.Type); kind != "" && e.Subject != "" && !held {
			c.touched[CaseKey{Kind: kind, ID: e.Subject}] = true
		}
		if !held {
			c.parcel(e)
		}
	}
	if len(rows) > 0 {
		fresh, err := c.tx.InsertEvents(c.ctx, rows, held)
		if err != nil {
			return r, false, fmt.Errorf("insert events %d..%d of %s: %w", b.First, b.Last, b.Origin, err)
		}
		var audit []AuditRow
		for i, row := range rows {
			if fresh[i] && row.Order != 0 {
				o.skewed++ // once per event, not per resend of a held range
			}
			if fresh[i] && !held {
				e := *row.Event
				e.OrderHLC = row.Order
				c.show(e, o.Epoch)
			}
			if fresh[i] && IsAuditEvent(row.Event.Type) {
				audit = append(audit, auditOf(row))
			}
		}
		if len(audit) > 0 {
			if err := c.tx.InsertAudit(c.ctx, audit); err != nil {
				return r, false, fmt.Errorf("add audit events of %s: %w", b.Origin, err)
			}
		}
	}
	if top != 0 {
		o.clockSet, o.offsetMS = true, top.WallMillis()-c.now
	}
	if len(rej) > 0 {
		bySeq := make(map[uint64]*syncproto.Event, len(rej))
		for i := range b.Events {
			bySeq[b.Events[i].Seq] = &b.Events[i]
		}
		ds := make([]DeadLetter, len(rej))
		for i, x := range rej {
			js, _ := json.Marshal(bySeq[x.Seq])
			ds[i] = DeadLetter{Origin: b.Origin, Epoch: o.Epoch, Seq: x.Seq, Code: x.Code, Reason: x.Reason, Event: js, At: c.nowT}
			c.counts[CounterRejectPrefix+x.Code]++
		}
		o.Rejects += uint64(len(rej))
		if err := c.tx.InsertDeadLetters(c.ctx, ds); err != nil {
			return r, false, fmt.Errorf("insert dead letters of %s: %w", b.Origin, err)
		}
	}
	if held {
		// A gap before this batch: hold its range until the gap closes.
		if err := c.tx.AddPending(c.ctx, b.Origin, o.Epoch, b.First, b.Last); err != nil {
			return r, false, fmt.Errorf("record range %d..%d of %s: %w", b.First, b.Last, b.Origin, err)
		}
		o.pending = true
		r.Held = true
		return r, false, nil
	}
	before := o.Acked
	o.Acked = max(o.Acked, b.Last)
	if o.pending {
		if err := c.advance(b.Origin, o); err != nil {
			return r, false, err
		}
		if r.Released, err = c.release(b, o.Epoch, before, o.Acked); err != nil {
			return r, false, err
		}
	}
	return r, false, nil
}

// firstMismatch returns the lowest seq of b that the epoch holds with
// another id or payload (an event, a held event, or a dead letter by id),
// and the id held there; 0 if every shared event is the same. record keeps
// the pair as a conflict: the same stream sent two versions of one event.
// An event whose personal data the store purged is the same as the one
// sent if that scrubbed is what the store holds.
func (c *commitTx) firstMismatch(b *syncproto.Batch, o *outletState, record bool) (uint64, string, error) {
	have, err := c.tx.Holding(c.ctx, b.Origin, o.Epoch, b.First, b.Last)
	if err != nil {
		return 0, "", fmt.Errorf("read held events %d..%d of %s: %w", b.First, b.Last, b.Origin, err)
	}
	if len(have) == 0 {
		return 0, "", nil
	}
	for i := range b.Events {
		e := &b.Events[i]
		h, ok := have[e.Seq]
		if !ok {
			continue
		}
		same := h.ID == e.ID
		if same && !h.Dead {
			same = h.HasBody == (len(e.Payload) > 0) && (bytes.Equal(h.Payload, e.Payload) || scrubbedCopy(h.Payload, e.Payload))
		}
		if same {
			continue
		}
		if record {
			js, _ := json.Marshal(e)
			isNew, err := c.tx.InsertConflict(c.ctx, Conflict{Origin: b.Origin, Epoch: o.Epoch, Seq: e.Seq, HeldID: h.ID, SentID: e.ID, Event: js, At: c.nowT})
			if err != nil {
				return 0, "", fmt.Errorf("record conflict %s/%d: %w", b.Origin, e.Seq, err)
			}
			if isNew {
				c.counts[CounterConflict]++
			}
		}
		return e.Seq, h.ID, nil
	}
	return 0, "", nil
}

// release makes the held events in (from, through] of origin's epoch
// visible and returns those not in b (b's own are the caller's to report).
func (c *commitTx) release(b *syncproto.Batch, epoch, from, through uint64) ([]syncproto.Event, error) {
	evs, err := c.tx.Release(c.ctx, b.Origin, epoch, from, through)
	if err != nil {
		return nil, fmt.Errorf("release held events of %s: %w", b.Origin, err)
	}
	var out []syncproto.Event
	for _, e := range evs {
		c.show(e, epoch)
		if kind := CaseKind(e.Type); kind != "" && e.Subject != "" {
			c.touched[CaseKey{Kind: kind, ID: e.Subject}] = true
		}
		c.parcel(&e)
		if e.Seq < b.First || e.Seq > b.Last {
			out = append(out, e)
		}
	}
	return out, nil
}

// advance moves o.Acked over held ranges that now touch it and drops them.
func (c *commitTx) advance(origin string, o *outletState) error {
	found := false
	for {
		last, ok, err := c.tx.MaxPending(c.ctx, origin, o.Epoch, o.Acked+1)
		if err != nil {
			return fmt.Errorf("read pending ranges of %s: %w", origin, err)
		}
		if !ok {
			break
		}
		found = true
		if last <= o.Acked {
			break
		}
		o.Acked = last
	}
	if found {
		if err := c.tx.DropPending(c.ctx, origin, o.Epoch, o.Acked+1); err != nil {
			return fmt.Errorf("drop consumed ranges of %s: %w", origin, err)
		}
	}
	return nil
}

// refreshCases locks and re-folds every touched entity, in key order.
func refreshCases(ctx context.Context, tx Tx, touched map[CaseKey]bool, limits lifecycle.Limits, cu *customerUpkeep) error {
	keys := make([]CaseKey, 0, len(touched))
	for k := range touched {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b CaseKey) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID)) })
	for _, k := range keys {
		if err := tx.LockSubject(ctx, k.Kind, k.ID); err != nil {
			return fmt.Errorf("lock %s %s: %w", k.Kind, k.ID, err)
		}
		evs, err := tx.SubjectEvents(ctx, k.ID)
		if err != nil {
			return fmt.Errorf("read events of %s: %w", k.ID, err)
		}
		if err := putCase(ctx, tx, k, evs, limits); err != nil {
			return err
		}
		if err := refreshFacts(ctx, tx, k, evs); err != nil {
			return err
		}
		if err := cu.refreshCase(ctx, tx, k, evs); err != nil {
			return err
		}
	}
	return nil
}

// RefreshCase re-folds one entity from its events inside tx and rewrites
// its case-list row. An entity has tens of events, so this stays cheap
// next to the batch that touched it. Backends' migrations that rebuild
// the case list call it too, with zero limits (the defaults: Relist at
// open then brings the deadlines to the hub's settings). (They run before
// the rollups' tables exist, so it leaves the rollups alone:
// Core.BuildRollups fills them.)
func RefreshCase(ctx context.Context, tx Tx, k CaseKey, limits lifecycle.Limits) error {
	evs, err := tx.SubjectEvents(ctx, k.ID)
	if err != nil {
		return fmt.Errorf("read events of %s: %w", k.ID, err)
	}
	return putCase(ctx, tx, k, evs, limits)
}

// putCase rewrites k's case-list row from its events.
func putCase(ctx context.Context, tx Tx, k CaseKey, evs []syncproto.Event, limits lifecycle.Limits) error {
	c, ok := Summarize(k.Kind, k.ID, evs, limits)
	if !ok {
		// Its creating event is not visible (yet): no row, and none left
		// from before events beyond a gap were held apart.
		if err := tx.DeleteCase(ctx, k.Kind, k.ID); err != nil {
			return fmt.Errorf("update case list for %s %s: %w", k.Kind, k.ID, err)
		}
		return nil
	}
	if err := tx.PutCase(ctx, c); err != nil {
		return fmt.Errorf("update case list for %s %s: %w", k.Kind, k.ID, err)
	}
	return nil
}

// AppendDown implements Store.
func (s *Core) AppendDown(ctx context.Context, e *syncproto.Event) (uint64, error) {
	return s.AppendDownAlloc(ctx, e, SerialAlloc{})
}

// AppendDownAlloc implements Store. A zero a allocates nothing. The
// downlink head is held from NextDownSeq to the commit, so allocations
// serialise across hub processes too.
func (s *Core) AppendDownAlloc(ctx context.Context, e *syncproto.Event, a SerialAlloc) (uint64, error) {
	if e.Origin != syncproto.HubOrigin {
		return 0, fmt.Errorf("downlink event has origin %q, want %q", e.Origin, syncproto.HubOrigin)
	}
	if uint64(e.HLC) > math.MaxInt64 {
		return 0, fmt.Errorf("HLC stamp %d does not fit the store", uint64(e.HLC))
	}
	cs, err := ReadClassSettings(ctx, s)
	if err != nil {
		return 0, err
	}
	err = s.inTx(ctx, func(tx Tx) error {
		now := s.clock.Now().UnixMilli()
		if a.Check != nil {
			if err := a.Check(ctx, tx); err != nil {
				return err
			}
		}
		seq, err := tx.NextDownSeq(ctx)
		if err != nil {
			return fmt.Errorf("read downlink head: %w", err)
		}
		e.Seq = seq
		if a.Fill != nil {
			if err := allocate(ctx, tx, e, a); err != nil {
				return err
			}
		}
		js, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode downlink event: %w", err)
		}
		if err := tx.InsertDown(ctx, e.Seq, e.Target, js, now); err != nil {
			return fmt.Errorf("append downlink event: %w", err)
		}
		if _, err := tx.InsertEvents(ctx, []Row{{Event: e, ReceivedAt: now}}, false); err != nil {
			return fmt.Errorf("insert hub event %d: %w", e.Seq, err)
		}
		if err := noticeMessages(ctx, tx, e, now, s.MaxPerOutlet()); err != nil {
			return err
		}
		cu := newCustomerUpkeep(s.loc)
		if kind := CaseKind(e.Type); kind != "" && e.Subject != "" {
			if err := refreshCases(ctx, tx, map[CaseKey]bool{{Kind: kind, ID: e.Subject}: true}, s.limits, cu); err != nil {
				return err
			}
		}
		t := newTallies(s.loc)
		if err := t.add(ctx, tx, e); err != nil {
			return err
		}
		if err := t.flush(ctx, tx); err != nil {
			return err
		}
		cu.add(e)
		return cu.flush(ctx, tx, cs, now)
	})
	if err != nil {
		return 0, err
	}
	return e.Seq, nil
}

// allocate takes a's block from its counter inside tx and fills e.
func allocate(ctx context.Context, tx Tx, e *syncproto.Event, a SerialAlloc) error {
	claimOnly := a.Counter == "" && a.Count == 0 && a.Once != ""
	if !claimOnly && (a.Count == 0 || a.Counter == "" || a.Max > math.MaxInt64-1) {
		return fmt.Errorf("allocate %q: count %d or max %d out of range", a.Counter, a.Count, a.Max)
	}
	if a.Once != "" {
		isNew, err := tx.ClaimOnce(ctx, a.Once, e.Seq)
		if err != nil {
			return fmt.Errorf("allocate %s once for %s: %w", a.Counter, a.Once, err)
		}
		if !isNew {
			return fmt.Errorf("allocation for %s: %w", a.Once, ErrExists)
		}
	}
	if claimOnly {
		return a.Fill(e, 0, 0)
	}
	first, err := tx.Serial(ctx, a.Counter)
	if err != nil {
		return fmt.Errorf("read serial counter %s: %w", a.Counter, err)
	}
	if first > a.Max || a.Max-first+1 < a.Count {
		return fmt.Errorf("%w: %s has %d left, %d wanted", ErrSerialsExhausted, a.Counter, a.Max+1-min(first, a.Max+1), a.Count)
	}
	last := first + a.Count - 1
	if err := a.Fill(e, first, last); err != nil {
		return err
	}
	if err := tx.PutSerial(ctx, a.Counter, last+1); err != nil {
		return fmt.Errorf("advance serial counter %s: %w", a.Counter, err)
	}
	return nil
}

// scrubbedCopy reports whether held is sent with its personal data
// purged (PurgePersonal).
func scrubbedCopy(held, sent []byte) bool {
	s, n := purge.Scrub(sent)
	return n > 0 && bytes.Equal(held, s)
}
