// Package storegen fills a hub store with a network's year of events for
// benchmarks: outlets, parcels coming in and being picked up, complaints
// and exceptions with the steps their outlets took, in the proportions a
// real network has, through the store's own commit path (store.Store.Commit),
// so that the case list and every row a commit maintains are what the hub
// itself would have written.
//
// What it makes is fixed by the Size and Version alone (every random draw
// comes from a generator seeded by the case or outlet index), so a store
// built once can be cached under Key and reused.
package storegen

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Version changes whenever what Build makes for a Size changes, so that a
// cached store built by an older generator is not taken for a new one. 2:
// stores cached at version 1 were built while the outlets' migration (8)
// did not exist yet, past schema 10, so they would never get its columns.
const Version = 2

// End is the instant the generated year ends: midnight of 2026-12-01 in
// China Standard Time. Every event lies before it, and a step that would
// fall after it has not happened yet: that is what leaves the recent
// cases open.
var End = time.Date(2026, 12, 1, 0, 0, 0, 0, CST)

// CST is China Standard Time, where the outlets keep their hours.
var CST = time.FixedZone("CST", 8*3600)

// Size is how much Build makes.
type Size struct {
	Events  int // every event of every outlet, exactly
	Cases   int // complaints and exceptions together, exactly
	Outlets int
	Days    int // the days before End that the events span
}

// Full is the size of the benchmarks' store: 10 million events and 1
// million cases across 2,000 outlets and a year.
var Full = Size{Events: 10_000_000, Cases: 1_000_000, Outlets: 2000, Days: 365}

// Scale is Full multiplied by f (at least 2 outlets, one case and a day
// of parcels), for quick runs of the same shape.
func Scale(f float64) Size {
	if f == 1 {
		return Full
	}
	return Size{Events: max(int(float64(Full.Events)*f), 40), Cases: max(int(float64(Full.Cases)*f), 1),
		Outlets: max(int(float64(Full.Outlets)*f), 2), Days: Full.Days}
}

// Key names what Build makes for s, for a cache: the generator's version
// and the size.
func (s Size) Key() string {
	return fmt.Sprintf("v%d-e%d-c%d-o%d-d%d", Version, s.Events, s.Cases, s.Outlets, s.Days)
}

// Start is the first instant of the generated days.
func (s Size) Start() time.Time { return End.AddDate(0, 0, -s.Days) }

// Stats is what Build made.
type Stats struct {
	Events, Outlets                int
	Complaints, Exceptions         int
	OpenComplaints, OpenExceptions int
	Parcels                        int
	// CaseEvents are the events about complaints and exceptions, the rest
	// are parcels'.
	CaseEvents int
}

// Progress is reported while Build runs.
type Progress struct {
	Events, Total      int // events committed so far, of Total
	Outlets, OfOutlets int
	Elapsed            time.Duration
}

// Options tune Build.
type Options struct {
	// Committers is how many Commit calls run at once (each one outlet's
	// year); 1 if zero. SQLite has one writer; PostgreSQL takes several.
	Committers int
	// BatchEvents is the size of each uplink batch; 500 (the agent's) if
	// zero, at most syncproto.MaxEventsPerBatch. All of an outlet's batches go into one Commit.
	BatchEvents int
	// Progress, if set, is called about every Every (10 s if zero) and once
	// at the end.
	Progress func(Progress)
	Every    time.Duration
}

// OutletIDs are the ids Build registers for s: a city prefix and a
// number, spread over ten cities.
func OutletIDs(s Size) []string {
	ids := make([]string, s.Outlets)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", cities[i%len(cities)], i/len(cities)+1)
	}
	return ids
}

var cities = []string{"SH", "BJ", "GZ", "SZ", "HZ", "CD", "WH", "XA", "NJ", "CQ"}

