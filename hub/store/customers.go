package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Head office's customer profiles are folded in the transaction that
// makes events visible, like the rollups, and incrementally: each event
// adds to its customer's row, never a rescan.
//
//   - Parcels and shipments add once per event as it becomes visible
//     (Core's shown events): a replayed event is not fresh, a held one
//     counts when it is released.
//   - Complaints and exceptions are refolded with their case row; what
//     each one last gave its customer (CustomerCase) is kept, so that the
//     profile takes only the difference and a step seen twice counts once.
//
// Profiles are keyed by the customer id the outlets compute (a keyed hash
// of the normalised phone, syncproto/sealed.CustomerID) and hold no phone
// or name in clear: only the latest sealed contact the events carried
// (Contact), which head office alone can open, and the masked forms.

// Customer is one customer's profile. Times are hub-corrected Unix ms.
type Customer struct {
	ID                  string
	FirstSeen, LastSeen int64
	// Received counts parcels picked up, Sent shipments accepted, FeesFen
	// their quoted totals.
	Received, Sent, FeesFen    int64
	Complaints, ComplaintsOpen int64
	// SatisfactionSum and N add the complaints' follow-up scores (1–5);
	// LastSatisfaction is the newest, at LastSatisfactionAt.
	SatisfactionSum, SatisfactionN       int64
	LastSatisfaction, LastSatisfactionAt int64
	Exceptions, ExceptionsOpen           int64
	Contact                              Contact
	Enterprise                           string
	// Class is the customer's RFM segment (ClassOf), computed at ClassAt
	// from WindowParcels and WindowFees, the parcels and fees of the
	// window then.
	Class                              string
	ClassAt, WindowParcels, WindowFees int64
	// Lang is the language head office renders its messages in, one of
	// CustomerLangs (DefaultLang until set).
	Lang string
}

// CustomerLangs are the languages a customer's messages are rendered in;
// DefaultLang is a profile's until head office sets another.
var CustomerLangs = []string{"zh", "en"}

// DefaultLang is the language of a customer head office set none for.
const DefaultLang = "zh"

// Contact is where a customer's latest phone and name lie sealed: the
// outlet whose key sealed them and the record they are bound to
// (syncproto/sealed.Record). The data retention purge clears it.
type Contact struct {
	Outlet, Kind, Record     string
	PhoneSealed, PhoneMasked string
	NameSealed, NameMasked   string
	At                       int64
}

// CustomerOutlet counts one customer's parcels at one outlet.
type CustomerOutlet struct {
	Customer, Outlet string
	N, LastSeen      int64
}

// CustomerDay is one customer's parcels (received and sent) and fees on
// one civil day (DayOf): what the classes' window sums.
type CustomerDay struct {
	Customer      string
	Day           int64
	Parcels, Fees int64
}

// CustomerCase is what one complaint or exception last gave its
// customer's profile.
type CustomerCase struct {
	Kind, ID, Customer string
	Open               bool
	Satisfaction       int64
}

// CustomerParcel is one parcel a customer received (picked up) or sent
// (a shipment accepted), with its fees.
type CustomerParcel struct {
	Customer, Kind, Outlet, Waybill string
	At, Fees                        int64
}

// CustomerParcel kinds.
const (
	ParcelReceived = "received"
	ParcelSent     = "sent"
)

// ClassCount is a change of one class's count.
type ClassCount struct {
	Class string
	N     int64
}

// ClassPush is a customer's class still to send to an outlet.
type ClassPush struct{ Outlet, Customer, Class string }

// ClassMove is one change of a customer's class; From is "" for a new
// customer.
type ClassMove struct {
	Customer, From, To string
	At                 int64
}

// CustomerQuery selects profiles by id order, after After; Class and
// Outlet "" are any.
type CustomerQuery struct {
	Class, Outlet, After string
	Limit                int
}

// ClassSettings are head office's RFM thresholds: four ascending cuts
// each. Recency in days since last seen scores 5 at or under R[0], 4 at
// or under R[1] … 1 beyond R[3]; frequency (parcels in the window) and
// monetary (fen in the window) score 1 under F[0] or M[0] … 5 at or over
// F[3] or M[3]. A score is high at 3 or more.
type ClassSettings struct {
	WindowDays int      `json:"window_days"`
	R          [4]int64 `json:"r_days"`
	F          [4]int64 `json:"f_parcels"`
	M          [4]int64 `json:"m_fen"`
}

