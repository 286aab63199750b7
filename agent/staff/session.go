package staff

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// DefaultIdle is how long a session lives without a request: a counter
// shift, so a clerk logs in once a day.
const DefaultIdle = 12 * time.Hour

// maxSessions bounds the session table. Beyond it, logging in drops the
// session used least recently (a browser tab left open somewhere).
const maxSessions = 1024

// Sessions are the logged-in staff, in memory. Safe for concurrent use.
type Sessions struct {
	store  *Store
	now    func() time.Time
	idle   time.Duration
	logger *slog.Logger
	// adminToken is the local admin token the staff routes accept from
	// loopback; empty accepts none.
	adminToken string
	audit      AuditLog
	clients    *clientLimits

	mu sync.Mutex
	m  map[string]*session
}

// AuditLog is where Sessions record logins and lockouts: the agent's event
// log, whose events sync to head office.
type AuditLog interface {
	Append(ctx context.Context, d eventlog.Draft) (syncproto.Event, error)
}

// WithAudit records logins, wrong PINs, locks, unlocks and clients running
// out of their budget as audit events in log (Sessions only). Without it,
// nothing is recorded (tests).
func WithAudit(log AuditLog) Option { return func(c *config) { c.audit = log } }

type session struct {
	staffID string
	last    time.Time
}

// NewSessions returns an empty session table over store. It takes
// WithIdleTimeout, WithClock, WithLogger and WithAdminToken.
func NewSessions(store *Store, opts ...Option) *Sessions {
	c := newConfig(opts)
	return &Sessions{store: store, now: c.now, idle: c.idle, logger: c.logger, adminToken: c.adminToken, audit: c.audit,
		clients: newClientLimits(c.now), m: make(map[string]*session)}
}

// Login checks the PIN and opens a session, as a login from inside the
// agent: no client budget applies. The token is 32 random bytes,
// base64url without padding.
func (s *Sessions) Login(id, pin string) (string, Staff, error) {
	return s.LoginFrom(context.Background(), "", id, pin)
}

