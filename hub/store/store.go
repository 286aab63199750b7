// Package store is what the hub needs from its database: one Store whose
// exactly-once semantics (below) Core writes once over the small Backend
// each database implements (SQLite embedded, PostgreSQL for head office),
// plus the value types and secret hashing they share. The storetest suite
// holds every backend to the same semantics.
//
// Commit semantics for an outlet's uplink batch, in one transaction:
//
//   - Stream. Events are idempotent on (origin, incarnation, seq): each
//     agent data directory is an incarnation, whose sequences start at 1.
//     The hub numbers an outlet's incarnations by epoch (0, 1, ...) and
//     keys events on (origin, epoch, seq). An outlet row holds its current
//     epoch and the incarnation id adopted for it ("" until one is seen).
//   - Adoption. While the current epoch has no incarnation id (an outlet
//     that synced before incarnations existed, a new outlet, or one head
//     office started a new incarnation for), the first incarnation seen is
//     adopted if its batch starts at or before the acked sequence + 1 and
//     every event it shares with what the epoch holds is the same event
//     (same id and payload). A migrated agent continues where the hub is and
//     is adopted; a fresh data directory starts at seq 1 with other event
//     ids and is refused. An agent from before incarnations (Incarnation "")
//     is the legacy stream "": it syncs while no incarnation is adopted.
//   - Refusal. A batch of another incarnation than the adopted one is
//     refused with syncproto.IncarnationRefused (Result.Refused, AckedSeq 0,
//     counted as reject.incarnation) and nothing of it is stored, until
//     head office starts a new incarnation (StartIncarnation).
//   - Conflict. An event whose (origin, epoch, seq) is held with another id
//     or payload refuses the whole batch with syncproto.Conflict; the pair
//     is recorded once (Conflicts, counter reject.conflict) and AckedSeq
//     stays below the conflicting seq, so it is never acknowledged.
//   - Window. A batch ending more than Unit.Window past the acked
//     sequence is refused (syncproto.CheckWindow, reject.beyond_window).
//   - Otherwise insert the events that pass syncproto.CheckEvent and
//     dead-letter the ones that fail, with code and reason; then advance
//     the acked sequence to the highest N such that every 1..N of the epoch
//     is held as an event or a dead letter, and refresh the case-list row
//     (Case) of every exception, complaint, notice or template an event
//     made visible is about, and the parcel index row (ParcelRow) of every
//     waybill and outlet a parcel event made visible is about.
//   - Health. A pull's reported head and oldest unacknowledged stamp are
//     kept on the outlet's row as claims: the head never below the acked
//     sequence (a batch past it raises it), the stamp clamped
//     (ClampOldest); refused batches, pulls and dead-lettered events add
//     to its rejects.
//   - Held. A batch beyond the acked sequence (within the window) is held
//     apart: its events are not visible to SubjectEvents, Cases or any view
//     until the gap before them closes; the commit that closes it makes
//     them visible, refreshes their cases and returns them in
//     Result.Released.
//   - Audit. An outlet's audit event (logins, lockouts, personal-data
//     views: IsAuditEvent) new to the store is also appended to the audit
//     trail, in the same transaction, so the trail never misses one and
//     never holds one twice.
//   - Rollups. In the same transaction, every event made visible (stored
//     fresh, or released) is counted once into the measures' rollups, and
//     every refreshed complaint and exception has its facts rewritten
//     (rollups.go); AppendDown does the same for head office's events.
//   - Messages. AppendDown of a notice's publication to an outlet
//     enqueues the customer messages it decides in the same transaction,
//     once per key (notice_messages.go, outbox.go); a publication to every
//     outlet, and any notice's end, records a job instead that
//     AdvanceNotices works in bounded steps.
package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Errors a Store returns that callers act on.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Store is the hub's persistence. Implementations are safe for concurrent
// use; Commit is called from a single writer goroutine per hub process so
// that many batches share one transaction. Core is the one
// implementation, over a Backend per database.
type Store interface {
	Queries
	Accounts
	TryQueries

	// Commit applies all units in one transaction and returns one result per
	// unit, in order, only after the transaction committed.
	Commit(ctx context.Context, units []Unit) ([]Result, error)

	// AppendDown assigns e the next hub-wide downlink sequence, stores it and
	// returns the sequence. e.Origin must be syncproto.HubOrigin.
	AppendDown(ctx context.Context, e *syncproto.Event) (uint64, error)
	// AppendDownAlloc is AppendDown for an event that hands out a block of a
	// hub-wide serial counter: it takes the next a.Count serials, lets a.Fill
	// write them into e, and stores e, all in one transaction, so blocks
	// never overlap and none is lost or handed out twice across restarts.
	// It returns ErrSerialsExhausted past a.Max and ErrExists when a.Once
	// was already used.
	AppendDownAlloc(ctx context.Context, e *syncproto.Event, a SerialAlloc) (uint64, error)

	// SetClassSettings stores head office's class thresholds
	// (customers.go); Reclassify then recomputes every customer's class at
	// the store's clock, as the daily pass does, and returns how many.
	SetClassSettings(ctx context.Context, c ClassSettings) error
	Reclassify(ctx context.Context) (int, error)
	// SetEnterprise names a customer's enterprise account (ErrNotFound
	// for an id without a profile).
	SetEnterprise(ctx context.Context, id, name string) error
	// SetCustomerLang sets the language of a customer's messages, one of
	// CustomerLangs (ErrNotFound for an id without a profile).
	SetCustomerLang(ctx context.Context, id, lang string) error
	// PutSetting writes a head-office setting Queries.Setting reads (one
	// of its own, such as hub/channels' categories replied to without
	// review; the store's own settings have their own methods).
	PutSetting(ctx context.Context, name, value string) error
	// DoneClassPushes records that ClassPushes' classes were sent.
	DoneClassPushes(ctx context.Context, ps []ClassPush) error
	// SurveysTx runs f on the surveys' tables in one transaction
	// (surveys.go).
	SurveysTx(ctx context.Context, f func(q SurveySQL) error) error
	// PurgePersonal removes the personal data of business finished
	// before cutoff from the stored events (retention.go); days is the
	// configured period, for the audit trail.
	PurgePersonal(ctx context.Context, cutoff time.Time, days, batch int, dry bool) (PurgeReport, error)

	// Enqueue adds customer messages to the outbox (outbox.go) in a
	// transaction of their own, those of a key enqueued before left out;
	// it returns how many were new. A step that decides messages enqueues
	// them in its own transaction instead (Tx.Outbox).
	Enqueue(ctx context.Context, ms []Message) (int, error)
	// ClaimMessages takes up to limit due messages under the token claim
	// until until (Unix ms), counting an attempt on each; across hub
	// processes each is claimed by one until its claim runs out.
	ClaimMessages(ctx context.Context, claim string, until int64, limit int) ([]OutboxRow, error)
	// FinishMessage records a claimed message's outcome; ErrClaimLost
	// when its claim no longer holds it.
	FinishMessage(ctx context.Context, o Outcome, maxAttempts int) error
	// AdvanceNotices takes one bounded step, in a transaction of its own,
	// of the messages and invitations a notice to every outlet decides;
	// more reports whether steps are left.
	AdvanceNotices(ctx context.Context) (more bool, err error)
	// DeliverMessage records a delivery receipt of a sent message; false
	// when it was not sent, or was delivered already.
	DeliverMessage(ctx context.Context, key string) (bool, error)

	Close() error
}

