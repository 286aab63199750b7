package datafile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// tree is every bucket of the current layout (buckets.go), as paths. A
// salvaged file gets them all, so a bucket lost with its root page comes
// back empty instead of missing; a test holds it to what Open creates.
var tree = [][][]byte{
	{Meta}, {Events}, {Dead}, {Down},
	{WorkflowEvents}, {WorkflowState}, {WorkflowList}, {WorkflowCodes}, {WorkflowLast4}, {WorkflowBlobs}, {WorkflowOpen}, {WorkflowBase},
	{Staff}, {Staff, StaffMembers}, {Staff, StaffAttempts},
	{APITokens}, {CustomerClasses}, {Forecast},
	{PrintSpool}, {PrintSpool, SpoolJobs}, {PrintSpool, SpoolData},
}

// SalvageReport says what Salvage saved and what it could not read.
type SalvageReport struct {
	From, To string
	Keys     map[string]int // keys saved, per bucket path
	Damage   []Damage       // the places that could not be read
	More     int
	// The event log: the sequences kept, the highest issued (meta/last_seq)
	// and the hub's acknowledgement (meta/acked_seq) as the file had them.
	FirstSeq, LastSeq, Events uint64
	IssuedSeq, AckedSeq       uint64
	// Missing are the sequences in 1..IssuedSeq not kept, as ranges.
	Missing [][2]uint64
	Notes   []string
}

// salvageBatch is how many keys go into one transaction of the new file.
const salvageBatch = 10000

// Salvage copies every bucket and key it can read from the data file in
// dir into a new data file in to (which must not hold one), and reports
// what it kept and what it lost. It reads the old file as Check does,
// without mapping it, so a damaged page costs the keys under it and
// nothing else. The new file then opens like any other: start the agent
// with --data to.
func Salvage(dir, to string) (SalvageReport, error) {
	from := filepath.Join(dir, FileName)
	rep := SalvageReport{From: from, To: filepath.Join(to, FileName), Keys: map[string]int{}}
	if _, err := os.Stat(rep.To); err == nil {
		return rep, fmt.Errorf("%s already exists: give --to a new directory", rep.To)
	}
	if abs1, abs2 := absPath(dir), absPath(to); abs1 == abs2 {
		return rep, errors.New("--to must be a new directory, not the damaged one")
	}
	release, err := lockShared(from)
	if err != nil {
		return rep, err
	}
	defer release()
	src, err := os.Open(from)
	if err != nil {
		return rep, err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return rep, err
	}
	w, err := newWalker(src, st.Size())
	if err != nil {
		// Short of both meta pages, cut the file at its end and read what
		// the tree still reaches.
		if w, err = truncatedWalker(src, st.Size(), err); err != nil {
			return rep, fmt.Errorf("nothing can be read from %s (%v): restore the backup", from, err)
		}
	}
	if err := os.MkdirAll(to, 0o700); err != nil {
		return rep, err
	}
	dst, err := bolt.Open(rep.To, 0o600, &bolt.Options{Timeout: lockTimeout, FreelistType: bolt.FreelistMapType, NoSync: true})
	if err != nil {
		return rep, err
	}
	defer dst.Close()
	c := &copier{db: dst, rep: &rep}
	w.onBucket = c.bucket
	w.onKey = c.key
	w.walk()
	if c.err == nil {
		c.err = c.commit()
	}
	if c.err != nil {
		return rep, fmt.Errorf("write %s: %w", rep.To, c.err)
	}
	rep.Damage, rep.More = w.damage, w.more
	if err := dst.Update(func(tx *bolt.Tx) error { return finish(tx, &rep) }); err != nil {
		return rep, fmt.Errorf("write %s: %w", rep.To, err)
	}
	if err := dst.Sync(); err != nil {
		return rep, err
	}
	return rep, nil
}

func bytesJoin(path [][]byte) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = string(p)
	}
	return strings.Join(parts, "/")
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return filepath.Clean(a)
}

// truncatedWalker is for a file cut short: newWalker refuses it, salvage
// reads its pages up to the end of the file.
func truncatedWalker(r io.ReaderAt, size int64, cause error) (*walker, error) {
	m, err := readMeta(r, 0)
	if err != nil {
		return nil, cause
	}
	m1, err1 := readMeta(r, int64(m.pageSize))
	if err1 == nil && m1.txid > m.txid {
		m = m1
	}
	have := uint64(size / int64(m.pageSize))
	if have < 2 || have >= m.hwm {
		return nil, cause
	}
	m.hwm = have
	w := &walker{r: r, size: size, pageSize: int(m.pageSize), meta: m, used: make([]bool, have), budget: size/elemSize + 64}
	w.used[0], w.used[1] = true, true
	w.fault(nil, 0, "%v", cause)
	return w, nil
}

// copier writes what the walker reads into the new file, in batches.
type copier struct {
	db  *bolt.DB
	tx  *bolt.Tx
	n   int
	rep *SalvageReport
	err error
}

func (c *copier) begin() bool {
	if c.err != nil {
		return false
	}
	if c.tx == nil {
		c.tx, c.err = c.db.Begin(true)
	}
	return c.err == nil
}

func (c *copier) commit() error {
	if c.tx == nil {
		return nil
	}
	err := c.tx.Commit()
	c.tx, c.n = nil, 0
	return err
}

// at finds or creates the bucket at path in the current transaction.
func (c *copier) at(path []string) *bolt.Bucket {
	b, err := c.tx.CreateBucketIfNotExists([]byte(path[0]))
	for _, p := range path[1:] {
		if err != nil {
			break
		}
		b, err = b.CreateBucketIfNotExists([]byte(p))
	}
	if err != nil {
		c.err = err
		return nil
	}
	return b
}