// LoginFrom is Login for a client at addr (see clientAddr), which it
// counts against the client's budget: once spent, it returns a
// *ClientLimitedError without checking anything. It records the audit
// events.
func (s *Sessions) LoginFrom(ctx context.Context, addr, id, pin string) (string, Staff, error) {
	// The trail must not depend on the client waiting for the answer.
	ctx = context.WithoutCancel(ctx)
	if err := s.clients.reserve(addr); err != nil {
		return "", Staff{}, err
	}
	st, out, err := s.store.check(id, pin)
	limited, until := s.clients.done(addr, out.checked)
	rec := lifecycle.LoginAuditV1{StaffID: out.id, Unknown: out.unknown, Client: addr, At: s.now().UnixMilli()}
	switch {
	case err == nil:
		rec.StaffID, rec.Unknown = st.ID, false
		s.record(ctx, st.ID, lifecycle.LoginSucceeded, "staff/"+st.ID, rec)
	case problem.Is(err, problem.StaffDisabled):
		rec.Reason = "disabled" // the right PIN of a disabled member
		s.record(ctx, "", lifecycle.LoginFailed, "staff/"+out.id, rec)
	case out.checked:
		rec.Failures = out.failures
		s.record(ctx, "", lifecycle.LoginFailed, "staff/"+out.id, rec)
		if out.locked != nil {
			rec.Lock, rec.Until = out.lock, out.locked.Until.UnixMilli()
			s.record(ctx, "", lifecycle.StaffLocked, "staff/"+out.id, rec)
			s.logger.Warn("staff id locked after wrong PINs", "staff", out.id, "unknown", out.unknown, "lock", out.lock, "until", out.locked.Until, "client", addr)
		}
	}
	if limited {
		s.logger.Warn("client out of its budget of wrong PINs", "client", addr, "failures", ClientBudget, "until", until)
		s.record(ctx, "", lifecycle.LoginLimited, "client/"+addr, lifecycle.LoginAuditV1{Client: addr, Failures: ClientBudget, Until: until.UnixMilli(), At: rec.At})
	}
	if err != nil {
		return "", Staff{}, err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails since Go 1.24
	token := base64.RawURLEncoding.EncodeToString(b)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for t, ss := range s.m {
		if s.expired(ss, now) {
			delete(s.m, t)
		}
	}
	if len(s.m) >= maxSessions {
		var oldest string
		for t, ss := range s.m {
			if oldest == "" || ss.last.Before(s.m[oldest].last) {
				oldest = t
			}
		}
		delete(s.m, oldest)
	}
	s.m[token] = &session{staffID: st.ID, last: now}
	return token, st, nil
}

func (s *Sessions) expired(ss *session, now time.Time) bool {
	return now.Sub(ss.last) > s.idle
}

// Lookup returns the staff member behind a token and counts this as use.
// It reads the member from the store, so a removed or disabled member's
// sessions end
// and a new role applies at once.
func (s *Sessions) Lookup(token string) (Staff, bool) {
	s.mu.Lock()
	ss, ok := s.m[token]
	if ok {
		now := s.now()
		if s.expired(ss, now) {
			delete(s.m, token)
			ok = false
		} else {
			ss.last = now
		}
	}
	var id string
	if ok {
		id = ss.staffID
	}
	s.mu.Unlock()
	if !ok {
		return Staff{}, false
	}
	m, err := s.store.Member(id)
	if errors.Is(err, ErrNotFound) || err == nil && m.Disabled {
		s.Logout(token)
		return Staff{}, false
	}
	if err != nil {
		return Staff{}, false
	}
	return m.Staff, true
}

// Unlock ends a member's lock and its escalation (Store.Unlock), clears
// every client's budget, and records who did it. by is the supervisor (or
// LocalAdmin, the staff command on this PC).
func (s *Sessions) Unlock(ctx context.Context, by Staff, id string) error {
	if err := s.store.Unlock(id); err != nil {
		return err
	}
	// The counter's own PC may be the client shut out: a supervisor at
	// it, or the staff command, is the way back in.
	s.clients.reset()
	s.append(context.WithoutCancel(ctx), unlockDraft(by, id, s.now()))
	return nil
}

// unlockDraft is the audit event of by's unlocking id.
func unlockDraft(by Staff, id string, now time.Time) eventlog.Draft {
	id = NormalizeID(id)
	return auditDraft(by.ID, lifecycle.StaffUnlocked, "staff/"+id, lifecycle.LoginAuditV1{StaffID: id, At: now.UnixMilli()})
}

// auditDraft is one audit event; an empty actor is the agent itself.
func auditDraft(actor, typ, subject string, p lifecycle.LoginAuditV1) eventlog.Draft {
	if actor == "" {
		actor = "system"
	}
	raw, _ := json.Marshal(p) // plain fields: cannot fail
	return eventlog.Draft{Actor: actor, Type: typ, Subject: subject, Payload: raw}
}

func (s *Sessions) record(ctx context.Context, actor, typ, subject string, p lifecycle.LoginAuditV1) {
	s.append(ctx, auditDraft(actor, typ, subject, p))
}

// append writes one audit event. A failure is logged, not returned: the
// login or unlock has happened, and a full disk must not shut the counter
// out; every event the counter then makes would fail the same way.
func (s *Sessions) append(ctx context.Context, d eventlog.Draft) {
	if s.audit == nil {
		return
	}
	if _, err := s.audit.Append(ctx, d); err != nil {
		s.logger.Warn("audit event not recorded", "type", d.Type, "subject", d.Subject, "err", err)
	}
}

// Logout ends a session; an unknown token is ignored.
func (s *Sessions) Logout(token string) {
	s.mu.Lock()
	delete(s.m, token)
	s.mu.Unlock()
}
