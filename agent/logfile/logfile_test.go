package logfile

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRotates writes well over max_mb × (keep+1) through slog and checks
// that no file grew past max_mb, and that exactly keep full files stay
// beside the current one, holding the newest lines.
func TestRotates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs") // made by Open
	file := filepath.Join(dir, "agent.log")
	w, err := Open(Options{File: file, MaxMB: 1, Keep: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(w, nil))
	pad := strings.Repeat("x", 200)
	const lines = 25000 // about 6 MiB
	for i := range lines {
		log.Info("scan", "n", i, "pad", pad)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Old files are removed in the background after each rotation.
	var names []string
	for deadline := time.Now().Add(20 * time.Second); ; {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		names = names[:0]
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if len(names) == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(names) != 3 {
		t.Fatalf("files %v, want agent.log and 2 rotated ones", names)
	}
	var all []byte
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 1<<20 {
			t.Errorf("%s is %d bytes, over max_mb", n, len(b))
		}
		if n != "agent.log" && !(strings.HasPrefix(n, "agent-") && strings.HasSuffix(n, ".log")) {
			t.Errorf("unexpected file %s", n)
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte(fmt.Sprintf(`"n":%d,`, lines-1))) {
		t.Error("the last line is in no kept file")
	}
	if bytes.Contains(all, []byte(`"n":0,`)) {
		t.Error("the first line is still kept: nothing was deleted")
	}
}

func TestStderrWhenNoFile(t *testing.T) {
	var buf bytes.Buffer
	w, err := Open(Options{}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "line")
	if err := w.Close(); err != nil || buf.String() != "line" {
		t.Fatalf("%q, %v", buf.String(), err)
	}
}

// TestUnwritable: a log that cannot be written is refused at start, with
// the file named.
func TestUnwritable(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-dir")
	os.WriteFile(blocker, []byte("x"), 0o600)
	for _, o := range []Options{
		{File: filepath.Join(blocker, "agent.log"), MaxMB: 1, Keep: 1},
		{File: filepath.Join(dir, "agent.log"), MaxMB: 0, Keep: 1},
		{File: filepath.Join(dir, "agent.log"), MaxMB: 1, Keep: 0},
	} {
		if w, err := Open(o, nil); err == nil || !strings.Contains(err.Error(), o.File) {
			if w != nil {
				w.Close()
			}
			t.Errorf("%+v: err %v, want a refusal naming the file", o, err)
		}
	}
}
