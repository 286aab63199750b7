package settings

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Encode writes v, a settings struct or a pointer to one, as TOML that
// Load reads back to the same values: sections as [tables], slices as
// [[arrays of tables]], json.RawMessage as a table in the JSON's own key
// order. Zero values are left out.
func Encode(w io.Writer, v any) error {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("settings: Encode needs a struct, not %T", v)
	}
	if err := checkType(rv.Type()); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	e := &encoder{}
	if err := e.table(nil, "", rv, false, true); err != nil {
		return err
	}
	_, err := io.WriteString(w, e.b.String())
	return err
}

// Print writes the effective settings as TOML, every value followed by
// where it came from; secrets are redacted. title heads the output.
func (s *Set) Print(w io.Writer, title string) error {
	e := &encoder{set: s}
	e.b.WriteString("# " + title + "\n# after each value, where it came from; flag > env > file > default\n")
	if err := e.table(nil, "", s.root, false, false); err != nil {
		return err
	}
	_, err := io.WriteString(w, e.b.String())
	return err
}

type encoder struct {
	b   strings.Builder
	set *Set // Print: sources and redaction; nil for Encode
}

type line struct{ text, comment string }

// table writes struct v, the table at path: its values first, then its
// sub-tables, as TOML requires. omit leaves out zero values.
func (e *encoder) table(keys []string, path string, v reflect.Value, element, omit bool) error {
	var lines []line
	var later []func() error
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		k := keyName(sf)
		if k == "" {
			continue
		}
		fv, p, ks := v.Field(i), join(path, k), append(slices.Clone(keys), k)
		switch {
		case isSection(sf.Type):
			later = append(later, func() error { return e.table(ks, p, fv, false, omit) })
		case sf.Type == rawType:
			if fv.Len() == 0 {
				continue
			}
			val, err := parseJSON(fv.Bytes())
			if err != nil {
				return fmt.Errorf("settings: %s: %w", p, err)
			}
			if obj, ok := val.(object); ok {
				later = append(later, func() error { e.rawTable(ks, p, obj); return nil })
			} else {
				lines = append(lines, line{bareOrQuoted(k) + " = " + rawValue(val), e.comment(p)})
			}
		case sf.Type.Kind() == reflect.Slice:
			if fv.Len() == 0 && !omit {
				lines = append(lines, line{bareOrQuoted(k) + " = []", e.comment(p)})
			}
			for j := range fv.Len() {
				later = append(later, func() error { return e.table(ks, fmt.Sprintf("%s[%d]", p, j), fv.Index(j), true, true) })
			}
		default:
			if omit && fv.IsZero() {
				continue
			}
			l := line{bareOrQuoted(k) + " = " + e.scalar(p, fv), e.comment(p)}
			if f := e.field(p); f != nil && f.nofile {
				// Commented out, so the output still loads as a file.
				l = line{"# " + l.text, l.comment + "; not read from a file"}
			}
			lines = append(lines, l)
		}
	}
	if element || len(keys) > 0 && len(lines) > 0 {
		h := "[" + joinKeys(keys) + "]"
		if element {
			h = "[" + h + "]"
		}
		e.header(append([]line{{h, e.tableComment(path)}}, lines...))
	} else {
		e.lines(lines)
	}
	for _, f := range later {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// header starts a table: a blank line, its header line, then its lines.
func (e *encoder) header(ls []line) {
	if e.b.Len() > 0 {
		e.b.WriteString("\n")
	}
	e.lines(ls)
}

// lines writes key = value lines with their comments in one column.
func (e *encoder) lines(ls []line) {
	width := 0
	for _, l := range ls {
		if l.comment != "" {
			width = max(width, utf8.RuneCountInString(l.text))
		}
	}
	width = min(width, 48)
	for _, l := range ls {
		e.b.WriteString(l.text)
		if l.comment != "" {
			e.b.WriteString(strings.Repeat(" ", max(width-utf8.RuneCountInString(l.text), 0)) + "  # " + l.comment)
		}
		e.b.WriteString("\n")
	}
}

func (e *encoder) rawTable(keys []string, path string, obj object) {
	ls := []line{{text: "[" + joinKeys(keys) + "]"}}
	for _, m := range obj {
		if m.val != nil { // TOML has no null: an absent key means the same
			ls = append(ls, line{text: bareOrQuoted(m.key) + " = " + rawValue(m.val)})
		}
	}
	e.header(ls)
}

// field is the setting at path, when printing.
func (e *encoder) field(path string) *field {
	if e.set == nil {
		return nil
	}
	return e.set.byKey[path]
}

// comment is a value's source, when printing.
func (e *encoder) comment(path string) string {
	if f := e.field(path); f != nil {
		return f.src.String()
	}
	return ""
}

// tableComment is where a table or array element came from.
func (e *encoder) tableComment(path string) string {
	if e.set == nil {
		return ""
	}
	if src := e.set.sourceOf(path); src.Origin != Default || e.set.byKey[path] != nil {
		return src.String()
	}
	return ""
}

func (e *encoder) scalar(path string, v reflect.Value) string {
	if f := e.field(path); f != nil {
		switch {
		case f.secret && !v.IsZero():
			return `"(redacted)"`
		case f.url && v.Kind() == reflect.String:
			return quote(redactURL(v.String()))
		}
	}
	return literal(v)
}

// redactURL hides the password of scheme://user:password@host.
func redactURL(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		return s
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return s
	}
	return s[:i+3] + user + ":(redacted)" + rest[at:]
}