// DefaultClassSettings are the thresholds until head office sets its own.
var DefaultClassSettings = ClassSettings{WindowDays: 365, R: [4]int64{30, 60, 120, 240}, F: [4]int64{2, 4, 8, 16}, M: [4]int64{2000, 5000, 10000, 30000}}

// MaxWindowDays bounds the classes' window: ten years of days.
const MaxWindowDays = 3660

// ClassSettingsName is the store setting that holds ClassSettings.
const ClassSettingsName = "customer_classes"

// Check says whether the settings are usable: a window of 1 to 3660 days
// and ascending, non-negative cuts.
func (c ClassSettings) Check() error {
	if c.WindowDays < 1 || c.WindowDays > MaxWindowDays {
		return problem.New(problem.CustomerBadWindow, "max", MaxWindowDays)
	}
	for _, f := range []struct {
		name string
		cuts [4]int64
	}{{"r_days", c.R}, {"f_parcels", c.F}, {"m_fen", c.M}} {
		for i := range f.cuts {
			if f.cuts[i] < 0 || (i > 0 && f.cuts[i] <= f.cuts[i-1]) {
				return problem.New(problem.CustomerBadSettings, "field", f.name)
			}
		}
	}
	return nil
}

// The eight classic RFM segments: high or low recency, frequency and
// monetary value.
const (
	ClassImportantValue   = "important_value"   // R F M high
	ClassImportantDevelop = "important_develop" // R M high, F low
	ClassImportantKeep    = "important_keep"    // F M high, R low
	ClassImportantRetain  = "important_retain"  // M high, R F low
	ClassGeneralValue     = "general_value"     // R F high, M low
	ClassGeneralDevelop   = "general_develop"   // R high, F M low
	ClassGeneralKeep      = "general_keep"      // F high, R M low
	ClassGeneralRetain    = "general_retain"    // R F M low
)

// Classes lists the segments in the screen's order.
var Classes = []string{ClassImportantValue, ClassImportantDevelop, ClassImportantKeep, ClassImportantRetain,
	ClassGeneralValue, ClassGeneralDevelop, ClassGeneralKeep, ClassGeneralRetain}

// Scores are a customer's R, F and M scores, 1–5.
func (c ClassSettings) Scores(lastSeen, now, parcels, fees int64) (r, f, m int) {
	days := max(0, (now-lastSeen)/86400000)
	r = 1
	for i := 3; i >= 0; i-- {
		if days <= c.R[i] {
			r = 5 - i
		}
	}
	up := func(v int64, cuts [4]int64) int {
		s := 1
		for i, cut := range cuts {
			if v >= cut {
				s = i + 2
			}
		}
		return s
	}
	return r, up(parcels, c.F), up(fees, c.M)
}

// ClassOf is the segment of a customer last seen at lastSeen, with
// parcels and fees in the window, at now.
func (c ClassSettings) ClassOf(lastSeen, now, parcels, fees int64) string {
	r, f, m := c.Scores(lastSeen, now, parcels, fees)
	hr, hf, hm := r >= 3, f >= 3, m >= 3
	switch {
	case hm && hr && hf:
		return ClassImportantValue
	case hm && hr:
		return ClassImportantDevelop
	case hm && hf:
		return ClassImportantKeep
	case hm:
		return ClassImportantRetain
	case hr && hf:
		return ClassGeneralValue
	case hr:
		return ClassGeneralDevelop
	case hf:
		return ClassGeneralKeep
	}
	return ClassGeneralRetain
}

// ReadClassSettings reads head office's thresholds, or the defaults.
func ReadClassSettings(ctx context.Context, q interface {
	Setting(ctx context.Context, name string) (string, bool, error)
}) (ClassSettings, error) {
	v, ok, err := q.Setting(ctx, ClassSettingsName)
	if err != nil || !ok {
		return DefaultClassSettings, err
	}
	var c ClassSettings
	if err := json.Unmarshal([]byte(v), &c); err != nil || c.Check() != nil {
		return DefaultClassSettings, nil
	}
	return c, nil
}

// custKey is a customer at an outlet.
type custKey struct{ customer, outlet string }

// custPickup is a pickup whose customer is read from its parcel's intake.
type custPickup struct {
	outlet, waybill string
	at              int64
	// delivered is a delivery to the door (dispatch.delivered): it offers
	// its customer a survey and counts nothing else.
	delivered bool
}

