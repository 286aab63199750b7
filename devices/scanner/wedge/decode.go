package wedge

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yizhan/yizhan/devices/barcode"
	"github.com/yizhan/yizhan/devices/scanner"
)

// EventSize is the size of struct input_event: a struct timeval (two
// longs) then type u16, code u16, value s32. 24 bytes on 64-bit Linux.
const EventSize = 2*strconv.IntSize/8 + 8

const (
	evSyn = 0
	evKey = 1
)

// DecoderConfig says how a wedge scanner types its codes.
type DecoderConfig struct {
	// Keymap is the layout the scanner is set to emulate: us, de or fr.
	Keymap string `json:"keymap,omitempty"`
	// Terminator is the key after each code: "enter" (default) or "tab".
	Terminator string `json:"terminator,omitempty"`
	// GS is how the scanner types the GS1 group separator (0x1D), which
	// has no key: "f1".."f12", "char:X" for a character X that never occurs
	// in the data, or "" when it needs no substitute. Ctrl+] and Alt+029
	// on the keypad are always understood.
	GS     string `json:"gs,omitempty"`
	AIM    bool   `json:"aim,omitempty"`     // codes start with an AIM identifier
	MaxLen int    `json:"max_len,omitempty"` // default barcode.DefaultMaxLen
}

// KeyDecoder turns a stream of input_event records into frames. It
// implements scanner.Decoder and is fed the raw bytes read from
// /dev/input/eventN, in pieces of any size. Not safe for concurrent use.
type KeyDecoder struct {
	km     *Keymap
	term   uint16
	gsKey  uint16
	gsChar rune
	aim    bool
	maxLen int

	rec []byte // partial record

	buf        []byte
	bad        string // why the frame being typed is broken
	overlong   bool
	shift      [2]bool // left, right
	ctrl       [2]bool
	alt, altgr bool
	caps       bool
	altCode    int
	altDigits  int
	dead       rune
}

var _ scanner.Decoder = (*KeyDecoder)(nil)

// NewKeyDecoder validates cfg and returns a decoder.
func NewKeyDecoder(cfg DecoderConfig) (*KeyDecoder, error) {
	km, err := KeymapByName(cfg.Keymap)
	if err != nil {
		return nil, err
	}
	d := &KeyDecoder{km: km, aim: cfg.AIM, maxLen: cfg.MaxLen}
	if d.maxLen <= 0 {
		d.maxLen = barcode.DefaultMaxLen
	}
	switch strings.ToLower(cfg.Terminator) {
	case "", "enter":
		d.term = keyEnter
	case "tab":
		d.term = keyTab
	default:
		return nil, fmt.Errorf("wedge: terminator %q: use enter or tab", cfg.Terminator)
	}
	switch gs := cfg.GS; {
	case gs == "" || strings.EqualFold(gs, "ctrl+]") || strings.EqualFold(gs, "alt"):
	case strings.HasPrefix(gs, "char:"):
		r, n := utf8.DecodeRuneInString(gs[5:])
		if n == 0 || n != len(gs[5:]) {
			return nil, fmt.Errorf("wedge: gs %q: give one character after char:", gs)
		}
		d.gsChar = r
	default:
		k, ok := functionKey(gs)
		if !ok {
			return nil, fmt.Errorf("wedge: gs %q: use f1..f12, char:X, ctrl+] or alt", gs)
		}
		d.gsKey = k
	}
	return d, nil
}

// Feed implements scanner.Decoder.
func (d *KeyDecoder) Feed(p []byte) []scanner.Frame {
	var out []scanner.Frame
	for len(p) > 0 {
		need := EventSize - len(d.rec)
		if len(p) < need {
			d.rec = append(d.rec, p...)
			break
		}
		d.rec = append(d.rec, p[:need]...)
		p = p[need:]
		typ := binary.NativeEndian.Uint16(d.rec[EventSize-8:])
		code := binary.NativeEndian.Uint16(d.rec[EventSize-6:])
		val := int32(binary.NativeEndian.Uint32(d.rec[EventSize-4:]))
		d.rec = d.rec[:0]
		if typ == evKey {
			out = d.key(code, val, out)
		}
	}
	return out
}

