// Package accounts is head office's people: accounts with one role each
// (roles.go, with the one route table), passwords hashed by argon2id
// (password.go), sessions kept in the store so that every hub process
// sharing a database knows them, an escalating lockout per account and a
// budget of wrong passwords per client, API tokens for integrations, and
// the audit rows of head office's actions.
//
// Sessions: the cookie holds 32 random bytes; the store keeps only their
// SHA-256. A session ends after Idle without a request or Lifetime after
// the login, whichever comes first, and when its account is disabled.
//
// Lockout (as the agent's staff PINs, agent/staff): MaxFailures wrong
// passwords in a row lock the account for FirstLock, each lock in a row
// twice as long as the one before, up to MaxLock; a right password ends
// the row. An account that does not exist is refused exactly as a wrong
// password (same code, same status, after the same KDF work against a
// dummy hash), and the per-client budget bounds a guesser spraying one
// password over many ids.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// The lockout and session defaults.
const (
	MaxFailures     = 5
	FirstLock       = time.Minute
	MaxLock         = 24 * time.Hour
	DefaultIdle     = 8 * time.Hour
	DefaultLifetime = 24 * time.Hour
	// touchEvery bounds the writes a busy session costs: its last_seen
	// moves at most this often, so the idle timeout is this much coarse.
	touchEvery = time.Minute
	// TokenPrefix starts every API token's secret, so the gate knows one
	// from the legacy token without a lookup.
	TokenPrefix = "yzh_"
)

// Options configure a Service.
type Options struct {
	Store store.Accounts
	// Clock is the wall clock; clock.System if nil. Tests step it.
	Clock clock.Clock
	// Idle and Lifetime end sessions; DefaultIdle and DefaultLifetime if
	// zero.
	Idle, Lifetime time.Duration
	// KDF is the cost of new hashes; DefaultKDF if zero.
	KDF KDF
}

// Service is head office's accounts over a store.
type Service struct {
	st             store.Accounts
	clock          clock.Clock
	idle, lifetime time.Duration
	kdf            KDF
	dummy          string // KDF.dummyHash of kdf
	clients        *clientLimits
}

// New returns the Service of opt.
func New(opt Options) *Service {
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	if opt.Idle <= 0 {
		opt.Idle = DefaultIdle
	}
	if opt.Lifetime <= 0 {
		opt.Lifetime = DefaultLifetime
	}
	if opt.KDF == (KDF{}) {
		opt.KDF = DefaultKDF
	}
	return &Service{st: opt.Store, clock: opt.Clock, idle: opt.Idle, lifetime: opt.Lifetime, kdf: opt.KDF, dummy: opt.KDF.dummyHash(), clients: newClientLimits(opt.Clock.Now)}
}

// Now is the service's clock, for answers that say how long to wait.
func (s *Service) Now() time.Time { return s.clock.Now() }

// Caller is who makes a request the gate let through.
type Caller struct {
	// Account is the account id; for a token its name, for the legacy
	// token "admin".
	Account string
	Name    string
	Role    Role
	// Token is the API token's name, "" for a person or the legacy token;
	// Scope its scope.
	Token, Scope string
	Legacy       bool
	// Session is the session's hash, for the logout.
	Session string
}

// Actor is the caller as a step's actor: the account id, "token:<name>"
// for an API token, "admin" for the legacy --api-token.
func (c Caller) Actor() string {
	if c.Token != "" {
		return "token:" + c.Token
	}
	return c.Account
}

// LegacyAdmin is the caller the legacy --api-token stands for: an
// administrator named admin.
var LegacyAdmin = Caller{Account: "admin", Name: "admin", Role: RoleAdmin, Legacy: true}

type ctxKey struct{}

