package scale

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Line formats a scale may print. The driver's config names one of these,
// or "request" with one of these as the answer format.
const (
	// FormatSTGS is the widespread "ST,GS,+  1.234kg" line: ST stable,
	// US unstable, OL overload; GS gross, NT net; sign, value, unit.
	FormatSTGS = "st-gs"
	// FormatBare is a weight alone, "  001.234 kg" or "+0001.234kg",
	// optionally after status words such as "S", "US", "NT" or "OL".
	FormatBare = "bare"
)

// Stability is what a line says about motion on the platter.
type Stability int8

const (
	StabilityUnknown  Stability = iota // the line carries no flag
	StabilityStable                    // ST, S
	StabilityUnstable                  // US, U, M
)

// Frame is one parsed line.
type Frame struct {
	Grams     int64
	Unit      string // as the scale prints it, lower case: kg, g, lb, oz
	Stability Stability
	Net       bool
	Overload  bool // Grams means nothing then
}

// Format says how to read a line.
type Format struct {
	Name string // FormatSTGS or FormatBare
	// Unit is assumed for lines that print none. Empty: a line without a
	// unit is refused, since "1234" could be grams or kilograms.
	Unit string
}

// maxLine bounds a line; anything longer is noise (wrong baud rate).
const maxLine = 64

// maxDigits bounds the value: no counter scale shows more.
const maxDigits = 10

// LineError is a line that was refused; no reading comes of it.
type LineError struct {
	Line   string
	Reason string
}

func (e *LineError) Error() string { return fmt.Sprintf("scale line %q: %s", e.Line, e.Reason) }

func refuse(line, why string, a ...any) error {
	return &LineError{Line: line, Reason: fmt.Sprintf(why, a...)}
}

// ParseLine reads one line without its terminator.
func ParseLine(f Format, line []byte) (Frame, error) {
	s := string(line)
	for _, c := range line {
		if c < 0x20 || c > 0x7e {
			return Frame{}, refuse(s, "unprintable byte 0x%02x", c)
		}
	}
	switch f.Name {
	case FormatSTGS:
		return parseSTGS(f, s)
	case FormatBare:
		return parseBare(f, s)
	}
	return Frame{}, refuse(s, "unknown format %q", f.Name)
}

func parseSTGS(f Format, s string) (Frame, error) {
	parts := strings.SplitN(strings.TrimSpace(s), ",", 3)
	if len(parts) != 3 {
		return Frame{}, refuse(s, "want STATUS,KIND,WEIGHT")
	}
	var fr Frame
	switch strings.ToUpper(parts[0]) {
	case "ST":
		fr.Stability = StabilityStable
	case "US":
		fr.Stability = StabilityUnstable
	case "OL":
		fr.Overload = true
	default:
		return Frame{}, refuse(s, "status %q is not ST, US or OL", parts[0])
	}
	switch strings.ToUpper(parts[1]) {
	case "GS":
	case "NT":
		fr.Net = true
	default:
		// TR (tare shown) and others are not the load on the platter.
		return Frame{}, refuse(s, "kind %q is not GS or NT", parts[1])
	}
	g, unit, err := parseWeight(f, parts[2])
	if fr.Overload {
		// Scales print dashes or "OL" in place of the value.
		fr.Unit = unit
		return fr, nil
	}
	if err != nil {
		return Frame{}, refuse(s, "%v", err)
	}
	fr.Grams, fr.Unit = g, unit
	return fr, nil
}

func parseBare(f Format, s string) (Frame, error) {
	var fr Frame
	rest := strings.TrimSpace(s)
	// Status words come first, each followed by a space or comma.
	for rest != "" {
		i := strings.IndexAny(rest, " ,")
		if i < 0 {
			break
		}
		w := strings.ToUpper(rest[:i])
		known := true
		switch w {
		case "S", "ST":
			fr.Stability = StabilityStable
		case "U", "US", "M":
			fr.Stability = StabilityUnstable
		case "N", "NT":
			fr.Net = true
		case "G", "GS":
		case "OL":
			fr.Overload = true
		default:
			known = false
		}
		if !known {
			break
		}
		rest = strings.TrimLeft(rest[i:], " ,")
	}
	if overloadWord(rest) {
		fr.Overload = true
		return fr, nil
	}
	g, unit, err := parseWeight(f, rest)
	if fr.Overload {
		fr.Unit = unit
		return fr, nil
	}
	if err != nil {
		return Frame{}, refuse(s, "%v", err)
	}
	fr.Grams, fr.Unit = g, unit
	return fr, nil
}

