package staff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/syncproto"
)

// lockOut makes MaxFailures wrong guesses at id and returns the lock they
// end in, failing the test if they do not.
func lockOut(t *testing.T, s *Store, id string) *LockedError {
	t.Helper()
	var err error
	for range MaxFailures {
		_, err = s.Check(id, "0000")
	}
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("%s after %d wrong PINs: %v, want a lock", id, MaxFailures, err)
	}
	return le
}

// TestLockoutEscalates: each lock in a row lasts twice the one before, up
// to MaxLockFor; the count survives a restart; a good login and a
// supervisor's unlock start it afresh.
func TestLockoutEscalates(t *testing.T) {
	c := newClock()
	s, db := newStore(t, c)
	if err := s.Add("c01", "张三", RoleClerk, "1234"); err != nil {
		t.Fatal(err)
	}
	want := LockFor
	var total time.Duration
	for n := 1; n <= 12; n++ {
		if n == 4 { // a restart keeps the count
			var err error
			if s, err = Open(db, WithClock(c), WithIterations(MinIterations)); err != nil {
				t.Fatal(err)
			}
		}
		le := lockOut(t, s, "c01")
		if got := le.Until.Sub(le.Now); got != want {
			t.Fatalf("lock %d lasts %v, want %v", n, got, want)
		}
		c.Advance(want - time.Second)
		if _, err := s.Check("c01", "1234"); !errors.Is(err, ErrLocked) {
			t.Fatalf("right PIN a second before lock %d ends: %v", n, err)
		}
		c.Advance(time.Second)
		total += want
		want = min(2*want, MaxLockFor)
	}
	if MaxLockFor != 24*time.Hour {
		t.Fatalf("MaxLockFor = %v, want a day", MaxLockFor)
	}
	// Twelve locks, 60 guesses, take more than three days.
	if total < 3*24*time.Hour {
		t.Fatalf("twelve locks in a row took only %v", total)
	}

	// A good login starts afresh.
	if _, err := s.Check("c01", "1234"); err != nil {
		t.Fatal(err)
	}
	if le := lockOut(t, s, "c01"); le.Until.Sub(le.Now) != LockFor {
		t.Fatalf("lock after a good login lasts %v, want %v", le.Until.Sub(le.Now), LockFor)
	}
	c.Advance(LockFor)
	if le := lockOut(t, s, "c01"); le.Until.Sub(le.Now) != 2*LockFor {
		t.Fatalf("second lock lasts %v, want %v", le.Until.Sub(le.Now), 2*LockFor)
	}
	// So does a supervisor's unlock, at once.
	if err := s.Unlock("c01"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.LockedUntil("c01"); ok {
		t.Fatal("still locked after Unlock")
	}
	if le := lockOut(t, s, "c01"); le.Until.Sub(le.Now) != LockFor {
		t.Fatalf("lock after an unlock lasts %v, want %v", le.Until.Sub(le.Now), LockFor)
	}
	// Setting the clock back does not make an escalated lock last longer
	// than it would have.
	c.Advance(LockFor)
	lockOut(t, s, "c01")
	c.Advance(-48 * time.Hour)
	if _, err := s.Check("c01", "1234"); err != nil {
		t.Fatalf("after the clock went back: %v", err)
	}
}

// answer is a login's answer with the id taken out, to compare two ids.
type answer struct {
	status     int
	retryAfter string
	body       string
}

func postLogin(t *testing.T, h http.Handler, remote, id, pin string) answer {
	t.Helper()
	body, _ := json.Marshal(loginRequest{StaffID: id, PIN: pin})
	req := httptest.NewRequest("POST", "/api/v1/session", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return answer{rec.Code, rec.Header().Get("Retry-After"), strings.ReplaceAll(string(b), id, "ID")}
}

func loginHandler(ss *Sessions) http.Handler {
	mux := http.NewServeMux()
	ss.Routes(mux)
	return mux
}

// TestUnknownIDAnswersLikeAKnownOne: guessing at an id no one has gives,
// step by step, the same status, body, Retry-After and hashing as guessing
// at a member's id, lock and escalation included.
func TestUnknownIDAnswersLikeAKnownOne(t *testing.T) {
	ss, _, c := newSessions(t)
	h := loginHandler(ss)
	// Each id from its own client, so the per-client budget stays out.
	step := func(what string, pin string) {
		t.Helper()
		before := kdfRuns.Load()
		known := postLogin(t, h, "192.0.2.1:1000", "c01", pin)
		mid := kdfRuns.Load()
		unknown := postLogin(t, h, "192.0.2.2:1000", "x99", pin)
		after := kdfRuns.Load()
		if known != unknown {
			t.Fatalf("%s: a member's id answers\n  %+v\nan unknown id answers\n  %+v", what, known, unknown)
		}
		if mid-before != after-mid {
			t.Fatalf("%s: a member's id ran the PIN hash %d times, an unknown id %d", what, mid-before, after-mid)
		}
	}
	for lock := 1; lock <= 3; lock++ {
		for i := 1; i < MaxFailures; i++ {
			step(fmt.Sprintf("lock %d, wrong PIN %d", lock, i), "0000")
		}
		step(fmt.Sprintf("lock %d, the locking PIN", lock), "0000")
		step(fmt.Sprintf("lock %d, while locked", lock), "1234")
		c.Advance(LockFor << (lock - 1))
	}
	// The answer while locked says when to come back, for both.
	ans := postLogin(t, h, "192.0.2.2:1000", "x99", "0000")
	for range MaxFailures - 1 {
		ans = postLogin(t, h, "192.0.2.2:1000", "x99", "0000")
	}
	if ans.status != 429 || ans.retryAfter != fmt.Sprint(int((8*LockFor).Seconds())) || !strings.Contains(ans.body, "staff.locked") {
		t.Fatalf("fourth lock of an unknown id: %+v", ans)
	}
}

// TestUnknownIDTableBounded: an attacker naming a million ids cannot grow
// the lock table past maxStrangers, and the newest ids keep their locks.
func TestUnknownIDTableBounded(t *testing.T) {
	defer func(n int) { maxStrangers = n }(maxStrangers)
	maxStrangers = 20
	s, db := newStore(t, newClock())
	s.Add("c01", "张三", RoleClerk, "1234")
	lockOut(t, s, "c01")
	for i := range 100 {
		s.Check(fmt.Sprintf("x%03d", i), "0000")
	}
	lockOut(t, s, "x999")
	var n int
	db.View(func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucketRoot).Bucket(bucketAttempts).Stats().KeyN
		return nil
	})
	if n > maxStrangers+1 {
		t.Fatalf("%d records in the lock table, want at most %d", n, maxStrangers+1)
	}
	if _, ok := s.LockedUntil("c01"); !ok {
		t.Fatal("a member's lock was dropped to make room for unknown ids")
	}
	if _, ok := s.LockedUntil("x999"); !ok {
		t.Fatal("the newest unknown id lost its lock")
	}
}

