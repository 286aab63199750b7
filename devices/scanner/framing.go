package scanner

import (
	"fmt"
	"time"

	"github.com/yizhan/yizhan/devices/barcode"
)

// Suffix is what a scanner sends after each code.
type Suffix string

const (
	SuffixCR   Suffix = "cr"
	SuffixLF   Suffix = "lf"
	SuffixCRLF Suffix = "crlf"
	SuffixTab  Suffix = "tab"
	SuffixNone Suffix = "none" // a code ends when the line goes quiet (Framing.Idle)
)

const (
	stx = 0x02
	etx = 0x03
)

// DefaultIdle is how long a line may stay quiet inside a frame. Scanners
// send a code in one burst (1 ms a byte at 9600 baud), so a longer silence
// means the code is complete (SuffixNone) or broken (any other framing).
const DefaultIdle = 200 * time.Millisecond

// Framing says how codes are delimited on a byte stream.
type Framing struct {
	Suffix Suffix   `json:"suffix"`            // default "cr"
	STXETX bool     `json:"stx_etx,omitempty"` // codes wrapped in STX … ETX (suffix after ETX is skipped)
	AIM    bool     `json:"aim,omitempty"`     // codes start with an AIM identifier such as "]C1"
	MaxLen int      `json:"max_len,omitempty"` // default barcode.DefaultMaxLen
	Idle   Duration `json:"idle,omitempty"`    // default DefaultIdle
}

// Validate fills defaults and rejects unknown values.
func (f *Framing) Validate() error {
	switch f.Suffix {
	case "":
		f.Suffix = SuffixCR
	case SuffixCR, SuffixLF, SuffixCRLF, SuffixTab, SuffixNone:
	default:
		return fmt.Errorf("framing: suffix %q: use cr, lf, crlf, tab or none", f.Suffix)
	}
	if f.MaxLen <= 0 {
		f.MaxLen = barcode.DefaultMaxLen
	}
	if f.Idle <= 0 {
		f.Idle = Duration(DefaultIdle)
	}
	return nil
}

// Frame is one delimited code. Err is non-nil for noise and broken framing;
// such frames are reported, never delivered as reads.
type Frame struct {
	Raw       []byte
	Text      string
	AIM       string
	Symbology barcode.Symbology
	Err       error
}

// Decoder turns a byte stream into frames. Framer is the byte decoder; the
// keyboard wedge has its own for key events.
type Decoder interface {
	// Feed consumes the next bytes, which may split a code anywhere.
	Feed(p []byte) []Frame
	// Idle is called when the line has been quiet for Framing.Idle.
	Idle() []Frame
	// Reset drops any partial frame (the device went away mid-code).
	Reset()
}

// Framer splits a scanner's byte stream into frames. It keeps no reference
// to the slices it is fed. Not safe for concurrent use.
type Framer struct {
	cfg        Framing
	term       byte // 0 for SuffixNone
	buf        []byte
	inFrame    bool // STX seen (STX/ETX mode)
	junk       int  // bytes outside STX…ETX since the last frame
	discarding bool // overlong: drop until the next delimiter
	lastCR     bool // previous byte was a CR terminator (tolerate CRLF in cr mode)
}

var _ Decoder = (*Framer)(nil)

// NewFramer returns a Framer for f (defaults filled in).
func NewFramer(f Framing) (*Framer, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	fr := &Framer{cfg: f}
	switch f.Suffix {
	case SuffixCR:
		fr.term = '\r'
	case SuffixLF, SuffixCRLF:
		fr.term = '\n'
	case SuffixTab:
		fr.term = '\t'
	}
	return fr, nil
}

// Feed implements Decoder.
func (f *Framer) Feed(p []byte) []Frame {
	var out []Frame
	for _, c := range p {
		if f.cfg.STXETX {
			out = f.feedSTX(c, out)
		} else {
			out = f.feedSuffix(c, out)
		}
	}
	return out
}

func (f *Framer) feedSTX(c byte, out []Frame) []Frame {
	if !f.inFrame {
		switch c {
		case stx:
			out = f.flushJunk(out)
			f.inFrame, f.discarding = true, false
			f.buf = f.buf[:0]
		case '\r', '\n', '\t':
			// suffix after ETX
		default:
			f.junk++
		}
		return out
	}
	switch c {
	case etx:
		f.inFrame = false
		if f.discarding {
			f.discarding = false
			return out
		}
		return append(out, f.frame())
	case stx:
		if !f.discarding {
			out = append(out, brokenFrame(f.buf, "STX before ETX: a code was cut off"))
		}
		f.buf, f.discarding = f.buf[:0], false
		return out
	}
	return f.add(c, out)
}

