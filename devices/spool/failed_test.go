package spool

import (
	"errors"
	"path/filepath"
	"testing"
)

// A job that could not be rendered is kept as failed with its source and
// reason, is never sent, counts on the printer's status, and ends by being
// replaced with bytes rendered again or by a clerk cancelling it.
func TestFailedJobsWaitForTheClerk(t *testing.T) {
	s := startSim(t)
	db := openDB(t, filepath.Join(t.TempDir(), "agent.db"))
	defer db.Close()
	sp, err := Open(db, map[string]Printer{"shelf": zebra(t, s.URL(), 1000)}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	run(t, sp)
	source := []byte(`{"waybill":"顺丰456"}`)
	failed, err := sp.Fail("shelf", "取件码 3-2-0001", source, errors.New("code 128: '顺' cannot be encoded"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := sp.Fail("shelf", "取件码 3-2-0002", source, nil)
	after, _ := sp.Enqueue("shelf", "label 1", job(1))
	waitFor(t, "the job behind the failed one printed", func() bool { return stateOf(t, sp, after) == Printed })
	j, err := sp.Job(failed)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != Failed || string(j.Data) != string(source) || j.LastError != "code 128: '顺' cannot be encoded" {
		t.Fatalf("failed job %+v data %q", j, j.Data)
	}
	if n := len(s.Jobs()); n != 1 {
		t.Fatalf("printer received %d jobs; a failed job must never be sent", n)
	}
	if ps := sp.Printers(); ps[0].Failed != 2 || ps[0].Queued != 0 {
		t.Fatalf("printer status %+v, want 2 failed", ps[0])
	}
	if err := sp.Refail(failed, errors.New("again")); err != nil {
		t.Fatal(err)
	}
	if j, _ := sp.Job(failed); j.Attempts != 1 || j.LastError != "again" || j.State != Failed {
		t.Fatalf("after Refail: %+v", j)
	}
	if _, err := sp.Reprint(failed, "c01"); err == nil {
		t.Fatal("a failed job has no printer bytes to reprint")
	}
	re, err := sp.Replace(failed, "c01", "取件码 3-2-0001", job(2))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replacement printed", func() bool { return stateOf(t, sp, re) == Printed })
	if j, _ := sp.Job(re); j.ReprintOf != failed || j.ResolvedBy != "c01" || stateOf(t, sp, failed) != Superseded {
		t.Fatalf("replacement %+v, original %s", j, stateOf(t, sp, failed))
	}
	if _, err := sp.Replace(failed, "c01", "x", job(3)); !errors.Is(err, ErrWrongState) {
		t.Fatalf("replacing a superseded job: %v", err)
	}
	if err := sp.Refail(after, errors.New("x")); !errors.Is(err, ErrWrongState) {
		t.Fatalf("Refail of a printed job: %v", err)
	}
	if err := sp.Cancel(other, "c01"); err != nil || stateOf(t, sp, other) != Cancelled {
		t.Fatalf("cancel a failed job: %v, %s", err, stateOf(t, sp, other))
	}
	if ps := sp.Printers(); ps[0].Failed != 0 {
		t.Fatalf("printer status %+v, want none failed", ps[0])
	}
}