// SerialAlloc asks AppendDownAlloc for a block of serials.
//
// With Once set and no Counter (Count 0), it claims Once and hands out no
// serials: Fill runs with 0, 0. The claim commits with the event or not at
// all, so it makes the event itself happen at most once per key (a channel
// message's id, hub/channels).
type SerialAlloc struct {
	Counter string // the counter's name; it starts at 0
	Count   uint64 // serials wanted, at least 1 (0 with no Counter: a claim only)
	Max     uint64 // the highest serial the counter may hand out
	// Once, if not empty, makes the allocation happen at most once for this
	// key, e.g. the id of the request it answers.
	Once string
	// Fill writes the block first..last into e (its payload). It runs inside
	// the transaction; an error rolls everything back.
	Fill func(e *syncproto.Event, first, last uint64) error
	// Check, if set, runs first in the transaction, with or without a
	// counter: a condition the event is stored under (a survey link used
	// once). Its error rolls everything back and is returned.
	Check func(ctx context.Context, tx Tx) error
}

// ErrSerialsExhausted is returned when a counter cannot give a whole block.
var ErrSerialsExhausted = errors.New("serials used up")

// Unit is one piece of work in a group commit. Any field may be empty.
type Unit struct {
	// Batch is an uplink batch that passed syncproto.CheckBatch for its
	// sender (Batch.Origin is the authenticated outlet).
	Batch *syncproto.Batch
	// Window bounds how far past the acked sequence Batch may end;
	// 0 means syncproto.DefaultWindow.
	Window uint64
	// Pull records an outlet's downlink cursor.
	Pull *syncproto.Pull
	// Count adds to named counters, e.g. "reject.malformed".
	Count map[string]uint64
}