// TestClientBudget: wrong PINs across many ids from one client run out
// its budget: it gets 429 with Retry-After until its oldest failure leaves
// the window, for every id and the right PIN too; other clients are not
// affected; the counter is never shut out for longer than ClientWindow;
// and a supervisor's unlock clears it.
func TestClientBudget(t *testing.T) {
	ss, _, c := newSessions(t)
	h := loginHandler(ss)
	const attacker = "198.51.100.7:4000"
	for i := range ClientBudget {
		id := fmt.Sprintf("x%02d", i)
		if i%3 == 0 {
			id = "c01"
		}
		if a := postLogin(t, h, attacker, id, "0000"); a.status != 401 {
			t.Fatalf("wrong PIN %d from one client: %+v", i+1, a)
		}
		c.Advance(time.Second)
	}
	for _, id := range []string{"s01", "x77"} {
		a := postLogin(t, h, attacker, id, "1234")
		if a.status != 429 || !strings.Contains(a.body, "staff.client_limited") {
			t.Fatalf("login %s after %d wrong PINs from this client: %+v, want 429 staff.client_limited", id, ClientBudget, a)
		}
		want := fmt.Sprint(int((ClientWindow - time.Duration(ClientBudget)*time.Second).Seconds()))
		if a.retryAfter != want {
			t.Fatalf("Retry-After %q, want %s (until the oldest failure leaves the window)", a.retryAfter, want)
		}
	}
	// A refused request costs no hashing.
	before := kdfRuns.Load()
	postLogin(t, h, attacker, "s01", "0000")
	if kdfRuns.Load() != before {
		t.Fatal("a client over its budget still runs the PIN hash")
	}
	// Another client, and the same /64 of IPv6 counted as one.
	if a := postLogin(t, h, "127.0.0.1:5000", "s01", "1234"); a.status != 200 {
		t.Fatalf("another client: %+v", a)
	}
	for i := range ClientBudget {
		postLogin(t, h, fmt.Sprintf("[2001:db8::%x]:80", i+1), fmt.Sprintf("v%02d", i), "0000")
	}
	if a := postLogin(t, h, "[2001:db8::ffff]:80", "s01", "1234"); a.status != 429 {
		t.Fatalf("a fresh address in the same IPv6 /64: %+v, want 429", a)
	}
	// Once the oldest failure leaves the window, one more try.
	c.Advance(ClientWindow - time.Duration(ClientBudget)*time.Second)
	if a := postLogin(t, h, attacker, "s01", "1234"); a.status != 200 {
		t.Fatalf("after the window: %+v", a)
	}
	// An attacker who keeps guessing only keeps the budget spent: the
	// counter is back ClientWindow after the last wrong PIN at most.
	for i := range 3 * ClientBudget {
		postLogin(t, h, attacker, fmt.Sprintf("k%02d", i), "0000")
		c.Advance(10 * time.Second)
	}
	c.Advance(ClientWindow)
	if a := postLogin(t, h, attacker, "s01", "1234"); a.status != 200 {
		t.Fatalf("%v after the last wrong PIN: %+v", ClientWindow, a)
	}
	// A supervisor's unlock of anyone clears every client's budget: the way
	// out when the counter's own PC is the one shut out.
	for i := range ClientBudget {
		postLogin(t, h, attacker, fmt.Sprintf("w%02d", i), "0000")
	}
	if a := postLogin(t, h, attacker, "s01", "1234"); a.status != 429 {
		t.Fatalf("budget spent again: %+v", a)
	}
	if err := ss.Unlock(t.Context(), LocalAdmin, "c01"); err != nil {
		t.Fatal(err)
	}
	if a := postLogin(t, h, attacker, "s01", "1234"); a.status != 200 {
		t.Fatalf("after a supervisor's unlock: %+v", a)
	}
}

