package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// wait is a duration written as text, like the device settings' Debounce.
type wait time.Duration

func (w *wait) UnmarshalText(b []byte) error {
	d, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("wait must be like \"2s\"")
	}
	*w = wait(d)
	return nil
}

func (w wait) MarshalText() ([]byte, error) { return []byte(time.Duration(w).String()), nil }

type item struct {
	Name   string          `json:"name"`
	Size   float64         `json:"size_mm,omitempty"`
	Wait   wait            `json:"wait,omitempty"`
	Config json.RawMessage `json:"config,omitempty"`
}

type testSettings struct {
	HTTP struct {
		Addr  string `toml:"addr" flag:"http" help:"listen address"`
		Token string `toml:"token" flag:"token" env:"T_TOKEN" settings:"secret"`
	} `toml:"http"`
	Sync struct {
		Broker string        `toml:"broker" flag:"broker" env:"T_BROKER" settings:"url"`
		Every  time.Duration `toml:"every" flag:"every"`
		Window int           `toml:"window" flag:"window" env:"T_WINDOW"`
		Ratio  float64       `toml:"ratio"`
		On     bool          `toml:"on" flag:"on"`
	} `toml:"sync"`
	Key struct {
		Value string `toml:"value" env:"T_KEY" settings:"secret,nofile"`
	} `toml:"key"`
	Devices struct {
		Default string `json:"default,omitempty"`
		Items   []item `json:"items"`
	} `toml:"devices"`
}

func defaults() testSettings {
	var s testSettings
	s.HTTP.Addr = "127.0.0.1:8080"
	s.Sync.Broker = "tcp://127.0.0.1:1883"
	s.Sync.Every = time.Minute
	s.Sync.Window = 8
	return s
}

type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

// load runs the whole sequence a program runs: bind, parse, load.
func load(t testing.TB, file string, e env, args ...string) (testSettings, *Set, error) {
	t.Helper()
	s := defaults()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	set, err := Bind(fs, &s)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse(args); err != nil {
		return s, set, err
	}
	name := ""
	if file != "" {
		name = "test.toml"
	}
	return s, set, set.Load(name, []byte(file), e.lookup)
}

func TestPrecedence(t *testing.T) {
	const file = "[sync]\nwindow = 16\n\n[http]\ntoken = \"from-file\"\n"
	for _, tc := range []struct {
		name   string
		file   string
		env    env
		args   []string
		key    string
		want   any
		source string
	}{
		{"default", "", nil, nil, "sync.window", 8, "default"},
		{"file over default", file, nil, nil, "sync.window", 16, "test.toml:2"},
		{"env over file", file, env{"T_WINDOW": "32"}, nil, "sync.window", 32, "env T_WINDOW"},
		{"flag over env", file, env{"T_WINDOW": "32"}, []string{"--window", "64"}, "sync.window", 64, "flag --window"},
		{"flag over file", file, nil, []string{"--window=4"}, "sync.window", 4, "flag --window"},
		{"flag over default", "", nil, []string{"--window", "2"}, "sync.window", 2, "flag --window"},
		{"empty env is unset", file, env{"T_WINDOW": ""}, nil, "sync.window", 16, "test.toml:2"},
		{"env over default", "", env{"T_TOKEN": "e"}, nil, "http.token", "e", "env T_TOKEN"},
		{"secret from file", file, nil, nil, "http.token", "from-file", "test.toml:5"},
		{"env only setting", "", env{"T_KEY": "k"}, nil, "key.value", "k", "env T_KEY"},
		{"flag equal to default is still a flag", "", nil, []string{"--http", "127.0.0.1:8080"}, "http.addr", "127.0.0.1:8080", "flag --http"},
		{"bool flag", "[sync]\non = false\n", nil, []string{"--on"}, "sync.on", true, "flag --on"},
		{"duration from file", "[sync]\nevery = \"90s\"\n", nil, nil, "sync.every", 90 * time.Second, "test.toml:2"},
		{"int as float", "[sync]\nratio = 2\n", nil, nil, "sync.ratio", 2.0, "test.toml:2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, set, err := load(t, tc.file, tc.env, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			f := set.byKey[tc.key]
			if got := f.v.Interface(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %v, want %v", tc.key, got, tc.want)
			}
			if got := set.Source(tc.key).String(); got != tc.source {
				t.Errorf("%s from %s, want %s", tc.key, got, tc.source)
			}
		})
	}
}

