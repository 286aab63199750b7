package wedge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/yizhan/yizhan/devices/barcode"
)

// Encoder types text as a wedge scanner set to cfg would: real
// input_event records (EV_KEY press and release, each followed by
// EV_SYN), ending with the terminator key.
type Encoder struct {
	cfg DecoderConfig
	km  *Keymap
	t   time.Time
}

// NewEncoder validates cfg (with the same rules as NewKeyDecoder).
func NewEncoder(cfg DecoderConfig) (*Encoder, error) {
	if _, err := NewKeyDecoder(cfg); err != nil {
		return nil, err
	}
	km, _ := KeymapByName(cfg.Keymap)
	return &Encoder{cfg: cfg, km: km, t: time.Unix(1_700_000_000, 0)}, nil
}

// Encode returns the records for one scanned code. A GS with cfg.GS ""
// is typed as nothing, as scanners without a substitute do.
func (e *Encoder) Encode(text string) ([]byte, error) {
	var b []byte
	for _, r := range text {
		var err error
		b, err = e.char(b, r)
		if err != nil {
			return nil, err
		}
	}
	term := uint16(keyEnter)
	if strings.EqualFold(e.cfg.Terminator, "tab") {
		term = keyTab
	}
	return e.tap(b, term), nil
}

func (e *Encoder) char(b []byte, r rune) ([]byte, error) {
	if r == barcode.GS {
		gs := strings.ToLower(e.cfg.GS)
		switch {
		case gs == "":
			return b, nil
		case gs == "ctrl+]":
			b = e.event(b, keyLeftCtrl, 1)
			b = e.tap(b, keyRightBrace)
			return e.event(b, keyLeftCtrl, 0), nil
		case gs == "alt":
			b = e.event(b, keyLeftAlt, 1)
			for _, k := range []uint16{82, 80, 73} { // keypad 0 2 9
				b = e.tap(b, k)
			}
			return e.event(b, keyLeftAlt, 0), nil
		case strings.HasPrefix(gs, "char:"):
			r = []rune(e.cfg.GS[5:])[0]
		default:
			k, _ := functionKey(gs)
			return e.tap(b, k), nil
		}
	}
	s, ok := e.km.strokeFor(r)
	if !ok {
		return nil, fmt.Errorf("wedge simulator: %q cannot be typed on keymap %s", r, e.km.Name)
	}
	mod := uint16(0)
	switch {
	case s.shift:
		mod = keyLeftShift
	case s.altgr:
		mod = keyRightAlt
	}
	if mod != 0 {
		b = e.event(b, mod, 1)
	}
	b = e.tap(b, s.code)
	if mod != 0 {
		b = e.event(b, mod, 0)
	}
	layer := b2i(s.shift) + 2*b2i(s.altgr)
	if e.km.isDead(s.code, layer) {
		b = e.tap(b, keySpace)
	}
	return b, nil
}

func (e *Encoder) tap(b []byte, code uint16) []byte {
	return e.event(e.event(b, code, 1), code, 0)
}

// event appends an EV_KEY record and its EV_SYN.
func (e *Encoder) event(b []byte, code uint16, val int32) []byte {
	e.t = e.t.Add(time.Millisecond)
	b = appendRecord(b, e.t, evKey, code, val)
	return appendRecord(b, e.t, evSyn, 0, 0)
}

func appendRecord(b []byte, t time.Time, typ, code uint16, val int32) []byte {
	var rec [EventSize]byte
	half := EventSize/2 - 4
	if half == 8 {
		binary.NativeEndian.PutUint64(rec[0:], uint64(t.Unix()))
		binary.NativeEndian.PutUint64(rec[8:], uint64(t.Nanosecond()/1000))
	} else {
		binary.NativeEndian.PutUint32(rec[0:], uint32(t.Unix()))
		binary.NativeEndian.PutUint32(rec[4:], uint32(t.Nanosecond()/1000))
	}
	binary.NativeEndian.PutUint16(rec[EventSize-8:], typ)
	binary.NativeEndian.PutUint16(rec[EventSize-6:], code)
	binary.NativeEndian.PutUint32(rec[EventSize-4:], uint32(val))
	return append(b, rec[:]...)
}

// Simulator is a keyboard-wedge event source: it writes input_event
// records into a named pipe that the driver opens in place of
// /dev/input/eventN (with grab off: a pipe cannot be grabbed). It needs no
// /dev/uinput. Unplug removes the pipe; Replug makes it again.
type Simulator struct {
	Path string
	enc  *Encoder

	mu sync.Mutex
	f  *os.File
}

// NewSimulator creates the pipe at path and opens it.
func NewSimulator(path string, cfg DecoderConfig) (*Simulator, error) {
	enc, err := NewEncoder(cfg)
	if err != nil {
		return nil, err
	}
	s := &Simulator{Path: path, enc: enc}
	return s, s.Replug()
}

// Replug creates the pipe and holds it open for writing.
func (s *Simulator) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		return errors.New("wedge simulator: already plugged in")
	}
	if err := mkfifo(s.Path); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("wedge simulator: mkfifo %s: %w", s.Path, err)
	}
	// O_RDWR: opening a FIFO this way never waits for a reader.
	f, err := os.OpenFile(s.Path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("wedge simulator: open %s: %w", s.Path, err)
	}
	s.f = f
	return nil
}

// Unplug closes and removes the pipe: the driver reads end of file.
func (s *Simulator) Unplug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	os.Remove(s.Path)
	err := s.f.Close()
	s.f = nil
	return err
}

// Close unplugs for good.
func (s *Simulator) Close() error { return s.Unplug() }

// Scan types one code.
func (s *Simulator) Scan(text string) error {
	b, err := s.enc.Encode(text)
	if err != nil {
		return err
	}
	return s.WriteRaw(b)
}

// WriteRaw writes records (or garbage) as they are.
func (s *Simulator) WriteRaw(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return fmt.Errorf("wedge simulator %s: unplugged", s.Path)
	}
	_, err := s.f.Write(b)
	return err
}
