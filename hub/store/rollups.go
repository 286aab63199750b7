package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Rollups are what hub/measures reads instead of events, kept in the
// transaction that makes events visible (Commit, a release of held
// events, AppendDown), so a measure over years reads one row per case or
// per (day, outlet, person), never the events:
//
//   - Facts: one row per complaint and per exception, refolded from all
//     its events with its case-list row (refreshCases), so a resend, a
//     release or a late step rewrites the row instead of adding to it.
//   - Tallies: counters per (day, outlet, person, name) for parcels and
//     handovers, added once per event as it becomes visible: a replayed
//     event is not fresh and a held one is counted when it is released.
//     Each backend also keeps their sums over persons, one row per
//     (day, outlet) holding every counter (OutletDay), added in the same
//     transaction, so that measures by outlet, region or all read one row
//     per outlet and day instead of one per person and counter.
//
// Every time is the event's fold stamp (syncproto.Event.FoldStamp: its own
// stamp, or the hub's cap of it at arrival when it lay beyond the skew
// bound), never an outlet's raw clock. Days are in Options.Location.

// Facts is one complaint's or exception's row of measures. Times are
// hub-corrected Unix ms, 0 for not yet.
type Facts struct {
	Kind   string // lifecycle.KindComplaint or lifecycle.KindException
	ID     string
	Outlet string
	// Person is who took the case's decisive step, as origin/actor: a
	// complaint's first reply, an exception's handling; before that,
	// who recorded it.
	Person string
	Label  string // complaint type or exception kind
	At     int64  // received or reported
	// ReplyAt: a complaint's first reply (acknowledge); an exception's
	// handling (claim decided or closed, lifecycle.Exception.HandledAt).
	ReplyAt int64
	// ResultAt: a complaint's result (carried out, or closed without);
	// an exception's close.
	ResultAt     int64
	Escalations  int
	Satisfaction int  // 1–5 from the follow-up; 0 for none
	Claim        bool // an exception's claim was opened
	AmountCents  int64
}

// Tally is one counter of the rollups.
type Tally struct {
	// Day is the civil day in the hub's time zone as days since
	// 1970-01-01 (DayOf).
	Day    int64
	Outlet string
	Person string
	Name   string
	N      int64
}

// Tally names. Dwell times are counted in fixed log buckets (DwellBucket).
const (
	TallyInbound          = "parcels.inbound"
	TallyPickedUp         = "parcels.picked_up"
	TallyOverdue          = "parcels.overdue"
	TallyReturned         = "parcels.returned"
	TallyDwellPrefix      = "parcels.dwell."
	TallyHandovers        = "handovers.count"
	TallyHandoverExpected = "handovers.expected"
	TallyHandoverMissing  = "handovers.missing"
	TallyHandoverScanned  = "handovers.scanned"
	TallyHandoverExtra    = "handovers.extra"
	TallyIncidents        = "incidents.reported"
	// Survey answers (lifecycle.SurveyAnswered), counted for the outlet
	// of their trigger on the day of the answer: answers, opt-outs, and
	// every 1–5 score given, by value (TallySurveyScorePrefix + "1"…"5").
	TallySurveyAnswers     = "surveys.answered"
	TallySurveyOptOuts     = "surveys.opted_out"
	TallySurveyScorePrefix = "surveys.score."
	// Invitations' messages (lifecycle.SurveyInvitationSent and
	// SurveyInvitationDelivered), counted for the same outlet on the day
	// of the step: taken by the gateway, and reported on the phone.
	TallySurveySent      = "surveys.sent"
	TallySurveyDelivered = "surveys.delivered"
)

// RollupQuery selects rollup rows: Facts with At in [From, To) (Unix ms),
// Tallies with Day in [From, To] (DayOf). Outlet "" is any.
type RollupQuery struct {
	From, To int64
	Outlet   string
	// PerPerson asks Tallies for a row per person; without it each
	// outlet's persons are summed into rows with Person "".
	PerPerson bool
}