// Result is the outcome of one Unit.
type Result struct {
	// AckedSeq of the unit's outlet after the commit.
	AckedSeq uint64
	// Rejected lists the batch's events held as dead letters.
	Rejected []syncproto.Rejection
	// Replayed is true if the whole batch was already held before.
	Replayed bool
	// Incarnation is the stream AckedSeq counts: the outlet's adopted
	// incarnation, or the refused one's with AckedSeq 0.
	Incarnation string
	// Refused is set when nothing of the unit was taken: another
	// incarnation, a conflict or a batch beyond the window.
	Refused *syncproto.Problem
	// Held is true when the batch is stored beyond a gap, not yet visible.
	Held bool
	// Released are events of earlier held batches this commit made
	// visible, in sequence order.
	Released []syncproto.Event
}

// Outlet is an outlet as the hub sees it.
type Outlet struct {
	ID       string `json:"id"`
	AckedSeq uint64 `json:"acked_seq"`
	// LastSeen is the last batch or pull; nil if never.
	LastSeen    *time.Time `json:"last_seen"`
	DownCursor  uint64     `json:"down_cursor"`
	DeadLetters uint64     `json:"dead_letters"`
	CreatedAt   time.Time  `json:"created_at"`
	// HasSecret is false for outlets known only from traffic through an
	// external broker, which holds their credentials.
	HasSecret bool `json:"has_secret"`
	// Epoch numbers the outlet's incarnations at the hub, from 0;
	// Incarnation is the agent data directory adopted for it, "" until seen.
	Epoch       uint64 `json:"epoch"`
	Incarnation string `json:"incarnation"`
	// Held counts events stored beyond a gap, not yet visible; Conflicts
	// the refused second versions of events.
	Held      uint64 `json:"held_events"`
	Conflicts uint64 `json:"conflicts"`
	// ClockOffsetMS is how far the newest stamp of its last new batch lay
	// ahead of the hub's time when it arrived (negative: behind, or a
	// backlog that waited). ClockSkewedEvents counts its events whose
	// stamp lay beyond the skew bound: kept as sent, folded at the bound.
	ClockOffsetMS     int64  `json:"clock_offset_ms"`
	ClockSkewedEvents uint64 `json:"clock_skewed_events"`
	// Region and City group outlets for scopes, filters and measures;
	// "" until head office sets them (CheckPlace).
	Region string `json:"region"`
	City   string `json:"city"`
	// Backlog is how many events the outlet holds that head office has
	// not acknowledged, from the head its agent last reported (in a pull)
	// or the last batch it sent, whichever is higher; nil while its agent
	// never reported one (an agent from before Pull.Head).
	// OldestUnsyncedAt is the stamp of the oldest of them as the agent
	// reported it at that pull (clamped, see Health); nil with no backlog.
	Backlog          *uint64    `json:"backlog"`
	OldestUnsyncedAt *time.Time `json:"oldest_unsynced_at"`
	// Rejects counts what the store refused of this outlet: whole batches
	// and pulls (another incarnation, a conflict, beyond the window) and
	// single events dead-lettered. Frames refused before they reach the
	// store (malformed, oversize) are only in the hub-wide counters.
	Rejects uint64 `json:"rejects"`
}

// OutletQuery selects outlets, by id.
type OutletQuery struct {
	Region   string // "" for any
	City     string // "" for any
	IDPrefix string // "" for any
}

// Place is where an outlet belongs. A nil field is left as it is.
type Place struct {
	Region *string
	City   *string
}

// Region is one region's outlets: its cities, and how many outlets.
type Region struct {
	Region  string   `json:"region"`
	Cities  []string `json:"cities"`
	Outlets int      `json:"outlets"`
}

// ParcelRow is one waybill at one outlet in the parcel index: its folded
// state there and since when (hub-corrected Unix ms of the step that put
// it in that state). The index also keeps a row, with no state, for a
// waybill an outlet only scanned so far: every outlet and waybill with
// parcel events has one, so a commit knows whether it holds all of a
// parcel's events.
type ParcelRow struct {
	Waybill string `json:"waybill"`
	Outlet  string `json:"outlet"`
	State   string `json:"state"`
	Since   int64  `json:"since"`
}

// ParcelQuery searches the parcel index by waybill prefix, ordered by
// waybill then outlet.
type ParcelQuery struct {
	Prefix string
	Outlet string // "" for any
	Region string // "" for any
	// After, if set, starts after this (waybill, outlet), the last row of
	// the previous page.
	AfterWaybill, AfterOutlet string
	Limit                     int
}

// Conflict is an event an outlet sent under an (origin, epoch, seq) the hub
// holds with other content: both ids, and the refused version.
type Conflict struct {
	Origin string    `json:"origin"`
	Epoch  uint64    `json:"epoch"`
	Seq    uint64    `json:"seq"`
	HeldID string    `json:"held_id"`
	SentID string    `json:"sent_id"`
	Event  []byte    `json:"-"`
	At     time.Time `json:"at"`
}

