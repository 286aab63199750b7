// Package staff keeps the outlet's staff members and their PINs, logs them
// in, and guards the agent's HTTP API by role.
//
// What it promises:
//
//   - A PIN is never stored: only a PBKDF2-SHA256 hash with a random salt
//     and the iteration count it was made with (DefaultIterations for new
//     PINs), compared in constant time. An unknown staff id costs the same
//     hashing as a known one.
//   - MaxFailures wrong PINs in a row lock an id. The first lock lasts
//     LockFor, each further one in a row twice the one before, up to
//     MaxLockFor; a good login or a supervisor's action on the member
//     starts afresh. The counts live in the data file, so restarting the
//     agent does not reset them; a lock that ends further ahead than its
//     own length (the PC clock was set back) counts as ended.
//   - An id no member has answers exactly as a member's does to a wrong
//     PIN: the same hashing, the same error, the same lock and
//     escalation, so guessing cannot tell which ids exist. The table that
//     keeps their counts holds at most maxStrangers of them.
//   - One client (an address; an IPv6 address by its /64) may make
//     ClientBudget wrong guesses in ClientWindow across all ids; beyond,
//     it is refused without a check until its oldest failure is older
//     than ClientWindow (see limit.go for why those numbers).
//   - Logins, wrong PINs, locks, unlocks and clients running out of their
//     budget are audit events in the event log (WithAudit), which sync to
//     head office. None holds a PIN.
//   - Roles are clerk and supervisor; a supervisor may do everything a
//     clerk may.
//   - A disabled member cannot log in (even with the right PIN) and their
//     sessions end at their next request.
//   - Sessions live in memory only: restarting the agent logs everyone out.
//     A session ends after an idle period (DefaultIdle) and at once when its
//     staff member is removed.
//
// Staff ids are case-insensitive and kept in lower case. Staff names are
// stored in clear: they are on the staff badge and on every receipt, and
// the staff command must work without the personal-data key.
//
// # Storage
//
// The store keeps staff/members/ and staff/attempts/ in the agent's data
// file, which agent/datafile opens, lays out (its buckets.go draws these
// buckets with the others) and migrates. staff/attempts/ holds the wrong
// PIN counts of members' ids and of unknown ids alike. Staff changes are
// not events: they belong to this PC and never sync; the agent logs each
// one. Logins, lockouts and unlocks are different: they are the audit
// trail head office reads, so they are events (see WithAudit).
//
// # Administration while the agent runs
//
// A supervisor changes the staff list through AdminRoutes. The staff
// command edits the file directly when it is free, and otherwise goes
// through the running agent with the token the agent writes to
// AdminFileName (see there for why a file and not a PIN).
package staff

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/problem"
)

var (
	bucketRoot     = datafile.Staff
	bucketMembers  = datafile.StaffMembers
	bucketAttempts = datafile.StaffAttempts
)

// Roles.
const (
	RoleClerk      = "clerk"
	RoleSupervisor = "supervisor"
)

const (
	// DefaultIterations is the PBKDF2-SHA256 count for new PINs (OWASP's
	// 2023 figure): about 0.1–0.3 s per login on an outlet PC. It slows an
	// offline guess at a stolen file; the lockout is what stops guessing at
	// the counter.
	DefaultIterations = 600_000
	// MinIterations is the lowest count WithIterations accepts.
	MinIterations = 1000
	// MaxFailures wrong PINs in a row lock an id.
	MaxFailures = 5
	// LockFor is how long an id's first lock lasts; each further lock in
	// a row lasts twice the one before, up to MaxLockFor. Guessing one id
	// then gets 45 tries in the first day and 5 a day after, where a
	// fixed five minutes allowed 1,440 a day.
	LockFor = 5 * time.Minute
	// MaxLockFor is the longest lock: a clerk who forgot their PIN is
	// never shut out for more than a day without a supervisor.
	MaxLockFor = 24 * time.Hour

	pinAlg   = "pbkdf2-sha256"
	saltSize = 16
	hashSize = 32
	// maxIterations bounds the count read from the file, so a damaged
	// record cannot stall a login for minutes.
	maxIterations = 10_000_000
	// maxTypedID is how much of an unknown id the lock table and the audit
	// events keep: a member's id is at most 32 characters.
	maxTypedID = 32
	// maxTypedIDBytes keeps "staff/<id>" within an event field's limit
	// (syncproto.MaxFieldLen) whatever characters it holds.
	maxTypedIDBytes = 96
)