// OutletTallies sums ts over persons: one tally per (day, outlet, name)
// with Person "", in key order (the lock order of the backends' sums).
func OutletTallies(ts []Tally) []Tally {
	type key struct {
		day          int64
		outlet, name string
	}
	sum := make(map[key]int64, len(ts))
	for _, t := range ts {
		sum[key{t.Day, t.Outlet, t.Name}] += t.N
	}
	out := make([]Tally, 0, len(sum))
	for k, n := range sum {
		out = append(out, Tally{Day: k.day, Outlet: k.outlet, Name: k.name, N: n})
	}
	slices.SortFunc(out, func(a, b Tally) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Outlet, b.Outlet), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// OutletDay is one outlet's counters of one day summed over persons, as
// one row keeps them: Counts is "name:n" pairs in name order joined by
// ",". Tally names hold neither character.
type OutletDay struct {
	Day    int64
	Outlet string
	Counts string
}

// OutletDays sums ts over persons into one delta per (day, outlet), in
// key order (the lock order of the rows they add to).
func OutletDays(ts []Tally) ([]OutletDay, error) {
	var out []OutletDay
	sums := OutletTallies(ts)
	for _, t := range sums {
		if t.Name == "" || strings.ContainsAny(t.Name, ",:") {
			return nil, fmt.Errorf("counter name %q is empty or holds ',' or ':'", t.Name)
		}
	}
	for i := 0; i < len(sums); {
		j := i
		for j < len(sums) && sums[j].Day == sums[i].Day && sums[j].Outlet == sums[i].Outlet {
			j++
		}
		out = append(out, OutletDay{Day: sums[i].Day, Outlet: sums[i].Outlet, Counts: encodeCounts(sums[i:j])})
		i = j
	}
	return out, nil
}

// encodeCounts writes ts (one outlet-day's, in name order) as Counts.
func encodeCounts(ts []Tally) string {
	var b []byte
	for _, t := range ts {
		if t.N == 0 {
			continue
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, t.Name...)
		b = append(b, ':')
		b = strconv.AppendInt(b, t.N, 10)
	}
	return string(b)
}

// Tallies appends d's counters to out, in name order, with Person "".
func (d OutletDay) Tallies(out []Tally) ([]Tally, error) {
	first := len(out)
	for rest := d.Counts; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, ",")
		name, num, ok := strings.Cut(pair, ":")
		n, err := strconv.ParseInt(num, 10, 64)
		if !ok || name == "" || err != nil {
			return out, fmt.Errorf("counters of %s on day %d: bad entry %q", d.Outlet, d.Day, pair)
		}
		out = append(out, Tally{Day: d.Day, Outlet: d.Outlet, Name: name, N: n})
	}
	if !slices.IsSortedFunc(out[first:], func(a, b Tally) int { return strings.Compare(a.Name, b.Name) }) {
		slices.SortFunc(out[first:], func(a, b Tally) int { return strings.Compare(a.Name, b.Name) })
	}
	return out, nil
}

// Add returns d with delta's counts added to its own.
func (d OutletDay) Add(delta OutletDay) (OutletDay, error) {
	ts, err := d.Tallies(nil)
	if err != nil {
		return d, err
	}
	if ts, err = delta.Tallies(ts); err != nil {
		return d, err
	}
	d.Counts = encodeCounts(OutletTallies(ts))
	return d, nil
}

// Dwell buckets: bucket 0 holds dwell under a second, bucket k ≥ 1 holds
// [2^((k-1)/8), 2^(k/8)) seconds, so reporting a bucket's geometric middle
// is off by at most 2^(1/16)-1 ≈ 4.4% of the true value. The last bucket
// (about 4 years) holds everything longer.
const (
	dwellPerOctave = 8
	DwellBuckets   = 220
)

