package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Account is a person at head office, as the accounts table holds one.
// hub/accounts owns the rules (roles, password hashing, lockout); the
// store only keeps the rows, so that every hub process sharing a database
// sees the same people, locks and sessions.
type Account struct {
	ID           string
	Name         string
	Role         string
	Disabled     bool
	PasswordHash string
	CreatedAt    time.Time
	// LastLoginAt is the last successful login; zero if never.
	LastLoginAt time.Time
	// Failures counts wrong passwords in a row; Locks the locks in a row
	// (each lasts twice the one before); LockedUntil ends the current
	// one, zero for none.
	Failures    int
	Locks       int
	LockedUntil time.Time
}

// Session is a logged-in browser. Only the SHA-256 of its token is kept:
// a copy of the database gives nobody a way in.
type Session struct {
	Hash      string // hex SHA-256 of the cookie's token
	Account   string
	CreatedAt time.Time
	LastSeen  time.Time
	Client    string
}

// Token is an API token for an integration, by name; only the SHA-256 of
// its secret is kept.
type Token struct {
	Name      string
	Scope     string
	Hash      string
	CreatedAt time.Time
	CreatedBy string
}

// AuditRow is one row of the audit trail: a head-office action (Origin
// syncproto.HubOrigin) or an outlet's audit event as it was committed.
type AuditRow struct {
	ID      int64 // assigned by the store, increasing
	At      time.Time
	Origin  string
	Actor   string
	Role    string
	Action  string
	Subject string
	Detail  string
	Client  string
	// EventID is the outlet event the row copies; "" for head office's.
	EventID string
}

// AuditQuery selects audit rows, newest first.
type AuditQuery struct {
	From, To              time.Time // zero for open ends; To is exclusive
	Actor, Origin, Action string    // "" for any
	// Before keeps rows with ID below it (the cursor); 0 for none.
	Before int64
	Limit  int // 0 for no limit
}

// AccountQueries are the accounts, sessions, tokens and audit statements a
// backend answers on its own.
type AccountQueries interface {
	// AddAccount stores a new account; ErrExists if the id is taken.
	AddAccount(ctx context.Context, a Account) error
	// Account reads one account; ErrNotFound if there is none.
	Account(ctx context.Context, id string) (Account, error)
	ListAccounts(ctx context.Context) ([]Account, error)

	AddSession(ctx context.Context, s Session) error
	// Session reads one by hash; ErrNotFound if there is none.
	Session(ctx context.Context, hash string) (Session, error)
	TouchSession(ctx context.Context, hash string, at time.Time) error
	DeleteSession(ctx context.Context, hash string) error
	// DeleteSessions ends every session of an account, or, with
	// account "", every session last seen before idleBefore.
	DeleteSessions(ctx context.Context, account string, idleBefore time.Time) error

	// AddToken stores a new token; ErrExists if the name is taken.
	AddToken(ctx context.Context, t Token) error
	Tokens(ctx context.Context) ([]Token, error)
	// TokenByHash finds a token by its secret's hash; ErrNotFound if none.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// DeleteToken revokes a token; ErrNotFound if there is none.
	DeleteToken(ctx context.Context, name string) error

	// AppendAudit adds head-office rows to the audit trail.
	AppendAudit(ctx context.Context, rows ...AuditRow) error
	// Audit lists rows, newest first.
	Audit(ctx context.Context, q AuditQuery) ([]AuditRow, error)
}

// Accounts is what hub/accounts needs of the store: the statements, and
// UpdateAccount, a read-change-write of one account that holds it against
// every other hub process (so two wrong passwords at two hubs count two).
type Accounts interface {
	AccountQueries
	// UpdateAccount reads the account, lets f change it and writes it, in
	// one transaction; ErrNotFound if there is none. An error from f rolls
	// back and is returned.
	UpdateAccount(ctx context.Context, id string, f func(*Account) error) (Account, error)
}

// UpdateAccount implements Accounts over Tx.LockAccount and PutAccount.
func (s *Core) UpdateAccount(ctx context.Context, id string, f func(*Account) error) (Account, error) {
	var a Account
	err := s.inTx(ctx, func(tx Tx) error {
		var err error
		if a, err = tx.LockAccount(ctx, id); err != nil {
			return err
		}
		if err := f(&a); err != nil {
			return err
		}
		a.ID = id
		return tx.PutAccount(ctx, a)
	})
	return a, err
}

// AccountColumns selects an Account for ScanAccount.
const AccountColumns = `id, name, role, disabled, password_hash, created_at, last_login_at, failures, locks, locked_until`

// ScanAccount reads a row of AccountColumns.
func ScanAccount(sc Scanner) (Account, error) {
	var a Account
	var created, last, until, fails, locks int64
	if err := sc.Scan(&a.ID, &a.Name, &a.Role, &a.Disabled, &a.PasswordHash, &created, &last, &fails, &locks, &until); err != nil {
		return a, err
	}
	a.CreatedAt, a.LastLoginAt, a.LockedUntil = msTime(created), msTime(last), msTime(until)
	a.Failures, a.Locks = int(fails), int(locks)
	return a, nil
}