// NewContext returns ctx carrying c.
func NewContext(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the caller the gate put in ctx.
func FromContext(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(ctxKey{}).(Caller)
	return c, ok
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// NormalizeID is an account id as typed, trimmed and in lower case.
func NormalizeID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

func checkName(name string) error {
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 64 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return problem.New(problem.AccountBadName)
	}
	return nil
}

func weakErr() error {
	return problem.New(problem.AccountWeakPassword, "min_length", MinPasswordLen, "min_distinct", MinPasswordDistinct)
}

// CheckPassword refuses a password the rule (password.go) calls weak.
func CheckPassword(id, password string) error {
	if weak(id, password) {
		return weakErr()
	}
	return nil
}

func rolesList() []string {
	out := make([]string, len(Roles))
	for i, r := range Roles {
		out[i] = string(r)
	}
	return out
}

// Add creates an account.
func (s *Service) Add(ctx context.Context, id, name, role, password string) (store.Account, error) {
	id = NormalizeID(id)
	if !idRE.MatchString(id) {
		return store.Account{}, problem.New(problem.AccountBadID)
	}
	if err := checkName(name); err != nil {
		return store.Account{}, err
	}
	if !ValidRole(role) {
		return store.Account{}, problem.New(problem.AccountBadRole, "role", role, "roles", rolesList())
	}
	if err := CheckPassword(id, password); err != nil {
		return store.Account{}, err
	}
	h, err := s.kdf.hash(password)
	if err != nil {
		return store.Account{}, err
	}
	a := store.Account{ID: id, Name: name, Role: role, PasswordHash: h, CreatedAt: s.clock.Now().UTC().Truncate(time.Millisecond)}
	if err := s.st.AddAccount(ctx, a); errors.Is(err, store.ErrExists) {
		return a, problem.Wrap(err, problem.AccountExists, "account", id)
	} else if err != nil {
		return a, err
	}
	return a, nil
}

// List lists every account.
func (s *Service) List(ctx context.Context) ([]store.Account, error) { return s.st.ListAccounts(ctx) }

// update changes one account, turning a missing one into account.not_found.
func (s *Service) update(ctx context.Context, id string, f func(*store.Account) error) (store.Account, error) {
	id = NormalizeID(id)
	a, err := s.st.UpdateAccount(ctx, id, f)
	if errors.Is(err, store.ErrNotFound) {
		return a, problem.Wrap(err, problem.AccountNotFound, "account", id)
	}
	return a, err
}

// SetDisabled disables or enables an account; disabling ends its
// sessions. by is who does it: nobody disables their own account.
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool, by string) (store.Account, error) {
	if disabled && NormalizeID(id) == by {
		return store.Account{}, problem.New(problem.AccountSelf, "account", by)
	}
	a, err := s.update(ctx, id, func(a *store.Account) error { a.Disabled = disabled; return nil })
	if err == nil && disabled {
		err = s.st.DeleteSessions(ctx, a.ID, time.Time{})
	}
	return a, err
}

// Reset sets a new password, ends the account's sessions and its lock.
func (s *Service) Reset(ctx context.Context, id, password string) (store.Account, error) {
	id = NormalizeID(id)
	if err := CheckPassword(id, password); err != nil {
		return store.Account{}, err
	}
	h, err := s.kdf.hash(password)
	if err != nil {
		return store.Account{}, err
	}
	a, err := s.update(ctx, id, func(a *store.Account) error {
		a.PasswordHash, a.Failures, a.Locks, a.LockedUntil = h, 0, 0, time.Time{}
		return nil
	})
	if err == nil {
		err = s.st.DeleteSessions(ctx, a.ID, time.Time{})
	}
	return a, err
}

// Unlock ends an account's lock and its row of wrong passwords, and every
// client's budget.
func (s *Service) Unlock(ctx context.Context, id string) (store.Account, error) {
	a, err := s.update(ctx, id, func(a *store.Account) error {
		a.Failures, a.Locks, a.LockedUntil = 0, 0, time.Time{}
		return nil
	})
	if err == nil {
		s.clients.reset()
	}
	return a, err
}

// lockFor is how long the n-th lock in a row lasts (n from 1).
func lockFor(n int) time.Duration {
	d := FirstLock
	for i := 1; i < n && d < MaxLock; i++ {
		d *= 2
	}
	return min(d, MaxLock)
}

// LoginResult is a successful login.
type LoginResult struct {
	Account   store.Account
	Token     string // the cookie's value, shown once
	ExpiresAt time.Time
}

func (s *Service) lockedErr(a store.Account) error {
	return problem.New(problem.AuthLocked, "account", a.ID, "failures", MaxFailures, "until", a.LockedUntil.UTC().Format(time.RFC3339))
}

// Login checks a password and starts a session. client is the address the
// login came from (ClientAddr), "" for one from inside the hub.
func (s *Service) Login(ctx context.Context, id, password, client string) (LoginResult, error) {
	id = NormalizeID(id)
	if id == "" || password == "" {
		return LoginResult{}, problem.New(problem.AccountLoginMissing)
	}
	if err := s.clients.reserve(client); err != nil {
		return LoginResult{}, err
	}
	failed := true
	defer func() { s.clients.done(client, failed) }()
	a, err := s.st.Account(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		verify(s.dummy, password)
		return LoginResult{}, problem.New(problem.AuthWrongPassword)
	}
	if err != nil {
		failed = false
		return LoginResult{}, err
	}
	now := s.clock.Now()
	if now.Before(a.LockedUntil) {
		return LoginResult{}, s.lockedErr(a)
	}
	if !verify(a.PasswordHash, password) {
		a, err = s.update(ctx, id, func(a *store.Account) error {
			if !a.LockedUntil.IsZero() && !now.Before(a.LockedUntil) {
				a.LockedUntil = time.Time{} // the last lock ran out: a new row starts
			}
			a.Failures++
			if a.Failures >= MaxFailures {
				a.Locks++
				a.Failures = 0
				a.LockedUntil = now.Add(lockFor(a.Locks)).UTC().Truncate(time.Millisecond)
			}
			return nil
		})
		if err != nil {
			return LoginResult{}, err
		}
		if now.Before(a.LockedUntil) {
			return LoginResult{}, s.lockedErr(a)
		}
		return LoginResult{}, problem.New(problem.AuthWrongPassword)
	}
	failed = false
	if a.Disabled {
		return LoginResult{}, problem.New(problem.AccountDisabled, "account", a.ID)
	}
	a, err = s.update(ctx, id, func(a *store.Account) error {
		a.Failures, a.Locks, a.LockedUntil, a.LastLoginAt = 0, 0, time.Time{}, now.UTC().Truncate(time.Millisecond)
		return nil
	})
	if err != nil {
		return LoginResult{}, err
	}
	token, hash, err := newSecret("")
	if err != nil {
		return LoginResult{}, err
	}
	if err := s.st.AddSession(ctx, store.Session{Hash: hash, Account: a.ID, CreatedAt: now, LastSeen: now, Client: client}); err != nil {
		return LoginResult{}, err
	}
	// Sessions idle past the timeout are dead: each login clears them, so
	// the table holds about the sessions in use.
	if err := s.st.DeleteSessions(ctx, "", now.Add(-s.idle)); err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Account: a, Token: token, ExpiresAt: s.expires(now, now)}, nil
}

