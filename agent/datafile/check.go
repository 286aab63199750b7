package datafile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// Why this file reads bbolt's format itself: bbolt maps the file and
// trusts it. A page id past the end of a truncated file is a SIGBUS in its
// freelist load, and a page of 0xFF bytes is an assertion panic or a read
// outside the map — faults Go cannot recover from, in whichever goroutine
// touches the page first. So before bbolt maps a file, the whole tree is
// walked here with ReadAt and bounds checks on every length: damage becomes
// a list of places, never a crash. The layout (bbolt v1.x, file format 2):
//
//	page header  16 bytes: id u64, flags u16, count u16, overflow u32
//	meta         at +16:   magic u32, version u32, page size u32, flags u32,
//	                       root {page u64, sequence u64}, freelist u64,
//	                       high-water page u64, txid u64, FNV-64a of the above
//	branch elem  16 bytes: key offset u32, key size u32, child page u64
//	leaf elem    16 bytes: flags u32 (1: bucket), key offset u32, key size u32, value size u32
//	bucket value {root page u64, sequence u64}; root 0: the bucket's page follows inline
//	freelist     count ids (count 0xFFFF: the first id is the count)
//
// Integers are in the machine's byte order, as bbolt writes them; element
// offsets count from the element itself.

const (
	pageHeader   = 16
	elemSize     = 16
	metaSize     = 64
	boltMagic    = 0xED0CDAED
	boltVersion  = 2
	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagMeta     = 0x04
	flagFreelist = 0x10
	bucketLeaf   = 0x01
	noFreelist   = ^uint64(0)
	// maxDamage caps the places a report lists: a file of garbage would
	// otherwise list every page.
	maxDamage = 50
)

var ne = binary.NativeEndian

// Damage is one damaged place in the file.
type Damage struct {
	Bucket string // the bucket path the place belongs to ("events", "staff/members"); empty for the file itself
	Page   uint64 // the page, 0 if none
	Detail string
}

func (d Damage) String() string {
	var b strings.Builder
	if d.Page != 0 {
		fmt.Fprintf(&b, "page %d", d.Page)
	}
	if d.Bucket != "" {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "of %s/", d.Bucket)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(d.Detail)
	return b.String()
}

// Report is what Check found.
type Report struct {
	Path     string
	Size     int64
	PageSize int
	Pages    uint64         // the high-water mark: pages in use or free
	Keys     map[string]int // plain keys read, per bucket path
	Damage   []Damage       // empty: the file is sound
	More     int            // damaged places beyond those listed
}

// Err is nil for a sound file, and otherwise the error that says so and
// names the way out.
func (r Report) Err() error {
	if len(r.Damage) == 0 {
		return nil
	}
	var parts []string
	for i, d := range r.Damage {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(r.Damage)-3+r.More))
			break
		}
		parts = append(parts, d.String())
	}
	return problem.New(problem.DataFileDamaged, "path", r.Path, "dir", filepath.Dir(r.Path), "detail", strings.Join(parts, "; "))
}

// Check reads the data file in dir without mapping it and reports any
// damage: meta pages, page size, the file's size against its highest page,
// every page of every bucket, and the freelist against the pages in use. A
// missing or empty file is sound (Open creates it). While an agent has the
// file open, Check fails with ErrInUse: it would read a file being
// written.
func Check(dir string) (Report, error) { return CheckFile(filepath.Join(dir, FileName)) }

// CheckFile is Check for a data file at any path: a backup's, or a copy
// about to replace agent.db.
func CheckFile(path string) (Report, error) {
	rep := Report{Path: path, Keys: map[string]int{}}
	release, err := lockShared(path)
	if err != nil {
		return rep, err
	}
	defer release()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return rep, nil
	}
	if err != nil {
		return rep, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return rep, err
	}
	if rep.Size = st.Size(); rep.Size == 0 {
		return rep, nil
	}
	w, err := newWalker(f, rep.Size)
	if err != nil {
		rep.Damage = []Damage{{Detail: err.Error()}}
		return rep, nil
	}
	rep.PageSize, rep.Pages = w.pageSize, w.meta.hwm
	w.onKey = func(path []string, _, _ []byte) { rep.Keys[strings.Join(path, "/")]++ }
	w.walk()
	rep.Damage, rep.More = w.damage, w.more
	return rep, nil
}