// errorCases are broken inputs with the error each must give; the fuzz
// test starts from them too.
var errorCases = []struct {
	name string
	file string
	env  env
	kind Kind
	want string // the whole message
}{
	{"syntax", "[http]\naddr = \"x\"\nport = = 1\n", nil, Syntax, "test.toml:3:8: expected value but found '=' instead"},
	{"syntax at a line end", "[http\naddr = \"x\"\n", nil, Syntax, "test.toml:1:6: expected '.' or ']' to end table name"},
	{"unterminated string", "[http]\naddr = \"127.0.0.1\n", nil, Syntax, "test.toml:2:"},
	{"duplicate key", "[http]\naddr = \"a\"\naddr = \"b\"\n", nil, Syntax, "test.toml:3"},
	{"wrong type", "[http]\n\naddr = 8080\n", nil, Type, "test.toml:3: http.addr: want a string, got the integer 8080"},
	{"wrong type in section", "http = 1\n", nil, Type, "test.toml:1: http: want a table, got the integer 1"},
	{"bad duration", "[sync]\nevery = \"a week\"\n", nil, Type, `test.toml:2: sync.every: want a duration such as "90s", "15m" or "24h", got the string "a week"`},
	{"duration as number", "[sync]\nevery = 60\n", nil, Type, `test.toml:2: sync.every: want a duration string such as "90s", "15m" or "24h", got the integer 60`},
	{"unknown key", "[http]\naddr = \"a\"\nadr = \"b\"\n", nil, Unknown, "test.toml:3: http.adr: unknown key (did you mean http.addr?)"},
	{"unknown section", "\n[htp]\naddr = \"a\"\n", nil, Unknown, "test.toml:2: htp: unknown key (did you mean http?)"},
	{"unknown key far off", "[sync]\nzzzzzzzz = 1\n", nil, Unknown, "test.toml:2: sync.zzzzzzzz: unknown key (known here: broker, every, window, ratio, on)"},
	{"unknown key in element", "[[devices.items]]\nname = \"a\"\n\n[[devices.items]]\nname = \"b\"\nnmae = \"c\"\n", nil, Unknown, "test.toml:6: devices.items[1].nmae: unknown key (did you mean devices.items[1].name?)"},
	{"wrong type in element", "[[devices.items]]\nname = \"a\"\n[[devices.items]]\nname = \"b\"\nsize_mm = \"wide\"\n", nil, Type, `test.toml:5: devices.items[1].size_mm: want a number, got the string "wide"`},
	{"text type refuses", "[[devices.items]]\nname = \"a\"\nwait = \"soon\"\n", nil, Type, `test.toml:3: devices.items[0].wait: wait must be like "2s"`},
	{"raw must be table", "[[devices.items]]\nname = \"a\"\nconfig = 3\n", nil, Type, "test.toml:3: devices.items[0].config: want a table, got the integer 3"},
	{"array of tables wanted", "[devices]\nitems = [1, 2]\n", nil, Type, "test.toml:2: devices.items: want an array of tables, got an array"},
	{"key refused in file", "[key]\nvalue = \"k\"\n", nil, Invalid, "test.toml:2: key.value: cannot be set in a file; use environment variable T_KEY"},
	{"overflow", "[sync]\nwindow = 99999999999999999999\n", nil, Syntax, "test.toml:2"},
	{"bad env", "", env{"T_WINDOW": "many"}, Type, "env T_WINDOW: sync.window: want a whole number"},
}

func TestErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := load(t, tc.file, tc.env)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want a *settings.Error", err)
			}
			if e.Kind != tc.kind {
				t.Errorf("kind %d, want %d (%v)", e.Kind, tc.kind, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error\n %q\nwant\n %q", err.Error(), tc.want)
			}
		})
	}
}

// Every problem is reported, in line order, and a flag does not hide a
// bad value in the file.
func TestAllErrorsInLineOrder(t *testing.T) {
	_, _, err := load(t, "[sync]\nwindow = \"8\"\nbogus = 1\n[http]\naddr = 1\n", nil, "--window", "3", "--http", "x")
	if err == nil {
		t.Fatal("no error")
	}
	want := "test.toml:2: sync.window: want a whole number, got the string \"8\"\n" +
		"test.toml:3: sync.bogus: unknown key (known here: broker, every, window, ratio, on)\n" +
		"test.toml:5: http.addr: want a string, got the integer 1"
	if err.Error() != want {
		t.Fatalf("got\n%s\nwant\n%s", err, want)
	}
}

func TestFlagErrorNamesFlag(t *testing.T) {
	_, _, err := load(t, "", nil, "--every", "a week")
	if err == nil || !strings.Contains(err.Error(), "every") || !strings.Contains(err.Error(), "duration") {
		t.Fatalf("err = %v", err)
	}
}

func TestErrorf(t *testing.T) {
	_, set, err := load(t, "[sync]\n\nwindow = 0\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Errorf("sync.window", "must be at least %d", 1).Error(); got != "test.toml:3: sync.window: must be at least 1" {
		t.Errorf("file: %q", got)
	}
	if got := set.Errorf("http.addr", "bad").Error(); got != "http.addr: bad" {
		t.Errorf("default: %q", got)
	}
	_, set, _ = load(t, "", nil, "--window", "0")
	if got := set.Errorf("sync.window", "bad").Error(); got != "flag --window: sync.window: bad" {
		t.Errorf("flag: %q", got)
	}
}

