package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/sim"
	"github.com/yizhan/yizhan/devices/printer/zpl"
)

// testFile is a bbolt file holding the spool's two buckets under a root,
// as the agent's data file does; it is the tests' Buckets.
type testFile struct{ db *bbolt.DB }

var _ Buckets = testFile{}

func openDB(t testing.TB, path string) testFile {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		root, err := tx.CreateBucketIfNotExists([]byte("print_spool"))
		if err != nil {
			return err
		}
		for _, b := range []string{"jobs", "data"} {
			if _, err := root.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return testFile{db}
}

func (f testFile) Close() error { return f.db.Close() }

func (f testFile) View(fn func(jobs, data *bbolt.Bucket) error) error {
	return f.db.View(func(tx *bbolt.Tx) error { return fn(f.buckets(tx)) })
}

func (f testFile) Update(fn func(jobs, data *bbolt.Bucket) error) error {
	return f.db.Update(func(tx *bbolt.Tx) error { return fn(f.buckets(tx)) })
}

func (testFile) buckets(tx *bbolt.Tx) (jobs, data *bbolt.Bucket) {
	root := tx.Bucket([]byte("print_spool"))
	return root.Bucket([]byte("jobs")), root.Bucket([]byte("data"))
}

// fastTimer fires after a millisecond whatever it is asked, and remembers
// what it was asked, so retries are quick and their schedule checkable.
type fastTimer struct {
	asked *recorder
	t     *time.Timer
}

type recorder struct {
	mu sync.Mutex
	d  []time.Duration
}

func (r *recorder) get() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.d...)
}

func (f *fastTimer) Start(d time.Duration) {
	f.asked.mu.Lock()
	f.asked.d = append(f.asked.d, d)
	f.asked.mu.Unlock()
	if f.t == nil {
		f.t = time.NewTimer(time.Millisecond)
		return
	}
	f.t.Reset(time.Millisecond)
}
func (f *fastTimer) Stop() {
	if f.t != nil {
		f.t.Stop()
	}
}
func (f *fastTimer) C() <-chan time.Time { return f.t.C }

func fastOptions(asked *recorder) Options {
	if asked == nil {
		asked = new(recorder)
	}
	return Options{NewTimer: func() backoff.Timer { return &fastTimer{asked: asked} }}
}