// customerUpkeep gathers one transaction's changes to the profiles.
type customerUpkeep struct {
	loc     *time.Location
	d       map[string]*Customer
	outlets map[custKey]*CustomerOutlet
	dayN    map[[2]any]*CustomerDay
	parcels []CustomerParcel
	pickups []custPickup
	// surveys are the customers this transaction's events offer for a
	// survey invitation (surveys.go); rebuilding leaves them out, since
	// an old event is no occasion to ask anyone.
	surveys    []SurveyCandidate
	rebuilding bool
}

func newCustomerUpkeep(loc *time.Location) *customerUpkeep {
	return &customerUpkeep{loc: loc, d: map[string]*Customer{}, outlets: map[custKey]*CustomerOutlet{}, dayN: map[[2]any]*CustomerDay{}}
}

// delta is id's row of changes, created at first use.
func (u *customerUpkeep) delta(id string) *Customer {
	c := u.d[id]
	if c == nil {
		c = &Customer{ID: id}
		u.d[id] = c
	}
	return c
}

// seen records that the customer dealt with outlet at at: first and last
// seen, the outlet's count, and the window's day.
func (u *customerUpkeep) seen(id, outlet string, at, parcels, fees int64) {
	c := u.delta(id)
	if c.FirstSeen == 0 || at < c.FirstSeen {
		c.FirstSeen = at
	}
	c.LastSeen = max(c.LastSeen, at)
	if outlet != "" && outlet != syncproto.HubOrigin {
		o := u.outlets[custKey{id, outlet}]
		if o == nil {
			o = &CustomerOutlet{Customer: id, Outlet: outlet}
			u.outlets[custKey{id, outlet}] = o
		}
		o.N += parcels
		o.LastSeen = max(o.LastSeen, at)
	}
	if parcels != 0 || fees != 0 {
		day := DayOf(at, u.loc)
		k := [2]any{id, day}
		d := u.dayN[k]
		if d == nil {
			d = &CustomerDay{Customer: id, Day: day}
			u.dayN[k] = d
		}
		d.Parcels += parcels
		d.Fees += fees
	}
}

// contact keeps the newest sealed contact of the customer.
func (u *customerUpkeep) contact(id string, k Contact) {
	if k.PhoneSealed == "" && k.NameSealed == "" {
		return
	}
	c := u.delta(id)
	if k.At >= c.Contact.At {
		c.Contact = k
	}
}

// add folds e, which this transaction made visible, into the deltas.
func (u *customerUpkeep) add(e *syncproto.Event) {
	at := e.FoldStamp().WallMillis()
	switch e.Type {
	case lifecycle.ParcelInbound:
		var in lifecycle.InboundV1
		if json.Unmarshal(e.Payload, &in) != nil || in.Customer == "" {
			return
		}
		u.seen(in.Customer, e.Origin, at, 0, 0)
		u.contact(in.Customer, Contact{Outlet: e.Origin, Kind: lifecycle.KindParcel, Record: e.Subject,
			PhoneSealed: in.PhoneSealed, PhoneMasked: in.PhoneMasked, NameSealed: in.NameSealed, NameMasked: in.NameMasked, At: at})
	case lifecycle.ParcelPickedUp:
		u.pickups = append(u.pickups, custPickup{outlet: e.Origin, waybill: e.Subject, at: at})
	case lifecycle.DispatchDelivered:
		u.pickups = append(u.pickups, custPickup{outlet: e.Origin, waybill: e.Subject, at: at, delivered: true})
	case lifecycle.ShipmentAccepted:
		var sh lifecycle.ShipmentV1
		if json.Unmarshal(e.Payload, &sh) != nil || sh.Sender.Customer == "" {
			return
		}
		id := sh.Sender.Customer
		c := u.delta(id)
		c.Sent++
		c.FeesFen += sh.Quote.TotalFen
		u.seen(id, e.Origin, at, 1, sh.Quote.TotalFen)
		u.parcels = append(u.parcels, CustomerParcel{Customer: id, Kind: ParcelSent, Outlet: e.Origin, Waybill: e.Subject, At: at, Fees: sh.Quote.TotalFen})
		u.contact(id, Contact{Outlet: e.Origin, Kind: lifecycle.KindShipment, Record: e.Subject,
			PhoneSealed: sh.Sender.PhoneSealed, PhoneMasked: sh.Sender.PhoneMasked, NameSealed: sh.Sender.NameSealed, NameMasked: sh.Sender.NameMasked, At: at})
	case lifecycle.ComplaintReceived:
		var r lifecycle.ComplaintReceivedV1
		if json.Unmarshal(e.Payload, &r) != nil || r.Customer == "" {
			return
		}
		// A head-office complaint's contact is sealed under the key of the
		// outlet it went to.
		outlet := r.OutletOf(e.Origin)
		u.seen(r.Customer, outlet, at, 0, 0)
		u.contact(r.Customer, Contact{Outlet: outlet, Kind: lifecycle.KindComplaint, Record: e.Subject,
			PhoneSealed: r.PhoneSealed, PhoneMasked: r.CustomerMasked, NameSealed: r.NameSealed, NameMasked: r.NameMasked, At: at})
	}
}

