package accounts_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// cheap keeps the tests quick; the cost is read from each hash, so it
// changes nothing else.
var cheap = accounts.KDF{Time: 1, MemKiB: 64, Threads: 1}

func newService(t *testing.T) (*accounts.Service, *clock.Manual) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := clock.NewManual(time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC))
	return accounts.New(accounts.Options{Store: st, Clock: clk, KDF: cheap, Idle: time.Hour, Lifetime: 3 * time.Hour}), clk
}

const pw = "Counter-2026!"

func code(err error) string {
	if p := problem.As(err); p != nil {
		return p.Code().String()
	}
	return fmt.Sprint(err)
}

// TestLockoutEscalates: five wrong passwords in a row lock the account for
// a minute, each lock in a row doubles, up to a day; the right password
// during a lock is refused; after it, the right password works and ends
// the row.
func TestLockoutEscalates(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	if _, err := s.Add(ctx, "li", "Li", "service", pw); err != nil {
		t.Fatal(err)
	}
	want := time.Minute
	for lock := 1; lock <= 13; lock++ {
		for i := 1; i < accounts.MaxFailures; i++ {
			if _, err := s.Login(ctx, "li", "Wrong-pass-1", ""); code(err) != problem.AuthWrongPassword.String() {
				t.Fatalf("lock %d, wrong password %d: %v", lock, i, err)
			}
		}
		if _, err := s.Login(ctx, "li", "Wrong-pass-1", ""); code(err) != problem.AuthLocked.String() {
			t.Fatalf("lock %d: the %dth wrong password answered %v", lock, accounts.MaxFailures, err)
		}
		a, _ := s.List(ctx)
		if got := a[0].LockedUntil.Sub(clk.Now()); got != want {
			t.Fatalf("lock %d lasts %v, want %v", lock, got, want)
		}
		clk.Advance(want - time.Second)
		if _, err := s.Login(ctx, "li", pw, ""); code(err) != problem.AuthLocked.String() {
			t.Fatalf("lock %d: the right password inside the lock answered %v", lock, err)
		}
		clk.Advance(time.Second)
		want = min(2*want, accounts.MaxLock)
	}
	if want != accounts.MaxLock {
		t.Fatalf("locks never reached the cap: %v", want)
	}
	if _, err := s.Login(ctx, "li", pw, ""); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	// The right password ended the row: the next lock is a minute again.
	for i := 0; i < accounts.MaxFailures; i++ {
		s.Login(ctx, "li", "Wrong-pass-1", "")
	}
	a, _ := s.List(ctx)
	if got := a[0].LockedUntil.Sub(clk.Now()); got != time.Minute {
		t.Errorf("first lock after a good login lasts %v, want 1m", got)
	}
	if _, err := s.Unlock(ctx, "li"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "li", pw, ""); err != nil {
		t.Errorf("after unlock: %v", err)
	}
}

// TestUnknownAccountLikeWrongPassword: same error, and an unknown id never
// locks.
func TestUnknownAccountLikeWrongPassword(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	s.Add(ctx, "li", "Li", "service", pw)
	_, wrong := s.Login(ctx, "li", "Wrong-pass-1", "")
	_, unknown := s.Login(ctx, "nobody", "Wrong-pass-1", "")
	if wrong == nil || wrong.Error() != unknown.Error() || code(wrong) != problem.AuthWrongPassword.String() {
		t.Errorf("wrong password %v, unknown account %v", wrong, unknown)
	}
}