// key handles one key event: val 1 press, 0 release, 2 autorepeat.
func (d *KeyDecoder) key(code uint16, val int32, out []scanner.Frame) []scanner.Frame {
	down := val != 0
	switch code {
	case keyLeftShift, keyRightShift:
		d.shift[b2i(code == keyRightShift)] = down
		return out
	case keyLeftCtrl, keyRightCtrl:
		d.ctrl[b2i(code == keyRightCtrl)] = down
		return out
	case keyRightAlt:
		d.altgr = down
		return out
	case keyLeftAlt:
		d.alt = down
		if !down && d.altDigits > 0 {
			d.put(rune(d.altCode % 256)) // Alt+keypad digits: a character code
			d.altCode, d.altDigits = 0, 0
		}
		return out
	}
	if val != 1 {
		return out // releases and autorepeat carry no character
	}
	switch {
	case code == d.term || d.term == keyEnter && code == keyKPEnter:
		return d.finish(out)
	case code == keyCapsLock:
		d.caps = !d.caps
		return out
	case code == keyNumLock:
		return out
	case d.gsKey != 0 && code == d.gsKey:
		d.put(barcode.GS)
		return out
	}
	if dg, ok := keypadDigit[code]; ok && d.alt {
		d.altCode, d.altDigits = d.altCode*10+dg, d.altDigits+1
		return out
	}
	if d.ctrl[0] || d.ctrl[1] {
		if c, ok := control(code, d.shift[0] || d.shift[1]); ok {
			d.put(c)
		} else {
			d.broken("Ctrl with key %d gives no character", code)
		}
		return out
	}
	layer := 0
	shifted := d.shift[0] || d.shift[1]
	if d.caps && d.km.isLetterKey(code) && !d.altgr {
		shifted = !shifted
	}
	switch {
	case d.altgr:
		layer = 2
	case shifted:
		layer = 1
	}
	r := d.km.keys[code][layer]
	if r == 0 {
		d.broken("key %d (layer %d) has no character in keymap %s", code, layer, d.km.Name)
		return out
	}
	if d.km.isDead(code, layer) {
		if d.dead != 0 {
			d.put(d.dead)
		}
		d.dead = r
		return out
	}
	if d.dead != 0 {
		dead := d.dead
		d.dead = 0
		d.put(dead)
		if code == keySpace {
			return out // dead key + Space types the accent itself
		}
	}
	if d.gsChar != 0 && r == d.gsChar {
		r = barcode.GS
	}
	d.put(r)
	return out
}

func (d *KeyDecoder) put(r rune) {
	if d.overlong {
		return
	}
	d.buf = utf8.AppendRune(d.buf, r)
	if len(d.buf) > d.maxLen {
		d.overlong = true
	}
}

func (d *KeyDecoder) broken(format string, args ...any) {
	if d.bad == "" {
		d.bad = fmt.Sprintf(format, args...)
	}
}

func (d *KeyDecoder) finish(out []scanner.Frame) []scanner.Frame {
	if d.dead != 0 {
		d.put(d.dead)
		d.dead = 0
	}
	raw := append([]byte(nil), d.buf...)
	bad, overlong := d.bad, d.overlong
	d.buf, d.bad, d.overlong = d.buf[:0], "", false
	switch {
	case overlong:
		return append(out, scanner.Frame{Raw: raw[:min(len(raw), 64)], Err: barcode.ErrOverlong})
	case bad != "":
		return append(out, scanner.Frame{Raw: raw, Err: framingErr(bad)})
	case len(raw) == 0:
		return out // a lone Enter: nothing was scanned
	}
	return append(out, scanner.MakeFrame(raw, d.aim, d.maxLen))
}

// Idle implements scanner.Decoder: keys typed but never ended by the
// terminator are a broken code.
func (d *KeyDecoder) Idle() []scanner.Frame {
	if len(d.buf) == 0 && d.bad == "" && d.dead == 0 && !d.overlong {
		return nil
	}
	raw := append([]byte(nil), d.buf...)
	d.buf, d.bad, d.overlong, d.dead = d.buf[:0], "", false, 0
	return []scanner.Frame{{Raw: raw, Err: framingErr("code not ended by its terminator key")}}
}

// Reset implements scanner.Decoder: forget everything, modifiers included.
func (d *KeyDecoder) Reset() {
	km, term, gsKey, gsChar, aim, maxLen := d.km, d.term, d.gsKey, d.gsChar, d.aim, d.maxLen
	*d = KeyDecoder{km: km, term: term, gsKey: gsKey, gsChar: gsChar, aim: aim, maxLen: maxLen}
}

func framingErr(detail string) error {
	e := *barcode.ErrFraming
	e.Detail = detail
	return &e
}

// control gives the ASCII control character for Ctrl+key. Scanners type
// control characters by US key position whatever their layout.
func control(code uint16, shift bool) (rune, bool) {
	r := US.keys[code][0]
	switch {
	case r >= 'a' && r <= 'z':
		return r - 'a' + 1, true
	case r == '[':
		return 0x1b, true
	case r == '\\':
		return 0x1c, true
	case r == ']':
		return 0x1d, true
	case r == '6' && shift:
		return 0x1e, true
	case r == '-' && shift:
		return 0x1f, true
	case r == '2':
		return 0, true
	}
	return 0, false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