const fullFile = `# a test file
[http]
addr = "0.0.0.0:9000"
token = "s3cret"

[sync]
broker = "tcp://hub:pa55@10.0.0.1:1883"
every = "24h"

[devices]
default = "b"

[[devices.items]]
name = "a"
wait = "2s"

[devices.items.config]
path = "/dev/ttyUSB0"
baud = 9600
framing = { suffix = "crlf", aim = true }

[[devices.items]]
name = "b"
size_mm = 60.5
`

func TestPrint(t *testing.T) {
	_, set, err := load(t, fullFile, env{"T_KEY": "k"}, "--window", "4")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := set.Print(&out, "test: effective settings"); err != nil {
		t.Fatal(err)
	}
	want := `# test: effective settings
# after each value, where it came from; flag > env > file > default

[http]                 # test.toml:2
addr = "0.0.0.0:9000"  # test.toml:3
token = "(redacted)"   # test.toml:4

[sync]                                         # test.toml:6
broker = "tcp://hub:(redacted)@10.0.0.1:1883"  # test.toml:7
every = "24h"                                  # test.toml:8
window = 4                                     # flag --window
ratio = 0.0                                    # default
on = false                                     # default

[key]
# value = "(redacted)"  # env T_KEY; not read from a file

[devices]      # test.toml:10
default = "b"  # test.toml:11

[[devices.items]]  # test.toml:13
name = "a"
wait = "2s"

[devices.items.config]
path = "/dev/ttyUSB0"
baud = 9600
framing = { suffix = "crlf", aim = true }

[[devices.items]]  # test.toml:22
name = "b"
size_mm = 60.5
`
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	if strings.Contains(out.String(), "s3cret") || strings.Contains(out.String(), "pa55") {
		t.Fatal("a secret was printed")
	}
	// What Print writes is TOML.
	var tree map[string]any
	if _, err := toml.Decode(out.String(), &tree); err != nil {
		t.Fatalf("print output is not TOML: %v", err)
	}
}

