package store

import (
	"context"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// Queries are the operations a backend answers on its own, each one
// statement or a read of committed data.
type Queries interface {
	AccountQueries
	CalendarQueries

	// AddOutlet registers an outlet with a secret hash from HashSecret.
	// It returns ErrExists if the id is taken and replace is false.
	AddOutlet(ctx context.Context, id, secretHash string, replace bool) error
	// SecretHash returns the outlet's stored hash, or ErrNotFound.
	SecretHash(ctx context.Context, id string) (string, error)
	Outlets(ctx context.Context) ([]Outlet, error)
	// FindOutlets lists the outlets q selects, by id.
	FindOutlets(ctx context.Context, q OutletQuery) ([]Outlet, error)
	Outlet(ctx context.Context, id string) (Outlet, error)
	// SetPlace sets a registered outlet's region and city (values passed
	// CheckPlace) and returns it; ErrNotFound for one the hub does not know.
	SetPlace(ctx context.Context, id string, p Place) (Outlet, error)
	// Regions lists the regions outlets belong to, by name, each with its
	// cities by name; outlets without a region are left out.
	Regions(ctx context.Context) ([]Region, error)
	// SearchParcels reads the parcel index (Commit keeps it, like the
	// case list).
	SearchParcels(ctx context.Context, q ParcelQuery) ([]ParcelRow, error)
	DeadLetters(ctx context.Context, outlet string, limit int) ([]DeadLetter, error)
	// DeadLettersBefore pages DeadLetters: the outlet's dead letters
	// before position before (nil: from the newest), newest first.
	DeadLettersBefore(ctx context.Context, outlet string, before *DeadLetterPos, limit int) ([]DeadLetter, error)
	// Counters returns the named counters (reject.<code>, batch.replayed...).
	Counters(ctx context.Context) (map[string]uint64, error)
	// Conflicts lists the outlet's refused second versions of events,
	// newest first.
	Conflicts(ctx context.Context, outlet string, limit int) ([]Conflict, error)
	// StartIncarnation begins a new epoch for a registered outlet: its
	// acked sequence restarts at 0 and the next incarnation seen (or only
	// incarnation, if not empty) is adopted. The old epochs' events stay.
	// ErrNotFound for an outlet the hub does not know.
	StartIncarnation(ctx context.Context, outlet, incarnation string) (Outlet, error)

	// SubjectEvents returns every event about subject, in fold order
	// (syncproto.Event.FoldStamp, then origin and seq): the outlets' and
	// head office's (origin syncproto.HubOrigin) alike.
	SubjectEvents(ctx context.Context, subject string) ([]syncproto.Event, error)

	// StreamEvents reads an outlet's own events of epoch with sequences
	// from..through, in sequence order, at most limit of them; sequences
	// held as dead letters come back as rejections instead (their event
	// is not one to fold). For an agent that restored a backup older
	// than the hub's copy (syncproto.Fetch); the caller keeps through at
	// or below the acknowledged sequence, where no event is held apart.
	StreamEvents(ctx context.Context, origin string, epoch, from, through uint64, limit int) ([]syncproto.Event, []syncproto.Rejection, error)

	// Cases lists rows of the case list. Commit and AppendDown keep the list
	// in the same transaction as the events, by Summarize.
	Cases(ctx context.Context, q CaseQuery) ([]Case, error)
	// CountCases counts the rows Cases would list for q without its Limit,
	// After and Sort: one indexed count, for head office's overview.
	CountCases(ctx context.Context, q CaseQuery) (int64, error)
	// OutletCounts counts the registered outlets, those seen (a batch or
	// a pull) at or after seenSince, those not seen since staleBefore
	// (never seen included), and those holding dead letters; all Unix ms.
	OutletCounts(ctx context.Context, seenSince, staleBefore int64) (OutletCounts, error)
	// Setting reads a value the store keeps about itself (ok false if
	// never set); Tx.PutSetting writes one.
	Setting(ctx context.Context, name string) (value string, ok bool, err error)

	// Down returns the downlink events for outlet (its own and TargetAll)
	// with sequence in (since, through], at most maxEvents of them and about
	// maxBytes of JSON. more reports that events follow through. Every
	// sequence up to through is committed: through is read from the
	// committed head first, and heads only move by whole commits in order
	// (Tx.NextDownSeq).
	Down(ctx context.Context, outlet string, since uint64, maxEvents, maxBytes int) (evs []syncproto.Event, through uint64, more bool, err error)

	// Facts lists the rollups' rows of kind (see Facts) received or
	// reported in [q.From, q.To), oldest first.
	Facts(ctx context.Context, kind string, q RollupQuery) ([]Facts, error)
	// Tallies lists the rollups' counters of days q.From..q.To, per
	// person if q.PerPerson, else summed per outlet (OutletTallies).
	Tallies(ctx context.Context, q RollupQuery) ([]Tally, error)

	// Customer reads one customer's profile (customers.go), ErrNotFound
	// for an id the hub has none of; CustomerOutlets its outlets by id.
	Customer(ctx context.Context, id string) (Customer, error)
	CustomerOutlets(ctx context.Context, id string) ([]CustomerOutlet, error)
	// Customers lists the profiles q selects, by id.
	Customers(ctx context.Context, q CustomerQuery) ([]Customer, error)
	// CustomerParcels lists a customer's parcels of kind ("" for both)
	// with at in [from, to), newest first, at most limit.
	CustomerParcels(ctx context.Context, id, kind string, from, to int64, limit int) ([]CustomerParcel, error)
	// CustomerCases lists the complaints and exceptions of a customer.
	CustomerCases(ctx context.Context, id string) ([]CustomerCase, error)
	// ClassPushes lists classes still to send to outlets, by outlet.
	ClassPushes(ctx context.Context, limit int) ([]ClassPush, error)
	// ClassCounts counts the customers of each class (kept at commit).
	ClassCounts(ctx context.Context) (map[string]int64, error)
	// ClassMoves lists the class changes at or after since (Unix ms), by
	// customer, then time.
	ClassMoves(ctx context.Context, since int64) ([]ClassMove, error)
	// PersonalSubjects lists, in order, up to limit subjects after after
	// that have a visible event stamped (its fold stamp) before before
	// whose payload may hold personal data (syncproto/purge decides):
	// what PurgePersonal looks at.
	PersonalSubjects(ctx context.Context, before hlc.Timestamp, after string, limit int) ([]string, error)
	// OutboxMessage reads one customer message by key (ErrNotFound for
	// none); MessageCounts counts those about subject ("" for all) by
	// kind and state.
	OutboxMessage(ctx context.Context, key string) (OutboxRow, error)
	MessageCounts(ctx context.Context, subject string) ([]MessageCount, error)
}

// DeadLetterPos is a dead letter's place in its outlet's list.
type DeadLetterPos struct{ Epoch, Seq uint64 }

// OutletCounts are head office's overview of the outlets (OutletCounts).
type OutletCounts struct {
	Total, Seen, Stale, WithDeadLetters int64
}

// Backend is the part of a Store that differs per database: its
// statements, its transactions and its locks. Core writes the commit
// semantics (see the package comment) once over it, so every database
// keeps them the same way; the storetest suite checks a backend against
// them.
type Backend interface {
	Queries
	// Begin starts a write transaction.
	Begin(ctx context.Context) (Tx, error)
	// Autocommit runs the statements written once for every backend
	// (CustomerSQL's runner) outside any transaction, each one committing
	// on its own, on the connection that writes.
	Autocommit() CustomerSQL
	// Retryable says that err ended a transaction because of another
	// writer (a serialization failure or a deadlock) and the same work may
	// simply run again.
	Retryable(err error) bool
	Close() error
}

// Stream is an outlet's uplink and downlink position as its row holds it.
type Stream struct {
	Acked, Cursor, Epoch uint64
	// Incarnation is the agent data directory adopted for Epoch; "" until
	// one is seen.
	Incarnation string
	// Head is the highest sequence the outlet's agent reported holding
	// (HeadKnown false until one did); Oldest the stamp of its oldest
	// unacknowledged event as reported, Unix ms, 0 for none. Rejects
	// counts what the store refused of the outlet (Outlet.Rejects).
	Head      uint64
	HeadKnown bool
	Oldest    int64
	Rejects   uint64
}

// Row is one event as the events table holds it.
type Row struct {
	Event *syncproto.Event
	Epoch uint64
	// Order is the stamp the event folds at when its own lies beyond the
	// skew bound (hlc.Capped at arrival); 0 when it folds at its own.
	Order hlc.Timestamp
	// ReceivedAt is the hub's wall clock at arrival, in Unix milliseconds.
	ReceivedAt int64
}

// HeldAt is what an epoch holds at one sequence: an event (visible or held
// beyond a gap) or a dead letter, whose payload is not compared.
type HeldAt struct {
	ID      string
	Payload []byte
	HasBody bool // Payload is set (an event with a payload)
	Dead    bool
}

// Tx is one write transaction of a Backend. Its methods see the
// transaction's own writes. Every method's error ends the transaction's
// usefulness: Core rolls it back.
//
// Locks: a backend that several hub processes write at once keeps each
// outlet's stream (LockOutlet, which holds its parcel index rows too),
// each case-list entity (LockSubject) and
// the downlink head (NextDownSeq) locked from the call to the end of the
// transaction. Core takes them in one order, outlets by id, then entities
// by kind and id, then counters by name, then the rollups' tallies by
// (day, outlet, person, name), so that two transactions never
// wait on each other in a ring. A backend with a single writer (SQLite's
// database lock) may treat them as plain reads.
type Tx interface {
	// LockOutlet reads an outlet's stream and holds it against other
	// writers. An outlet without a row reads as the zero Stream.
	LockOutlet(ctx context.Context, id string) (Stream, error)
	// PutOutlet writes the stream (health fields included) and last_seen
	// = now, creating the row (created_at now) if there is none.
	PutOutlet(ctx context.Context, id string, s Stream, now int64) error
	// PutClock records an outlet's newest offset and adds to its count of
	// events stamped beyond the skew bound.
	PutClock(ctx context.Context, id string, offsetMS, skewed int64) error

	// Holding returns what the epoch holds at seqs first..last: visible
	// events, held events and dead letters.
	Holding(ctx context.Context, origin string, epoch, first, last uint64) (map[uint64]HeldAt, error)
	// InsertEvents stores rows that are not stored yet (by origin, epoch
	// and seq), as visible events or, with held, beyond a gap. fresh[i]
	// reports that rows[i] was new.
	InsertEvents(ctx context.Context, rows []Row, held bool) (fresh []bool, err error)
	// InsertDeadLetters stores refused events that are not stored yet.
	InsertDeadLetters(ctx context.Context, ds []DeadLetter) error
	// InsertConflict records a refused second version once; it reports
	// whether the pair was new.
	InsertConflict(ctx context.Context, c Conflict) (bool, error)

	// Pending ranges are the seq ranges of batches held beyond a gap.
	HasPending(ctx context.Context, origin string, epoch uint64) (bool, error)
	AddPending(ctx context.Context, origin string, epoch, first, last uint64) error
	// MaxPending is the highest last of the ranges starting at or below
	// upTo; ok is false when there is none.
	MaxPending(ctx context.Context, origin string, epoch, upTo uint64) (last uint64, ok bool, err error)
	// DropPending deletes the ranges starting at or below upTo.
	DropPending(ctx context.Context, origin string, epoch, upTo uint64) error
	// Release makes the held events with seq in (from, through] visible
	// and returns them in seq order.
	Release(ctx context.Context, origin string, epoch, from, through uint64) ([]syncproto.Event, error)

	// LockSubject holds a case-list entity against other writers until the
	// transaction ends, so that its row is folded from every committed
	// event about it.
	LockSubject(ctx context.Context, kind, id string) error
	// SubjectEvents is Queries.SubjectEvents inside the transaction.
	SubjectEvents(ctx context.Context, subject string) ([]syncproto.Event, error)
	PutCase(ctx context.Context, c Case) error
	// PutSetting writes a value Queries.Setting reads.
	PutSetting(ctx context.Context, name, value string) error
	// ParcelsKnown returns which of the waybills the parcel index has a
	// row of at outlet. ParcelEvents returns outlet's visible parcel
	// events (lifecycle's parcel kind) about the waybills, in any order.
	// PutParcels writes rows over those of the same waybill and outlet.
	// An outlet's rows change only with its events, so its LockOutlet
	// holds them.
	ParcelsKnown(ctx context.Context, outlet string, waybills []string) (map[string]bool, error)
	ParcelEvents(ctx context.Context, outlet string, waybills []string) ([]syncproto.Event, error)
	PutParcels(ctx context.Context, rows []ParcelRow) error
	DeleteCase(ctx context.Context, kind, id string) error
	// AddCounters adds n to each named counter, creating it at 0 first.
	AddCounters(ctx context.Context, n map[string]uint64) error

	// ScrubEvents rewrites the payloads of visible events, each found by
	// origin, seq and id, with their personal data removed
	// (PurgePersonal).
	ScrubEvents(ctx context.Context, rows []Scrubbed) error

	// PutFacts writes a case's row of measures; DeleteFacts removes it.
	PutFacts(ctx context.Context, f Facts) error
	DeleteFacts(ctx context.Context, kind, id string) error
	// AddTallies adds each tally's N to its counter, creating it at 0
	// first, and their OutletTallies to the per-outlet sums; Core passes
	// them in key order, as the lock order asks.
	AddTallies(ctx context.Context, ts []Tally) error
	// Stamps lists the origin and fold stamp of every visible event of
	// type typ about any of subjects, in no order. The pickups' dwell
	// reads their parcels' intakes with it, one statement a commit.
	Stamps(ctx context.Context, typ string, subjects []string) ([]SubjectStamp, error)
	// ClearRollups deletes every fact, tally and per-outlet sum, for a
	// rebuild.
	ClearRollups(ctx context.Context) error
	// EventsAfter returns up to limit visible events after key in
	// (origin, epoch, seq) order, and the key of the last one.
	EventsAfter(ctx context.Context, after EventKey, limit int) ([]syncproto.Event, EventKey, error)

	// Customers writes the customer profiles' tables in this transaction
	// with the same statements on every backend (customers_sql.go). Core
	// adds deltas to the profiles in id order, the lock order after the
	// tallies, and their outlets and days in (customer, …) order; a
	// case's LockSubject holds what it last gave its customer.
	Customers() CustomerSQL
	// Outbox writes the customer-message outbox in this transaction
	// (outbox.go). AppendDown writes it after taking the downlink head
	// and before the case rows; a claim's transaction touches outbox rows
	// only, so it never waits on another lock while holding them.
	Outbox() OutboxSQL

	// NextDownSeq takes the next hub-wide downlink sequence, one above the
	// highest committed, and holds the head until the transaction ends: the
	// sequences stay gap-free (a rolled-back one is taken again) and commit
	// in order, whichever hub process appends.
	NextDownSeq(ctx context.Context) (uint64, error)
	InsertDown(ctx context.Context, seq uint64, target string, event []byte, now int64) error
	// ClaimOnce records that key's allocation is made by downlink seq; it
	// reports false when key was claimed before.
	ClaimOnce(ctx context.Context, key string, downSeq uint64) (bool, error)
	// Serial reads a serial counter's next value (0 for a new counter);
	// PutSerial writes it.
	Serial(ctx context.Context, name string) (uint64, error)
	PutSerial(ctx context.Context, name string, next uint64) error

	// LockAccount reads an account and holds it against other writers
	// until the transaction ends; ErrNotFound if there is none. Accounts
	// are locked in transactions of their own, never with an outlet.
	LockAccount(ctx context.Context, id string) (Account, error)
	PutAccount(ctx context.Context, a Account) error
	// InsertAudit appends rows to the audit trail (outlets' audit events,
	// in the transaction that commits them). It takes no lock: the trail
	// is only appended to.
	InsertAudit(ctx context.Context, rows []AuditRow) error

	Commit() error
	Rollback() error
}