// maxStrangers bounds the records of ids no member has: a guesser naming
// a million ids fills the table, then the oldest records go. 10,000
// records are under a megabyte of the data file; at ClientBudget wrong
// PINs per ClientWindow, one client needs ten days to cycle them. A var
// for tests.
var maxStrangers = 10_000

// kdfRuns counts PIN hash runs, so tests can check that an unknown id
// costs the same hashing as a known one.
var kdfRuns atomic.Int64

// Errors; match them with errors.Is, which matches by catalog code (the
// errors returned carry parameters these sentinels do not).
var (
	ErrBadCredentials = problem.New(problem.StaffBadCredentials)
	ErrLocked         = problem.New(problem.StaffLocked)
	ErrNotFound       = problem.New(problem.StaffNotFound)
	ErrExists         = problem.New(problem.StaffExists)
	ErrBadPIN         = problem.New(problem.StaffBadPIN)
	ErrBadRole        = problem.New(problem.StaffBadRole)
	ErrBadID          = problem.New(problem.StaffBadID)
	ErrBadName        = problem.New(problem.StaffBadName)
)

// LockedError says until when an id is locked, for Retry-After.
// errors.Is(err, ErrLocked) holds for it.
type LockedError struct {
	ID    string
	Until time.Time
	Now   time.Time // when the error was made, for "in 4m0s"
}

// Problem is the error as the catalog words it.
func (e *LockedError) Problem() *problem.Error {
	return problem.New(problem.StaffLocked, "id", e.ID, "until", e.Until.Local().Format("15:04:05"),
		"failures", MaxFailures, "left", e.Until.Sub(e.Now).Round(time.Second).String())
}

func (e *LockedError) Error() string { return e.Problem().Error() }

// Unwrap makes errors.Is(err, ErrLocked) and errors.As find the problem.
func (e *LockedError) Unwrap() error { return e.Problem() }

// Staff is a staff member as the API shows it.
type Staff struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// HasRole reports whether s may act in role: a supervisor may act as a
// clerk, not the other way round.
func (s Staff) HasRole(role string) bool {
	return s.Role == role || s.Role == RoleSupervisor && role == RoleClerk
}

type pinHash struct {
	Alg  string `json:"alg"`
	Iter int    `json:"iter"`
	Salt []byte `json:"salt"`
	Hash []byte `json:"hash"`
}

type member struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	PIN     pinHash   `json:"pin"`
	AddedAt time.Time `json:"added_at"`
	// Disabled refuses logins and ends sessions, keeping the record so
	// the id cannot be reused by someone else by mistake.
	Disabled bool `json:"disabled,omitempty"`
}

