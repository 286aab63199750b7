package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

var t0 = time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC)

// testAccounts: accounts are added once, read back whole, listed by id,
// and changed by UpdateAccount only as its function says.
func testAccounts(t *testing.T, be Backend) {
	ctx := context.Background()
	s := be.Open(t, nil)
	a := store.Account{ID: "li", Name: "李雷", Role: "service", PasswordHash: "$argon2id$x", CreatedAt: t0}
	if err := s.AddAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAccount(ctx, a); !errors.Is(err, store.ErrExists) {
		t.Errorf("second add: %v, want ErrExists", err)
	}
	s.AddAccount(ctx, store.Account{ID: "han", Name: "韩梅梅", Role: "admin", PasswordHash: "h", CreatedAt: t0})
	got, err := s.Account(ctx, "li")
	if err != nil || got != a {
		t.Fatalf("read back %+v %v, want %+v", got, err, a)
	}
	if _, err := s.Account(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	upd, err := s.UpdateAccount(ctx, "li", func(a *store.Account) error {
		a.Failures, a.Locks, a.LockedUntil, a.Disabled, a.LastLoginAt = 3, 2, t0.Add(time.Minute), true, t0.Add(time.Second)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Account(ctx, "li"); got != upd || got.Failures != 3 || got.Locks != 2 || !got.LockedUntil.Equal(t0.Add(time.Minute)) || !got.Disabled {
		t.Errorf("after update %+v, want %+v", got, upd)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateAccount(ctx, "li", func(a *store.Account) error { a.Role = "admin"; return boom }); !errors.Is(err, boom) {
		t.Errorf("failing update: %v", err)
	}
	if got, _ := s.Account(ctx, "li"); got.Role != "service" {
		t.Errorf("a failed update changed the role to %s", got.Role)
	}
	if _, err := s.UpdateAccount(ctx, "nobody", func(*store.Account) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of an unknown account: %v", err)
	}
	list, err := s.ListAccounts(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "han" || list[1].ID != "li" {
		t.Errorf("list %+v %v", list, err)
	}
}

// testAccountUpdatesAcrossStores: wrong passwords counted at two hubs at
// once are all counted: UpdateAccount holds the account.
func testAccountUpdatesAcrossStores(t *testing.T, be Backend) {
	if be.Another == nil {
		t.Skip("one process owns this backend")
	}
	ctx := context.Background()
	a := be.Open(t, nil)
	b := be.Another(t, a)
	a.AddAccount(ctx, store.Account{ID: "li", Name: "Li", Role: "service", PasswordHash: "h", CreatedAt: t0})
	var wg sync.WaitGroup
	const each = 20
	errs := make(chan error, 2*each)
	for _, st := range []store.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := st.UpdateAccount(ctx, "li", func(a *store.Account) error { a.Failures++; return nil })
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, _ := b.Account(ctx, "li"); got.Failures != 2*each {
		t.Errorf("%d failures counted, want %d", got.Failures, 2*each)
	}
}

// testSessionsAcrossStores: a session made through one store is found,
// touched and ended through another on the same database (several hubs
// behind one address).
func testSessionsAcrossStores(t *testing.T, be Backend) {
	ctx := context.Background()
	a, b := be.pair(t)
	x := store.Session{Hash: "h1", Account: "li", CreatedAt: t0, LastSeen: t0, Client: "10.0.0.9"}
	if err := a.AddSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	a.AddSession(ctx, store.Session{Hash: "h2", Account: "li", CreatedAt: t0, LastSeen: t0.Add(time.Hour)})
	a.AddSession(ctx, store.Session{Hash: "h3", Account: "han", CreatedAt: t0, LastSeen: t0})
	got, err := b.Session(ctx, "h1")
	if err != nil || got != x {
		t.Fatalf("session through the other store: %+v %v, want %+v", got, err, x)
	}
	if err := b.TouchSession(ctx, "h1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Session(ctx, "h1"); !got.LastSeen.Equal(t0.Add(time.Minute)) {
		t.Errorf("touch through the other store: last seen %v", got.LastSeen)
	}
	if err := b.DeleteSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Session(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ended session: %v", err)
	}
	// Idle ones go; then all of an account's.
	if err := b.DeleteSessions(ctx, "", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Session(ctx, "h3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("idle session kept: %v", err)
	}
	if _, err := a.Session(ctx, "h2"); err != nil {
		t.Errorf("busy session dropped: %v", err)
	}
	b.DeleteSessions(ctx, "li", time.Time{})
	if _, err := a.Session(ctx, "h2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("account's session kept: %v", err)
	}
}

// testTokens: by name once, found by hash, listed, revoked once.
func testTokens(t *testing.T, be Backend) {
	ctx := context.Background()
	s := be.Open(t, nil)
	tk := store.Token{Name: "erp", Scope: "read", Hash: "abc", CreatedAt: t0, CreatedBy: "han"}
	if err := s.AddToken(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if err := s.AddToken(ctx, store.Token{Name: "erp", Scope: "admin", Hash: "def", CreatedAt: t0}); !errors.Is(err, store.ErrExists) {
		t.Errorf("same name: %v", err)
	}
	if got, err := s.TokenByHash(ctx, "abc"); err != nil || got != tk {
		t.Errorf("by hash %+v %v", got, err)
	}
	if ts, err := s.Tokens(ctx); err != nil || len(ts) != 1 || ts[0] != tk {
		t.Errorf("list %+v %v", ts, err)
	}
	if err := s.DeleteToken(ctx, "erp"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(ctx, "erp"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second revoke: %v", err)
	}
	if _, err := s.TokenByHash(ctx, "abc"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked token found: %v", err)
	}
}

// testAuditTrail: head office's rows and outlets' audit events, committed
// with their batch once (not again on a resend), listed newest first,
// filtered and paged by id.
func testAuditTrail(t *testing.T, be Backend) {
	ctx := context.Background()
	s := be.Open(t, nil)
	for i := range 3 {
		if err := s.AppendAudit(ctx, store.AuditRow{At: t0.Add(time.Duration(i) * time.Minute), Origin: syncproto.HubOrigin,
			Actor: "han", Role: "admin", Action: fmt.Sprint("POST /x", i), Subject: "/x", Client: "10.0.0.9"}); err != nil {
			t.Fatal(err)
		}
	}
	b := &syncproto.Batch{Origin: "SH-001", First: 1, Last: 2, Events: []syncproto.Event{
		{ID: "ev-1", Origin: "SH-001", Seq: 1, HLC: hlc.Make(t0.Add(time.Hour).UnixMilli(), 0), Actor: "c01", Type: lifecycle.LoginFailed, V: 1,
			Subject: "staff/c01", Payload: []byte(`{"staff_id":"c01","client":"127.0.0.1","failures":1,"at":1}`)},
		{ID: "ev-2", Origin: "SH-001", Seq: 2, HLC: hlc.Make(t0.Add(time.Hour).UnixMilli(), 1), Actor: "c01", Type: "parcel.inbound", V: 1,
			Subject: "SF1", Payload: []byte(`{}`)},
	}}
	commit(t, s, b)
	commit(t, s, b) // a resend adds nothing
	all, err := s.Audit(ctx, store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Fatalf("%d rows, want 3 of head office and 1 outlet login: %+v", len(all), all)
	}
	o := all[0]
	if o.Origin != "SH-001" || o.Action != lifecycle.LoginFailed || o.Actor != "c01" || o.Client != "127.0.0.1" || o.EventID != "ev-1" ||
		o.Subject != "staff/c01" || !o.At.Equal(t0.Add(time.Hour)) {
		t.Errorf("outlet row %+v", o)
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Errorf("rows not newest first: %d after %d", all[i].ID, all[i-1].ID)
		}
	}
	page, _ := s.Audit(ctx, store.AuditQuery{Limit: 2})
	rest, _ := s.Audit(ctx, store.AuditQuery{Limit: 2, Before: page[1].ID})
	if len(page) != 2 || len(rest) != 2 || rest[0].ID >= page[1].ID || rest[1].Action != "POST /x0" {
		t.Errorf("pages %+v then %+v", page, rest)
	}
	for _, tc := range []struct {
		q    store.AuditQuery
		want int
	}{
		{store.AuditQuery{Origin: "SH-001"}, 1},
		{store.AuditQuery{Origin: syncproto.HubOrigin, Actor: "han"}, 3},
		{store.AuditQuery{Action: "POST /x1"}, 1},
		{store.AuditQuery{From: t0.Add(time.Minute), To: t0.Add(2 * time.Minute)}, 1},
		{store.AuditQuery{From: t0.Add(30 * time.Minute)}, 1},
	} {
		if got, err := s.Audit(ctx, tc.q); err != nil || len(got) != tc.want {
			t.Errorf("%+v: %d rows %v, want %d", tc.q, len(got), err, tc.want)
		}
	}
}