func (s *Service) expires(created, seen time.Time) time.Time {
	return minTime(seen.Add(s.idle), created.Add(s.lifetime)).UTC()
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// newSecret returns 32 random bytes as prefix + base64url, and their hash.
func newSecret(prefix string) (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret), nil
}

// HashSecret is what the store keeps of a session's or token's secret:
// hex SHA-256. The secret is 256 random bits, so no KDF is needed, and
// every request can afford it.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Session finds the caller of a session cookie's token. ok is false for
// a token no session has, one that ran out, or one of a disabled or
// removed account. It also answers when the session expires.
func (s *Service) Session(ctx context.Context, token string) (c Caller, expires time.Time, ok bool, err error) {
	if token == "" || len(token) > 128 {
		return c, expires, false, nil
	}
	hash := HashSecret(token)
	x, err := s.st.Session(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return c, expires, false, nil
	}
	if err != nil {
		return c, expires, false, err
	}
	now := s.clock.Now()
	if !now.Before(s.expires(x.CreatedAt, x.LastSeen)) {
		return c, expires, false, s.st.DeleteSession(ctx, hash)
	}
	a, err := s.st.Account(ctx, x.Account)
	if errors.Is(err, store.ErrNotFound) || err == nil && a.Disabled {
		return c, expires, false, nil
	}
	if err != nil {
		return c, expires, false, err
	}
	if now.Sub(x.LastSeen) >= touchEvery {
		if err := s.st.TouchSession(ctx, hash, now); err != nil {
			return c, expires, false, err
		}
		x.LastSeen = now
	}
	return Caller{Account: a.ID, Name: a.Name, Role: Role(a.Role), Session: hash}, s.expires(x.CreatedAt, x.LastSeen), true, nil
}

// Logout ends the session with hash.
func (s *Service) Logout(ctx context.Context, hash string) error {
	return s.st.DeleteSession(ctx, hash)
}

var tokenNameRE = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// AddToken makes an API token and returns its secret, the only time it is
// shown.
func (s *Service) AddToken(ctx context.Context, name, scope, by string) (string, error) {
	if !tokenNameRE.MatchString(name) {
		return "", problem.New(problem.TokenBadName, "max", 32)
	}
	if !ValidScope(scope) {
		return "", problem.New(problem.TokenBadScope, "scope", scope, "allowed", append([]string{}, Scopes...))
	}
	secret, hash, err := newSecret(TokenPrefix)
	if err != nil {
		return "", err
	}
	err = s.st.AddToken(ctx, store.Token{Name: name, Scope: scope, Hash: hash, CreatedAt: s.clock.Now(), CreatedBy: by})
	if errors.Is(err, store.ErrExists) {
		return "", problem.Wrap(err, problem.TokenExists, "name", name)
	}
	return secret, err
}

// Tokens lists the API tokens, without their secrets (the store has none).
func (s *Service) Tokens(ctx context.Context) ([]store.Token, error) { return s.st.Tokens(ctx) }

// RevokeToken deletes a token.
func (s *Service) RevokeToken(ctx context.Context, name string) error {
	err := s.st.DeleteToken(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return problem.Wrap(err, problem.TokenNotFound, "name", name)
	}
	return err
}

// Token finds the caller of an API token's secret; ok is false for one
// no token has.
func (s *Service) Token(ctx context.Context, secret string) (Caller, bool, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return Caller{}, false, nil
	}
	t, err := s.st.TokenByHash(ctx, HashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		return Caller{}, false, nil
	}
	if err != nil {
		return Caller{}, false, err
	}
	role := scopeRole[t.Scope]
	return Caller{Account: t.Name, Name: t.Name, Role: role, Token: t.Name, Scope: t.Scope}, true, nil
}

// Audit appends one head-office action to the audit trail.
func (s *Service) Audit(ctx context.Context, c Caller, action, subject, detail, client string) error {
	return s.st.AppendAudit(ctx, store.AuditRow{At: s.clock.Now().UTC().Truncate(time.Millisecond), Origin: syncproto.HubOrigin,
		Actor: c.Actor(), Role: string(c.Role), Action: action, Subject: subject, Detail: detail, Client: client})
}

// AuditList reads the audit trail.
func (s *Service) AuditList(ctx context.Context, q store.AuditQuery) ([]store.AuditRow, error) {
	return s.st.Audit(ctx, q)
}