func TestMark(t *testing.T) {
	_, set, err := load(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	set.Mark("devices", Source{Origin: File, Name: "old.json"})
	if got := set.Source("devices.items").String(); got != "old.json" {
		t.Errorf("devices.items from %s", got)
	}
	if got := set.Source("http.addr").String(); got != "default" {
		t.Errorf("http.addr from %s", got)
	}
}

// normal compares settings with their raw JSON decoded, since key order
// and spacing in raw JSON carry no meaning.
func normal(t *testing.T, s testSettings) string {
	t.Helper()
	for i := range s.Devices.Items {
		if c := s.Devices.Items[i].Config; len(c) > 0 {
			var v any
			if err := json.Unmarshal(c, &v); err != nil {
				t.Fatal(err)
			}
			s.Devices.Items[i].Config, _ = json.Marshal(v)
		}
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func TestEncodeRoundTrip(t *testing.T) {
	in, _, err := load(t, fullFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	in.Devices.Items[1].Config = json.RawMessage(`{"z": 1, "a": [1, 2.5, "x", null, {"k": false}], "q\"uote": "line\nbreak", "n": null}`)
	var buf bytes.Buffer
	if err := Encode(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, _, err := load(t, buf.String(), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	// null has no TOML form: an absent key means the same to a driver.
	in.Devices.Items[1].Config = json.RawMessage(`{"z": 1, "a": [1, 2.5, "x", {"k": false}], "q\"uote": "line\nbreak"}`)
	if a, b := normal(t, in), normal(t, out); a != b {
		t.Fatalf("round trip changed the settings:\n%s\n%s\nfile:\n%s", a, b, buf.String())
	}
	// Keys of raw tables keep their order.
	if i, j := strings.Index(buf.String(), "z = 1"), strings.Index(buf.String(), "a = ["); i < 0 || j < i {
		t.Fatalf("raw key order lost:\n%s", buf.String())
	}
}

func TestBindRefuses(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	for name, dst := range map[string]any{
		"not a pointer": testSettings{},
		"flag on a slice": &struct {
			S struct {
				L []item `toml:"l" flag:"l"`
			} `toml:"s"`
		}{},
		"unsupported type": &struct {
			M map[string]string `toml:"m"`
		}{},
		"unknown option": &struct {
			A string `toml:"a" settings:"hidden"`
		}{},
	} {
		if _, err := Bind(fs, dst); err == nil {
			t.Errorf("%s: Bind accepted it", name)
		}
	}
}

func TestFlagHelpNamesKey(t *testing.T) {
	s := defaults()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	if _, err := Bind(fs, &s); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	fs.SetOutput(&out)
	fs.PrintDefaults()
	for _, want := range []string{"listen address [http.addr] (default 127.0.0.1:8080)", "[http.token, env T_TOKEN]", "(default 1m)", "-print-config", "-config"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLocate(t *testing.T) {
	src := "top = 1 # c\n" + // 1
		"[a]\n" + // 2
		"x.y = \"\"\"one\n" + // 3
		"two\"\"\"\n" + // 4
		"\"quoted key\" = 'lit'\n" + // 5
		"arr = [\n" + // 6
		"  { n = 1 },\n" + // 7
		"  # comment ]\n" + // 8
		"  { n = 2, m = [3] },\n" + // 9
		"]\n" + // 10
		"[[b]]\n" + // 11
		"k = 1\n" + // 12
		"[b.c]\n" + // 13
		"d = 1979-05-27 07:32:00Z\n" + // 14
		"[[b]]\n" + // 15
		"k = '''x\n" + // 16
		"y'''\n" + // 17
		"[[b.e]]\n" + // 18
		"f = \"a\\\"b\"\n" + // 19
		"[ a . \"s\\u0074r\" ]\n" + // 20
		"g = true\n" // 21
	want := map[string]int{
		"top": 1, "a": 2, "a.x": 3, "a.x.y": 3, "a.quoted key": 5, "a.arr": 6, "a.arr[0]": 7, "a.arr[0].n": 7,
		"a.arr[1]": 9, "a.arr[1].n": 9, "a.arr[1].m": 9, "a.arr[1].m[0]": 9, "b": 11, "b[0]": 11, "b[0].k": 12,
		"b[0].c": 13, "b[0].c.d": 14, "b[1]": 15, "b[1].k": 16, "b[1].e": 18, "b[1].e[0]": 18, "b[1].e[0].f": 19,
		"a.str": 20, "a.str.g": 21,
	}
	if _, err := toml.Decode(src, new(map[string]any)); err != nil {
		t.Fatalf("test input is not TOML: %v", err)
	}
	got := locate(src)
	for k, line := range want {
		if got[k].line != line {
			t.Errorf("%s: line %d, want %d", k, got[k].line, line)
		}
	}
	if len(got) != len(want) {
		var extra []string
		for k := range got {
			if _, ok := want[k]; !ok {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		t.Errorf("unexpected paths %v", extra)
	}
}

// paths lists every key path of a decoded TOML tree, as decode names them.
func paths(prefix string, v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := join(prefix, k)
			*out = append(*out, p)
			paths(p, e, out)
		}
	case []map[string]any:
		for i, e := range x {
			paths(fmt.Sprintf("%s[%d]", prefix, i), e, out)
		}
	case []any:
		for i, e := range x {
			paths(fmt.Sprintf("%s[%d]", prefix, i), e, out)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(fullFile)
	for _, tc := range errorCases {
		f.Add(tc.file)
	}
	f.Add("[[a.b]]\n[[a.b.c]]\nx = 1\n[[a.b]]\n[a.b.d]\ny = [ { z = 'q' } ]\n")
	f.Fuzz(func(t *testing.T, file string) {
		_, set, err := load(t, file, nil)
		var tree map[string]any
		_, perr := toml.Decode(file, &tree)
		if (perr == nil) != !hasKind(err, Syntax) {
			t.Fatalf("parser says %v, Load says %v", perr, err)
		}
		if perr != nil {
			return
		}
		// Every key of an accepted file has a line, within the file.
		lines := locate(file)
		n := strings.Count(file, "\n") + 1
		var ps []string
		paths("", tree, &ps)
		for _, p := range ps {
			if l := lines[p].line; l < 1 || l > n {
				t.Fatalf("key %s: line %d of %d\n%s", p, l, n, file)
			}
		}
		// A file's type, unknown-key and refused-key errors all carry a line.
		for _, e := range flatten(err) {
			if e.At.Origin == File && e.Kind != Syntax && e.At.Line == 0 {
				t.Fatalf("%v has no line", e)
			}
		}
		if err == nil {
			var out bytes.Buffer
			if err := set.Print(&out, "fuzz"); err != nil {
				t.Fatal(err)
			}
			if _, err := toml.Decode(out.String(), new(map[string]any)); err != nil {
				t.Fatalf("print output is not TOML: %v\n%s", err, out.String())
			}
		}
	})
}

func hasKind(err error, k Kind) bool {
	for _, e := range flatten(err) {
		if e.Kind == k {
			return true
		}
	}
	return false
}

func flatten(err error) []*Error {
	var out []*Error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) {
		out = append(out, e)
	}
	return out
}
