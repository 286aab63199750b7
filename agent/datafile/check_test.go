package datafile

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// filled makes a data file with every bucket of the layout, enough keys
// that the event log spans branch and overflow pages, and deletes so the
// freelist is not empty. It returns the directory.
func filled(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	f, err := Open(dir, Options{Outlet: "SH-001", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 9000) // an overflow value
	err = f.Update(func(tx *bolt.Tx) error {
		meta, ev := tx.Bucket(Meta), tx.Bucket(Events)
		for seq := uint64(1); seq <= 400; seq++ {
			if err := ev.Put(U64Key(seq), fmt.Appendf(nil, `{"seq":%d,"payload":"%0200d"}`, seq, seq)); err != nil {
				return err
			}
		}
		if err := PutU64(meta, KeyLastSeq, 400); err != nil {
			return err
		}
		if err := PutU64(meta, KeyAckedSeq, 350); err != nil {
			return err
		}
		if err := tx.Bucket(WorkflowBlobs).Put([]byte("photo"), big); err != nil {
			return err
		}
		jobs := tx.Bucket(PrintSpool).Bucket(SpoolJobs)
		for i := 0; i < 3; i++ {
			id, _ := jobs.NextSequence()
			if err := jobs.Put(U64Key(id), []byte(`{}`)); err != nil {
				return err
			}
		}
		return tx.Bucket(Staff).Bucket(StaffMembers).Put([]byte("c01"), []byte(`{"id":"c01"}`))
	})
	if err == nil {
		err = f.Update(func(tx *bolt.Tx) error { return tx.Bucket(Dead).Put([]byte("x"), []byte("y")) })
	}
	if err == nil {
		err = f.Update(func(tx *bolt.Tx) error { return tx.Bucket(Dead).Delete([]byte("x")) })
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// pageTypes is bbolt's own view of each page: "free", "leaf", "branch",
// "meta", "freelist" or "" for an overflow page.
func pageTypes(t testing.TB, dir string) (types []string, pageSize int) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pageSize = db.Info().PageSize
	err = db.View(func(tx *bolt.Tx) error {
		n := int(tx.Size()) / pageSize
		types = make([]string, n)
		for id := 0; id < n; id++ {
			p, err := tx.Page(id)
			if err != nil {
				return err
			}
			types[id] = p.Type
			for i := 1; i <= p.OverflowCount; i++ {
				types[id+i] = ""
			}
			id += p.OverflowCount
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return types, pageSize
}

func copyDir(t testing.TB, dir string) string {
	t.Helper()
	to := t.TempDir()
	if err := os.CopyFS(to, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return to
}

func overwrite(t testing.TB, dir string, page, pageSize int, b byte) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{b}, pageSize), int64(page)*int64(pageSize)); err != nil {
		t.Fatal(err)
	}
}

func TestCheckSoundFile(t *testing.T) {
	dir := filled(t)
	rep, err := Check(dir)
	if err != nil || rep.Err() != nil {
		t.Fatalf("a sound file: %v %v", err, rep.Err())
	}
	if rep.Keys["events"] != 400 || rep.Keys["wf_blobs"] != 1 || rep.Keys["print_spool/jobs"] != 3 {
		t.Fatalf("keys read: %v", rep.Keys)
	}
	// Missing and empty files are new ones, for Open to create.
	if rep, err := Check(t.TempDir()); err != nil || rep.Err() != nil {
		t.Fatalf("no file: %v %v", err, rep.Err())
	}
}

// TestEveryPageOverwritten overwrites each page of a file in turn with
// 0xFF, then with zeros. Check must find the damage exactly when the page
// is in use (a free page's bytes do not matter, nor can a long value's
// continuation pages be told wrong), Open must refuse the file
// with the damaged-file error and not crash, and a file Check passes must
// pass bbolt's own check too.
func TestEveryPageOverwritten(t *testing.T) {
	dir := filled(t)
	types, ps := pageTypes(t, dir)
	for id := range types {
		for _, fill := range []byte{0xFF, 0x00} {
			d := copyDir(t, dir)
			overwrite(t, d, id, ps, fill)
			rep, err := Check(d)
			if err != nil {
				t.Fatalf("page %d (%s) = %#x: %v", id, types[id], fill, err)
			}
			damaged := rep.Err() != nil
			switch typ := types[id]; {
			case typ == "meta":
				// bbolt keeps two; a damaged one leaves the other.
			case typ == "":
				// The rest of a long value: bytes, with no structure that
				// Check (or bbolt) could find wrong.
			case typ == "free" && damaged:
				t.Errorf("page %d is free, yet Check reports %v", id, rep.Err())
			case typ != "free" && !damaged:
				t.Errorf("page %d (%s) overwritten with %#x, yet Check passes", id, typ, fill)
			}
			f, err := Open(d, Options{Outlet: "SH-001"})
			if damaged {
				if !problem.Is(err, problem.DataFileDamaged) {
					t.Errorf("page %d (%s): Open: %v, want the damaged-file error", id, types[id], err)
				}
				continue
			}
			if err != nil {
				t.Errorf("page %d (%s): Check passes, Open fails: %v", id, types[id], err)
				continue
			}
			err = f.View(func(tx *bolt.Tx) error {
				for err := range tx.Check() {
					return err
				}
				return nil
			})
			f.Close()
			if err != nil {
				t.Errorf("page %d (%s): Check passes, bbolt's check finds %v", id, types[id], err)
			}
		}
	}
}

func TestTruncatedFile(t *testing.T) {
	dir := filled(t)
	types, ps := pageTypes(t, dir)
	for _, pages := range []int{0, 1, 2, 3, len(types) / 2, len(types) - 1} {
		d := copyDir(t, dir)
		if err := os.Truncate(filepath.Join(d, FileName), int64(pages*ps)); err != nil {
			t.Fatal(err)
		}
		_, err := Open(d, Options{Outlet: "SH-001"})
		if pages == 0 {
			if err != nil {
				t.Errorf("an empty file is a new one: %v", err)
			}
			continue
		}
		if !problem.Is(err, problem.DataFileDamaged) {
			t.Errorf("truncated to %d pages: Open: %v, want the damaged-file error", pages, err)
		} else if pages >= 2 && !strings.Contains(err.Error(), "truncated") {
			t.Errorf("truncated to %d pages: %v does not say truncated", pages, err)
		}
	}
}

// TestRandomDamage scribbles random bytes over random pages' headers and
// elements: whatever Check says, Open must not crash, and what Check
// passes bbolt's check passes.
func TestRandomDamage(t *testing.T) {
	dir := filled(t)
	types, ps := pageTypes(t, dir)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 60; round++ {
		d := copyDir(t, dir)
		f, err := os.OpenFile(filepath.Join(d, FileName), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < 1+rng.IntN(4); n++ {
			id := 2 + rng.IntN(len(types)-2)
			junk := make([]byte, 1+rng.IntN(64))
			for i := range junk {
				junk[i] = byte(rng.Uint32())
			}
			f.WriteAt(junk, int64(id*ps+rng.IntN(128)))
		}
		f.Close()
		rep, err := Check(d)
		if err != nil {
			t.Fatal(err)
		}
		db, err := Open(d, Options{Outlet: "SH-001"})
		if rep.Err() != nil {
			if !problem.Is(err, problem.DataFileDamaged) {
				t.Errorf("round %d: Check: %v; Open: %v", round, rep.Err(), err)
			}
			continue
		}
		if err != nil {
			t.Errorf("round %d: Check passes, Open fails: %v", round, err)
			continue
		}
		err = db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				return err
			}
			return nil
		})
		db.Close()
		if err != nil {
			t.Errorf("round %d: Check passes, bbolt's check finds %v", round, err)
		}
	}
}

func TestCheckWhileOpen(t *testing.T) {
	dir := filled(t)
	f, err := Open(dir, Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Check(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("Check on an open file: %v", err)
	}
}

func TestGuardTurnsPanicIntoDamage(t *testing.T) {
	err := guard("/x/agent.db", func() error { panic("assertion failed: page 7 already freed") })
	if !problem.Is(err, problem.DataFileDamaged) || !strings.Contains(err.Error(), "page 7 already freed") {
		t.Fatalf("guard: %v", err)
	}
	if err := guard("/x/agent.db", func() error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestTreeIsWhatOpenCreates holds the salvage's list of buckets to the
// layout the migrations make.
func TestTreeIsWhatOpenCreates(t *testing.T) {
	f, err := Open(t.TempDir(), Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	var walk func(prefix string, b *bolt.Bucket)
	walk = func(prefix string, b *bolt.Bucket) {
		b.ForEachBucket(func(k []byte) error {
			got = append(got, prefix+string(k))
			walk(prefix+string(k)+"/", b.Bucket(k))
			return nil
		})
	}
	f.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			got = append(got, string(name))
			walk(string(name)+"/", b)
			return nil
		})
	})
	var want []string
	for _, p := range tree {
		want = append(want, bytesJoin(p))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Open creates %v, salvage's tree is %v", got, want)
	}
}

func TestSalvage(t *testing.T) {
	dir := filled(t)
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var eventsRoot uint64
	db.View(func(tx *bolt.Tx) error {
		eventsRoot = uint64(tx.Bucket(Events).Root())
		return nil
	})
	db.Close()
	types, ps := pageTypes(t, dir)
	if types[eventsRoot] != "branch" {
		t.Fatalf("events/ root is a %s page; the test wants a branch", types[eventsRoot])
	}
	leaf := secondChild(t, dir, eventsRoot, ps)
	overwrite(t, dir, int(leaf), ps, 0xFF)

	to := filepath.Join(t.TempDir(), "new")
	rep, err := Salvage(dir, to)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log(out.String())
	lost := 400 - rep.Keys["events"]
	if lost <= 0 || lost >= 400 || rep.Events != uint64(rep.Keys["events"]) {
		t.Fatalf("events kept %d (%d in the range), want some but not all of 400", rep.Keys["events"], rep.Events)
	}
	if len(rep.Missing) != 1 || rep.Missing[0][1]-rep.Missing[0][0]+1 != uint64(lost) || rep.IssuedSeq != 400 || rep.AckedSeq != 350 {
		t.Fatalf("missing %v (lost %d), issued %d, acked %d", rep.Missing, lost, rep.IssuedSeq, rep.AckedSeq)
	}
	if rep.Keys["wf_blobs"] != 1 || rep.Keys["print_spool/jobs"] != 3 || rep.Keys["staff/members"] != 1 {
		t.Fatalf("the other buckets: %v", rep.Keys)
	}
	if len(rep.Damage) != 1 || rep.Damage[0].Page != leaf || rep.Damage[0].Bucket != "events" {
		t.Fatalf("damage %v, want page %d of events/", rep.Damage, leaf)
	}
	for _, want := range []string{fmt.Sprintf("page %d of events/", leaf), "events/ ", "lost"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The new file is sound and opens; the spool's sequence survived.
	if rep, err := Check(to); err != nil || rep.Err() != nil {
		t.Fatalf("salvaged file: %v %v", err, rep.Err())
	}
	f, err := Open(to, Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.View(func(tx *bolt.Tx) error {
		if s := tx.Bucket(PrintSpool).Bucket(SpoolJobs).Sequence(); s != 3 {
			t.Errorf("spool sequence %d, want 3", s)
		}
		if GetU64(tx.Bucket(Meta), KeyLastSeq) != 400 {
			t.Errorf("last_seq not kept")
		}
		return nil
	})
	if _, err := Salvage(dir, to); err == nil {
		t.Fatal("salvage over an existing file")
	}
}

// secondChild reads a branch page's second child id.
func secondChild(t *testing.T, dir string, branch uint64, ps int) uint64 {
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	p := raw[int(branch)*ps:]
	return ne.Uint64(p[pageHeader+elemSize+8:])
}

// FuzzCheck feeds the file reader arbitrary files, seeded with a real
// one: it must never panic, whatever the pages say.
func FuzzCheck(f *testing.F) {
	dir := f.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "seed.db"), 0o600, &bolt.Options{PageSize: 1024})
	if err != nil {
		f.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucket([]byte("events"))
		for i := uint64(1); i < 40; i++ {
			b.Put(U64Key(i), bytes.Repeat([]byte{'e'}, 40))
		}
		s, _ := tx.CreateBucket([]byte("staff"))
		s.CreateBucket([]byte("members"))
		return nil
	})
	db.Close()
	seed, err := os.ReadFile(filepath.Join(dir, "seed.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add(seed[:2048])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := newWalker(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		w.onKey = func([]string, []byte, []byte) {}
		w.walk()
	})
}

