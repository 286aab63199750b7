package settings

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// decoder fills the settings from a parsed TOML tree. Unlike decoding
// straight into the struct, it matches keys exactly, finds every unknown
// key and wrong type rather than the first, and knows each key's line.
type decoder struct {
	set   *Set
	file  string
	lines map[string]pos
	errs  []*Error
}

func (s *Set) loadFile(name string, data []byte) []*Error {
	var tree map[string]any
	if _, err := toml.Decode(string(data), &tree); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			line, col := pe.Position.Line, pe.Position.Col
			// The parser counts an error at a line's end on the next line;
			// the byte offset says where it is.
			if st := pe.Position.Start; st > 0 && st <= len(data) {
				before := data[:st]
				line = bytes.Count(before, []byte("\n")) + 1
				col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
			}
			return []*Error{{Kind: Syntax, At: Source{Origin: File, Name: name, Line: line}, Col: col, Msg: pe.Message}}
		}
		return []*Error{{Kind: Syntax, At: Source{Origin: File, Name: name}, Msg: err.Error()}}
	}
	d := &decoder{set: s, file: name, lines: locate(string(data))}
	d.table("", tree, s.root)
	return d.errs
}

func (d *decoder) at(path string) Source {
	return Source{Origin: File, Name: d.file, Line: d.lines[path].line}
}

func (d *decoder) fail(kind Kind, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{Kind: kind, At: d.at(path), Key: path, Msg: fmt.Sprintf(format, args...)})
}

// table fills struct v from table m at path.
func (d *decoder) table(path string, m map[string]any, v reflect.Value) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := join(path, k)
		i, ok := fieldIndex(v.Type(), k)
		if !ok {
			d.unknown(p, k, v.Type())
			continue
		}
		fv := v.Field(i)
		f := d.set.byKey[p]
		if f == nil { // a section, or a field inside an array element
			d.value(p, m[k], fv)
			continue
		}
		if f.nofile {
			d.fail(Invalid, p, "cannot be set in a file; %s", f.elsewhere())
			continue
		}
		// Decode aside: a flag still wins, but the file's value is checked.
		tmp := reflect.New(fv.Type()).Elem()
		if !d.value(p, m[k], tmp) || f.src.Origin == Flag {
			continue
		}
		fv.Set(tmp)
		f.src = d.at(p)
	}
}

func (f *field) elsewhere() string {
	var ways []string
	if f.flag != "" {
		ways = append(ways, "flag --"+f.flag)
	}
	if f.env != "" {
		ways = append(ways, "environment variable "+f.env)
	}
	return "use " + strings.Join(ways, " or ")
}

func fieldIndex(t reflect.Type, key string) (int, bool) {
	for i := range t.NumField() {
		if keyName(t.Field(i)) == key {
			return i, true
		}
	}
	return 0, false
}