// TestClientBudget: one address spraying one password over many ids is
// stopped after ClientBudget wrong ones; another address is not.
func TestClientBudget(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	s.Add(ctx, "li", "Li", "service", pw)
	for i := range accounts.ClientBudget {
		if _, err := s.Login(ctx, fmt.Sprintf("id%d", i), "Wrong-pass-1", "10.0.0.9"); code(err) != problem.AuthWrongPassword.String() {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	if _, err := s.Login(ctx, "li", pw, "10.0.0.9"); code(err) != problem.AuthClientLimited.String() {
		t.Errorf("past the budget: %v", err)
	}
	if _, err := s.Login(ctx, "li", pw, "10.0.0.10"); err != nil {
		t.Errorf("another address: %v", err)
	}
	clk.Advance(accounts.ClientWindow)
	if _, err := s.Login(ctx, "li", pw, "10.0.0.9"); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

// TestSessionEnds: idle timeout, absolute lifetime, logout and disabling
// each end a session.
func TestSessionEnds(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	s.Add(ctx, "li", "Li", "service", pw)
	s.Add(ctx, "ma", "Ma", "admin", pw)
	login := func() string {
		t.Helper()
		r, err := s.Login(ctx, "li", pw, "")
		if err != nil {
			t.Fatal(err)
		}
		return r.Token
	}
	alive := func(tok string) bool {
		_, _, ok, err := s.Session(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	tok := login()
	if c, _, ok, _ := s.Session(ctx, tok); !ok || c.Actor() != "li" || c.Role != accounts.RoleService {
		t.Fatalf("fresh session: %+v %v", c, ok)
	}
	clk.Advance(time.Hour - time.Second)
	if !alive(tok) {
		t.Fatal("ended before the idle timeout")
	}
	// Kept busy, it still ends at its lifetime.
	for range 4 {
		clk.Advance(50 * time.Minute)
		if clk.Now().Before(time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)) != alive(tok) {
			t.Fatalf("at %v: alive %v", clk.Now(), !alive(tok))
		}
	}
	tok = login()
	clk.Advance(time.Hour)
	if alive(tok) {
		t.Error("alive after an idle hour")
	}
	tok = login()
	if _, err := s.SetDisabled(ctx, "li", true, "ma"); err != nil {
		t.Fatal(err)
	}
	if alive(tok) {
		t.Error("alive after its account was disabled")
	}
	if _, err := s.SetDisabled(ctx, "ma", true, "ma"); code(err) != problem.AccountSelf.String() {
		t.Errorf("disabling oneself: %v", err)
	}
	if _, err := s.Login(ctx, "li", pw, ""); code(err) != problem.AccountDisabled.String() {
		t.Errorf("disabled account's login: %v", err)
	}
}

// TestPasswordRule: what the rule refuses, and that reset applies it.
func TestPasswordRule(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	for _, p := range []string{"", "short-1", "abcdefghijkl", "1234567890", "aaaaa11111", "zhang-2026-x", "\x01bcdefgh-123"} {
		if _, err := s.Add(ctx, "zhang", "Zhang", "service", p); code(err) != problem.AccountWeakPassword.String() {
			t.Errorf("password %q: %v, want weak", p, err)
		}
	}
	if _, err := s.Add(ctx, "zhang", "Zhang", "service", "长城-Great-Wall-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reset(ctx, "zhang", "weak"); code(err) != problem.AccountWeakPassword.String() {
		t.Errorf("reset to a weak password: %v", err)
	}
	if _, err := s.Add(ctx, "Zhang", "Zhang", "service", pw); code(err) != problem.AccountExists.String() {
		t.Errorf("the same id in capitals: %v", err)
	}
	if _, err := s.Add(ctx, "x", "X", "boss", pw); code(err) != problem.AccountBadRole.String() {
		t.Errorf("unknown role: %v", err)
	}
}

// TestDefaultKDFHashes: a hash made with the default cost verifies; it is
// argon2id and holds its parameters.
func TestDefaultKDFHashes(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := accounts.New(accounts.Options{Store: st})
	a, err := s.Add(context.Background(), "li", "Li", "admin", pw)
	if err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; a.PasswordHash[:len(want)] != want {
		t.Errorf("hash %q", a.PasswordHash)
	}
	if _, err := s.Login(context.Background(), "li", pw, ""); err != nil {
		t.Error(err)
	}
}