// intakeCustomer is the customer of the parcel's last intake at or before
// at among evs (one outlet's events about it).
func intakeCustomer(evs []syncproto.Event, waybill string, at int64) string {
	var best int64 = -1
	var who string
	for i := range evs {
		e := &evs[i]
		if e.Type != lifecycle.ParcelInbound || e.Subject != waybill {
			continue
		}
		s := e.FoldStamp().WallMillis()
		if s > at || s < best {
			continue
		}
		var in lifecycle.InboundV1
		if json.Unmarshal(e.Payload, &in) == nil {
			best, who = s, in.Customer
		}
	}
	return who
}

// parcelEventsOf reads outlet's events about waybills.
func parcelEventsOf(ctx context.Context, tx Tx, outlet string, waybills []string) ([]syncproto.Event, error) {
	slices.Sort(waybills)
	evs, err := tx.ParcelEvents(ctx, outlet, slices.Compact(waybills))
	if err != nil {
		return nil, fmt.Errorf("read parcels of %s for their customers: %w", outlet, err)
	}
	return evs, nil
}

// inviteSurveys draws the candidates' invitations and enqueues their
// messages.
func inviteSurveys(ctx context.Context, tx Tx, cands []SurveyCandidate, now int64) error {
	invites, err := tx.Customers().Surveys().Draw(ctx, cands, now)
	if err != nil {
		return fmt.Errorf("draw survey invitations: %w", err)
	}
	if len(invites) > 0 {
		if _, err := tx.Outbox().Enqueue(ctx, InviteMessages(invites), now); err != nil {
			return fmt.Errorf("enqueue %d survey invitations: %w", len(invites), err)
		}
	}
	return nil
}

