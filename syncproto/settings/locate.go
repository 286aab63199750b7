package settings

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// locate maps every key of a TOML document to where it is written, for
// error messages, print-config and keeping the file's key order. The TOML parser keeps key positions
// to itself, so this small scanner finds them again. It runs only on a
// document the parser has accepted, so it need not diagnose anything; on
// input it does not understand it stops early and some keys lack a line.
//
// Paths are the ones decode uses: keys joined by ".", array elements as
// "[i]", e.g. "devices.scanners[1].config.path".
func locate(src string) map[string]pos {
	l := &locator{src: src, line: 1, lines: map[string]pos{}, aot: map[string]int{}}
	if strings.HasPrefix(src, "\uFEFF") {
		l.i = len("\uFEFF")
	}
	l.document()
	return l.lines
}

// pos is where a key starts: its line (from 1) and byte offset.
type pos struct{ line, off int }

type locator struct {
	src   string
	i     int
	line  int
	lines map[string]pos
	aot   map[string]int // array-of-tables path → index of its last element
	table string         // current table's path
}

func (l *locator) eof() bool { return l.i >= len(l.src) }

func (l *locator) peek(s string) bool { return strings.HasPrefix(l.src[l.i:], s) }

func (l *locator) advance(n int) {
	for end := min(l.i+n, len(l.src)); l.i < end; l.i++ {
		if l.src[l.i] == '\n' {
			l.line++
		}
	}
}

// skip passes spaces, tabs, and with newlines also line ends and comments.
func (l *locator) skip(newlines bool) {
	for !l.eof() {
		switch c := l.src[l.i]; {
		case c == ' ' || c == '\t':
			l.i++
		case newlines && (c == '\n' || c == '\r'):
			l.advance(1)
		case newlines && c == '#':
			for !l.eof() && l.src[l.i] != '\n' {
				l.i++
			}
		default:
			return
		}
	}
}

func (l *locator) record(path string, at pos) {
	if _, ok := l.lines[path]; !ok {
		l.lines[path] = at
	}
}

func (l *locator) here() pos { return pos{l.line, l.i} }

func (l *locator) document() {
	for {
		l.skip(true)
		if l.eof() {
			return
		}
		start, at := l.i, l.here()
		switch {
		case l.peek("[["):
			l.advance(2)
			keys, ok := l.key()
			if !ok || !l.peek("]]") {
				return
			}
			l.advance(2)
			parent := l.resolve(keys[:len(keys)-1], at)
			full := join(parent, keys[len(keys)-1])
			n, seen := l.aot[full]
			if seen {
				n++
			}
			l.aot[full] = n
			l.record(full, at)
			l.table = full + "[" + strconv.Itoa(n) + "]"
			l.record(l.table, at)
		case l.peek("["):
			l.advance(1)
			keys, ok := l.key()
			if !ok || !l.peek("]") {
				return
			}
			l.advance(1)
			l.table = l.resolve(keys, at)
			l.record(l.table, at)
		default:
			if !l.keyValue(l.table) {
				return
			}
		}
		if l.i == start {
			return // no progress: not a document this scanner knows
		}
		// The rest of the line is a comment or nothing.
		for !l.eof() && l.src[l.i] != '\n' {
			l.i++
		}
	}
}