func (d *decoder) unknown(path, key string, t reflect.Type) {
	var known []string
	for i := range t.NumField() {
		if k := keyName(t.Field(i)); k != "" {
			known = append(known, k)
		}
	}
	msg := "unknown key"
	best, bestDist := "", 3
	for _, k := range known {
		if dist := distance(strings.ToLower(key), strings.ToLower(k)); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	switch {
	case best != "":
		msg += fmt.Sprintf(" (did you mean %s?)", join(parentOf(path), best))
	case len(known) > 0:
		msg += " (known here: " + strings.Join(known, ", ") + ")"
	}
	d.fail(Unknown, path, "%s", msg)
}

func parentOf(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// distance is the Levenshtein distance, for "did you mean".
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// value fills v from one TOML value and reports whether it could.
func (d *decoder) value(path string, data any, v reflect.Value) bool {
	t := v.Type()
	bad := func(want string) bool {
		d.fail(Type, path, "want %s, got %s", want, describe(data))
		return false
	}
	switch {
	case isText(t):
		s, ok := data.(string)
		if !ok {
			return bad("a string")
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.fail(Type, path, "%v", err)
			return false
		}
		return true
	case t == durationType:
		s, ok := data.(string)
		if !ok {
			return bad(`a duration string such as "90s", "15m" or "24h"`)
		}
		dur, err := time.ParseDuration(s)
		if err != nil {
			return bad(`a duration such as "90s", "15m" or "24h"`)
		}
		v.SetInt(int64(dur))
		return true
	case t == rawType:
		if _, ok := data.(map[string]any); !ok {
			return bad("a table")
		}
		b, err := d.json(nil, path, data)
		if err != nil {
			d.fail(Type, path, "cannot pass on as JSON: %v", err)
			return false
		}
		v.SetBytes(b)
		return true
	}
	switch t.Kind() {
	case reflect.String:
		s, ok := data.(string)
		if !ok {
			return bad("a string")
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := data.(bool)
		if !ok {
			return bad("true or false")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := data.(int64)
		if !ok || v.OverflowInt(n) {
			return bad("a whole number")
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := data.(int64)
		if !ok || n < 0 || v.OverflowUint(uint64(n)) {
			return bad("a whole number, 0 or more")
		}
		v.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		switch n := data.(type) {
		case float64:
			v.SetFloat(n)
		case int64:
			v.SetFloat(float64(n))
		default:
			return bad("a number")
		}
	case reflect.Struct:
		m, ok := data.(map[string]any)
		if !ok {
			return bad("a table")
		}
		if _, ok := d.lines[path]; ok {
			d.set.sources[path] = d.at(path)
		}
		n := len(d.errs)
		d.table(path, m, v)
		return len(d.errs) == n
	case reflect.Slice:
		elems, ok := tables(data)
		if !ok {
			return bad("an array of tables")
		}
		s := reflect.MakeSlice(t, len(elems), len(elems))
		good := true
		for i, e := range elems {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.set.sources[p] = d.at(p)
			good = d.value(p, e, s.Index(i)) && good
		}
		v.Set(s)
		return good
	default:
		d.fail(Type, path, "type %s is not supported", t)
		return false
	}
	return true
}

// tables accepts both [[a]] and a = [{...}]; an empty array is no tables.
func tables(data any) ([]any, bool) {
	switch a := data.(type) {
	case []map[string]any:
		out := make([]any, len(a))
		for i := range a {
			out[i] = a[i]
		}
		return out, true
	case []any:
		for _, e := range a {
			if _, ok := e.(map[string]any); !ok {
				return nil, false
			}
		}
		return a, true
	}
	return nil, false
}

// describe names a TOML value's type, and shows it if it is short.
func describe(data any) string {
	switch v := data.(type) {
	case string:
		if len(v) > 40 {
			return "a string"
		}
		return fmt.Sprintf("the string %q", v)
	case int64:
		return fmt.Sprintf("the integer %d", v)
	case float64:
		return fmt.Sprintf("the float %v", v)
	case bool:
		return fmt.Sprintf("the boolean %v", v)
	case time.Time:
		return "a date-time"
	case map[string]any:
		return "a table"
	case []map[string]any, []any:
		return "an array"
	}
	return fmt.Sprintf("%T", data)
}

// json writes a TOML value as JSON for a driver, keys in the file's order
// (so print-config shows them as written), dates as RFC 3339 strings.
func (d *decoder) json(b []byte, path string, data any) ([]byte, error) {
	switch v := data.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if c := d.lines[join(path, a)].off - d.lines[join(path, b)].off; c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			kb, _ := json.Marshal(k)
			b = append(append(b, kb...), ':')
			var err error
			if b, err = d.json(b, join(path, k), v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []map[string]any, []any:
		elems, _ := tables(data)
		if a, ok := data.([]any); ok {
			elems = a
		}
		b = append(b, '[')
		for i, e := range elems {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = d.json(b, fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case time.Time:
		data = v.Format(time.RFC3339Nano)
	}
	sb, err := json.Marshal(data) // refuses NaN and infinity
	if err != nil {
		return nil, err
	}
	return append(b, sb...), nil
}