// BenchmarkCheck measures the check Open makes before bbolt maps the
// file, on an event log of 200,000 events (about 300 bytes each).
func BenchmarkCheck(b *testing.B) {
	dir := b.TempDir()
	f, err := Open(dir, Options{Outlet: "SH-001", NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	for start := uint64(1); start <= 200_000; start += 10_000 {
		err := f.Update(func(tx *bolt.Tx) error {
			ev := tx.Bucket(Events)
			for seq := start; seq < start+10_000; seq++ {
				if err := ev.Put(U64Key(seq), fmt.Appendf(nil, `{"seq":%d,"payload":"%0280d"}`, seq, seq)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	f.Sync()
	f.Close()
	st, _ := os.Stat(filepath.Join(dir, FileName))
	for b.Loop() {
		if rep, err := Check(dir); err != nil || rep.Err() != nil {
			b.Fatal(err, rep.Err())
		}
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "file_MiB")
}

// TestSalvageTruncated: a file cut in half still gives up the pages it
// holds, and the new file is sound.
func TestSalvageTruncated(t *testing.T) {
	dir := filled(t)
	types, ps := pageTypes(t, dir)
	// Cut through the second half, but keep the root page, wherever bbolt
	// put it: everything is reached from there.
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	m, err := readMeta(bytes.NewReader(raw), 0)
	if m1, err1 := readMeta(bytes.NewReader(raw), int64(ps)); err != nil || (err1 == nil && m1.txid > m.txid) {
		m = m1
	}
	cut := max(int(m.root)+1, len(types)/2)
	if cut >= len(types) {
		t.Fatalf("the root is the last page (%d of %d): nothing to cut after it", m.root, len(types))
	}
	if err := os.Truncate(filepath.Join(dir, FileName), int64(cut*ps)); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), "new")
	rep, err := Salvage(dir, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Damage) == 0 || !strings.Contains(rep.Damage[0].Detail, "truncated") {
		t.Fatalf("damage %v does not say truncated", rep.Damage)
	}
	total := 0
	for _, n := range rep.Keys {
		total += n
	}
	if total == 0 {
		t.Fatalf("nothing saved from half a file: %v", rep.Keys)
	}
	if rep, err := Check(to); err != nil || rep.Err() != nil {
		t.Fatalf("salvaged file: %v %v", err, rep.Err())
	}
	f, err := Open(to, Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}