// attempts is one id's record of wrong PINs, for a member's id and for an
// id no one has alike.
type attempts struct {
	Failures    int       `json:"failures"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
	// Locks counts the locks in a row; the next lasts lockFor(Locks+1).
	// Records written before escalation have none: their lock was the
	// first.
	Locks int `json:"locks,omitempty"`
	// Last is the latest wrong PIN, so the table of unknown ids drops the
	// oldest first.
	Last time.Time `json:"last,omitzero"`
}

// lockFor is how long the nth lock in a row lasts.
func lockFor(n int) time.Duration {
	d := LockFor
	for i := 1; i < n && d < MaxLockFor; i++ {
		d *= 2
	}
	return min(d, MaxLockFor)
}

// lockedAt reports whether the id is locked at now. A lock ending further
// ahead than its own length means the clock went back; it counts as ended.
func (a attempts) lockedAt(now time.Time) bool {
	return now.Before(a.LockedUntil) && a.LockedUntil.Sub(now) <= lockFor(max(a.Locks, 1))
}

// Option configures Open and NewSessions.
type Option func(*config)

type config struct {
	now        func() time.Time
	iterations int
	idle       time.Duration
	logger     *slog.Logger
	adminToken string
	audit      AuditLog
}

func newConfig(opts []Option) config {
	c := config{now: time.Now, iterations: DefaultIterations, idle: DefaultIdle, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithClock sets the clock (the system clock by default), for tests that step time.
func WithClock(clk clock.Clock) Option { return func(c *config) { c.now = clk.Now } }

// WithIterations sets the PBKDF2 count for PINs added from now on (at least
// MinIterations). PINs already stored keep the count they were made with.
func WithIterations(n int) Option {
	return func(c *config) { c.iterations = max(n, MinIterations) }
}

// WithLogger sets where Sessions log what they do not tell the client, such
// as why a PIN could not be checked (Sessions only).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithIdleTimeout sets how long a session lives without use (Sessions only).
func WithIdleTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.idle = d
		}
	}
}

// Store is the staff list in the agent's data file. It is safe for
// concurrent use.
type Store struct {
	db   *datafile.File
	now  func() time.Time
	iter int
	// dummy is hashed against for unknown ids, so they cost the same as
	// known ones. Made on first use: Open stays fast for the command line.
	dummy func() pinHash
}

// Open returns the staff list in the agent's data file.
func Open(f *datafile.File, opts ...Option) (*Store, error) {
	c := newConfig(opts)
	iter := c.iterations
	return &Store{db: f, now: c.now, iter: iter, dummy: sync.OnceValue(func() pinHash {
		p, _ := hashPIN("0000", iter)
		return p
	})}, nil
}

// NormalizeID is how ids are stored and compared: trimmed, lower case.
func NormalizeID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

func validID(id string) error {
	if len(id) == 0 || len(id) > 32 {
		return ErrBadID
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return ErrBadID
		}
	}
	return nil
}

// ValidPIN checks the PIN format: 4 to 8 ASCII digits.
func ValidPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 8 {
		return ErrBadPIN
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return ErrBadPIN
		}
	}
	return nil
}

// ValidRole checks a role name.
func ValidRole(role string) error {
	if role != RoleClerk && role != RoleSupervisor {
		return problem.New(problem.StaffBadRole, "role", role)
	}
	return nil
}

func validName(name string) error {
	n := 0
	for _, r := range name {
		if unicode.IsControl(r) {
			return ErrBadName
		}
		n++
	}
	if n == 0 || n > 32 {
		return ErrBadName
	}
	return nil
}

// validate checks Add's input after normalising id and name.
func validate(id, name, role, pin string) error {
	if err := validID(id); err != nil {
		return err
	}
	if err := validName(name); err != nil {
		return err
	}
	if err := ValidRole(role); err != nil {
		return err
	}
	return ValidPIN(pin)
}

func hashPIN(pin string, iter int) (pinHash, error) {
	salt := make([]byte, saltSize)
	_, _ = rand.Read(salt) // never fails since Go 1.24
	h, err := pbkdf2.Key(sha256.New, pin, salt, iter, hashSize)
	if err != nil {
		return pinHash{}, err
	}
	return pinHash{Alg: pinAlg, Iter: iter, Salt: salt, Hash: h}, nil
}

// matches hashes pin as p was made and compares in constant time.
func (p pinHash) matches(pin string) (bool, error) {
	if p.Alg != pinAlg || p.Iter < 1 || p.Iter > maxIterations || len(p.Salt) == 0 || len(p.Hash) == 0 {
		return false, problem.New(problem.StaffPINRecord, "alg", p.Alg, "iter", p.Iter)
	}
	kdfRuns.Add(1)
	h, err := pbkdf2.Key(sha256.New, pin, p.Salt, p.Iter, len(p.Hash))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(h, p.Hash) == 1, nil
}

// Add stores a new staff member. The id must not exist yet.
func (s *Store) Add(id, name, role, pin string) error {
	id, name = NormalizeID(id), strings.TrimSpace(name)
	if err := validate(id, name, role, pin); err != nil {
		return err
	}
	ph, err := hashPIN(pin, s.iter)
	if err != nil {
		return err
	}
	rec, err := json.Marshal(member{ID: id, Name: name, Role: role, PIN: ph, AddedAt: s.now().UTC()})
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		root := tx.Bucket(bucketRoot)
		members := root.Bucket(bucketMembers)
		if members.Get([]byte(id)) != nil {
			return problem.New(problem.StaffExists, "id", id)
		}
		if err := root.Bucket(bucketAttempts).Delete([]byte(id)); err != nil {
			return err
		}
		return members.Put([]byte(id), rec)
	})
}

// Remove deletes a staff member and their failure count. Their sessions
// end at their next request.
func (s *Store) Remove(id string) error {
	id = NormalizeID(id)
	return s.db.Update(func(tx *bbolt.Tx) error {
		root := tx.Bucket(bucketRoot)
		members := root.Bucket(bucketMembers)
		if members.Get([]byte(id)) == nil {
			return problem.New(problem.StaffNotFound, "id", id)
		}
		if err := root.Bucket(bucketAttempts).Delete([]byte(id)); err != nil {
			return err
		}
		return members.Delete([]byte(id))
	})
}

// List returns every staff member, ordered by id.
func (s *Store) List() ([]Staff, error) {
	var out []Staff
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketRoot).Bucket(bucketMembers).ForEach(func(k, v []byte) error {
			m, err := decodeMember(k, v)
			if err != nil {
				return err
			}
			out = append(out, m.staff())
			return nil
		})
	})
	return out, err
}

// Get returns one staff member.
func (s *Store) Get(id string) (Staff, error) {
	id = NormalizeID(id)
	var st Staff
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketRoot).Bucket(bucketMembers).Get([]byte(id))
		if v == nil {
			return problem.New(problem.StaffNotFound, "id", id)
		}
		m, err := decodeMember([]byte(id), v)
		st = m.staff()
		return err
	})
	return st, err
}

// LockedUntil reports whether id is locked now, and until when.
func (s *Store) LockedUntil(id string) (time.Time, bool) {
	key := lockKey(NormalizeID(id))
	var a attempts
	_ = s.db.View(func(tx *bbolt.Tx) error {
		a = getAttempts(tx, key)
		return nil
	})
	if a.lockedAt(s.now()) {
		return a.LockedUntil, true
	}
	return time.Time{}, false
}

// Check verifies a PIN. It returns ErrBadCredentials (as the catalog's
// staff.pin_wrong, which says how many tries are left) for a wrong PIN or
// an unknown id alike, a *LockedError while the id is locked (also for the
// right PIN, and for an unknown id that was guessed at as often), and
// ErrBadPIN for a PIN that is not 4–8 digits (not counted as a failure: it
// cannot be anyone's PIN).
//
// The hashing runs outside any write transaction, so a login never holds
// up the event log's commits.
func (s *Store) Check(id, pin string) (Staff, error) {
	st, _, err := s.check(id, pin)
	return st, err
}

// outcome is what a check found, for the audit events Sessions write.
type outcome struct {
	id       string // the id as the lock table keeps it: normalised, an unknown one cut and cleaned
	unknown  bool   // no member has the id
	checked  bool   // a PIN was hashed and did not match: a failure
	failures int    // wrong PINs in a row, after this one
	locked   *LockedError
	lock     int // which lock in a row locked is
}

func (s *Store) check(id, pin string) (Staff, outcome, error) {
	id = NormalizeID(id)
	key := lockKey(id)
	out := outcome{id: key, unknown: true}
	if err := ValidPIN(pin); err != nil {
		return Staff{}, out, err
	}
	var (
		m member
		a attempts
	)
	err := s.db.View(func(tx *bbolt.Tx) error {
		a = getAttempts(tx, key)
		if validID(id) != nil {
			return nil
		}
		v := tx.Bucket(bucketRoot).Bucket(bucketMembers).Get([]byte(id))
		if v == nil {
			return nil
		}
		var err error
		m, err = decodeMember([]byte(id), v)
		out.unknown = err != nil
		return err
	})
	if err != nil {
		return Staff{}, out, err
	}
	if now := s.now(); a.lockedAt(now) {
		return Staff{}, out, &LockedError{ID: key, Until: a.LockedUntil, Now: now}
	}
	var ok bool
	if out.unknown {
		_, _ = s.dummy().matches(pin)
	} else if ok, err = m.PIN.matches(pin); err != nil {
		return Staff{}, out, err
	}
	// Only the right PIN learns that the id is disabled; a wrong one
	// counts as a failure like any other.
	if ok && m.Disabled {
		return Staff{}, out, problem.New(problem.StaffDisabled, "id", id)
	}

	// Record the outcome against the current count: other logins may have
	// failed while this one was hashing.
	var result error
	err = s.db.Update(func(tx *bbolt.Tx) error {
		now := s.now()
		root := tx.Bucket(bucketRoot)
		if !out.unknown && root.Bucket(bucketMembers).Get([]byte(id)) == nil {
			ok, out.unknown = false, true // removed meanwhile
		}
		att := root.Bucket(bucketAttempts)
		a := getAttempts(tx, key)
		if a.lockedAt(now) {
			result = &LockedError{ID: key, Until: a.LockedUntil, Now: now}
			return nil
		}
		if ok {
			return att.Delete([]byte(key))
		}
		out.checked = true
		fresh := att.Get([]byte(key)) == nil
		if !a.LockedUntil.IsZero() { // an old lock has ended: count afresh, escalation kept
			a = attempts{Locks: max(a.Locks, 1)}
		}
		a.Failures++
		a.Last = now
		out.failures = a.Failures
		if a.Failures >= MaxFailures {
			a = attempts{Locks: a.Locks + 1, Last: now}
			a.LockedUntil = now.Add(lockFor(a.Locks))
			out.locked = &LockedError{ID: key, Until: a.LockedUntil, Now: now}
			out.lock = a.Locks
			result = out.locked
		} else {
			result = problem.Wrap(ErrBadCredentials, problem.StaffPINWrong, "left", MaxFailures-a.Failures, "lock_for", lockFor(a.Locks+1).String())
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := att.Put([]byte(key), b); err != nil {
			return err
		}
		if fresh { // for a member's id too: the same work either way
			return boundStrangers(root, key)
		}
		return nil
	})
	if err != nil {
		return Staff{}, out, err
	}
	if result != nil {
		return Staff{}, out, result
	}
	return m.staff(), out, nil
}

func keys(b *bbolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// lockKey is the lock table's key for a normalised id: a member's id is
// its own key; anything else is cut to maxTypedID characters and
// maxTypedIDBytes bytes, with control characters as '?'. Ids that differ
// only past the cut share one record, which tells a guesser nothing: they
// answer alike either way. The empty id keys as " ".
func lockKey(id string) string {
	var b strings.Builder
	n := 0
	for _, r := range id {
		if unicode.IsControl(r) || r == utf8.RuneError {
			r = '?'
		}
		if n == maxTypedID || b.Len()+utf8.RuneLen(r) > maxTypedIDBytes {
			break
		}
		b.WriteRune(r)
		n++
	}
	if b.Len() == 0 {
		return " "
	}
	return b.String()
}

// boundStrangers keeps at most maxStrangers records of ids no member has,
// dropping the oldest tenth when there are more, never keep (the one just
// written). Members' records are never dropped: that would let a guesser
// clear a lock by naming other ids.
func boundStrangers(root *bbolt.Bucket, keep string) error {
	att, members := root.Bucket(bucketAttempts), root.Bucket(bucketMembers)
	// Counted with cursors: Stats does not see this transaction's writes.
	if keys(att) <= maxStrangers+keys(members) {
		return nil
	}
	type rec struct {
		key  string
		last time.Time
	}
	var strangers []rec
	err := att.ForEach(func(k, v []byte) error {
		if members.Get(k) != nil || string(k) == keep {
			return nil
		}
		var a attempts
		_ = json.Unmarshal(v, &a)
		strangers = append(strangers, rec{string(k), a.Last})
		return nil
	})
	if err != nil || len(strangers) < maxStrangers {
		return err
	}
	slices.SortFunc(strangers, func(x, y rec) int { return x.last.Compare(y.last) })
	drop := min(len(strangers), len(strangers)+1-maxStrangers+maxStrangers/10)
	for _, r := range strangers[:drop] {
		if err := att.Delete([]byte(r.key)); err != nil {
			return err
		}
	}
	return nil
}

func getAttempts(tx *bbolt.Tx, id string) attempts {
	var a attempts
	if v := tx.Bucket(bucketRoot).Bucket(bucketAttempts).Get([]byte(id)); v != nil {
		// A damaged count reads as no failures: the PIN hash still guards.
		_ = json.Unmarshal(v, &a)
	}
	return a
}

func decodeMember(k, v []byte) (member, error) {
	var m member
	if err := json.Unmarshal(v, &m); err != nil {
		return m, fmt.Errorf("%w: %w", problem.New(problem.StaffRecordDamaged, "id", string(k)), err)
	}
	return m, nil
}

func (m member) staff() Staff { return Staff{ID: m.ID, Name: m.Name, Role: m.Role} }