// lockShared takes bbolt's shared lock on path for as long as Check reads
// it, so a running agent makes Check fail fast instead of reading a file
// in the middle of a write. A file bbolt cannot open read-only (no valid
// meta page, or too short) is no agent's either: it is read unlocked.
func lockShared(path string) (release func(), err error) {
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		return func() {}, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, inUse(filepath.Dir(path))
	}
	if err != nil {
		return func() {}, nil
	}
	return func() { db.Close() }, nil
}

type rawMeta struct {
	pageSize           uint32
	root, rootSequence uint64
	freelist, hwm      uint64
	txid               uint64
}

// walker reads the tree of one file page by page.
type walker struct {
	r        io.ReaderAt
	size     int64
	pageSize int
	meta     rawMeta
	used     []bool // by page id, below the high-water mark

	// budget is how many elements the walk may still read. A sound file's
	// elements each take their own 16 bytes of it; damaged ones pointing
	// at each other could make the walk run for ever.
	budget int64

	onKey    func(path []string, k, v []byte)
	onBucket func(path []string, sequence uint64)

	damage []Damage
	more   int

	// chunk is the last stretch of the file read: bbolt writes pages
	// mostly in order, so one read serves many pages.
	chunk    []byte
	chunkOff int64
}

const chunkSize = 64 << 10

// readAt fills b from offset off, through the chunk.
func (w *walker) readAt(b []byte, off int64) error {
	end := off + int64(len(b))
	if end > w.size {
		return io.ErrUnexpectedEOF
	}
	if off < w.chunkOff || end > w.chunkOff+int64(len(w.chunk)) {
		if len(b) > chunkSize {
			_, err := w.r.ReadAt(b, off)
			return err
		}
		n := min(int64(chunkSize), w.size-off)
		if cap(w.chunk) < int(n) {
			w.chunk = make([]byte, chunkSize)
		}
		w.chunk = w.chunk[:n]
		if _, err := w.r.ReadAt(w.chunk, off); err != nil {
			w.chunk = w.chunk[:0]
			return err
		}
		w.chunkOff = off
	}
	copy(b, w.chunk[off-w.chunkOff:])
	return nil
}

// newWalker reads the meta pages as bbolt does: the page size from the
// first valid one, then the valid one with the higher transaction id (a
// torn meta write leaves the other, the previous transaction). It fails
// if neither is valid or the file is shorter than its highest page.
func newWalker(r io.ReaderAt, size int64) (*walker, error) {
	var metas []rawMeta
	m0, err0 := readMeta(r, 0)
	if err0 == nil {
		metas = append(metas, m0)
	}
	// The second meta page sits one page in; the page size comes from the
	// first, or is tried as bbolt tries it, 1 KiB up to 16 MiB.
	for shift := 0; shift <= 14; shift++ {
		off := int64(1024) << shift
		if err0 == nil {
			off = int64(m0.pageSize)
		}
		if off+metaSize+pageHeader > size {
			break
		}
		if m1, err := readMeta(r, off); err == nil && int64(m1.pageSize) == off {
			metas = append(metas, m1)
			break
		}
		if err0 == nil {
			break
		}
	}
	if len(metas) == 0 {
		if err0 == nil {
			err0 = errors.New("no valid meta page")
		}
		return nil, fmt.Errorf("not a readable bbolt file: both meta pages are damaged (%v)", err0)
	}
	m := metas[0]
	if len(metas) == 2 && metas[1].txid > m.txid {
		m = metas[1]
	}
	ps := int64(m.pageSize)
	if m.hwm < 2 {
		return nil, fmt.Errorf("meta page names %d pages: not a sane bbolt file", m.hwm)
	}
	if m.hwm > uint64(size/ps) {
		return nil, fmt.Errorf("the file is truncated: %d bytes hold %d pages of %d bytes, its meta page names %d", size, size/ps, ps, m.hwm)
	}
	w := &walker{r: r, size: size, pageSize: int(ps), meta: m, used: make([]bool, m.hwm), budget: size/elemSize + 64}
	w.used[0], w.used[1] = true, true
	return w, nil
}