// AccountArgs are a's values in AccountColumns order.
func AccountArgs(a Account) []any {
	return []any{a.ID, a.Name, a.Role, a.Disabled, a.PasswordHash, timeMS(a.CreatedAt), timeMS(a.LastLoginAt), int64(a.Failures), int64(a.Locks), timeMS(a.LockedUntil)}
}

// SessionColumns selects a Session for ScanSession.
const SessionColumns = `hash, account, created_at, last_seen, client`

// ScanSession reads a row of SessionColumns.
func ScanSession(sc Scanner) (Session, error) {
	var s Session
	var created, seen int64
	err := sc.Scan(&s.Hash, &s.Account, &created, &seen, &s.Client)
	s.CreatedAt, s.LastSeen = msTime(created), msTime(seen)
	return s, err
}

// TokenColumns selects a Token for ScanToken.
const TokenColumns = `name, scope, hash, created_at, created_by`

// ScanToken reads a row of TokenColumns.
func ScanToken(sc Scanner) (Token, error) {
	var t Token
	var created int64
	err := sc.Scan(&t.Name, &t.Scope, &t.Hash, &created, &t.CreatedBy)
	t.CreatedAt = msTime(created)
	return t, err
}

// AuditColumns selects an AuditRow for ScanAudit; AuditInsertColumns are
// those an insert writes (the id is the store's).
const (
	AuditColumns       = `id, at, origin, actor, role, action, subject, detail, client, event_id`
	AuditInsertColumns = `at, origin, actor, role, action, subject, detail, client, event_id`
)

// ScanAudit reads a row of AuditColumns.
func ScanAudit(sc Scanner) (AuditRow, error) {
	var r AuditRow
	var at int64
	err := sc.Scan(&r.ID, &at, &r.Origin, &r.Actor, &r.Role, &r.Action, &r.Subject, &r.Detail, &r.Client, &r.EventID)
	r.At = msTime(at)
	return r, err
}

// AuditArgs are r's values in AuditInsertColumns order.
func AuditArgs(r AuditRow) []any {
	return []any{timeMS(r.At), r.Origin, r.Actor, r.Role, r.Action, r.Subject, r.Detail, r.Client, r.EventID}
}

// AuditWhere is the filter of q as SQL conditions over AuditColumns, with
// ph(i) writing the i-th placeholder (1-based) of the backend, and their
// arguments; both backends list the audit trail by it.
func AuditWhere(q AuditQuery, ph func(int) string) (where string, args []any) {
	add := func(cond string, v any) {
		args = append(args, v)
		if where == "" {
			where = " WHERE "
		} else {
			where += " AND "
		}
		where += cond + ph(len(args))
	}
	if !q.From.IsZero() {
		add("at >= ", q.From.UnixMilli())
	}
	if !q.To.IsZero() {
		add("at < ", q.To.UnixMilli())
	}
	if q.Actor != "" {
		add("actor = ", q.Actor)
	}
	if q.Origin != "" {
		add("origin = ", q.Origin)
	}
	if q.Action != "" {
		add("action = ", q.Action)
	}
	if q.Before > 0 {
		add("id < ", q.Before)
	}
	return where, args
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func timeMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// IsAuditEvent reports whether an outlet event goes into the audit trail:
// the logins, lockouts and personal-data views lifecycle lists as kindless
// audit events (head office's customer classes and forecasts are
// kindless too, and no outlet's to record).
func IsAuditEvent(typ string) bool {
	if typ == lifecycle.CustomerClasses || typ == lifecycle.ForecastPublished {
		return false
	}
	for _, t := range lifecycle.Kindless {
		if t == typ {
			return true
		}
	}
	return false
}

// auditOf is the audit row of an outlet's audit event, at the time it
// folds at (hub-corrected when the outlet's clock ran ahead).
func auditOf(r Row) AuditRow {
	e := r.Event
	at := e.HLC
	if r.Order != 0 {
		at = r.Order
	}
	var p struct {
		Client string `json:"client"`
	}
	_ = json.Unmarshal(e.Payload, &p)
	detail := string(e.Payload)
	if len(detail) > 2000 {
		detail = detail[:2000]
	}
	// Both backends' text columns take it: PostgreSQL refuses bytes that
	// are not UTF-8, and the cut may split a character.
	detail = strings.ToValidUTF8(strings.ReplaceAll(detail, "\x00", ""), "")
	return AuditRow{At: time.UnixMilli(at.WallMillis()).UTC(), Origin: e.Origin, Actor: e.Actor, Action: e.Type,
		Subject: e.Subject, Detail: detail, Client: p.Client, EventID: e.ID}
}
