package staff

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"sync"
	"time"
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

	mu sync.Mutex
	m  map[string]*session
}

type session struct {
	staffID string
	last    time.Time
}

// NewSessions returns an empty session table over store. It takes
// WithIdleTimeout, WithClock, WithLogger and WithAdminToken.
func NewSessions(store *Store, opts ...Option) *Sessions {
	c := newConfig(opts)
	return &Sessions{store: store, now: c.now, idle: c.idle, logger: c.logger, adminToken: c.adminToken, m: make(map[string]*session)}
}

// Login checks the PIN and opens a session. The token is 32 random bytes,
// base64url without padding.
func (s *Sessions) Login(id, pin string) (string, Staff, error) {
	st, err := s.store.Check(id, pin)
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

// Logout ends a session; an unknown token is ignored.
func (s *Sessions) Logout(token string) {
	s.mu.Lock()
	delete(s.m, token)
	s.mu.Unlock()
}