// plain is a value as a flag or environment variable would give it.
func plain(v reflect.Value) string {
	if m, ok := textMarshaler(v); ok {
		b, err := m.MarshalText()
		if err != nil {
			return fmt.Sprint(v.Interface())
		}
		return string(b)
	}
	if v.Type() == durationType {
		return shortDuration(time.Duration(v.Int()))
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits())
	}
	return fmt.Sprint(v.Interface())
}

// literal is a value as TOML writes it.
func literal(v reflect.Value) string {
	if _, ok := textMarshaler(v); ok || v.Type() == durationType || v.Kind() == reflect.String {
		return quote(plain(v))
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return tomlFloat(v.Float())
	}
	return plain(v)
}

func textMarshaler(v reflect.Value) (encoding.TextMarshaler, bool) {
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		return m, true
	}
	if v.CanAddr() {
		m, ok := v.Addr().Interface().(encoding.TextMarshaler)
		return m, ok
	}
	return nil, false
}

// shortDuration writes 24h rather than 24h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func tomlFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".en") {
		s += ".0"
	}
	return s
}

// quote writes a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func bareOrQuoted(k string) string {
	if k == "" {
		return `""`
	}
	for i := 0; i < len(k); i++ {
		if !isBare(k[i]) {
			return quote(k)
		}
	}
	return k
}

func joinKeys(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = bareOrQuoted(k)
	}
	return strings.Join(q, ".")
}

// object is a JSON object with its keys in the order written.
type object []member

type member struct {
	key string
	val any // object, []any, string, json.Number, bool or nil
}

func parseJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return readJSON(dec)
}

func readJSON(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		obj := object{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			val, err := readJSON(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, member{key: kt.(string), val: val})
		}
		_, err := dec.Token()
		return obj, err
	case '[':
		arr := []any{}
		for dec.More() {
			val, err := readJSON(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, val)
		}
		_, err := dec.Token()
		return arr, err
	}
	return nil, fmt.Errorf("unexpected %v in JSON", d)
}

// rawValue writes a JSON value as a TOML value; objects become inline tables.
func rawValue(v any) string {
	switch x := v.(type) {
	case object:
		var parts []string
		for _, m := range x {
			if m.val != nil {
				parts = append(parts, bareOrQuoted(m.key)+" = "+rawValue(m.val))
			}
		}
		if len(parts) == 0 {
			return "{}"
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	case []any:
		var parts []string
		for _, e := range x {
			if e != nil {
				parts = append(parts, rawValue(e))
			}
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		return quote(x)
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return string(x)
		}
		f, _ := strconv.ParseFloat(string(x), 64)
		return tomlFloat(f)
	case bool:
		return strconv.FormatBool(x)
	}
	return `""`
}