func overloadWord(s string) bool {
	w, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	switch strings.ToUpper(strings.Trim(w, "-")) {
	case "OL", "OVER", "OVERLOAD":
		return true
	}
	return false
}

// units maps a unit to grams per unit as a fraction, exact: the pound is
// 0.45359237 kg by definition, the ounce a sixteenth of it.
var units = map[string][2]int64{
	"kg":  {1000, 1},
	"g":   {1, 1},
	"lb":  {45359237, 100000},
	"lbs": {45359237, 100000},
	"oz":  {45359237, 1600000},
}

// parseWeight reads "[+|-][spaces]digits[.digits][spaces][unit]".
func parseWeight(f Format, s string) (grams int64, unit string, err error) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = strings.TrimLeft(s[1:], " ")
	}
	i, dot, digits := 0, -1, 0
	var mant int64
digits:
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if digits > maxDigits {
				return 0, "", errors.New("value has too many digits")
			}
			mant = mant*10 + int64(c-'0')
		case c == '.' && dot < 0:
			dot = digits
		default:
			break digits
		}
	}
	if digits == 0 {
		return 0, "", errors.New("no value")
	}
	unit = strings.ToLower(strings.TrimLeft(s[i:], " "))
	if unit == "" {
		if f.Unit == "" {
			return 0, "", errors.New("no unit")
		}
		unit = f.Unit
	}
	per, ok := units[unit]
	if !ok {
		return 0, "", fmt.Errorf("unit %q is not kg, g, lb or oz", unit)
	}
	if unit == "lbs" {
		unit = "lb"
	}
	decimals := 0
	if dot >= 0 {
		decimals = digits - dot
	}
	// grams = mant × per[0] / (per[1] × 10^decimals), rounded half away from zero.
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	den.Mul(den, big.NewInt(per[1]))
	grams = roundDiv(new(big.Int).Mul(big.NewInt(mant), big.NewInt(per[0])), den)
	if neg {
		grams = -grams
	}
	return grams, unit, nil
}

// roundDiv is n/d rounded half up, for n >= 0 and d > 0.
func roundDiv(n, d *big.Int) int64 {
	q := new(big.Int).Mul(n, big.NewInt(2))
	q.Add(q, d)
	q.Quo(q, new(big.Int).Mul(d, big.NewInt(2)))
	return q.Int64()
}

// Result is what a Parser makes of one line.
type Result struct {
	Line  string
	Frame Frame
	Err   error // a *LineError: garbage, a broken or overlong line
}

// Parser cuts a byte stream into lines and parses each. Lines end at CR,
// LF or ETX; an STX starts a fresh line. Bytes may arrive in any pieces.
type Parser struct {
	Format Format

	buf      []byte
	overlong bool
}

// Feed takes the next bytes and returns the lines they complete.
func (p *Parser) Feed(b []byte) []Result {
	var out []Result
	for _, c := range b {
		switch c {
		case '\r', '\n', 0x03:
			if p.overlong {
				out = append(out, Result{Line: string(p.buf), Err: refuse(string(p.buf)+"…", "longer than %d bytes", maxLine)})
			} else if len(bytes.TrimSpace(p.buf)) > 0 {
				fr, err := ParseLine(p.Format, p.buf)
				out = append(out, Result{Line: string(p.buf), Frame: fr, Err: err})
			}
			p.Reset()
		case 0x02:
			p.Reset()
		default:
			if len(p.buf) >= maxLine {
				p.overlong = true
				continue
			}
			p.buf = append(p.buf, c)
		}
	}
	return out
}

// Reset drops a partial line, e.g. one cut off by a disconnect.
func (p *Parser) Reset() {
	p.buf, p.overlong = p.buf[:0], false
}

// Stabilizer decides whether a frame is stable. A frame's own flag wins;
// a frame without one counts as stable only once the same value has come
// Repeats times in a row.
type Stabilizer struct {
	Repeats int

	last Frame
	run  int
}

// Stable reports whether fr is a stable weight.
func (s *Stabilizer) Stable(fr Frame) bool {
	if fr.Overload {
		s.run = 0
		return false
	}
	if s.run > 0 && fr.Grams == s.last.Grams && fr.Net == s.last.Net && fr.Unit == s.last.Unit {
		s.run++
	} else {
		s.run = 1
	}
	s.last = fr
	switch fr.Stability {
	case StabilityStable:
		return true
	case StabilityUnstable:
		return false
	}
	return s.run >= max(s.Repeats, 1)
}

// Reset forgets the run, e.g. after a reconnect.
func (s *Stabilizer) Reset() { s.run = 0 }