// resolve turns a header's keys into a path, stepping into the last
// element of every array of tables on the way, as TOML does. Tables the
// header defines implicitly are recorded at it.
func (l *locator) resolve(keys []string, at pos) string {
	p := ""
	for _, k := range keys {
		p = join(p, k)
		l.record(p, at)
		if n, ok := l.aot[p]; ok {
			p += "[" + strconv.Itoa(n) + "]"
		}
	}
	return p
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// keyValue reads `key = value` under prefix and records every key in it.
func (l *locator) keyValue(prefix string) bool {
	at := l.here()
	keys, ok := l.key()
	if !ok || !l.peek("=") {
		return false
	}
	l.advance(1)
	p := prefix
	for _, k := range keys {
		p = join(p, k)
		l.record(p, at)
	}
	l.skip(false)
	return l.value(p)
}

// key reads a dotted key and leaves the scanner after it and its spaces.
func (l *locator) key() ([]string, bool) {
	var keys []string
	for {
		l.skip(false)
		k, ok := l.simpleKey()
		if !ok {
			return nil, false
		}
		keys = append(keys, k)
		l.skip(false)
		if !l.peek(".") {
			return keys, true
		}
		l.advance(1)
	}
}

func (l *locator) simpleKey() (string, bool) {
	if l.eof() {
		return "", false
	}
	switch l.src[l.i] {
	case '"':
		start := l.i + 1
		if !l.basicString() {
			return "", false
		}
		return unescape(l.src[start : l.i-1]), true
	case '\'':
		start := l.i + 1
		end := strings.IndexByte(l.src[start:], '\'')
		if end < 0 {
			return "", false
		}
		l.i = start + end + 1
		return l.src[start : start+end], true
	}
	start := l.i
	for !l.eof() && isBare(l.src[l.i]) {
		l.i++
	}
	return l.src[start:l.i], l.i > start
}

func isBare(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// value passes one value, recording the keys of inline tables in it.
func (l *locator) value(path string) bool {
	if l.eof() {
		return false
	}
	switch {
	case l.peek(`"""`):
		return l.multiline(`"""`, true)
	case l.peek(`'''`):
		return l.multiline(`'''`, false)
	case l.peek(`"`):
		return l.basicString()
	case l.peek(`'`):
		end := strings.IndexByte(l.src[l.i+1:], '\'')
		if end < 0 {
			return false
		}
		l.i += end + 2
		return true
	case l.peek("["):
		return l.array(path)
	case l.peek("{"):
		return l.inlineTable(path)
	}
	// A number, boolean or date: up to the next delimiter.
	start := l.i
	for !l.eof() && !strings.ContainsRune(",]}#\r\n", rune(l.src[l.i])) {
		l.i++
	}
	return l.i > start
}

func (l *locator) basicString() bool {
	for j := l.i + 1; j < len(l.src); j++ {
		switch l.src[j] {
		case '\\':
			j++
		case '"':
			l.i = j + 1
			return true
		case '\n':
			return false
		}
	}
	return false
}

func (l *locator) multiline(delim string, escapes bool) bool {
	l.advance(len(delim))
	for !l.eof() {
		switch {
		case escapes && l.src[l.i] == '\\':
			l.advance(2)
		case l.peek(delim):
			l.advance(len(delim))
			// Up to two quotes right before the delimiter belong to the string.
			for k := 0; k < 2 && l.peek(delim[:1]); k++ {
				l.advance(1)
			}
			return true
		default:
			l.advance(1)
		}
	}
	return false
}

func (l *locator) array(path string) bool {
	l.advance(1)
	for n := 0; ; n++ {
		l.skip(true)
		if l.peek("]") {
			l.advance(1)
			return true
		}
		elem := path + "[" + strconv.Itoa(n) + "]"
		l.record(elem, l.here())
		if !l.value(elem) {
			return false
		}
		l.skip(true)
		if l.peek(",") {
			l.advance(1)
		} else if !l.peek("]") {
			return false
		}
	}
}

func (l *locator) inlineTable(path string) bool {
	l.advance(1)
	for {
		l.skip(true)
		if l.peek("}") {
			l.advance(1)
			return true
		}
		if !l.keyValue(path) {
			return false
		}
		l.skip(true)
		if l.peek(",") {
			l.advance(1)
		} else if !l.peek("}") {
			return false
		}
	}
}

// unescape decodes a TOML basic string's escapes (valid input assumed).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			if i+n < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil && utf8.ValidRune(rune(r)) {
					b.WriteRune(rune(r))
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
