package backup

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// current makes a stopped agent's data directory for outlet with n
// events, and returns it.
func current(t *testing.T, outlet string, n int) string {
	t.Helper()
	f, l, dir := agentFile(t, outlet, n)
	closeAll(t, f, l)
	return dir
}

func backupOf(t *testing.T, outlet string, n int) Result {
	t.Helper()
	f, l, _ := agentFile(t, outlet, n)
	defer closeAll(t, f, l)
	res, err := Take(t.TempDir(), f.WriteCopy, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// untouched fails unless dir holds exactly agent.db with the content it
// had (sum), and nothing a restore would have left.
func untouched(t *testing.T, dir string, was [32]byte) {
	t.Helper()
	if got := sum(t, filepath.Join(dir, datafile.FileName)); got != was {
		t.Fatal("agent.db changed")
	}
	for _, n := range names(t, dir) {
		if n != datafile.FileName && n != datafile.FileName+".lock" {
			t.Fatalf("restore left %s in %s", n, dir)
		}
	}
}

func TestRestoreRefusals(t *testing.T) {
	good := backupOf(t, "SH-001", 20)

	t.Run("corrupt", func(t *testing.T) {
		dir := current(t, "SH-001", 5)
		was := sum(t, filepath.Join(dir, datafile.FileName))
		bad := filepath.Join(t.TempDir(), "damaged.bak")
		b, err := os.ReadFile(good.Path)
		if err != nil {
			t.Fatal(err)
		}
		for i := 2 * 4096; i < len(b); i++ { // every page past the meta pages
			b[i] ^= 0x5A
		}
		if err := os.WriteFile(bad, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = Restore(RestoreOptions{From: bad, DataDir: dir, Outlet: "SH-001"})
		if !problem.Is(err, problem.RestoreDamaged) {
			t.Fatalf("err = %v, want restore.damaged", err)
		}
		untouched(t, dir, was)
	})
	t.Run("not a data file", func(t *testing.T) {
		dir := current(t, "SH-001", 5)
		was := sum(t, filepath.Join(dir, datafile.FileName))
		for name, content := range map[string][]byte{"empty": nil, "text": []byte("hello, this is not bbolt\n")} {
			p := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(p, content, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Restore(RestoreOptions{From: p, DataDir: dir}); !problem.Is(err, problem.RestoreDamaged) {
				t.Fatalf("%s: err = %v, want restore.damaged", name, err)
			}
		}
		if _, err := Restore(RestoreOptions{From: filepath.Join(t.TempDir(), "missing.bak"), DataDir: dir}); !problem.Is(err, problem.RestoreDamaged) {
			t.Fatalf("missing: err = %v", err)
		}
		untouched(t, dir, was)
	})
	t.Run("other outlet", func(t *testing.T) {
		dir := current(t, "SH-002", 5)
		was := sum(t, filepath.Join(dir, datafile.FileName))
		// Named by the configuration, or by the file it would replace.
		for _, outlet := range []string{"SH-002", ""} {
			_, err := Restore(RestoreOptions{From: good.Path, DataDir: dir, Outlet: outlet})
			if !problem.Is(err, problem.RestoreOtherOutlet) {
				t.Fatalf("outlet %q: err = %v, want restore.other_outlet", outlet, err)
			}
		}
		untouched(t, dir, was)
		// Forced, it goes in, and the old file is kept.
		r, err := Restore(RestoreOptions{From: good.Path, DataDir: dir, Outlet: "SH-002", Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if r.Before == "" || sum(t, r.Before) != was {
			t.Fatalf("old file kept as %q, not intact", r.Before)
		}
	})
	t.Run("agent running", func(t *testing.T) {
		f, l, dir := agentFile(t, "SH-001", 5)
		defer closeAll(t, f, l)
		id, _, err := f.WriteCopy(discard{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Restore(RestoreOptions{From: good.Path, DataDir: dir, Outlet: "SH-001"})
		if !problem.Is(err, problem.RestoreAgentRunning) {
			t.Fatalf("err = %v, want restore.agent_running", err)
		}
		for _, n := range names(t, dir) {
			if n != datafile.FileName && n != datafile.FileName+".lock" {
				t.Fatalf("restore left %s", n)
			}
		}
		again, _, err := f.WriteCopy(discard{})
		if err != nil || again != id {
			t.Fatalf("the running file changed: %+v, was %+v (%v)", again, id, err)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestRestoreReplaces: the backup takes agent.db's place, the old file
// stays under .before-restore, a second restore keeps both old files,
// and an empty directory (the replaced PC) takes it too.
func TestRestoreReplaces(t *testing.T) {
	res := backupOf(t, "SH-001", 30)
	dir := current(t, "SH-001", 3)
	was := sum(t, filepath.Join(dir, datafile.FileName))
	r, err := Restore(RestoreOptions{From: res.Path, DataDir: dir, Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Before != filepath.Join(dir, datafile.FileName+BeforeRestore) || sum(t, r.Before) != was {
		t.Fatalf("old file at %q", r.Before)
	}
	if got, err := datafile.ReadIdentity(filepath.Join(dir, datafile.FileName)); err != nil || !got.Restored ||
		got.Outlet != res.ID.Outlet || got.Incarnation != res.ID.Incarnation || got.LastSeq != res.ID.LastSeq {
		t.Fatalf("agent.db is not the backup marked restored: %+v, %v", got, err)
	}
	r2, err := Restore(RestoreOptions{From: res.Path, DataDir: dir, Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Before == r.Before || sum(t, r.Before) != was {
		t.Fatalf("second restore overwrote the first old file: %q", r2.Before)
	}
	empty := filepath.Join(t.TempDir(), "new-pc")
	r3, err := Restore(RestoreOptions{From: res.Path, DataDir: empty})
	if err != nil {
		t.Fatal(err)
	}
	if r3.Before != "" || r3.ID.LastSeq != 30 {
		t.Fatalf("restore into an empty directory: %+v", r3)
	}
	f, err := datafile.Open(empty, datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Incarnation() != res.ID.Incarnation {
		t.Fatalf("incarnation %s, backup's %s", f.Incarnation(), res.ID.Incarnation)
	}
	f.Close()
}