// DwellBucket is the bucket of a dwell time.
func DwellBucket(ms int64) int {
	if ms < 1000 {
		return 0
	}
	k := int(math.Floor(math.Log2(float64(ms)/1000)*dwellPerOctave)) + 1
	return min(max(k, 1), DwellBuckets-1)
}

// DwellOf is the value reported for bucket k: its geometric middle in ms.
func DwellOf(k int) float64 {
	if k <= 0 {
		return 500
	}
	return 1000 * math.Exp2((float64(k)-0.5)/dwellPerOctave)
}

// DayOf is the civil day of Unix ms at in loc, as days since 1970-01-01.
func DayOf(at int64, loc *time.Location) int64 {
	y, m, d := time.UnixMilli(at).In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// person names who took an event's step across outlets and head office.
func person(e *syncproto.Event) string { return e.Origin + "/" + e.Actor }

// applied returns the indexes of evs (in fold order) that fold applies,
// as the growth of the history fold reports after each prefix. An entity
// has tens of events, so folding every prefix stays cheap.
func applied(evs []syncproto.Event, history func([]syncproto.Event) int) []int {
	var out []int
	n := 0
	for i := range evs {
		if h := history(evs[:i+1]); h > n {
			out = append(out, i)
			n = h
		}
	}
	return out
}

// FactsOf folds one complaint's or exception's events into its row of
// measures; ok is false for other kinds and while it has no creating event.
func FactsOf(kind, id string, evs []syncproto.Event) (f Facts, ok bool) {
	own := make([]syncproto.Event, 0, len(evs))
	k, listed := lifecycle.KindByName(kind)
	if !listed {
		return f, false
	}
	for _, e := range evs {
		if k.Owns(e.Type) {
			own = append(own, e)
		}
	}
	lifecycle.Order(own)
	f = Facts{Kind: kind, ID: id}
	switch kind {
	case lifecycle.KindComplaint:
		c := lifecycle.FoldComplaint(id, slices.Clone(own))
		if c.State == "" {
			return f, false
		}
		f.Outlet, f.Label, f.Satisfaction, f.Escalations = c.Outlet, c.Type, c.Satisfaction, len(c.Escalations)
		for _, i := range applied(own, func(p []syncproto.Event) int { return len(lifecycle.FoldComplaint(id, p).History) }) {
			e := &own[i]
			at := e.FoldStamp().WallMillis()
			if e.Type == lifecycle.ComplaintReceived {
				f.At, f.Person = at, person(e)
				continue
			}
			var s lifecycle.ComplaintStepV1
			if json.Unmarshal(e.Payload, &s) != nil {
				continue
			}
			switch {
			case s.Step == "acknowledge" && f.ReplyAt == 0:
				f.ReplyAt, f.Person = at, person(e)
			case s.Step == "carry_out" || (s.Step == "close" && f.ResultAt == 0):
				f.ResultAt = at
			}
		}
	case lifecycle.KindException:
		x := lifecycle.FoldException(id, slices.Clone(own))
		if x.State == "" {
			return f, false
		}
		f.Outlet, f.Label, f.Claim = x.Outlet, x.Kind, x.Claim.Opened
		if x.Claim.Decided && x.Claim.Approved {
			f.AmountCents = x.Claim.AmountCents
		}
		for _, i := range applied(own, func(p []syncproto.Event) int { return len(lifecycle.FoldException(id, p).History) }) {
			e := &own[i]
			at := e.FoldStamp().WallMillis()
			if e.Type == lifecycle.ExceptionReported {
				f.At, f.Person = at, person(e)
				continue
			}
			// Handled as lifecycle.Exception.HandledAt says, at the step's
			// fold stamp instead of its payload's clock.
			state := lifecycle.FoldException(id, own[:i+1]).State
			if (state == lifecycle.ExceptionStateClaimDecided || state == lifecycle.ExceptionStateClosed) && f.ReplyAt == 0 {
				f.ReplyAt, f.Person = at, person(e)
			}
			if state == lifecycle.ExceptionStateClosed && f.ResultAt == 0 {
				f.ResultAt = at
			}
		}
	default:
		return f, false
	}
	return f, f.At != 0
}

// refreshFacts rewrites a case's row of measures from its events.
func refreshFacts(ctx context.Context, tx Tx, k CaseKey, evs []syncproto.Event) error {
	if k.Kind != lifecycle.KindComplaint && k.Kind != lifecycle.KindException {
		return nil
	}
	f, ok := FactsOf(k.Kind, k.ID, evs)
	var err error
	if ok {
		err = tx.PutFacts(ctx, f)
	} else {
		err = tx.DeleteFacts(ctx, k.Kind, k.ID)
	}
	if err != nil {
		return fmt.Errorf("update measures of %s %s: %w", k.Kind, k.ID, err)
	}
	return nil
}

// tallyKey is a Tally without its count.
type tallyKey struct {
	Day                  int64
	Outlet, Person, Name string
}

// tallies gathers one transaction's counter deltas.
type tallies struct {
	loc *time.Location
	n   map[tallyKey]int64
	// pickups wait for their parcels' intakes, read at flush.
	pickups []pickup
}

// pickup is a parcel.picked_up whose dwell is still to count.
type pickup struct {
	key     tallyKey // its day, outlet and person
	waybill string
	stamp   hlc.Timestamp
}

// SubjectStamp is one event's subject, origin and fold stamp (Tx.Stamps).
type SubjectStamp struct {
	Subject, Origin string
	Stamp           hlc.Timestamp
}

// pickupsPerRead bounds the subjects one Tx.Stamps call asks for.
const pickupsPerRead = 500

// dwell counts each pickup's dwell: from its parcel's last intake at the
// same outlet at or before the pickup, in fold order.
func (t *tallies) dwell(ctx context.Context, tx Tx) error {
	for chunk := range slices.Chunk(t.pickups, pickupsPerRead) {
		subjects := make([]string, len(chunk))
		for i, p := range chunk {
			subjects[i] = p.waybill
		}
		slices.Sort(subjects)
		ins, err := tx.Stamps(ctx, lifecycle.ParcelInbound, slices.Compact(subjects))
		if err != nil {
			return fmt.Errorf("read the intakes of %d parcels: %w", len(subjects), err)
		}
		type at struct{ waybill, outlet string }
		intakes := map[at][]hlc.Timestamp{}
		for _, in := range ins {
			k := at{in.Subject, in.Origin}
			intakes[k] = append(intakes[k], in.Stamp)
		}
		for _, p := range chunk {
			var last hlc.Timestamp
			for _, s := range intakes[at{p.waybill, p.key.Outlet}] {
				if s <= p.stamp {
					last = max(last, s)
				}
			}
			if last != 0 {
				k := p.key
				k.Name = TallyDwellPrefix + strconv.Itoa(DwellBucket(p.stamp.WallMillis()-last.WallMillis()))
				t.n[k]++
			}
		}
	}
	t.pickups = nil
	return nil
}

func newTallies(loc *time.Location) *tallies { return &tallies{loc: loc, n: map[tallyKey]int64{}} }

// add counts e, which this transaction made visible, if it is one the
// tallies count. It reads the parcel's or the session's events for
// pickups and closes only.
func (t *tallies) add(ctx context.Context, tx Tx, e *syncproto.Event) error {
	at := e.FoldStamp().WallMillis()
	key := func(name string) tallyKey {
		return tallyKey{Day: DayOf(at, t.loc), Outlet: e.Origin, Person: person(e), Name: name}
	}
	switch e.Type {
	case lifecycle.ParcelInbound:
		t.n[key(TallyInbound)]++
	case lifecycle.ParcelOverdue:
		t.n[key(TallyOverdue)]++
	case lifecycle.ParcelReturned:
		t.n[key(TallyReturned)]++
	case lifecycle.IncidentReported:
		t.n[key(TallyIncidents)]++
	case lifecycle.ParcelPickedUp:
		t.n[key(TallyPickedUp)]++
		t.pickups = append(t.pickups, pickup{key: key(""), waybill: e.Subject, stamp: e.FoldStamp()})
	case lifecycle.SurveyAnswered:
		var a lifecycle.SurveyAnsweredV1
		if e.Origin != syncproto.HubOrigin || json.Unmarshal(e.Payload, &a) != nil || a.Outlet == "" {
			return nil
		}
		k := func(name string) tallyKey {
			return tallyKey{Day: DayOf(at, t.loc), Outlet: a.Outlet, Person: person(e), Name: name}
		}
		t.n[k(TallySurveyAnswers)]++
		if a.OptedOut {
			t.n[k(TallySurveyOptOuts)]++
		}
		for _, sc := range a.Scores {
			if sc >= 1 && sc <= 5 {
				t.n[k(TallySurveyScorePrefix+strconv.FormatInt(sc, 10))]++
			}
		}
	case lifecycle.SurveyInvitationSent, lifecycle.SurveyInvitationDelivered:
		// Only head office's own: an outlet's event of the type counts
		// nowhere.
		var p lifecycle.SurveyInvitationV1
		if e.Origin != syncproto.HubOrigin || json.Unmarshal(e.Payload, &p) != nil || p.Outlet == "" {
			return nil
		}
		k := func(name string) tallyKey {
			return tallyKey{Day: DayOf(at, t.loc), Outlet: p.Outlet, Person: person(e), Name: name}
		}
		if e.Type == lifecycle.SurveyInvitationDelivered {
			t.n[k(TallySurveyDelivered)]++
		}
		if e.Type == lifecycle.SurveyInvitationSent || p.Sent {
			t.n[k(TallySurveySent)]++
		}
	case lifecycle.HandoverClosed:
		h, err := foldSession(ctx, tx, e.Subject)
		if err != nil {
			return err
		}
		if h.State != lifecycle.HandoverStateClosed {
			return nil // a refused close
		}
		t.n[key(TallyHandovers)]++
		t.n[key(TallyHandoverExpected)] += int64(h.Counts.Expected)
		t.n[key(TallyHandoverMissing)] += int64(h.Counts.Missing)
		t.n[key(TallyHandoverScanned)] += int64(h.Counts.Scanned)
		t.n[key(TallyHandoverExtra)] += int64(h.Counts.Extra)
	}
	return nil
}

// foldSession folds a handover session against the manifests it names.
func foldSession(ctx context.Context, tx Tx, id string) (lifecycle.Handover, error) {
	evs, err := tx.SubjectEvents(ctx, id)
	if err != nil {
		return lifecycle.Handover{}, fmt.Errorf("read events of handover %s: %w", id, err)
	}
	var ms []lifecycle.Manifest
	for i := range evs {
		if evs[i].Type != lifecycle.HandoverOpened {
			continue
		}
		var o lifecycle.HandoverOpenedV1
		if json.Unmarshal(evs[i].Payload, &o) != nil {
			continue
		}
		for _, mid := range o.Manifests {
			mevs, err := tx.SubjectEvents(ctx, mid)
			if err != nil {
				return lifecycle.Handover{}, fmt.Errorf("read events of manifest %s: %w", mid, err)
			}
			ms = append(ms, lifecycle.FoldManifest(mid, mevs))
		}
	}
	return lifecycle.FoldHandover(id, evs, ms), nil
}

// flush adds the gathered deltas in key order (Tx's lock order).
func (t *tallies) flush(ctx context.Context, tx Tx) error {
	if err := t.dwell(ctx, tx); err != nil {
		return err
	}
	if len(t.n) == 0 {
		return nil
	}
	out := make([]Tally, 0, len(t.n))
	for k, n := range t.n {
		if n != 0 {
			out = append(out, Tally{Day: k.Day, Outlet: k.Outlet, Person: k.Person, Name: k.Name, N: n})
		}
	}
	slices.SortFunc(out, func(a, b Tally) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Outlet, b.Outlet), cmp.Compare(a.Person, b.Person), cmp.Compare(a.Name, b.Name))
	})
	if err := tx.AddTallies(ctx, out); err != nil {
		return fmt.Errorf("update measures: %w", err)
	}
	return nil
}