func readMeta(r io.ReaderAt, off int64) (rawMeta, error) {
	var b [pageHeader + metaSize]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		return rawMeta{}, fmt.Errorf("read meta page at byte %d: %w", off, err)
	}
	if ne.Uint16(b[8:]) != flagMeta {
		return rawMeta{}, fmt.Errorf("meta page at byte %d has page flags %#x", off, ne.Uint16(b[8:]))
	}
	mb := b[pageHeader:]
	if ne.Uint32(mb[0:]) != boltMagic || ne.Uint32(mb[4:]) != boltVersion {
		return rawMeta{}, fmt.Errorf("meta page at byte %d: not bbolt format %d", off, boltVersion)
	}
	h := fnv.New64a()
	h.Write(mb[:56])
	if h.Sum64() != ne.Uint64(mb[56:]) {
		return rawMeta{}, fmt.Errorf("meta page at byte %d: checksum mismatch", off)
	}
	m := rawMeta{pageSize: ne.Uint32(mb[8:]), root: ne.Uint64(mb[16:]), rootSequence: ne.Uint64(mb[24:]),
		freelist: ne.Uint64(mb[32:]), hwm: ne.Uint64(mb[40:]), txid: ne.Uint64(mb[48:])}
	if m.pageSize < 1024 || m.pageSize > 1<<24 || m.pageSize&(m.pageSize-1) != 0 {
		return rawMeta{}, fmt.Errorf("meta page at byte %d: page size %d", off, m.pageSize)
	}
	return m, nil
}

func (w *walker) fault(path []string, page uint64, format string, args ...any) {
	if len(w.damage) == maxDamage {
		w.more++
		return
	}
	w.damage = append(w.damage, Damage{Bucket: strings.Join(path, "/"), Page: page, Detail: fmt.Sprintf(format, args...)})
}

// page reads page id and its overflow pages, checking its header; it
// marks them used, and refuses a page already used (a loop, or two
// owners of one page).
func (w *walker) page(id uint64, want uint16) ([]byte, error) {
	if id < 2 || id >= w.meta.hwm {
		return nil, fmt.Errorf("points to page %d, outside the file's %d pages", id, w.meta.hwm)
	}
	if w.used[id] {
		return nil, errors.New("is reached twice")
	}
	buf := make([]byte, w.pageSize)
	if err := w.readAt(buf, int64(id)*int64(w.pageSize)); err != nil {
		return nil, fmt.Errorf("cannot be read: %v", err)
	}
	if got := ne.Uint64(buf); got != id {
		return nil, fmt.Errorf("is overwritten: its header names page %d", got)
	}
	flags := ne.Uint16(buf[8:])
	if flags&want == 0 || flags&^(flagBranch|flagLeaf|flagFreelist) != 0 || flags&(flags-1) != 0 {
		return nil, fmt.Errorf("has page type %#x where a %s page belongs", flags, typeName(want))
	}
	over := uint64(ne.Uint32(buf[12:]))
	if over >= w.meta.hwm-id {
		return nil, fmt.Errorf("runs on for %d pages, past the file's %d", over, w.meta.hwm)
	}
	for i := id + 1; i <= id+over; i++ {
		if w.used[i] {
			return nil, fmt.Errorf("runs over page %d, which is in use elsewhere", i)
		}
	}
	for i := id; i <= id+over; i++ {
		w.used[i] = true
	}
	if over > 0 {
		buf = append(buf, make([]byte, int(over)*w.pageSize)...)
		if err := w.readAt(buf[w.pageSize:], int64(id+1)*int64(w.pageSize)); err != nil {
			return nil, fmt.Errorf("cannot be read: %v", err)
		}
	}
	return buf, nil
}

func typeName(flags uint16) string {
	switch flags {
	case flagFreelist:
		return "freelist"
	case flagBranch | flagLeaf:
		return "branch or leaf"
	}
	return fmt.Sprintf("%#x", flags)
}

// walk reads the whole tree from the meta page's root, then the freelist,
// and checks that every page is either in use or free, and not both.
func (w *walker) walk() {
	w.bucket(nil, w.meta.root, nil)
	free := map[uint64]bool{}
	if fl := w.meta.freelist; fl != noFreelist {
		buf, err := w.page(fl, flagFreelist)
		if err != nil {
			w.fault(nil, fl, "the freelist page %v", err)
			return
		}
		ids, err := freelistIDs(buf)
		if err != nil {
			w.fault(nil, fl, "the freelist %v", err)
			return
		}
		for _, id := range ids {
			switch {
			case id < 2 || id >= w.meta.hwm:
				w.fault(nil, fl, "the freelist names page %d, outside the file's %d pages", id, w.meta.hwm)
			case free[id]:
				w.fault(nil, id, "is in the freelist twice")
			case w.used[id]:
				w.fault(nil, id, "is both free and in use: the next write would overwrite data")
			}
			free[id] = true
		}
	}
	lost := 0
	for id := uint64(2); id < w.meta.hwm; id++ {
		if !w.used[id] && !free[id] {
			lost++
		}
	}
	if lost > 0 && len(w.damage) == 0 {
		w.fault(nil, 0, "%d pages are neither in use nor free", lost)
	}
}

