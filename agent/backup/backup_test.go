package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// agentFile opens a data file for outlet in a new directory with n
// events in its log; the caller closes both.
func agentFile(t *testing.T, outlet string, n int) (*datafile.File, *eventlog.Log, string) {
	t.Helper()
	dir := t.TempDir()
	f, err := datafile.Open(dir, datafile.Options{Outlet: outlet})
	if err != nil {
		t.Fatal(err)
	}
	l, err := eventlog.Open(f, eventlog.Options{})
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	for i := range n {
		if _, err := l.Append(context.Background(), eventlog.Draft{Actor: "c01", Type: "parcel.scanned", Subject: fmt.Sprintf("W%06d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	return f, l, dir
}

func closeAll(t *testing.T, f *datafile.File, l *eventlog.Log) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

// TestTakeWhileAppending takes backups while appends go on, and every
// backup restores to a file that passes the check and holds a prefix of
// the log with no hole.
func TestTakeWhileAppending(t *testing.T) {
	f, l, _ := agentFile(t, "SH-001", 100)
	defer closeAll(t, f, l)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := l.Append(context.Background(), eventlog.Draft{Actor: "c01", Type: "parcel.scanned", Subject: fmt.Sprintf("X%d-%d", w, i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	out := t.TempDir()
	var taken []Result
	for i := range 3 {
		res, err := Take(out, f.WriteCopy, time.Date(2026, 12, 1, 2, 30, i, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		taken = append(taken, res)
	}
	stop()
	wg.Wait()
	for i, res := range taken {
		if want := filepath.Join(out, fmt.Sprintf("yizhan-agent-SH-001-20261201T02300%dZ.bak", i)); res.Path != want {
			t.Fatalf("backup %d at %s, want %s", i, res.Path, want)
		}
		if res.ID.Outlet != "SH-001" || res.ID.Incarnation != f.Incarnation() || res.ID.LastSeq < 100 {
			t.Fatalf("backup %d identity %+v", i, res.ID)
		}
		dir := t.TempDir()
		if _, err := Restore(RestoreOptions{From: res.Path, DataDir: dir, Outlet: "SH-001"}); err != nil {
			t.Fatal(err)
		}
		rf, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
		if err != nil {
			t.Fatal(err)
		}
		rl, err := eventlog.Open(rf, eventlog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		raws, err := rl.ReadRaw(1, int(res.ID.LastSeq)+10, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if got := rl.Counters().LastSeq; got != res.ID.LastSeq || len(raws) != int(got) {
			t.Fatalf("restored backup %d: last seq %d with %d events, backup said %d", i, got, len(raws), res.ID.LastSeq)
		}
		closeAll(t, rf, rl)
	}
	if slices.ContainsFunc(names(t, out), func(n string) bool { return filepath.Ext(n) == ".tmp" }) {
		t.Fatalf("temporary file left in %v", names(t, out))
	}
}

// TestTakeFailureLeavesNothing: a copy that fails (here a disk that
// refuses the write half-way) leaves no backup and no temporary file.
func TestTakeFailureLeavesNothing(t *testing.T) {
	f, l, _ := agentFile(t, "SH-001", 10)
	defer closeAll(t, f, l)
	out := t.TempDir()
	failing := func(w io.Writer) (datafile.Identity, int64, error) {
		id, n, err := f.WriteCopy(&limited{w: w, left: 4096})
		return id, n, err
	}
	_, err := Take(out, failing, time.Now())
	if !problem.Is(err, problem.BackupFailed) {
		t.Fatalf("err = %v, want backup.failed", err)
	}
	if n := names(t, out); len(n) != 0 {
		t.Fatalf("left behind: %v", n)
	}
	// A copy that writes garbage fails the check.
	garbage := func(w io.Writer) (datafile.Identity, int64, error) {
		n, err := w.Write(bytes.Repeat([]byte{0xA5}, 3*4096))
		return datafile.Identity{Outlet: "SH-001"}, int64(n), err
	}
	if _, err := Take(out, garbage, time.Now()); !problem.Is(err, problem.BackupFailed) {
		t.Fatalf("garbage: err = %v, want backup.failed", err)
	}
	if n := names(t, out); len(n) != 0 {
		t.Fatalf("left behind: %v", n)
	}
	if _, err := Take("", f.WriteCopy, time.Now()); !problem.Is(err, problem.BackupNoDir) {
		t.Fatalf("no dir: err = %v", err)
	}
}

type limited struct {
	w    io.Writer
	left int
}

func (l *limited) Write(p []byte) (int, error) {
	if len(p) > l.left {
		n, _ := l.w.Write(p[:l.left])
		l.left = 0
		return n, errors.New("no space left on device")
	}
	l.left -= len(p)
	return l.w.Write(p)
}

func TestListAndPrune(t *testing.T) {
	dir := t.TempDir()
	day := time.Date(2026, 11, 20, 2, 30, 0, 0, time.UTC)
	for i := range 10 {
		if err := os.WriteFile(filepath.Join(dir, Name("SH-001", day.AddDate(0, 0, i))), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Not this outlet's, not a backup: never listed nor removed.
	others := []string{Name("SH-001-B", day), Name("SH-002", day), "notes.txt", "yizhan-agent-SH-001-garbage.bak"}
	for _, n := range others {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := Prune(dir, "SH-001", 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 3 {
		t.Fatalf("removed %v, want the 3 oldest", removed)
	}
	list, err := List(dir, "SH-001")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 7 || !list[0].At.Equal(day.AddDate(0, 0, 9)) || !list[6].At.Equal(day.AddDate(0, 0, 3)) {
		t.Fatalf("kept %+v", list)
	}
	for _, n := range others {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Fatalf("%s was touched: %v", n, err)
		}
	}
}

func TestNext(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	cases := []struct {
		now, want time.Time
	}{
		{time.Date(2026, 12, 1, 1, 0, 0, 0, sh), time.Date(2026, 12, 1, 2, 30, 0, 0, sh)},
		{time.Date(2026, 12, 1, 2, 30, 0, 0, sh), time.Date(2026, 12, 2, 2, 30, 0, 0, sh)},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, sh), time.Date(2027, 1, 1, 2, 30, 0, 0, sh)},
	}
	for _, c := range cases {
		if got := Next(c.now, 2, 30); !got.Equal(c.want) {
			t.Errorf("Next(%v) = %v, want %v", c.now, got, c.want)
		}
	}
	for _, s := range []string{"24:00", "2:3", "ab:cd", "", "02:60", "-1:00"} {
		if _, _, err := ParseAt(s); err == nil {
			t.Errorf("ParseAt(%q) took it", s)
		}
	}
	if h, m, err := ParseAt("02:30"); err != nil || h != 2 || m != 30 {
		t.Errorf("ParseAt(02:30) = %d, %d, %v", h, m, err)
	}
}

// TestNightlyCounts: a failed backup is counted and leaves the last
// success alone; a good one moves it.
func TestNightlyCounts(t *testing.T) {
	f, l, _ := agentFile(t, "SH-001", 5)
	defer closeAll(t, f, l)
	n := &Nightly{Dir: t.TempDir(), Outlet: "SH-001", Copy: f.WriteCopy}
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Take(filepath.Join(blocked, "sub")); err == nil {
		t.Fatal("a backup under a plain file succeeded")
	}
	if n.Failures() != 1 || n.LastSuccess() != 0 {
		t.Fatalf("failures %d, last success %d", n.Failures(), n.LastSuccess())
	}
	if _, err := n.Take(n.Dir); err != nil {
		t.Fatal(err)
	}
	if n.Failures() != 1 || n.LastSuccess() == 0 {
		t.Fatalf("failures %d, last success %d", n.Failures(), n.LastSuccess())
	}
	fresh := &Nightly{Dir: n.Dir, Outlet: "SH-001"}
	fresh.Recall()
	if fresh.LastSuccess() == 0 {
		t.Fatal("Recall found no backup")
	}
}