// resolvePickups counts each pickup for its parcel's customer.
func (u *customerUpkeep) resolvePickups(ctx context.Context, tx Tx) error {
	by := map[string][]custPickup{}
	for _, p := range u.pickups {
		by[p.outlet] = append(by[p.outlet], p)
	}
	for _, outlet := range slices.Sorted(mapsKeys(by)) {
		ps := by[outlet]
		for chunk := range slices.Chunk(ps, pickupsPerRead) {
			wbs := make([]string, len(chunk))
			for i, p := range chunk {
				wbs[i] = p.waybill
			}
			evs, err := parcelEventsOf(ctx, tx, outlet, wbs)
			if err != nil {
				return err
			}
			for _, p := range chunk {
				id := intakeCustomer(evs, p.waybill, p.at)
				if id != "" && p.delivered {
					u.surveys = append(u.surveys, SurveyCandidate{Customer: id, Trigger: lifecycle.SurveyOnDelivery, Source: p.waybill, Outlet: outlet})
					continue
				}
				if id != "" {
					u.surveys = append(u.surveys, SurveyCandidate{Customer: id, Trigger: lifecycle.SurveyOnPickup, Source: p.waybill, Outlet: outlet})
					u.delta(id).Received++
					u.seen(id, outlet, p.at, 1, 0)
					u.parcels = append(u.parcels, CustomerParcel{Customer: id, Kind: ParcelReceived, Outlet: outlet, Waybill: p.waybill, At: p.at})
				}
			}
		}
	}
	u.pickups = nil
	return nil
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// caseOf is what a complaint's or an exception's events give its customer.
func caseOf(ctx context.Context, tx Tx, k CaseKey, evs []syncproto.Event) (CustomerCase, int64, *SurveyCandidate, error) {
	cc := CustomerCase{Kind: k.Kind, ID: k.ID}
	var closed *SurveyCandidate
	kind, _ := lifecycle.KindByName(k.Kind)
	own := make([]syncproto.Event, 0, len(evs))
	for _, e := range evs {
		if kind.Owns(e.Type) {
			own = append(own, e)
		}
	}
	if len(own) == 0 {
		return cc, 0, nil, nil
	}
	lifecycle.Order(own)
	at := own[len(own)-1].FoldStamp().WallMillis()
	switch k.Kind {
	case lifecycle.KindComplaint:
		c := lifecycle.FoldComplaint(k.ID, slices.Clone(own))
		if c.State == "" {
			return cc, at, nil, nil
		}
		cc.Customer, cc.Open, cc.Satisfaction = c.Customer, kind.Open(c), int64(c.Satisfaction)
		if c.State == lifecycle.ComplaintStateClosed && c.Customer != "" {
			closed = &SurveyCandidate{Customer: c.Customer, Trigger: lifecycle.SurveyOnComplaintClosed, Source: k.ID, Outlet: c.Outlet}
		}
	case lifecycle.KindException:
		x := lifecycle.FoldException(k.ID, slices.Clone(own))
		if x.State == "" || x.Waybill == "" || x.Outlet == "" {
			return cc, at, nil, nil
		}
		pevs, err := parcelEventsOf(ctx, tx, x.Outlet, []string{x.Waybill})
		if err != nil {
			return cc, at, nil, err
		}
		cc.Customer, cc.Open = intakeCustomer(pevs, x.Waybill, at), kind.Open(x)
	}
	return cc, at, closed, nil
}

// refreshCase takes the difference between what the case gave its
// customer before and what it gives now.
func (u *customerUpkeep) refreshCase(ctx context.Context, tx Tx, k CaseKey, evs []syncproto.Event) error {
	if k.Kind != lifecycle.KindComplaint && k.Kind != lifecycle.KindException {
		return nil
	}
	now, at, closed, err := caseOf(ctx, tx, k, evs)
	if err != nil {
		return err
	}
	if closed != nil {
		// Drawn once: the invitation's id is the complaint's (Draw).
		u.surveys = append(u.surveys, *closed)
	}
	was, _, err := tx.Customers().CustomerCase(ctx, k.Kind, k.ID)
	if err != nil {
		return fmt.Errorf("read what %s %s gave its customer: %w", k.Kind, k.ID, err)
	}
	if now == was {
		return nil
	}
	apply := func(cc CustomerCase, sign int64) {
		if cc.Customer == "" {
			return
		}
		c := u.delta(cc.Customer)
		open := int64(0)
		if cc.Open {
			open = sign
		}
		switch cc.Kind {
		case lifecycle.KindComplaint:
			c.Complaints += sign
			c.ComplaintsOpen += open
			if cc.Satisfaction > 0 {
				c.SatisfactionSum += sign * cc.Satisfaction
				c.SatisfactionN += sign
			}
		case lifecycle.KindException:
			c.Exceptions += sign
			c.ExceptionsOpen += open
		}
	}
	apply(was, -1)
	apply(now, 1)
	if now.Customer != "" {
		u.seen(now.Customer, "", at, 0, 0)
		if now.Satisfaction > 0 && (now.Satisfaction != was.Satisfaction || now.Customer != was.Customer) {
			c := u.delta(now.Customer)
			if at >= c.LastSatisfactionAt {
				c.LastSatisfaction, c.LastSatisfactionAt = now.Satisfaction, at
			}
		}
	}
	if err := tx.Customers().PutCustomerCase(ctx, now); err != nil {
		return fmt.Errorf("record what %s %s gave its customer: %w", k.Kind, k.ID, err)
	}
	return nil
}

// flush writes the deltas in customer id order (the lock order after the
// tallies), then reclassifies every customer they touched.
func (u *customerUpkeep) flush(ctx context.Context, tx Tx, cs ClassSettings, now int64) error {
	if err := u.resolvePickups(ctx, tx); err != nil {
		return err
	}
	if u.rebuilding {
		u.surveys = nil
	}
	if err := inviteSurveys(ctx, tx, u.surveys, now); err != nil {
		return err
	}
	u.surveys = nil
	if len(u.d) == 0 {
		return nil
	}
	ds := make([]Customer, 0, len(u.d))
	for _, c := range u.d {
		ds = append(ds, *c)
	}
	slices.SortFunc(ds, func(a, b Customer) int { return cmp.Compare(a.ID, b.ID) })
	if err := tx.Customers().AddCustomers(ctx, ds); err != nil {
		return fmt.Errorf("update %d customers: %w", len(ds), err)
	}
	os := make([]CustomerOutlet, 0, len(u.outlets))
	for _, o := range u.outlets {
		os = append(os, *o)
	}
	slices.SortFunc(os, func(a, b CustomerOutlet) int {
		return cmp.Or(cmp.Compare(a.Customer, b.Customer), cmp.Compare(a.Outlet, b.Outlet))
	})
	if err := tx.Customers().AddCustomerOutlets(ctx, os); err != nil {
		return fmt.Errorf("update customers' outlets: %w", err)
	}
	days := make([]CustomerDay, 0, len(u.dayN))
	for _, d := range u.dayN {
		days = append(days, *d)
	}
	slices.SortFunc(days, func(a, b CustomerDay) int {
		return cmp.Or(cmp.Compare(a.Customer, b.Customer), cmp.Compare(a.Day, b.Day))
	})
	if err := tx.Customers().AddCustomerDays(ctx, days); err != nil {
		return fmt.Errorf("update customers' days: %w", err)
	}
	slices.SortFunc(u.parcels, func(a, b CustomerParcel) int {
		return cmp.Or(cmp.Compare(a.Customer, b.Customer), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Outlet, b.Outlet), cmp.Compare(a.Waybill, b.Waybill))
	})
	if err := tx.Customers().AddCustomerParcels(ctx, u.parcels); err != nil {
		return fmt.Errorf("record customers' parcels: %w", err)
	}
	ids := make([]string, len(ds))
	for i := range ds {
		ids[i] = ds[i].ID
	}
	return reclass(ctx, tx, ids, cs, now, u.loc)
}