// RollupsBuilt is the serial counter that says for which time zone the
// rollups were built (zoneMark); a hub opened in another zone rebuilds.
const RollupsBuilt = "rollups.built"

// zoneMark is a zone's non-zero mark in RollupsBuilt.
func zoneMark(loc *time.Location) uint64 {
	h := fnv.New64a()
	h.Write([]byte(loc.String()))
	return h.Sum64()>>1 | 1 // fits the int64 column
}

// rebuildChunk is how many events one back-fill transaction reads.
const rebuildChunk = 5000

// BuildRollups back-fills the rollups of a store whose events predate
// them (the migration that added them) or were counted in another time
// zone: it clears them, counts every visible event in chunks, one
// transaction each, then refolds every complaint's and exception's facts,
// logging progress. A store whose rollups are built for its zone returns
// at once. Run it at open, before the hub takes batches: events committed
// meanwhile by an older hub are not counted.
func (s *Core) BuildRollups(ctx context.Context, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mark := zoneMark(s.loc)
	var done uint64
	if err := s.inTx(ctx, func(tx Tx) (err error) { done, err = tx.Serial(ctx, RollupsBuilt); return err }); err != nil {
		return fmt.Errorf("read rollup state: %w", err)
	}
	if done == mark {
		return nil
	}
	start := time.Now()
	log.Info("building measures from the stored events", "zone", s.loc.String())
	if err := s.inTx(ctx, func(tx Tx) error { return tx.ClearRollups(ctx) }); err != nil {
		return fmt.Errorf("clear measures: %w", err)
	}
	var after EventKey
	var n int
	for {
		var evs []syncproto.Event
		var next EventKey
		err := s.inTx(ctx, func(tx Tx) error {
			var err error
			evs, next, err = tx.EventsAfter(ctx, after, rebuildChunk)
			if err != nil {
				return fmt.Errorf("read events: %w", err)
			}
			t := newTallies(s.loc)
			for i := range evs {
				if err := t.add(ctx, tx, &evs[i]); err != nil {
					return err
				}
			}
			return t.flush(ctx, tx)
		})
		if err != nil {
			return err
		}
		n += len(evs)
		if len(evs) < rebuildChunk {
			break
		}
		after = next
		log.Info("building measures", "events", n)
	}
	var cases int
	for _, kind := range []string{lifecycle.KindComplaint, lifecycle.KindException} {
		rows, err := s.Cases(ctx, CaseQuery{Kind: kind})
		if err != nil {
			return fmt.Errorf("list %ss: %w", kind, err)
		}
		for chunk := range slices.Chunk(rows, 500) {
			err := s.inTx(ctx, func(tx Tx) error {
				for _, c := range chunk {
					evs, err := tx.SubjectEvents(ctx, c.ID)
					if err != nil {
						return fmt.Errorf("read events of %s: %w", c.ID, err)
					}
					if err := refreshFacts(ctx, tx, CaseKey{Kind: kind, ID: c.ID}, evs); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			cases += len(chunk)
		}
		log.Info("building measures", "events", n, "cases", cases)
	}
	if err := s.inTx(ctx, func(tx Tx) error { return tx.PutSerial(ctx, RollupsBuilt, mark) }); err != nil {
		return fmt.Errorf("record rollup state: %w", err)
	}
	log.Info("measures built", "events", n, "cases", cases, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// EventKey is a visible event's place in EventsAfter's order.
type EventKey struct {
	Origin     string
	Epoch, Seq uint64
}
