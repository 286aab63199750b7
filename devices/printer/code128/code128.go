// Package code128 encodes text as a Code 128 symbol: code set B for text,
// code set C for runs of digits, and the mod-103 check character.
//
// The label and receipt drivers send the printer the same code-set choices
// this package makes (ZPL invocation codes, ESC/POS {B and {C), so a
// preview drawn from Modules shows the bars the printer prints.
package code128

import (
	"fmt"
	"strings"
)

// Symbol values with a meaning of their own.
const (
	CodeC  = 99  // switch to code set C (from B)
	CodeB  = 100 // switch to code set B (from C)
	StartB = 104
	StartC = 105
	Stop   = 106
)

// Set is a code set: 'B' (ASCII 32..126, one character a symbol) or 'C'
// (two digits a symbol).
type Set byte

// Segment is a run of text encoded in one code set.
type Segment struct {
	Set  Set
	Text string // for C, an even number of digits
}

// Symbol is an encoded value.
type Symbol struct {
	Text     string
	Segments []Segment
	Values   []int // start, data and switches, check, stop
}

// patterns holds the bar and space widths of each symbol value, bar first;
// Stop has a seventh element, the final bar.
var patterns = [107]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
	"221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
	"221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
	"212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
	"231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
	"314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
	"112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
	"214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
	"114131", "311141", "411131", "211412", "211214", "211232", "2331112",
}

// Encode chooses code sets and computes the check character. Only
// printable ASCII can be encoded; anything else is an error that names it.
func Encode(s string) (Symbol, error) {
	if s == "" {
		return Symbol{}, fmt.Errorf("code 128: nothing to encode")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 32 || c > 126 {
			r := []rune(s[i:])[0]
			return Symbol{}, fmt.Errorf("code 128: %q cannot be encoded (only printable ASCII)", r)
		}
	}
	sym := Symbol{Text: s, Segments: plan(s)}
	add := func(v int) { sym.Values = append(sym.Values, v) }
	for i, seg := range sym.Segments {
		switch {
		case i == 0 && seg.Set == 'C':
			add(StartC)
		case i == 0:
			add(StartB)
		case seg.Set == 'C':
			add(CodeC)
		default:
			add(CodeB)
		}
		if seg.Set == 'C' {
			for j := 0; j < len(seg.Text); j += 2 {
				add(int(seg.Text[j]-'0')*10 + int(seg.Text[j+1]-'0'))
			}
		} else {
			for j := 0; j < len(seg.Text); j++ {
				add(int(seg.Text[j]) - 32)
			}
		}
	}
	sum := sym.Values[0]
	for i, v := range sym.Values[1:] {
		sum += (i + 1) * v
	}
	add(sum % 103)
	add(Stop)
	return sym, nil
}

// plan splits s into code-set segments. A digit run goes into C when that
// makes the symbol shorter: four or more digits at the start or the end,
// six or more in the middle, or a value that is just two digits. An odd run keeps its
// first digit in B so the C segment ends where the run does.
func plan(s string) []Segment {
	var segs []Segment
	appendB := func(t string) {
		if n := len(segs); n > 0 && segs[n-1].Set == 'B' {
			segs[n-1].Text += t
			return
		}
		segs = append(segs, Segment{Set: 'B', Text: t})
	}
	for i := 0; i < len(s); {
		n := 0
		for i+n < len(s) && s[i+n] >= '0' && s[i+n] <= '9' {
			n++
		}
		if n == 0 {
			appendB(s[i : i+1])
			i++
			continue
		}
		atStart, atEnd := i == 0, i+n == len(s)
		useC := n >= 6 || n >= 4 && (atStart || atEnd) || atStart && atEnd && n == 2
		if !useC {
			appendB(s[i : i+n])
			i += n
			continue
		}
		if n%2 == 1 {
			if atStart && !atEnd {
				// Start in C and finish the odd digit in B with the text after it.
				segs = append(segs, Segment{Set: 'C', Text: s[i : i+n-1]})
				appendB(s[i+n-1 : i+n])
				i += n
				continue
			}
			appendB(s[i : i+1])
			i++
			n--
		}
		segs = append(segs, Segment{Set: 'C', Text: s[i : i+n]})
		i += n
	}
	return segs
}

// Widths returns the bar and space widths in modules, bar first, from the
// start character to the final bar of the stop character. It has no quiet
// zones: leave ten modules clear on each side.
func (s Symbol) Widths() []int {
	var out []int
	for _, v := range s.Values {
		for _, c := range patterns[v] {
			out = append(out, int(c-'0'))
		}
	}
	return out
}

// Modules is the symbol's width in modules, without quiet zones.
func (s Symbol) Modules() int { return 11*(len(s.Values)-1) + 13 }

// Pattern renders the symbol as 1 (bar) and 0 (space) modules, for tests
// and debugging.
func (s Symbol) Pattern() string {
	var b strings.Builder
	for i, w := range s.Widths() {
		c := "1"
		if i%2 == 1 {
			c = "0"
		}
		b.WriteString(strings.Repeat(c, w))
	}
	return b.String()
}

// Decode reads a module pattern (as Pattern writes it) back to its text,
// checking the check character. Tests use it to prove drawn bars carry the
// data.
func Decode(pattern string) (string, error) {
	const stop = "1100011101011"
	byPattern := make(map[string]int, Stop)
	for v := range Stop {
		byPattern[(Symbol{Values: []int{v}}).Pattern()] = v
	}
	body, ok := strings.CutSuffix(pattern, stop)
	if !ok || len(body)%11 != 0 || len(body) < 22 {
		return "", fmt.Errorf("code 128: no stop character or bad length %d", len(pattern))
	}
	var vals []int
	for i := 0; i < len(body); i += 11 {
		v, ok := byPattern[body[i:i+11]]
		if !ok {
			return "", fmt.Errorf("code 128: module %d: no character %s", i, body[i:i+11])
		}
		vals = append(vals, v)
	}
	sum := vals[0]
	for i, v := range vals[1 : len(vals)-1] {
		sum += (i + 1) * v
	}
	if sum%103 != vals[len(vals)-1] {
		return "", fmt.Errorf("code 128: check character %d, want %d", vals[len(vals)-1], sum%103)
	}
	var out strings.Builder
	var set byte
	switch vals[0] {
	case StartB:
		set = 'B'
	case StartC:
		set = 'C'
	default:
		return "", fmt.Errorf("code 128: start character %d not supported", vals[0])
	}
	for _, v := range vals[1 : len(vals)-1] {
		switch {
		case v == CodeC && set == 'B':
			set = 'C'
		case v == CodeB && set == 'C':
			set = 'B'
		case set == 'C' && v < 100:
			fmt.Fprintf(&out, "%02d", v)
		case set == 'B' && v < 95:
			out.WriteByte(byte(v + 32))
		default:
			return "", fmt.Errorf("code 128: value %d in set %c not supported", v, set)
		}
	}
	return out.String(), nil
}