// reclass recomputes the classes of ids at now and records every change.
func reclass(ctx context.Context, tx Tx, ids []string, cs ClassSettings, now int64, loc *time.Location) error {
	from := DayOf(now, loc) - int64(cs.WindowDays) + 1
	counts := map[string]int64{}
	for chunk := range slices.Chunk(ids, pickupsPerRead) {
		rows, err := tx.Customers().ClassInputs(ctx, chunk, from)
		if err != nil {
			return fmt.Errorf("read %d customers' window: %w", len(chunk), err)
		}
		for _, c := range rows {
			class := cs.ClassOf(c.LastSeen, now, c.WindowParcels, c.WindowFees)
			if err := tx.Customers().PutClass(ctx, c.ID, class, now, c.WindowParcels, c.WindowFees, class != c.Class, c.Class); err != nil {
				return fmt.Errorf("class of customer %s: %w", c.ID, err)
			}
			if class != c.Class {
				counts[class]++
				if c.Class != "" {
					counts[c.Class]--
				}
			}
		}
	}
	// In class order: the counts' rows are locked last, in one order.
	var ds []ClassCount
	for _, c := range slices.Sorted(mapsKeys(counts)) {
		if counts[c] != 0 {
			ds = append(ds, ClassCount{Class: c, N: counts[c]})
		}
	}
	if err := tx.Customers().AddClassCounts(ctx, ds); err != nil {
		return fmt.Errorf("update class counts: %w", err)
	}
	return nil
}

// customerBuilt is the setting that says the profiles were built from the
// stored events (BuildCustomers).
const customerBuilt = "customers.built"

