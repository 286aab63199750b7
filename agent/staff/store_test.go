package staff

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto/clock"
)

func newClock() *clock.Manual { return clock.NewManual(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)) }

// openDB opens the agent's data file in dir, as the staff command does.
func openDB(t *testing.T, dir string) *datafile.File {
	t.Helper()
	f, err := datafile.Open(dir, datafile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// newStore opens a store in a fresh file with cheap hashing.
func newStore(t *testing.T, c *clock.Manual) (*Store, *datafile.File) {
	t.Helper()
	db := openDB(t, t.TempDir())
	s, err := Open(db, WithClock(c), WithIterations(MinIterations))
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

func TestAddCheckRemove(t *testing.T) {
	s, _ := newStore(t, newClock())
	if err := s.Add("c01", " 张三 ", RoleClerk, "1234"); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("S01", "李四", RoleSupervisor, "87654321"); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("C01", "王五", RoleClerk, "5555"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate id (other case): %v", err)
	}

	got, err := s.Check("c01", "1234")
	if err != nil || got != (Staff{ID: "c01", Name: "张三", Role: RoleClerk}) {
		t.Fatalf("Check = %+v, %v", got, err)
	}
	if got, err := s.Check(" S01 ", "87654321"); err != nil || got.Role != RoleSupervisor || got.ID != "s01" {
		t.Fatalf("Check supervisor = %+v, %v", got, err)
	}
	for _, tc := range []struct{ id, pin string }{
		{"c01", "4321"},
		{"c01", "12345"},
		{"nobody", "1234"},
		{"bad id!", "1234"},
	} {
		if _, err := s.Check(tc.id, tc.pin); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Check(%q, %q) = %v, want ErrBadCredentials", tc.id, tc.pin, err)
		}
	}
	if _, err := s.Check("c01", "12"); !errors.Is(err, ErrBadPIN) {
		t.Errorf("Check with a 2-digit PIN = %v, want ErrBadPIN", err)
	}

	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []Staff{{"c01", "张三", RoleClerk}, {"s01", "李四", RoleSupervisor}}
	if len(list) != 2 || list[0] != want[0] || list[1] != want[1] {
		t.Fatalf("List = %+v, want %+v", list, want)
	}

	if err := s.Remove("C01"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Check("c01", "1234"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("Check after Remove = %v", err)
	}
	if err := s.Remove("c01"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Remove = %v", err)
	}
	if _, err := s.Get("c01"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Remove = %v", err)
	}
}

func TestAddValidation(t *testing.T) {
	s, _ := newStore(t, newClock())
	for _, tc := range []struct {
		name, id, staffName, role, pin string
		want                           error
	}{
		{"pin short", "c01", "张三", RoleClerk, "123", ErrBadPIN},
		{"pin long", "c01", "张三", RoleClerk, "123456789", ErrBadPIN},
		{"pin letters", "c01", "张三", RoleClerk, "12a4", ErrBadPIN},
		{"pin full-width", "c01", "张三", RoleClerk, "１２３４", ErrBadPIN},
		{"pin empty", "c01", "张三", RoleClerk, "", ErrBadPIN},
		{"role", "c01", "张三", "admin", "1234", ErrBadRole},
		{"id empty", " ", "张三", RoleClerk, "1234", ErrBadID},
		{"id space", "c 01", "张三", RoleClerk, "1234", ErrBadID},
		{"id long", strings.Repeat("a", 33), "张三", RoleClerk, "1234", ErrBadID},
		{"id slash", "c/01", "张三", RoleClerk, "1234", ErrBadID},
		{"name empty", "c01", "  ", RoleClerk, "1234", ErrBadName},
		{"name control", "c01", "张\x07三", RoleClerk, "1234", ErrBadName},
		{"name long", "c01", strings.Repeat("张", 33), RoleClerk, "1234", ErrBadName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Add(tc.id, tc.staffName, tc.role, tc.pin)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Add = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), " / ") {
				t.Fatalf("error %q is not 中文 / English", err)
			}
		})
	}
	for _, pin := range []string{"0000", "12345678"} {
		if err := s.Add("p"+pin, "赵六", RoleClerk, pin); err != nil {
			t.Errorf("PIN %q refused: %v", pin, err)
		}
	}
	if list, _ := s.List(); len(list) != 2 {
		t.Fatalf("invalid adds left records: %+v", list)
	}
}

func TestPINIsHashed(t *testing.T) {
	db := openDB(t, t.TempDir())
	s, err := Open(db) // the default count, as the agent runs it
	if err != nil {
		t.Fatal(err)
	}
	const pin = "97531864"
	if err := s.Add("c01", "张三", RoleClerk, pin); err != nil {
		t.Fatal(err)
	}
	var rec member
	err = db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketRoot).Bucket(bucketMembers).Get([]byte("c01"))
		if bytes.Contains(v, []byte(pin)) {
			t.Errorf("record holds the PIN in clear: %s", v)
		}
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.PIN.Alg != "pbkdf2-sha256" || rec.PIN.Iter != DefaultIterations || len(rec.PIN.Salt) != 16 || len(rec.PIN.Hash) != 32 {
		t.Fatalf("stored PIN = %s/%d, salt %d bytes, hash %d bytes", rec.PIN.Alg, rec.PIN.Iter, len(rec.PIN.Salt), len(rec.PIN.Hash))
	}

	// A store opened later with another count still checks old PINs.
	s2, err := Open(db, WithIterations(MinIterations))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Check("c01", pin); err != nil {
		t.Fatalf("old PIN under a new count: %v", err)
	}
}