func (c *copier) bucket(path []string, sequence uint64) {
	if !c.begin() {
		return
	}
	if b := c.at(path); b != nil && sequence > 0 {
		c.err = b.SetSequence(sequence)
	}
}

func (c *copier) key(path []string, k, v []byte) {
	if len(path) == 0 || !c.begin() {
		return // bbolt keeps no plain keys at the top
	}
	b := c.at(path)
	if b == nil {
		return
	}
	if c.err = b.Put(slices.Clone(k), slices.Clone(v)); c.err != nil {
		return
	}
	c.rep.Keys[strings.Join(path, "/")]++
	if c.n++; c.n >= salvageBatch {
		c.err = c.commit()
	}
}

// finish gives the new file every bucket of the layout, and reads from
// it what the event log kept and lost. A file whose schema version was
// lost is the current layout (Check reads only files this agent or an
// older one wrote, and Open migrated them before they were damaged, or
// will).
func finish(tx *bolt.Tx, rep *SalvageReport) error {
	meta, err := tx.CreateBucketIfNotExists(Meta)
	if err != nil {
		return err
	}
	if meta.Get(KeySchemaVersion) == nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("meta/schema_version was lost: the new file is marked version %d", SchemaVersion()))
		if err := PutU64(meta, KeySchemaVersion, SchemaVersion()); err != nil {
			return err
		}
	}
	if GetU64(meta, KeySchemaVersion) == SchemaVersion() {
		for _, path := range tree {
			b, err := tx.CreateBucketIfNotExists(path[0])
			for _, p := range path[1:] {
				if err == nil {
					b, err = b.CreateBucketIfNotExists(p)
				}
			}
			if err != nil {
				return err
			}
			rep.Keys[bytesJoin(path)] += 0
		}
	}
	if meta.Get(KeyOutlet) == nil {
		rep.Notes = append(rep.Notes, "meta/outlet was lost: the agent claims the file for its --outlet when it starts")
	}
	rep.IssuedSeq, rep.AckedSeq = GetU64(meta, KeyLastSeq), GetU64(meta, KeyAckedSeq)
	// Retention removed the acknowledged events up to pruned_seq: not lost.
	prev := GetU64(meta, KeyPrunedSeq)
	if ev := tx.Bucket(Events); ev != nil {
		cur := ev.Cursor()
		for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
			if len(k) != 8 {
				continue
			}
			seq := binary.BigEndian.Uint64(k)
			if rep.Events == 0 {
				rep.FirstSeq = seq
			}
			if seq > prev+1 {
				rep.Missing = append(rep.Missing, [2]uint64{prev + 1, seq - 1})
			}
			rep.Events++
			rep.LastSeq, prev = seq, seq
		}
	}
	if rep.IssuedSeq > prev {
		rep.Missing = append(rep.Missing, [2]uint64{prev + 1, rep.IssuedSeq})
	}
	if rep.LastSeq > rep.IssuedSeq {
		// The next scan must not reuse a sequence the hub may hold.
		rep.Notes = append(rep.Notes, fmt.Sprintf("meta/last_seq was %d, below the kept event %d: raised to it", rep.IssuedSeq, rep.LastSeq))
		rep.IssuedSeq = rep.LastSeq
		if err := PutU64(meta, KeyLastSeq, rep.LastSeq); err != nil {
			return err
		}
	}
	return nil
}

// Print writes the report for the operator.
func (r SalvageReport) Print(w io.Writer) {
	fmt.Fprintf(w, "从 %s 读出的数据已存入 %s / saved what could be read from %s into %s\n", r.From, r.To, r.From, r.To)
	fmt.Fprintln(w, "保存的键 / keys saved, per bucket:")
	paths := make([]string, 0, len(r.Keys))
	for p := range r.Keys {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		fmt.Fprintf(w, "  %-22s %d\n", p+"/", r.Keys[p])
	}
	if r.Events > 0 {
		fmt.Fprintf(w, "事件 / events: %d kept, seq %d..%d\n", r.Events, r.FirstSeq, r.LastSeq)
	} else {
		fmt.Fprintln(w, "事件 / events: none kept")
	}
	for _, m := range r.Missing {
		lost := fmt.Sprintf("events seq %d..%d lost", m[0], m[1])
		switch {
		case m[1] <= r.AckedSeq:
			fmt.Fprintf(w, "  %s: head office already holds them (acked to %d)\n", lost, r.AckedSeq)
		case m[0] > r.AckedSeq:
			fmt.Fprintf(w, "  %s: NOT at head office, which holds this outlet's later events until they arrive: restore the backup if it has them\n", lost)
		default:
			fmt.Fprintf(w, "  %s: head office holds up to %d; it holds this outlet's later events until the rest arrive: restore the backup if it has them\n", lost, r.AckedSeq)
		}
	}
	if len(r.Damage) == 0 {
		fmt.Fprintln(w, "未发现损坏 / nothing was lost")
	} else {
		fmt.Fprintln(w, "无法读取 / lost (unreadable places):")
		for _, d := range r.Damage {
			fmt.Fprintf(w, "  %s\n", d)
		}
		if r.More > 0 {
			fmt.Fprintf(w, "  and %d more\n", r.More)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "注意 / note: %s\n", n)
	}
	fmt.Fprintf(w, "下一步 / next: keep the damaged file, start the agent with --data %s\n", filepath.Dir(r.To))
}