// BuildCustomers folds the profiles of a store whose events predate them
// (the migration that added them): it clears them, adds every visible
// event in chunks, one transaction each, then refolds every complaint and
// exception. A store whose profiles are built returns at once. Run it at
// open, before the hub takes batches.
func (s *Core) BuildCustomers(ctx context.Context, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, ok, err := s.Setting(ctx, customerBuilt); err != nil || ok {
		return err
	}
	start := time.Now()
	cs, err := ReadClassSettings(ctx, s)
	if err != nil {
		return err
	}
	now := s.clock.Now().UnixMilli()
	log.Info("building customer profiles from the stored events")
	if err := s.inTx(ctx, func(tx Tx) error { return tx.Customers().ClearCustomers(ctx) }); err != nil {
		return fmt.Errorf("clear customer profiles: %w", err)
	}
	var after EventKey
	n := 0
	for {
		var evs []syncproto.Event
		err := s.inTx(ctx, func(tx Tx) error {
			var next EventKey
			var err error
			evs, next, err = tx.EventsAfter(ctx, after, rebuildChunk)
			if err != nil {
				return fmt.Errorf("read events: %w", err)
			}
			u := newCustomerUpkeep(s.loc)
			u.rebuilding = true
			for i := range evs {
				u.add(&evs[i])
			}
			after = next
			return u.flush(ctx, tx, cs, now)
		})
		if err != nil {
			return err
		}
		n += len(evs)
		if len(evs) < rebuildChunk {
			break
		}
	}
	for _, kind := range []string{lifecycle.KindComplaint, lifecycle.KindException} {
		rows, err := s.Cases(ctx, CaseQuery{Kind: kind})
		if err != nil {
			return fmt.Errorf("list %ss: %w", kind, err)
		}
		for chunk := range slices.Chunk(rows, 500) {
			err := s.inTx(ctx, func(tx Tx) error {
				u := newCustomerUpkeep(s.loc)
				u.rebuilding = true
				for _, c := range chunk {
					evs, err := tx.SubjectEvents(ctx, c.ID)
					if err != nil {
						return fmt.Errorf("read events of %s: %w", c.ID, err)
					}
					if err := u.refreshCase(ctx, tx, CaseKey{Kind: kind, ID: c.ID}, evs); err != nil {
						return err
					}
				}
				return u.flush(ctx, tx, cs, now)
			})
			if err != nil {
				return err
			}
		}
	}
	if err := s.inTx(ctx, func(tx Tx) error { return tx.PutSetting(ctx, customerBuilt, "1") }); err != nil {
		return fmt.Errorf("record customer profiles built: %w", err)
	}
	log.Info("customer profiles built", "events", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Reclassify recomputes every customer's class at the store's now, in
// chunks: after head office changes the thresholds, and once a day, as
// recency grows and days leave the window with no event to say so.
func (s *Core) Reclassify(ctx context.Context) (int, error) {
	cs, err := ReadClassSettings(ctx, s)
	if err != nil {
		return 0, err
	}
	now := s.clock.Now().UnixMilli()
	after, n := "", 0
	for {
		rows, err := s.Customers(ctx, CustomerQuery{After: after, Limit: 1000})
		if err != nil {
			return n, err
		}
		if len(rows) == 0 {
			return n, nil
		}
		ids := make([]string, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
		}
		if err := s.inTx(ctx, func(tx Tx) error { return reclass(ctx, tx, ids, cs, now, s.loc) }); err != nil {
			return n, err
		}
		n += len(ids)
		after = ids[len(ids)-1]
	}
}

// SetClassSettings stores head office's thresholds; the caller then
// reclassifies (Reclassify).
func (s *Core) SetClassSettings(ctx context.Context, c ClassSettings) error {
	if err := c.Check(); err != nil {
		return err
	}
	js, _ := json.Marshal(c)
	return s.inTx(ctx, func(tx Tx) error { return tx.PutSetting(ctx, ClassSettingsName, string(js)) })
}

// PutSetting implements Store.
func (s *Core) PutSetting(ctx context.Context, name, value string) error {
	return s.inTx(ctx, func(tx Tx) error { return tx.PutSetting(ctx, name, value) })
}

// DoneClassPushes records that the classes were sent.
func (s *Core) DoneClassPushes(ctx context.Context, ps []ClassPush) error {
	return s.inTx(ctx, func(tx Tx) error { return tx.Customers().DeleteClassPushes(ctx, ps) })
}

// SetEnterprise names the enterprise account a customer sends for;
// ErrNotFound for a customer the hub has no profile of.
func (s *Core) SetEnterprise(ctx context.Context, id, name string) error {
	return s.inTx(ctx, func(tx Tx) error { return tx.Customers().PutEnterprise(ctx, id, name) })
}

// SetCustomerLang sets the language a customer's messages are rendered
// in, from the next one enqueued; ErrNotFound for a customer the hub has
// no profile of.
func (s *Core) SetCustomerLang(ctx context.Context, id, lang string) error {
	return s.inTx(ctx, func(tx Tx) error { return tx.Customers().PutLang(ctx, id, lang) })
}
