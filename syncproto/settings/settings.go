package settings

import (
	"encoding"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Origin is the layer a value came from; a higher one wins.
type Origin uint8

const (
	Default Origin = iota
	File
	Env
	Flag
)

// Source says where a value came from.
type Source struct {
	Origin Origin
	Name   string // the file, the environment variable or the flag
	Line   int    // the file's line; 0 if not known
}

func (s Source) String() string {
	switch s.Origin {
	case File:
		if s.Line > 0 {
			return s.Name + ":" + strconv.Itoa(s.Line)
		}
		return s.Name
	case Env:
		return "env " + s.Name
	case Flag:
		return "flag --" + s.Name
	}
	return "default"
}

// Set is a program's settings bound to its flags. Create it with Bind, let
// the FlagSet parse the command line, then Load the file and environment.
type Set struct {
	root    reflect.Value
	fields  []*field          // every setting, in declaration order
	byKey   map[string]*field // by dotted key
	sources map[string]Source // tables and array elements, by path
	fs      *flag.FlagSet
	config  string
	print   bool
}

type field struct {
	key    string
	v      reflect.Value
	flag   string
	env    string
	help   string
	secret bool
	url    bool
	nofile bool
	src    Source
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	rawType      = reflect.TypeFor[json.RawMessage]()
	textType     = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// Bind walks dst, a pointer to the settings struct holding the defaults,
// and registers on fs a flag for every field with a flag tag, plus
// --config FILE and --print-config. Flags write into dst as they parse.
func Bind(fs *flag.FlagSet, dst any) (*Set, error) {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("settings: Bind needs a pointer to a struct, not %T", dst)
	}
	s := &Set{root: rv.Elem(), byKey: map[string]*field{}, sources: map[string]Source{}, fs: fs}
	if err := s.collect(rv.Elem(), ""); err != nil {
		return nil, err
	}
	for _, f := range s.fields {
		if f.flag != "" {
			fs.Var(&flagValue{f}, f.flag, f.usage())
		}
	}
	fs.StringVar(&s.config, "config", "", "settings file (TOML); flags and environment variables override it")
	fs.BoolVar(&s.print, "print-config", false, "print the effective settings and where each comes from, then exit")
	return s, nil
}

func (s *Set) collect(v reflect.Value, prefix string) error {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name := keyName(sf)
		if name == "" {
			continue
		}
		key := join(prefix, name)
		if isSection(sf.Type) {
			if err := s.collect(v.Field(i), key); err != nil {
				return err
			}
			continue
		}
		if err := checkType(sf.Type); err != nil {
			return fmt.Errorf("settings: %s: %w", key, err)
		}
		f := &field{key: key, v: v.Field(i), flag: sf.Tag.Get("flag"), env: sf.Tag.Get("env"), help: sf.Tag.Get("help")}
		for _, o := range strings.Split(sf.Tag.Get("settings"), ",") {
			switch o {
			case "":
			case "secret":
				f.secret = true
			case "url":
				f.url = true
			case "nofile":
				f.nofile = true
			default:
				return fmt.Errorf("settings: %s: unknown option %q", key, o)
			}
		}
		if (f.flag != "" || f.env != "") && !isScalar(sf.Type) {
			return fmt.Errorf("settings: %s: only a single value can have a flag or environment variable", key)
		}
		if s.byKey[key] != nil {
			return fmt.Errorf("settings: key %s is declared twice", key)
		}
		s.fields = append(s.fields, f)
		s.byKey[key] = f
	}
	return nil
}

// keyName is the field's key: its toml tag, else its json tag.
func keyName(sf reflect.StructField) string {
	if !sf.IsExported() {
		return ""
	}
	tag, ok := sf.Tag.Lookup("toml")
	if !ok {
		tag = sf.Tag.Get("json")
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return ""
	}
	return name
}

func isText(t reflect.Type) bool { return reflect.PointerTo(t).Implements(textType) }

// isSection: a struct that is not a single value is a table of its own.
func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && !isText(t)
}