func zebra(t testing.TB, url string, statusTimeout int) Printer {
	t.Helper()
	d, err := zpl.New(printer.Config{Name: "shelf", Address: url, StatusTimeoutMS: statusTimeout}, printer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func startSim(t testing.TB) *sim.Sim {
	t.Helper()
	s, err := sim.Start("127.0.0.1:0", "zpl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func job(n int) []byte { return []byte(fmt.Sprintf("^XA^FO0,0^FDJOB-%03d^FS^XZ", n)) }

func marker(n int) []byte { return []byte(fmt.Sprintf("JOB-%03d", n)) }

func run(t testing.TB, sp *Spool) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sp.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func stateOf(t testing.TB, sp *Spool, id uint64) State {
	j, err := sp.Job(id)
	if err != nil {
		t.Fatal(err)
	}
	return j.State
}

func TestPrintsEachJobOnce(t *testing.T) {
	s := startSim(t)
	db := openDB(t, filepath.Join(t.TempDir(), "agent.db"))
	defer db.Close()
	sp, err := Open(db, map[string]Printer{"shelf": zebra(t, s.URL(), 1000)}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	run(t, sp)
	var ids []uint64
	for i := 1; i <= 5; i++ {
		id, err := sp.Enqueue("shelf", fmt.Sprintf("label %d", i), job(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	waitFor(t, "all printed", func() bool {
		for _, id := range ids {
			if stateOf(t, sp, id) != Printed {
				return false
			}
		}
		return true
	})
	for i := 1; i <= 5; i++ {
		if n := s.Count(marker(i)); n != 1 {
			t.Errorf("job %d printed %d times", i, n)
		}
	}
	if jobs := s.Jobs(); len(jobs) != 5 || !bytes.Contains(jobs[0].Data, marker(1)) || !bytes.Contains(jobs[4].Data, marker(5)) {
		t.Errorf("jobs out of order or extra: %d", len(jobs))
	}
	if ps := sp.Printers(); len(ps) != 1 || ps[0].Device.State != devices.StateOK || ps[0].Queued != 0 {
		t.Errorf("printer status %+v", ps)
	}
}

// TestFaultHoldsJobs: a printer in each fault holds the job; once the fault
// clears the job prints exactly once.
func TestFaultHoldsJobs(t *testing.T) {
	for _, f := range []printer.Condition{printer.PaperOut, printer.HeadOpen, printer.RibbonOut, printer.Paused, printer.Silent} {
		t.Run(string(f), func(t *testing.T) {
			s := startSim(t)
			s.SetFaults(f)
			db := openDB(t, filepath.Join(t.TempDir(), "agent.db"))
			defer db.Close()
			sp, err := Open(db, map[string]Printer{"shelf": zebra(t, s.URL(), 200)}, fastOptions(nil))
			if err != nil {
				t.Fatal(err)
			}
			id, err := sp.Enqueue("shelf", "label", job(1))
			if err != nil {
				t.Fatal(err)
			}
			run(t, sp)
			waitFor(t, "the spool saw the fault", func() bool {
				ps := sp.Printers()[0]
				return ps.Report.Primary() == f && ps.Device.State == devices.StateFault && ps.Queued == 1 && s.Queries() >= 3
			})
			if n := len(s.Jobs()); n != 0 {
				t.Fatalf("%d jobs sent to a printer in %s", n, f)
			}
			s.SetFaults()
			waitFor(t, "printed", func() bool { return stateOf(t, sp, id) == Printed })
			if n := s.Count(marker(1)); n != 1 {
				t.Errorf("printed %d times", n)
			}
			for _, j := range s.Jobs() {
				if len(j.Faults) != 0 {
					t.Errorf("a job arrived while the printer was in %v", j.Faults)
				}
			}
		})
	}
}

func TestOfflineThenBack(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db := openDB(t, filepath.Join(t.TempDir(), "agent.db"))
	defer db.Close()
	sp, err := Open(db, map[string]Printer{"shelf": zebra(t, "tcp://"+addr, 200)}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := sp.Enqueue("shelf", "label", job(1))
	run(t, sp)
	waitFor(t, "reconnecting shown", func() bool {
		ps := sp.Printers()[0]
		return ps.Device.State == devices.StateReconnecting && ps.Device.Fix != ""
	})
	s, err := sim.Start(addr, "zpl")
	if err != nil {
		t.Fatalf("cannot listen on %s again (another process took the port meanwhile): %v", addr, err)
	}
	defer s.Close()
	waitFor(t, "printed", func() bool { return stateOf(t, sp, id) == Printed })
	if n := s.Count(marker(1)); n != 1 {
		t.Errorf("printed %d times", n)
	}
}

// TestBackoffGrows checks the default schedule: each wait for an offline
// printer is longer than the last until the 30 s cap.
func TestBackoffGrows(t *testing.T) {
	asked := new(recorder)
	o := fastOptions(asked)
	db := openDB(t, filepath.Join(t.TempDir(), "agent.db"))
	defer db.Close()
	sp, err := Open(db, map[string]Printer{"shelf": zebra(t, "tcp://127.0.0.1:1", 100)}, o)
	if err != nil {
		t.Fatal(err)
	}
	sp.Enqueue("shelf", "label", job(1))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sp.Run(ctx); close(done) }()
	waitFor(t, "six retries", func() bool { return len(asked.get()) >= 6 })
	cancel()
	<-done
	got := asked.get()[:6]
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] && got[i] < 30*time.Second {
			t.Errorf("wait %d (%v) not longer than wait %d (%v): %v", i, got[i], i-1, got[i-1], got)
		}
	}
	if got[0] < 400*time.Millisecond || got[0] > 600*time.Millisecond {
		t.Errorf("first wait %v, want about 500ms", got[0])
	}
}

func TestUnconfirmedNeedsClerk(t *testing.T) {
	s := startSim(t)
	s.HoldReceiptAfter(1)
	db := openDB(t, filepath.Join(t.TempDir(), "agent.db"))
	defer db.Close()
	sp, err := Open(db, map[string]Printer{"shelf": zebra(t, s.URL(), 200)}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	run(t, sp)
	first, _ := sp.Enqueue("shelf", "label 1", job(1))
	waitFor(t, "needs confirmation", func() bool { return stateOf(t, sp, first) == NeedsConfirmation })
	second, _ := sp.Enqueue("shelf", "label 2", job(2))
	waitFor(t, "second printed", func() bool { return stateOf(t, sp, second) == Printed })
	if n := s.Count(marker(1)); n != 1 {
		t.Fatalf("unconfirmed job sent %d times; it must never be resent by itself", n)
	}
	if err := sp.ConfirmPrinted(second, "clerk"); !errors.Is(err, ErrWrongState) {
		t.Errorf("confirming a printed job: %v", err)
	}
	re, err := sp.Reprint(first, "王芳")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reprint printed", func() bool { return stateOf(t, sp, re) == Printed })
	j, _ := sp.Job(re)
	if j.ReprintOf != first || stateOf(t, sp, first) != Superseded || j.ResolvedBy != "王芳" {
		t.Errorf("reprint %+v, original %s", j, stateOf(t, sp, first))
	}
	if n := s.Count(marker(1)); n != 2 {
		t.Errorf("after an explicit reprint the label was sent %d times, want 2", n)
	}
	if nc, _ := sp.Jobs(Filter{States: []State{NeedsConfirmation}}); len(nc) != 0 {
		t.Errorf("still unresolved: %+v", nc)
	}
}

func TestBounds(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "agent.db"))
	defer db.Close()
	p := zebra(t, "tcp://127.0.0.1:1", 100)
	sp, err := Open(db, map[string]Printer{"shelf": p}, Options{MaxPending: 3, MaxJobBytes: 64, KeepFinished: 2})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := 0; i < 3; i++ {
		id, err := sp.Enqueue("shelf", "label", job(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, err := sp.Enqueue("shelf", "label", job(9)); !errors.Is(err, ErrFull) {
		t.Fatalf("fourth job: %v, want ErrFull", err)
	}
	if _, err := sp.Enqueue("shelf", "big", bytes.Repeat([]byte("x"), 65)); err == nil {
		t.Error("oversized job accepted")
	}
	if _, err := sp.Enqueue("nope", "label", job(1)); err == nil {
		t.Error("job for an unknown printer accepted")
	}
	// Cancelled jobs are finished: they free room and are pruned oldest first.
	for _, id := range ids {
		if err := sp.Cancel(id, "clerk"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sp.Enqueue("shelf", "label", job(4)); err != nil {
		t.Fatal(err)
	}
	all, _ := sp.Jobs(Filter{})
	if len(all) != 3 || all[0].ID != ids[1] {
		t.Errorf("want the oldest cancelled job pruned, have %+v", all)
	}
	if q, _ := sp.Jobs(Filter{States: []State{Queued}}); len(q) != 1 {
		t.Errorf("queued jobs: %+v", q)
	}
}

func TestReopenKeepsJobs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.db")
	db := openDB(t, path)
	p := map[string]Printer{"shelf": zebra(t, "tcp://127.0.0.1:1", 100)}
	sp, err := Open(db, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := sp.Enqueue("shelf", "label", job(1))
	db.Close()
	db = openDB(t, path)
	defer db.Close()
	sp, err = Open(db, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	j, err := sp.Job(id)
	if err != nil || j.State != Queued || !bytes.Equal(j.Data, job(1)) {
		t.Fatalf("after reopen: %+v, %v", j, err)
	}
	// The agent's own buckets next to ours are untouched.
	if err := db.db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("events")); return err }); err != nil {
		t.Fatal(err)
	}
}