func TestLockout(t *testing.T) {
	c := newClock()
	s, db := newStore(t, c)
	if err := s.Add("c01", "张三", RoleClerk, "1234"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < MaxFailures; i++ {
		_, err := s.Check("c01", "0000")
		if !errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrLocked) {
			t.Fatalf("wrong PIN %d: %v", i, err)
		}
		c.Advance(10 * time.Second)
	}
	lockedAt := c.Now()
	_, err := s.Check("c01", "0000")
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("wrong PIN %d: %v, want a lock", MaxFailures, err)
	}
	if !le.Until.Equal(lockedAt.Add(LockFor)) {
		t.Fatalf("locked until %v, want %v", le.Until, lockedAt.Add(LockFor))
	}
	msg := err.Error()
	for _, want := range []string{"已锁定", "locked", "try again after", le.Until.Local().Format("15:04:05"), "in 5m0s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("lock message %q lacks %q", msg, want)
		}
	}

	// The right PIN does not open a locked id.
	c.Advance(LockFor - time.Second)
	if _, err := s.Check("c01", "1234"); !errors.Is(err, ErrLocked) {
		t.Fatalf("right PIN while locked: %v", err)
	}
	if until, ok := s.LockedUntil("c01"); !ok || !until.Equal(le.Until) {
		t.Fatalf("LockedUntil = %v, %v", until, ok)
	}

	// The lock survives a restart.
	s2, err := Open(db, WithClock(c), WithIterations(MinIterations))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Check("c01", "1234"); !errors.Is(err, ErrLocked) {
		t.Fatalf("after reopen: %v", err)
	}

	c.Advance(time.Second)
	if _, ok := s.LockedUntil("c01"); ok {
		t.Fatal("still locked after LockFor")
	}
	if _, err := s.Check("c01", "1234"); err != nil {
		t.Fatalf("right PIN after the lock: %v", err)
	}

	// "In a row": a good PIN resets the count.
	for range MaxFailures - 1 {
		s.Check("c01", "0000")
	}
	if _, err := s.Check("c01", "1234"); err != nil {
		t.Fatal(err)
	}
	for range MaxFailures - 1 {
		s.Check("c01", "0000")
	}
	if _, err := s.Check("c01", "1234"); err != nil {
		t.Fatalf("count was not reset by the good PIN: %v", err)
	}

	// After a lock ends, the count starts afresh.
	for range MaxFailures {
		s.Check("c01", "0000")
	}
	c.Advance(LockFor)
	if _, err := s.Check("c01", "0000"); errors.Is(err, ErrLocked) {
		t.Fatalf("one wrong PIN after a lock ended locked again: %v", err)
	}
}

func TestLockoutClockSetBack(t *testing.T) {
	c := newClock()
	s, _ := newStore(t, c)
	s.Add("c01", "张三", RoleClerk, "1234")
	for range MaxFailures {
		s.Check("c01", "0000")
	}
	if _, ok := s.LockedUntil("c01"); !ok {
		t.Fatal("not locked")
	}
	// Someone sets the PC clock back a day: the lock must not last a day.
	c.Advance(-24 * time.Hour)
	if _, err := s.Check("c01", "1234"); err != nil {
		t.Fatalf("after the clock went back: %v", err)
	}
}

func TestLockoutConcurrent(t *testing.T) {
	s, _ := newStore(t, newClock())
	s.Add("c01", "张三", RoleClerk, "1234")
	var wg sync.WaitGroup
	errs := make(chan error, 4*MaxFailures)
	for range 4 * MaxFailures {
		wg.Go(func() {
			_, err := s.Check("c01", "0000")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	locks := 0
	for err := range errs {
		switch {
		case errors.Is(err, ErrLocked):
			locks++
		case errors.Is(err, ErrBadCredentials):
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if locks == 0 {
		t.Fatal("no attempt saw the lock")
	}
	if _, err := s.Check("c01", "1234"); !errors.Is(err, ErrLocked) {
		t.Fatalf("right PIN after %d concurrent wrong ones: %v", 4*MaxFailures, err)
	}
}

func TestHasRole(t *testing.T) {
	for _, tc := range []struct {
		have, need string
		ok         bool
	}{
		{RoleClerk, RoleClerk, true},
		{RoleClerk, RoleSupervisor, false},
		{RoleSupervisor, RoleClerk, true},
		{RoleSupervisor, RoleSupervisor, true},
		{"", RoleClerk, false},
	} {
		if got := (Staff{Role: tc.have}).HasRole(tc.need); got != tc.ok {
			t.Errorf("%q.HasRole(%q) = %v", tc.have, tc.need, got)
		}
	}
}