// Build registers the outlets of s in st and commits their events, one
// Commit per outlet holding its whole year in batches. st must be empty.
func Build(ctx context.Context, st store.Store, s Size, opt Options) (Stats, error) {
	if s.Outlets < 1 || s.Days < 1 || s.Cases < 0 || s.Events < 0 {
		return Stats{}, fmt.Errorf("storegen: size %+v: outlets and days must be at least 1", s)
	}
	if opt.Committers <= 0 {
		opt.Committers = 1
	}
	if opt.BatchEvents <= 0 || opt.BatchEvents > syncproto.MaxEventsPerBatch {
		opt.BatchEvents = 500
	}
	if opt.Every <= 0 {
		opt.Every = 10 * time.Second
	}
	p, err := plan(s)
	if err != nil {
		return Stats{}, err
	}
	ids := OutletIDs(s)
	hash, err := store.HashSecret("storegen-outlet-secret-not-for-use")
	if err != nil {
		return Stats{}, err
	}
	for _, id := range ids {
		if err := st.AddOutlet(ctx, id, hash, false); err != nil {
			return Stats{}, fmt.Errorf("storegen: register %s: %w", id, err)
		}
	}

	began := time.Now()
	var done, outletsDone atomic.Int64
	report := func() {
		if opt.Progress != nil {
			opt.Progress(Progress{Events: int(done.Load()), Total: s.Events, Outlets: int(outletsDone.Load()), OfOutlets: s.Outlets, Elapsed: time.Since(began)})
		}
	}
	stopTicker := make(chan struct{})
	tickerDone := make(chan struct{})
	go func() {
		defer close(tickerDone)
		t := time.NewTicker(opt.Every)
		defer t.Stop()
		for {
			select {
			case <-stopTicker:
				return
			case <-t.C:
				report()
			}
		}
	}()

	// One goroutine makes outlets' years while the committers store the
	// ones made before: generating costs about as much as a commit.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type work struct {
		units []store.Unit
		n     int
	}
	queue := make(chan work, opt.Committers)
	stats := Stats{Outlets: s.Outlets}
	var mu sync.Mutex
	go func() {
		defer close(queue)
		for o := range ids {
			evs, st := p.outletEvents(o, ids[o])
			mu.Lock()
			stats.add(st)
			mu.Unlock()
			units := make([]store.Unit, 0, len(evs)/opt.BatchEvents+1)
			for first := 0; first < len(evs); first += opt.BatchEvents {
				chunk := evs[first:min(first+opt.BatchEvents, len(evs))]
				units = append(units, store.Unit{Batch: &syncproto.Batch{Origin: ids[o], Incarnation: incarnation(ids[o]),
					First: chunk[0].Seq, Last: chunk[len(chunk)-1].Seq, Events: chunk}})
			}
			select {
			case queue <- work{units: units, n: len(evs)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	errs := make(chan error, opt.Committers)
	var wg sync.WaitGroup
	for range opt.Committers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range queue {
				if len(w.units) > 0 {
					res, err := st.Commit(ctx, w.units)
					if err != nil {
						errs <- fmt.Errorf("storegen: commit %s: %w", w.units[0].Batch.Origin, err)
						cancel()
						return
					}
					for i, r := range res {
						if r.Refused != nil || len(r.Rejected) > 0 || r.Held {
							errs <- fmt.Errorf("storegen: %s batch %d..%d not stored as sent: %+v", w.units[i].Batch.Origin, w.units[i].Batch.First, w.units[i].Batch.Last, r)
							cancel()
							return
						}
					}
				}
				done.Add(int64(w.n))
				outletsDone.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stopTicker)
	<-tickerDone
	close(errs)
	if err := <-errs; err != nil {
		return Stats{}, err
	}
	if err := ctx.Err(); err != nil {
		return Stats{}, err
	}
	report()
	if stats.Events != s.Events || stats.Complaints+stats.Exceptions != s.Cases {
		return stats, fmt.Errorf("storegen: made %d events and %d cases, asked for %d and %d", stats.Events, stats.Complaints+stats.Exceptions, s.Events, s.Cases)
	}
	return stats, nil
}

func incarnation(outlet string) string { return "storegen-" + outlet }

func (a *Stats) add(b Stats) {
	a.Events += b.Events
	a.Complaints += b.Complaints
	a.Exceptions += b.Exceptions
	a.OpenComplaints += b.OpenComplaints
	a.OpenExceptions += b.OpenExceptions
	a.Parcels += b.Parcels
	a.CaseEvents += b.CaseEvents
}

// The proportions. Exceptions outnumber complaints about two to one; most
// complaints are real complaints, the rest suggestions and praise.
const (
	complaintShare = 0.35
	// A small share of cases stalls after one of its steps and stays open
	// for good: the queues' long tail.
	stallShare = 0.004
)

var (
	exceptionKinds = weighted[string]{{"delayed", 30}, {"damaged", 15}, {"address_problem", 12}, {"wrong_phone", 10},
		{"refused", 10}, {"mis_sorted", 8}, {"lost", 5}, {"overdue", 5}, {"other", 4}, {"prohibited", 1}}
	complaintTypes      = weighted[string]{{"complaint", 70}, {"suggestion", 20}, {"praise", 10}}
	complaintCategories = weighted[string]{{"delay", 35}, {"loss", 10}, {"damage", 15}, {"attitude", 15}, {"fees", 10}, {"privacy", 3}, {"other", 12}}
	complaintChannels   = weighted[string]{{"counter", 30}, {"phone", 35}, {"online", 15}, {"app", 15}, {"social", 5}}
	satisfaction        = weighted[int]{{5, 45}, {4, 30}, {3, 12}, {2, 8}, {1, 5}}
	idChecks            = weighted[string]{{"code_only", 80}, {"app", 15}, {"id_card", 5}}
)

type weighted[T any] []struct {
	v T
	w float64
}

func (ws weighted[T]) pick(r *rand.Rand) T {
	total := 0.0
	for _, x := range ws {
		total += x.w
	}
	f := r.Float64() * total
	for _, x := range ws {
		if f -= x.w; f < 0 {
			return x.v
		}
	}
	return ws[len(ws)-1].v
}

// planned is what the first pass decides for all outlets before any event
// is made, so that the counts come out exact.
type planned struct {
	s        Size
	start    time.Time
	dayCum   []float64 // cumulative day weights, for drawing a day
	cases    [][]int32 // case indexes per outlet
	parcelEv []int     // parcel events per outlet
}

// plan draws each case's outlet and counts its events, then shares the
// events left over among the outlets as parcels, by the outlets' weights.
func plan(s Size) (*planned, error) {
	p := &planned{s: s, start: s.Start(), cases: make([][]int32, s.Outlets), parcelEv: make([]int, s.Outlets)}
	p.dayCum = make([]float64, s.Days)
	total := 0.0
	for d := range s.Days {
		total += dayWeight(p.start.AddDate(0, 0, d))
		p.dayCum[d] = total
	}
	weights := make([]float64, s.Outlets)
	wsum := 0.0
	for o := range weights {
		// Busy and quiet outlets: from a quarter of the mean to about three
		// times it, most near it.
		r := rand.New(rand.NewPCG(0x51a7e, uint64(o)))
		weights[o] = min(max(math.Exp(r.NormFloat64()*0.6), 0.25), 3)
		wsum += weights[o]
	}
	cum := make([]float64, s.Outlets)
	acc := 0.0
	for o, w := range weights {
		acc += w
		cum[o] = acc
	}
	caseEvents := 0
	for i := range s.Cases {
		c := p.caseAt(i)
		o, _ := slices.BinarySearch(cum, c.r.Float64()*wsum)
		o = min(o, s.Outlets-1)
		p.cases[o] = append(p.cases[o], int32(i))
		caseEvents += len(c.steps(p))
	}
	left := s.Events - caseEvents
	if left < 0 {
		return nil, fmt.Errorf("storegen: %d cases make %d events, more than the %d asked for", s.Cases, caseEvents, s.Events)
	}
	// Largest remainders, so the shares add up exactly.
	type rem struct {
		o int
		f float64
	}
	rems := make([]rem, s.Outlets)
	given := 0
	for o, w := range weights {
		exact := float64(left) * w / wsum
		p.parcelEv[o] = int(exact)
		given += p.parcelEv[o]
		rems[o] = rem{o, exact - float64(p.parcelEv[o])}
	}
	slices.SortFunc(rems, func(a, b rem) int { return cmp.Or(cmp.Compare(b.f, a.f), cmp.Compare(a.o, b.o)) })
	for i := 0; given < left; i++ {
		p.parcelEv[rems[i%len(rems)].o]++
		given++
	}
	return p, nil
}

// dayWeight is a day's volume relative to an ordinary weekday: more at
// weekends, much more in the fortnight after the 11.11 sales, little
// around the Spring Festival (2026-02-17).
func dayWeight(d time.Time) float64 {
	w := 1.0
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		w = 1.2
	}
	if d.Month() == time.November && d.Day() >= 11 && d.Day() <= 25 {
		w *= 2.5
	}
	if festival := time.Date(2026, 2, 17, 0, 0, 0, 0, CST); d.After(festival.AddDate(0, 0, -5)) && d.Before(festival.AddDate(0, 0, 7)) {
		w *= 0.4
	}
	return w
}

// day draws a day by the day weights and a time in its opening hours
// (08:00 to 21:00).
func (p *planned) day(r *rand.Rand) time.Time {
	d, _ := slices.BinarySearch(p.dayCum, r.Float64()*p.dayCum[len(p.dayCum)-1])
	d = min(d, len(p.dayCum)-1)
	return p.start.AddDate(0, 0, d).Add(8*time.Hour + time.Duration(r.Int64N(int64(13*time.Hour))))
}

// aCase is one case's own random stream.
type aCase struct {
	i int
	r *rand.Rand
}

func (p *planned) caseAt(i int) aCase {
	return aCase{i: i, r: rand.New(rand.NewPCG(0xca5e, uint64(i)))}
}

// step is one event of a case, before it has a sequence.
type step struct {
	at      time.Time
	typ     string
	payload any
}

// steps makes the case's events that happened before End. The first draw
// of r picked the outlet (plan), so the same case makes the same events in
// both passes.
func (c aCase) steps(p *planned) []step {
	r := c.r
	t0 := p.day(r)
	stall := r.Float64() < stallShare
	var out []step
	if r.Float64() < complaintShare {
		typ := complaintTypes.pick(r)
		rec := lifecycle.ComplaintReceivedV1{Ticket: fmt.Sprintf("T%08d", c.i), Channel: complaintChannels.pick(r), Type: typ,
			Category: complaintCategories.pick(r), Severity: "routine", Customer: fmt.Sprintf("cu%016x", r.Uint64()),
			CustomerMasked: fmt.Sprintf("138****%04d", r.IntN(10000)), Text: "客户反映的问题（基准数据）", Owner: clerk(r), At: t0.UnixMilli()}
		if r.Float64() < 0.08 {
			rec.Severity = "major"
		}
		if r.Float64() < 0.7 {
			rec.Waybill = fmt.Sprintf("9%012d", r.Int64N(1e12))
		}
		out = append(out, step{t0, lifecycle.ComplaintReceived, rec})
		// First reply: most within a few hours, about one in seven after
		// the 24-hour mark.
		ack := time.Duration(math.Exp(r.NormFloat64()*1.1+math.Log(5)) * float64(time.Hour))
		t := t0
		if ack > 24*time.Hour {
			out = append(out, step{t0.Add(24 * time.Hour), lifecycle.ComplaintStep, lifecycle.ComplaintStepV1{Step: "escalate", Reason: "sla_first_reply", At: t0.Add(24 * time.Hour).UnixMilli()}})
		}
		add := func(d time.Duration, s lifecycle.ComplaintStepV1) {
			t = t.Add(d)
			s.At = t.UnixMilli()
			out = append(out, step{t, lifecycle.ComplaintStep, s})
		}
		add(ack, lifecycle.ComplaintStepV1{Step: "acknowledge", Note: "已联系客户"})
		if typ == "complaint" {
			hours := func(lo, hi float64) time.Duration {
				return time.Duration((lo + r.Float64()*(hi-lo)) * float64(time.Hour))
			}
			add(hours(0.5, 12), lifecycle.ComplaintStepV1{Step: "investigate"})
			add(hours(2, 48), lifecycle.ComplaintStepV1{Step: "decide_responsibility", Note: "网点责任"})
			add(hours(1, 24), lifecycle.ComplaintStepV1{Step: "propose_solution", Note: "赔偿运费"})
			add(hours(1, 48), lifecycle.ComplaintStepV1{Step: "customer_agrees"})
			add(hours(2, 72), lifecycle.ComplaintStepV1{Step: "carry_out"})
			add(hours(12, 72), lifecycle.ComplaintStepV1{Step: "follow_up", Satisfaction: satisfaction.pick(r)})
		}
		add(time.Duration(r.Int64N(int64(2*time.Hour))), lifecycle.ComplaintStepV1{Step: "close"})
	} else {
		kind := exceptionKinds.pick(r)
		rep := lifecycle.ExceptionReportedV1{Waybill: fmt.Sprintf("9%012d", r.Int64N(1e12)), Kind: kind, Owner: clerk(r), At: t0.UnixMilli()}
		out = append(out, step{t0, lifecycle.ExceptionReported, rep})
		t := t0
		add := func(lo, hi float64, s lifecycle.ExceptionStepV1) {
			t = t.Add(time.Duration((lo + r.Float64()*(hi-lo)) * float64(time.Hour)))
			s.At = t.UnixMilli()
			out = append(out, step{t, lifecycle.ExceptionStep, s})
		}
		if r.Float64() < 0.1 {
			add(0.05, 0.5, lifecycle.ExceptionStepV1{Step: "assign", Owner: clerk(r)})
		}
		add(0.2, 8, lifecycle.ExceptionStepV1{Step: "start_handling"})
		add(1, 48, lifecycle.ExceptionStepV1{Step: "inform_customer", Note: "已电话告知"})
		add(1, 72, lifecycle.ExceptionStepV1{Step: "close"})
	}
	if stall {
		// Stalled after one of its steps before the last: stays open.
		out = out[:1+r.IntN(len(out)-1)]
	}
	for i, s := range out {
		if !s.at.Before(End) {
			return out[:i]
		}
	}
	return out
}

func clerk(r *rand.Rand) string { return fmt.Sprintf("c%02d", 1+r.IntN(6)) }

// isComplaint reports the kind a case's steps are of.
func isComplaint(steps []step) bool { return steps[0].typ == lifecycle.ComplaintReceived }

// stamped is one event of an outlet before its sequence is known.
type stamped struct {
	at      time.Time
	typ     string
	subject string
	actor   string
	payload any
}

// outletEvents makes one outlet's year: its cases' events and its parcels'
// inbound, shelving and pickup events, in time order with sequences from 1.
func (p *planned) outletEvents(o int, id string) ([]syncproto.Event, Stats) {
	var st Stats
	var evs []stamped
	for _, i := range p.cases[o] {
		c := p.caseAt(int(i))
		c.r.Float64() // the outlet's draw (plan)
		steps := c.steps(p)
		subject := fmt.Sprintf("EX%08d", i)
		last := lifecycle.ExceptionStep
		if isComplaint(steps) {
			subject = fmt.Sprintf("CP%08d", i)
			st.Complaints++
			last = lifecycle.ComplaintStep
		} else {
			st.Exceptions++
		}
		closed := false
		if s := steps[len(steps)-1]; s.typ == last {
			switch v := s.payload.(type) {
			case lifecycle.ComplaintStepV1:
				closed = v.Step == "close"
			case lifecycle.ExceptionStepV1:
				closed = v.Step == "close"
			}
		}
		if !closed {
			if isComplaint(steps) {
				st.OpenComplaints++
			} else {
				st.OpenExceptions++
			}
		}
		for _, s := range steps {
			evs = append(evs, stamped{at: s.at, typ: s.typ, subject: subject, actor: clerk(c.r), payload: s.payload})
		}
		st.CaseEvents += len(steps)
	}
	r := rand.New(rand.NewPCG(0x9a4ce1, uint64(o)))
	for n, left := 0, p.parcelEv[o]; left > 0; n++ {
		waybill := fmt.Sprintf("7%04d%08d", o, n)
		in := p.day(r)
		evs = append(evs, stamped{at: in, typ: lifecycle.ParcelInbound, subject: waybill, actor: clerk(r), payload: lifecycle.InboundV1{
			Waybill: waybill, PhoneMasked: fmt.Sprintf("139****%04d", r.IntN(10000)), PhoneLast4: fmt.Sprintf("%04d", r.IntN(10000)),
			Customer: fmt.Sprintf("cu%016x", r.Uint64()), Carriers: []string{"zto"}, HoldDays: 3, At: in.UnixMilli()}})
		left--
		st.Parcels++
		shelved := in.Add(time.Duration(1+r.IntN(20)) * time.Minute)
		if left == 0 || !shelved.Before(End) {
			continue
		}
		shelf, layer := fmt.Sprintf("%d", 1+r.IntN(12)), fmt.Sprintf("%d", 1+r.IntN(5))
		evs = append(evs, stamped{at: shelved, typ: lifecycle.ParcelShelved, subject: waybill, actor: clerk(r), payload: lifecycle.ShelvedV1{
			Shelf: shelf, Layer: layer, Code: fmt.Sprintf("%s-%s-%04d", shelf, layer, n%10000), At: shelved.UnixMilli()}})
		left--
		// Dwell at the shelf: half within about 14 hours, a few for days.
		dwell := time.Duration(math.Exp(r.NormFloat64()*0.9+math.Log(14)) * float64(time.Hour))
		if up := shelved.Add(dwell); left > 0 && up.Before(End) {
			evs = append(evs, stamped{at: up, typ: lifecycle.ParcelPickedUp, subject: waybill, actor: clerk(r), payload: lifecycle.PickupV1{
				IDCheck: idChecks.pick(r), Signer: "recipient", Staff: clerk(r), At: up.UnixMilli()}})
			left--
		}
	}
	slices.SortStableFunc(evs, func(a, b stamped) int { return a.at.Compare(b.at) })
	out := make([]syncproto.Event, len(evs))
	for k, e := range evs {
		js, err := json.Marshal(e.payload)
		if err != nil {
			panic(err) // only our own payload structs
		}
		seq := uint64(k + 1)
		out[k] = syncproto.Event{ID: fmt.Sprintf("%s-%08d", id, seq), Origin: id, Seq: seq, HLC: hlc.Make(e.at.UnixMilli(), 0),
			Actor: e.actor, Type: e.typ, V: 1, Subject: e.subject, Payload: js}
	}
	st.Events = len(out)
	return out, st
}
