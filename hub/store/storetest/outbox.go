package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/clock"
)

func msg(key, subject, customer string) store.Message {
	return store.Message{Key: key, Kind: "notice.start", Subject: subject, Customer: customer, Params: `{"title":"t"}`}
}

func counts(t *testing.T, s store.Store, subject string) map[string]int64 {
	t.Helper()
	cs, err := s.MessageCounts(context.Background(), subject)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range cs {
		out[c.Kind+"/"+c.State] += c.N
	}
	return out
}

// testOutbox: a key is enqueued once; a claim hands out due messages once
// until it runs out; a retry waits for its time and fails at the cap; an
// outcome under a lost claim is refused; a resend reaches the same
// customers once.
func testOutbox(t *testing.T, be Backend) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 8, 1, 8, 0, 0, 0, time.UTC))
	s := be.Open(t, clk)
	n, err := s.Enqueue(ctx, []store.Message{msg("notice:N1:start:c1", "N1", "c1"), msg("notice:N1:start:c2", "N1", "c2"), msg("notice:N1:start:c1", "N1", "c1")})
	if err != nil || n != 2 {
		t.Fatalf("enqueue 3 with a key twice: %d new (%v), want 2", n, err)
	}
	if n, err := s.Enqueue(ctx, []store.Message{msg("notice:N1:start:c2", "N1", "c2")}); err != nil || n != 0 {
		t.Fatalf("enqueue a key again: %d new (%v), want 0", n, err)
	}
	if _, err := s.Enqueue(ctx, []store.Message{{Key: "k", Kind: "notice.start"}}); err == nil {
		t.Error("a message without a customer was enqueued")
	}
	now := func() int64 { return clk.Now().UnixMilli() }
	got, err := s.ClaimMessages(ctx, "A", now()+60_000, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim: %d (%v), want 2", len(got), err)
	}
	if got[0].Attempts != 1 || got[0].Claim != "A" || got[0].Params != `{"title":"t"}` || got[0].Customer == "" {
		t.Errorf("claimed row %+v", got[0])
	}
	// A held claim hands out nothing more.
	if more, err := s.ClaimMessages(ctx, "B", now()+60_000, 10); err != nil || len(more) != 0 {
		t.Fatalf("second claim while the first holds: %d (%v), want 0", len(more), err)
	}
	c1, c2 := got[0], got[1]
	if c1.Customer != "c1" {
		c1, c2 = c2, c1
	}
	if err := s.FinishMessage(ctx, store.Outcome{Key: c1.Key, Claim: "A", State: store.MessageSent}, 3); err != nil {
		t.Fatal(err)
	}
	// Sent once: the claim's second report is refused.
	if err := s.FinishMessage(ctx, store.Outcome{Key: c1.Key, Claim: "A", State: store.MessageSent}, 3); !errors.Is(err, store.ErrClaimLost) {
		t.Errorf("second outcome of a sent message: %v, want ErrClaimLost", err)
	}
	// c2 fails for now: due again in a minute, not before.
	if err := s.FinishMessage(ctx, store.Outcome{Key: c2.Key, Claim: "A", State: store.MessagePending, RetryAt: now() + 60_000, Error: "503"}, 3); err != nil {
		t.Fatal(err)
	}
	if more, _ := s.ClaimMessages(ctx, "B", now()+60_000, 10); len(more) != 0 {
		t.Fatalf("a retry was claimed before its time: %+v", more)
	}
	clk.Advance(61 * time.Second)
	// Claimed by B, whose hub then dies: the claim runs out and C takes it.
	if b, _ := s.ClaimMessages(ctx, "B", now()+30_000, 10); len(b) != 1 || b[0].Key != c2.Key || b[0].Attempts != 2 || b[0].LastError != "503" {
		t.Fatalf("retry claim: %+v", b)
	}
	clk.Advance(31 * time.Second)
	cc, err := s.ClaimMessages(ctx, "C", now()+30_000, 10)
	if err != nil || len(cc) != 1 || cc[0].Attempts != 3 {
		t.Fatalf("claim after B's ran out: %+v (%v)", cc, err)
	}
	if err := s.FinishMessage(ctx, store.Outcome{Key: c2.Key, Claim: "B", State: store.MessageSent}, 3); !errors.Is(err, store.ErrClaimLost) {
		t.Errorf("outcome under a claim that ran out: %v, want ErrClaimLost", err)
	}
	// Its third attempt fails too: the cap of 3 makes it failed.
	if err := s.FinishMessage(ctx, store.Outcome{Key: c2.Key, Claim: "C", State: store.MessagePending, RetryAt: now() + 60_000, Error: "timeout"}, 3); err != nil {
		t.Fatal(err)
	}
	row, err := s.OutboxMessage(ctx, c2.Key)
	if err != nil || row.State != store.MessageFailed || row.LastError != "timeout" || row.DoneAt != now() {
		t.Errorf("message past its cap: %+v (%v), want failed", row, err)
	}
	clk.Advance(time.Hour)
	if more, _ := s.ClaimMessages(ctx, "D", now()+30_000, 10); len(more) != 0 {
		t.Errorf("a failed message was claimed: %+v", more)
	}
	if ok, err := s.DeliverMessage(ctx, c1.Key); err != nil || !ok {
		t.Errorf("receipt of a sent message: %v %v", ok, err)
	}
	if ok, _ := s.DeliverMessage(ctx, c1.Key); ok {
		t.Error("a second receipt counted again")
	}
	if ok, _ := s.DeliverMessage(ctx, c2.Key); ok {
		t.Error("a receipt of a failed message counted")
	}
	if got, want := counts(t, s, "N1"), map[string]int64{"notice.start/delivered": 1, "notice.start/failed": 1}; !maps(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	if _, err := s.OutboxMessage(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
}

func maps(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// testOutboxClaimAcrossStores: two hub processes claiming at once from one
// database each get every message at most once, and together all.
func testOutboxClaimAcrossStores(t *testing.T, be Backend) {
	if be.Another == nil {
		t.Skip("one process owns this backend's database")
	}
	ctx := context.Background()
	a := be.Open(t, nil)
	b := be.Another(t, a)
	const total = 300
	ms := make([]store.Message, total)
	for i := range ms {
		ms[i] = msg(fmt.Sprintf("notice:N2:start:c%03d", i), "N2", fmt.Sprintf("c%03d", i))
	}
	if n, err := a.Enqueue(ctx, ms); err != nil || n != total {
		t.Fatalf("enqueue: %d %v", n, err)
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for name, s := range map[string]store.Store{"a": a, "b": b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				rs, err := s.ClaimMessages(ctx, name, time.Now().Add(time.Hour).UnixMilli(), 7)
				if err != nil {
					errs <- err
					return
				}
				if len(rs) == 0 {
					return
				}
				mu.Lock()
				for _, r := range rs {
					if by, ok := seen[r.Key]; ok {
						errs <- fmt.Errorf("%s claimed by %s and %s", r.Key, by, name)
					}
					seen[r.Key] = name
				}
				mu.Unlock()
				for _, r := range rs {
					if err := s.FinishMessage(ctx, store.Outcome{Key: r.Key, Claim: name, State: store.MessageSent}, 5); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != total {
		t.Errorf("%d of %d messages claimed", len(seen), total)
	}
	by := map[string]int{}
	for _, v := range seen {
		by[v]++
	}
	t.Logf("claimed by store: %v", by)
	if got := counts(t, b, "N2"); got["notice.start/sent"] != total || len(got) != 1 {
		t.Errorf("counts %v, want %d sent", got, total)
	}
}