// TestParallelGuessesStayInBudget: guesses sent at once cannot all slip
// in before the first failure is counted.
func TestParallelGuessesStayInBudget(t *testing.T) {
	ss, _, _ := newSessions(t)
	h := loginHandler(ss)
	got := make(chan int, 4*ClientBudget)
	done := make(chan struct{})
	for i := range 4 * ClientBudget {
		go func() {
			got <- postLogin(t, h, "203.0.113.9:1", fmt.Sprintf("y%02d", i), "0000").status
			done <- struct{}{}
		}()
	}
	for range 4 * ClientBudget {
		<-done
	}
	close(got)
	checked := 0
	for st := range got {
		if st == 401 {
			checked++
		}
	}
	if checked > ClientBudget {
		t.Fatalf("%d guesses sent at once were checked, budget %d", checked, ClientBudget)
	}
}

// recorder keeps the audit events Sessions write, as the event log would.
type recorder struct {
	mu  sync.Mutex
	evs []auditEvent
}

type auditEvent struct {
	Actor, Type, Subject string
	Payload              map[string]any
	raw                  string
}

func (r *recorder) Append(_ context.Context, d eventlog.Draft) (syncproto.Event, error) {
	var m map[string]any
	if err := json.Unmarshal(d.Payload, &m); err != nil {
		return syncproto.Event{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, auditEvent{d.Actor, d.Type, d.Subject, m, string(d.Payload)})
	return syncproto.Event{Seq: uint64(len(r.evs)), Actor: d.Actor, Type: d.Type, Subject: d.Subject, Payload: d.Payload}, nil
}

func (r *recorder) types() []string {
	var out []string
	for _, e := range r.evs {
		out = append(out, e.Type+" "+e.Subject+" by "+e.Actor)
	}
	return out
}

// TestLoginAuditEvents: a good login, a wrong PIN, a lock, an unlock and a
// client running out of its budget are each an audit event, none of them
// with a PIN in it.
func TestLoginAuditEvents(t *testing.T) {
	rec := &recorder{}
	ss, _, c := newSessions(t, WithAudit(rec))
	h := loginHandler(ss)
	postLogin(t, h, "127.0.0.1:1", "c01", "1234")
	for range MaxFailures {
		postLogin(t, h, "127.0.0.1:1", "c01", "0000")
	}
	postLogin(t, h, "127.0.0.1:1", "c01", "1234") // refused while locked: no event
	if err := ss.Unlock(t.Context(), Staff{ID: "s01", Role: RoleSupervisor}, "C01"); err != nil {
		t.Fatal(err)
	}
	postLogin(t, h, "127.0.0.1:1", strings.Repeat("Z", 40)+"\x07", "0000")
	c.Advance(time.Minute)
	for range ClientBudget {
		postLogin(t, h, "192.0.2.9:1", "nobody", "9876")
	}

	// nobody locks after MaxFailures: the rest are refused by its lock,
	// without a check, an event or a cost to the client's budget, which
	// five wrong PINs at other ids then spend.
	for i := range ClientBudget - MaxFailures {
		postLogin(t, h, "192.0.2.9:1", fmt.Sprintf("n%02d", i), "9876")
	}
	postLogin(t, h, "192.0.2.9:1", "n99", "9876") // refused by the client's limit: no event

	want := []string{
		"audit.login staff/c01 by c01",
		"audit.login_failed staff/c01 by system",
		"audit.login_failed staff/c01 by system",
		"audit.login_failed staff/c01 by system",
		"audit.login_failed staff/c01 by system",
		"audit.login_failed staff/c01 by system",
		"audit.staff_locked staff/c01 by system",
		"audit.staff_unlocked staff/c01 by s01",
		"audit.login_failed staff/" + strings.Repeat("z", 32) + " by system",
	}
	for range MaxFailures {
		want = append(want, "audit.login_failed staff/nobody by system")
	}
	want = append(want, "audit.staff_locked staff/nobody by system")
	for i := range ClientBudget - MaxFailures {
		want = append(want, fmt.Sprintf("audit.login_failed staff/n%02d by system", i))
	}
	want = append(want, "audit.login_limited client/192.0.2.9 by system")
	if got := rec.types(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	last := rec.evs[len(rec.evs)-1]
	if last.Payload["client"] != "192.0.2.9" || last.Payload["failures"] != float64(ClientBudget) || last.Payload["until"] != float64(c.Now().Add(ClientWindow).UnixMilli()) {
		t.Fatalf("the client's limit %s", last.raw)
	}

	for _, e := range rec.evs {
		if strings.Contains(e.raw, `"0000"`) || strings.Contains(e.raw, `"9876"`) || strings.Contains(e.raw, `"1234"`) || strings.Contains(strings.ToLower(e.raw), "pin") {
			t.Errorf("%s holds a PIN or a PIN field: %s", e.Type, e.raw)
		}
		if e.Payload["at"] == nil {
			t.Errorf("%s has no time: %s", e.Type, e.raw)
		}
	}
	byType := map[string]auditEvent{}
	for _, e := range rec.evs {
		byType[e.Type+" "+e.Subject] = e
	}
	if e := byType["audit.login staff/c01"]; e.Payload["client"] != "127.0.0.1" || e.Payload["staff_id"] != "c01" || e.Payload["unknown"] != nil {
		t.Errorf("login event %s", e.raw)
	}
	if e := byType["audit.staff_locked staff/c01"]; e.Payload["lock"] != float64(1) || e.Payload["until"] != float64(c.Now().Add(-time.Minute).Add(LockFor).UnixMilli()) {
		t.Errorf("lock event %s", e.raw)
	}
	if e := byType["audit.login_failed staff/nobody"]; e.Payload["unknown"] != true || e.Payload["staff_id"] != "nobody" {
		t.Errorf("unknown id's failure %s", e.raw)
	}
	if e := byType["audit.login_failed staff/"+strings.Repeat("z", 32)]; e.Payload["staff_id"] != strings.Repeat("z", 32) {
		t.Errorf("a long id is not cut: %s", e.raw)
	}
}

// TestUnlockRouteClearsEscalation: the staff page's unlock starts a
// member's escalation afresh.
func TestUnlockRouteClearsEscalation(t *testing.T) {
	ss, st, c := newSessions(t, WithAdminToken(testAdminToken))
	mux := http.NewServeMux()
	ss.Routes(mux)
	ss.AdminRoutes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	lockOut(t, st, "c01")
	c.Advance(LockFor)
	if le := lockOut(t, st, "c01"); le.Until.Sub(le.Now) != 2*LockFor {
		t.Fatalf("second lock lasts %v", le.Until.Sub(le.Now))
	}
	if status, code := call(t, srv, "POST", "/api/v1/staff/c01/unlock", testAdminToken, nil, nil); status != 200 {
		t.Fatalf("unlock: %d %s", status, code)
	}
	if le := lockOut(t, st, "c01"); le.Until.Sub(le.Now) != LockFor {
		t.Fatalf("lock after the unlock route lasts %v, want %v", le.Until.Sub(le.Now), LockFor)
	}
}

// TestDisabledLoginAudited: a disabled member's right PIN is refused and
// recorded as a failed login saying why, without counting as a wrong PIN.
func TestDisabledLoginAudited(t *testing.T) {
	rec := &recorder{}
	ss, st, _ := newSessions(t, WithAudit(rec))
	if err := st.SetDisabled("c01", true); err != nil {
		t.Fatal(err)
	}
	if a := postLogin(t, loginHandler(ss), "127.0.0.1:1", "c01", "1234"); a.status != 403 {
		t.Fatalf("disabled login: %+v", a)
	}
	if len(rec.evs) != 1 || rec.evs[0].Type != "audit.login_failed" || rec.evs[0].Payload["reason"] != "disabled" || rec.evs[0].Payload["failures"] != nil {
		t.Fatalf("events %v", rec.types())
	}
}