func (f *Framer) feedSuffix(c byte, out []Frame) []Frame {
	if f.term != 0 && c == f.term {
		f.lastCR = c == '\r'
		if f.discarding {
			f.discarding = false
			return out
		}
		if f.term == '\n' && len(f.buf) > 0 && f.buf[len(f.buf)-1] == '\r' {
			f.buf = f.buf[:len(f.buf)-1]
		}
		if len(f.buf) == 0 {
			return out // a lone suffix: nothing was scanned
		}
		return append(out, f.frame())
	}
	if f.lastCR && c == '\n' && len(f.buf) == 0 {
		f.lastCR = false
		return out // CRLF from a scanner set to CR: drop the LF
	}
	f.lastCR = false
	return f.add(c, out)
}

func (f *Framer) add(c byte, out []Frame) []Frame {
	if f.discarding {
		return out
	}
	f.buf = append(f.buf, c)
	if len(f.buf) > f.cfg.MaxLen {
		out = append(out, Frame{Raw: clone(f.buf[:min(len(f.buf), 64)]), Err: barcode.ErrOverlong})
		f.buf, f.discarding = f.buf[:0], true
	}
	return out
}

// Idle implements Decoder: with SuffixNone the pending bytes are a code;
// otherwise they are a half frame and are dropped as broken.
func (f *Framer) Idle() []Frame {
	var out []Frame
	out = f.flushJunk(out)
	f.lastCR = false
	if f.discarding {
		f.discarding, f.inFrame = false, false
		f.buf = f.buf[:0]
		return out
	}
	if len(f.buf) == 0 && !f.inFrame {
		return out
	}
	if f.cfg.Suffix == SuffixNone && !f.cfg.STXETX {
		out = append(out, f.frame())
	} else {
		out = append(out, brokenFrame(f.buf, "code incomplete when the line went quiet"))
	}
	f.buf, f.inFrame = f.buf[:0], false
	return out
}

// Reset implements Decoder.
func (f *Framer) Reset() {
	f.buf, f.inFrame, f.junk, f.discarding, f.lastCR = f.buf[:0], false, 0, false, false
}

func (f *Framer) flushJunk(out []Frame) []Frame {
	if f.junk == 0 {
		return out
	}
	n := f.junk
	f.junk = 0
	return append(out, Frame{Err: errorf(barcode.ErrFraming, "%d bytes outside STX…ETX", n)})
}

// frame finishes the buffered code: AIM split, noise check.
func (f *Framer) frame() Frame {
	raw := clone(f.buf)
	f.buf = f.buf[:0]
	return MakeFrame(raw, f.cfg.AIM, f.cfg.MaxLen)
}

// MakeFrame builds a Frame from one complete code: splits the AIM
// identifier when aim is set (a code without one is kept, symbology
// unknown) and checks for noise.
func MakeFrame(raw []byte, aim bool, maxLen int) Frame {
	fr := Frame{Raw: raw, Text: string(raw)}
	if aim {
		if id, rest, ok := barcode.ParseAIM(fr.Text); ok {
			fr.AIM, fr.Symbology, fr.Text = id.ID, id.Symbology, rest
		}
	}
	fr.Err = barcode.CheckNoise([]byte(fr.Text), fr.Symbology, maxLen)
	return fr
}

func brokenFrame(buf []byte, why string) Frame {
	return Frame{Raw: clone(buf), Err: errorf(barcode.ErrFraming, "%s", why)}
}

func errorf(sentinel *barcode.Error, format string, args ...any) error {
	e := *sentinel
	e.Detail = fmt.Sprintf(format, args...)
	return &e
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// Encode frames one code the way a scanner set to f would send it: STX,
// the AIM identifier (when f.AIM and aim is not empty), the data, ETX and
// the suffix. Simulators use it.
func Encode(f Framing, aim, code string) []byte {
	var b []byte
	if f.STXETX {
		b = append(b, stx)
	}
	if f.AIM {
		b = append(b, aim...)
	}
	b = append(b, code...)
	if f.STXETX {
		b = append(b, etx)
	}
	switch f.Suffix {
	case SuffixCR, "":
		b = append(b, '\r')
	case SuffixLF:
		b = append(b, '\n')
	case SuffixCRLF:
		b = append(b, '\r', '\n')
	case SuffixTab:
		b = append(b, '\t')
	}
	return b
}