func isScalar(t reflect.Type) bool {
	if isText(t) || t == durationType {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// checkType refuses, at Bind, a type the decoder could not fill.
func checkType(t reflect.Type) error {
	switch {
	case isScalar(t), t == rawType:
		return nil
	case isSection(t):
		for i := range t.NumField() {
			if sf := t.Field(i); keyName(sf) != "" {
				if err := checkType(sf.Type); err != nil {
					return fmt.Errorf("%s: %w", keyName(sf), err)
				}
			}
		}
		return nil
	case t.Kind() == reflect.Slice && isSection(t.Elem()):
		return checkType(t.Elem())
	}
	return fmt.Errorf("type %s is not supported", t)
}

func (f *field) usage() string {
	where := f.key
	if f.env != "" {
		where += ", env " + f.env
	}
	if f.help == "" {
		return "[" + where + "]"
	}
	return f.help + " [" + where + "]"
}

// flagValue sets a field from the command line and marks it as set there.
type flagValue struct{ f *field }

func (v *flagValue) String() string {
	if v == nil || v.f == nil {
		return "" // flag's zero-value probe
	}
	if v.f.v.IsZero() {
		return "" // so -h shows no "(default 0s)"
	}
	return plain(v.f.v)
}

func (v *flagValue) Set(s string) error {
	if err := parseScalar(v.f.v, s); err != nil {
		return err
	}
	v.f.src = Source{Origin: Flag, Name: v.f.flag}
	return nil
}

func (v *flagValue) IsBoolFlag() bool { return v != nil && v.f != nil && v.f.v.Kind() == reflect.Bool }

// UsageError is a command-line mistake, already reported with the usage
// on the FlagSet's output. It wraps flag.ErrHelp after -h.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Parse parses the command line into the settings. Positional arguments
// are refused. Every error is a *UsageError.
func (s *Set) Parse(args []string) error {
	if err := s.fs.Parse(args); err != nil {
		return &UsageError{err}
	}
	if s.fs.NArg() > 0 {
		err := fmt.Errorf("unexpected argument %q", s.fs.Arg(0))
		fmt.Fprintln(s.fs.Output(), err)
		s.fs.Usage()
		return &UsageError{err}
	}
	return nil
}

// CommandLine is how both programs start: it binds dst (the settings
// struct holding the defaults) to a new flag set named name whose usage
// goes to out, gives --config the usage text configUsage, and parses args.
func CommandLine(name string, args []string, dst any, configUsage string, out io.Writer) (*Set, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	s, err := Bind(fs, dst)
	if err != nil {
		return nil, err
	}
	fs.Lookup("config").Usage = configUsage
	if err := s.Parse(args); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadFile reads the file --config named with read (the program's own
// I/O, os.ReadFile in production) and applies it and the environment as
// Load does. Without --config it applies the environment alone.
func (s *Set) LoadFile(read func(string) ([]byte, error), lookupEnv func(string) (string, bool)) error {
	var data []byte
	if s.config != "" {
		var err error
		if data, err = read(s.config); err != nil {
			return fmt.Errorf("read settings file: %w", err)
		}
	}
	return s.Load(s.config, data, lookupEnv)
}

// parseScalar sets v from its text form, as a flag or environment
// variable gives it.
func parseScalar(v reflect.Value, s string) error {
	if isText(v.Type()) {
		return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
	}
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration such as 90s, 15m or 24h")
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("want a whole number")
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("want a whole number, 0 or more")
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("want a number")
		}
		v.SetFloat(n)
	default:
		return fmt.Errorf("type %s cannot be set from text", v.Type())
	}
	return nil
}

// Load applies the file (name and its bytes; name "" for none) and then
// the environment, below the flags already parsed. Every problem is
// reported, each as an *Error with its key and line, joined and ordered
// by line.
func (s *Set) Load(name string, data []byte, lookupEnv func(string) (string, bool)) error {
	var errs []*Error
	if name != "" {
		errs = s.loadFile(name, data)
	}
	if lookupEnv != nil {
		for _, f := range s.fields {
			if f.env == "" || f.src.Origin == Flag {
				continue
			}
			val, ok := lookupEnv(f.env)
			if !ok || val == "" {
				continue
			}
			tmp := reflect.New(f.v.Type()).Elem()
			if err := parseScalar(tmp, val); err != nil {
				errs = append(errs, &Error{Kind: Type, At: Source{Origin: Env, Name: f.env}, Key: f.key, Msg: err.Error()})
				continue
			}
			f.v.Set(tmp)
			f.src = Source{Origin: Env, Name: f.env}
		}
	}
	slices.SortStableFunc(errs, func(a, b *Error) int {
		if a.At.Origin != b.At.Origin {
			return int(a.At.Origin) - int(b.At.Origin)
		}
		if a.At.Line != b.At.Line {
			return a.At.Line - b.At.Line
		}
		return strings.Compare(a.Key, b.Key)
	})
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

// File is the --config path from the command line, "" if none.
func (s *Set) File() string { return s.config }

// PrintRequested reports whether --print-config was given.
func (s *Set) PrintRequested() bool { return s.print }

// Source says where the value of key came from. It panics on a key the
// settings struct does not have: that is a mistake in the program.
func (s *Set) Source(key string) Source {
	f := s.byKey[key]
	if f == nil {
		panic("settings: no key " + key)
	}
	return f.src
}

// Mark records that the program filled the settings under prefix itself,
// for example from an older file format, so Print names that source.
func (s *Set) Mark(prefix string, src Source) {
	s.sources[prefix] = src
	for _, f := range s.fields {
		if f.key == prefix || strings.HasPrefix(f.key, prefix+".") {
			f.src = src
		}
	}
}

// Errorf reports a bad value at the place it came from. path is a
// setting's key or an array element inside one, e.g. "devices.scanners[1]".
func (s *Set) Errorf(path, format string, args ...any) *Error {
	return &Error{Kind: Invalid, At: s.sourceOf(path), Key: path, Msg: fmt.Sprintf(format, args...)}
}

// sourceOf is where path came from: its own line in the file, or else the
// nearest enclosing setting's source.
func (s *Set) sourceOf(path string) Source {
	for p := path; p != ""; {
		if src, ok := s.sources[p]; ok {
			return src
		}
		if f := s.byKey[p]; f != nil {
			return f.src
		}
		if i := strings.LastIndexByte(p, '['); i > 0 && strings.HasSuffix(p, "]") {
			p = p[:i]
		} else {
			p = parentOf(p)
		}
	}
	return Source{}
}

// Kind sorts configuration errors.
type Kind uint8

const (
	Syntax  Kind = iota + 1 // the file is not TOML
	Type                    // a value of the wrong type or form
	Unknown                 // a key the program does not have
	Invalid                 // a well-formed value the program refuses
)

// Error is one configuration problem, named by where it is and its key.
type Error struct {
	Kind Kind
	At   Source // the file and line, environment variable or flag
	Col  int    // the column of a syntax error, when known
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.At.Origin != Default {
		b.WriteString(e.At.String())
		if e.Col > 0 && e.At.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Col))
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}