// DeadLetter is an event the hub refused, kept with its reason.
type DeadLetter struct {
	Origin string    `json:"origin"`
	Epoch  uint64    `json:"epoch"`
	Seq    uint64    `json:"seq"`
	Code   string    `json:"code"`
	Reason string    `json:"reason"`
	Event  []byte    `json:"-"`
	At     time.Time `json:"at"`
}

// Counter names kept by Commit.
const (
	CounterRejectPrefix = "reject."
	CounterReplayed     = "batch.replayed"
	// CounterConflict counts distinct conflicting events (a resend of
	// the same conflict is not counted again).
	CounterConflict = CounterRejectPrefix + syncproto.CodeConflict
)

// Classify splits a checked batch into events to store and rejections, by
// syncproto.CheckEvent and the content rules of lifecycle.CheckIncidentUplink. Every backend uses it so they refuse the same events.
func Classify(b *syncproto.Batch) (ok []*syncproto.Event, rejected []syncproto.Rejection) {
	ok = make([]*syncproto.Event, 0, len(b.Events))
	for i := range b.Events {
		e := &b.Events[i]
		if err := syncproto.CheckEvent(e); err != nil {
			var de *syncproto.DecodeError
			reason := err.Error()
			if errors.As(err, &de) {
				reason = de.Reason
			}
			rejected = append(rejected, syncproto.Rejection{Seq: e.Seq, Code: syncproto.ErrorCode(err), Reason: reason})
			continue
		}
		// Content an outlet may never send, whatever the state: refused
		// under the catalog code that says why, so nothing of it is kept.
		if err := lifecycle.CheckIncidentUplink(e); err != nil {
			code := syncproto.CodeInvalidEvent
			if p := problem.As(err); p != nil {
				code = p.Code().String()
			}
			rejected = append(rejected, syncproto.Rejection{Seq: e.Seq, Code: code, Reason: err.Error()})
			continue
		}
		ok = append(ok, e)
	}
	return ok, rejected
}

const hashScheme = "sha256"

// NewSecret returns a random outlet secret: 32 bytes, base64url.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Hand-set secrets must be at least this long, with at least this many
// different characters; see CheckSecretStrength.
const (
	MinSecretLen      = 24
	MinSecretDistinct = 12
)

// CheckSecretStrength refuses a hand-set outlet secret that a stolen
// hub.db would give away: the hash is one salted SHA-256 (HashSecret), so
// only a secret with a lot of entropy resists an offline search. It
// refuses one that is short, made of few different characters, or mostly
// repeats and runs ("abcabc…", "123456…"), and one with spaces or control
// characters (they do not survive a command line or a settings file). Every
// place a secret can be set calls it; generated secrets (NewSecret) pass.
func CheckSecretStrength(secret string) error {
	fix := "omit --secret and the hub generates a random 32-byte one, or make one with `openssl rand -base64 32`"
	rs := []rune(secret)
	distinct, steps := map[rune]bool{}, 0
	for i, r := range rs {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("the secret must not contain spaces or control characters: %s", fix)
		}
		distinct[r] = true
		if i > 0 {
			if d := r - rs[i-1]; d >= -1 && d <= 1 {
				steps++
			}
		}
	}
	if len(rs) < MinSecretLen || len(distinct) < MinSecretDistinct || 2*steps > len(rs) || repeats(rs) {
		return fmt.Errorf("the secret is too easy to guess (%d characters, %d different): a hand-set outlet secret needs at least %d characters, at least %d of them different, not a repeated word or a run; %s",
			len(rs), len(distinct), MinSecretLen, MinSecretDistinct, fix)
	}
	return nil
}

// repeats reports whether rs is one piece (up to half of it)
// written again and again, as in "password-password-password".
func repeats(rs []rune) bool {
	for n := 1; n <= len(rs)/2; n++ {
		same := true
		for i := n; i < len(rs) && same; i++ {
			same = rs[i] == rs[i-n]
		}
		if same {
			return true
		}
	}
	return false
}

// HashSecret returns "sha256$salt$hash" for secret with a fresh random salt.
// Secrets are generated with 256 bits, or hand-set ones pass
// CheckSecretStrength, so a salted SHA-256 suffices. A password KDF would
// cost every broker connect its work factor: after a hub restart thousands
// of outlets reconnect within a minute, and each connect would pay it
// again.
func HashSecret(secret string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return hashWith(salt, secret), nil
}

func hashWith(salt []byte, secret string) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(secret))
	return hashScheme + "$" + base64.RawURLEncoding.EncodeToString(salt) + "$" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// CheckSecret reports whether secret matches stored, in constant time.
func CheckSecret(stored, secret string) bool {
	parts := strings.Split(stored, "$")
	if len(parts) != 3 || parts[0] != hashScheme {
		return false
	}
	salt, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashWith(salt, secret)), []byte(stored)) == 1
}