func freelistIDs(buf []byte) ([]uint64, error) {
	n, at := int(ne.Uint16(buf[10:])), pageHeader
	if n == 0xFFFF {
		c := ne.Uint64(buf[pageHeader:])
		if c > uint64(len(buf)) {
			return nil, fmt.Errorf("claims %d ids in %d bytes", c, len(buf))
		}
		n, at = int(c), pageHeader+8
	}
	if at+n*8 > len(buf) {
		return nil, fmt.Errorf("claims %d ids in %d bytes", n, len(buf))
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = ne.Uint64(buf[at+8*i:])
	}
	return ids, nil
}

// bucket walks one bucket: from its root page, or from the page inline in
// its value when root is 0.
func (w *walker) bucket(path []string, root uint64, inline []byte) {
	if root == 0 {
		if len(inline) < pageHeader || ne.Uint16(inline[8:]) != flagLeaf {
			w.fault(path, 0, "the bucket's inline page is damaged")
			return
		}
		w.node(path, 0, inline)
		return
	}
	buf, err := w.page(root, flagBranch|flagLeaf)
	if err != nil {
		w.fault(path, root, "the bucket's root %v", err)
		return
	}
	w.node(path, root, buf)
}

// node reads one branch or leaf page (id 0: inline), going on past a
// damaged child so that everything readable is reached.
func (w *walker) node(path []string, id uint64, buf []byte) {
	count := int(ne.Uint16(buf[10:]))
	if pageHeader+count*elemSize > len(buf) {
		w.fault(path, id, "claims %d elements, more than the page holds", count)
		return
	}
	if w.budget -= int64(count); w.budget < 0 {
		w.fault(path, id, "elements overlap: the page cannot be read")
		return
	}
	branch := ne.Uint16(buf[8:]) == flagBranch
	for i := 0; i < count; i++ {
		e := pageHeader + i*elemSize
		if branch {
			pos, ksize, child := int(ne.Uint32(buf[e:])), int(ne.Uint32(buf[e+4:])), ne.Uint64(buf[e+8:])
			if e+pos+ksize > len(buf) || e+pos+ksize < e {
				w.fault(path, id, "element %d lies outside the page", i)
				continue
			}
			cb, err := w.page(child, flagBranch|flagLeaf)
			if err != nil {
				w.fault(path, child, "%v", err)
				continue
			}
			w.node(path, child, cb)
			continue
		}
		flags, pos := ne.Uint32(buf[e:]), int(ne.Uint32(buf[e+4:]))
		ksize, vsize := int(ne.Uint32(buf[e+8:])), int(ne.Uint32(buf[e+12:]))
		k0, v0, end := e+pos, e+pos+ksize, e+pos+ksize+vsize
		if pos < 0 || ksize < 0 || vsize < 0 || end > len(buf) || end < e {
			w.fault(path, id, "element %d lies outside the page", i)
			continue
		}
		k, v := buf[k0:v0:v0], buf[v0:end:end]
		if flags&bucketLeaf == 0 {
			if w.onKey != nil {
				w.onKey(path, k, v)
			}
			continue
		}
		if id == 0 {
			// bbolt keeps a bucket inline only when it holds no buckets.
			w.fault(path, 0, "the inline bucket holds bucket %q", k)
			continue
		}
		if len(v) < 16 {
			w.fault(path, id, "bucket %q has a %d-byte header", k, len(v))
			continue
		}
		sub := append(append([]string(nil), path...), string(k))
		if w.onBucket != nil {
			w.onBucket(sub, ne.Uint64(v[8:]))
		}
		w.bucket(sub, ne.Uint64(v), v[16:])
	}
}

// ReadHubOffset reads the hub clock correction the agent last saved (hub
// time less this PC's, in ms) without writing anything: known is false
// when the agent never heard from the hub. Like Check it fails with
// ErrInUse while an agent has the file open. Call it only on a file Check
// found sound: bbolt maps the file and trusts it.
func ReadHubOffset(dir string) (offsetMS int64, known bool, err error) {
	path := filepath.Join(dir, FileName)
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		return 0, false, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return 0, false, inUse(dir)
	}
	if err != nil {
		return 0, false, fmt.Errorf("open %s read-only: %w", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(Meta)
		if meta == nil {
			return nil
		}
		if v := meta.Get(KeyHubOffset); len(v) == 8 {
			offsetMS, known = int64(GetU64(meta, KeyHubOffset)), true
		}
		return nil
	})
	return offsetMS, known, err
}
