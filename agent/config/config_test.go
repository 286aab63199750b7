package config

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/settings"
)

type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

func write(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The samples in deploy/ load, and the TOML one configures exactly the
// devices of the JSON one, so neither can rot.
func TestSampleFilesLoad(t *testing.T) {
	l, err := Parse([]string{"--config", "../../deploy/agent.sample.toml"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if l.Outlet.ID != "SH-001" || l.Data.Dir == "" || l.PII.KeyFile == "" {
		t.Errorf("sample settings: %+v", l.Settings)
	}
	old, err := peripherals.LoadConfig("../../deploy/agent.sample.json")
	if err != nil {
		t.Fatal(err)
	}
	if !SameDevices(old, l.Devices) {
		t.Errorf("agent.sample.toml and agent.sample.json configure different devices:\n%+v\n%+v", l.Devices, old)
	}
	if len(l.Devices.Scanners) != 2 || l.Devices.Scanners[1].Debounce != peripherals.Duration(2*time.Second) {
		t.Errorf("scanners %+v", l.Devices.Scanners)
	}
}

func TestDefaultsNamedOnce(t *testing.T) {
	d := Defaults()
	if d.Counter.HoldDays != lifecycle.DefaultHoldDays || d.Complaints.FirstReply != lifecycle.DefaultFirstReply ||
		d.Complaints.Result != lifecycle.DefaultResult || d.HTTP.Addr != DefaultHTTPAddr || d.Sync.Broker != DefaultBroker {
		t.Fatalf("defaults %+v", d)
	}
}

func TestPrecedence(t *testing.T) {
	secretFile := write(t, "secret", "from-secret-file\n")
	file := write(t, "agent.toml", "[outlet]\nid = \"SH-009\"\nsecret = \"from-file\"\n\n[http]\naddr = \"127.0.0.1:9001\"\n\n[counter]\nhold_days = 3\n")
	withSecretFile := write(t, "agent2.toml", "[outlet]\nsecret_file = \""+secretFile+"\"\n")
	for _, tc := range []struct {
		name   string
		args   []string
		env    env
		get    func(*Loaded) any
		want   any
		key    string
		source string
	}{
		{"default", []string{"--secret", "s"}, nil, func(l *Loaded) any { return l.HTTP.Addr }, DefaultHTTPAddr, "http.addr", "default"},
		{"file", []string{"--config", file}, nil, func(l *Loaded) any { return l.HTTP.Addr }, "127.0.0.1:9001", "http.addr", file + ":6"},
		{"flag over file", []string{"--config", file, "--http", "127.0.0.1:9002"}, nil, func(l *Loaded) any { return l.HTTP.Addr }, "127.0.0.1:9002", "http.addr", "flag --http"},
		{"hold days from file", []string{"--config", file}, nil, func(l *Loaded) any { return l.Counter.HoldDays }, 3, "counter.hold_days", file + ":9"},
		{"env over file", []string{"--config", file}, env{"YZ_SECRET": "from-env"}, func(l *Loaded) any { return l.Outlet.Secret }, "from-env", "outlet.secret", "env YZ_SECRET"},
		{"flag over env", []string{"--config", file, "--secret", "from-flag"}, env{"YZ_SECRET": "from-env"}, func(l *Loaded) any { return l.Outlet.Secret }, "from-flag", "outlet.secret", "flag --secret"},
		{"secret file in file", []string{"--config", withSecretFile}, nil, func(l *Loaded) any { return l.Outlet.Secret }, "from-secret-file", "outlet.secret_file", withSecretFile + ":2"},
		{"env secret over secret file in file", []string{"--config", withSecretFile}, env{"YZ_SECRET": "from-env"}, func(l *Loaded) any { return l.Outlet.Secret }, "from-env", "outlet.secret", "env YZ_SECRET"},
		{"secret file flag over env", []string{"--secret-file", secretFile}, env{"YZ_SECRET": "from-env"}, func(l *Loaded) any { return l.Outlet.Secret }, "from-secret-file", "outlet.secret_file", "flag --secret-file"},
		{"secret file flag over secret flag", []string{"--secret", "x", "--secret-file", secretFile}, nil, func(l *Loaded) any { return l.Outlet.Secret }, "from-secret-file", "outlet.secret_file", "flag --secret-file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--data", t.TempDir(), "--outlet", "SH-001"}, tc.args...)
			l, err := Parse(args, tc.env.lookup, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Check(); err != nil {
				t.Fatal(err)
			}
			if got := tc.get(l); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if got := l.Source(tc.key).String(); got != tc.source {
				t.Errorf("%s from %s, want %s", tc.key, got, tc.source)
			}
		})
	}
}

func TestPIIKeyPrecedence(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "pii.key")
	if err := pii.GenerateKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.key")
	if err := pii.GenerateKeyFile(other); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(other)
	t.Setenv(pii.EnvKey, strings.TrimSpace(string(raw))) // pii.LoadKeyEnv reads the process environment
	fromFile := write(t, "agent.toml", "[pii]\nkey_file = \""+keyFile+"\"\n")
	want := func(path string) string {
		k, err := pii.LoadKey(path, "")
		if err != nil {
			t.Fatal(err)
		}
		return k.CustomerID("13800138000")
	}
	for _, tc := range []struct {
		name string
		args []string
		env  env
		want string // the key file whose key must be in force; "" for none
	}{
		{"none", nil, nil, ""},
		{"key file in file", []string{"--config", fromFile}, nil, keyFile},
		{"env over file", []string{"--config", fromFile}, env{pii.EnvKey: "set"}, other},
		{"flag over env", []string{"--config", fromFile, "--pii-key-file", keyFile}, env{pii.EnvKey: "set"}, keyFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse(tc.args, tc.env.lookup, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			k, err := l.Keys()
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && k != nil:
				t.Fatal("a key without one configured")
			case tc.want != "" && (k == nil || k.CustomerID("13800138000") != want(tc.want)):
				t.Fatalf("not the key of %s", tc.want)
			}
		})
	}
}

func TestPrintConfig(t *testing.T) {
	file := write(t, "agent.toml", "[outlet]\nid = \"SH-001\"\nsecret = \"hunter2-secret\"\n\n[sync]\nbroker = \"tcp://user:pw-secret@10.0.0.9:1883\"\n")
	l, err := Parse([]string{"--config", file, "--http", "127.0.0.1:9000", "--print-config"}, env{"YZ_PII_KEY": "key-secret"}.lookup, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !l.PrintRequested() {
		t.Fatal("--print-config not seen")
	}
	var out bytes.Buffer
	if err := l.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`id = "SH-001"  ` /* aligned */, "# " + file + ":2",
		`secret = "(redacted)"`, "# " + file + ":3",
		`addr = "127.0.0.1:9000"  # flag --http`,
		`broker = "tcp://user:(redacted)@10.0.0.9:1883"  # ` + file + ":6",
		`key = "(redacted)"`, "# env YZ_PII_KEY",
		`hold_days = 7`, `first_reply = "24h"`, `result = "168h"`, `ack_timeout = "20s"`, "# default",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("print-config lacks %q:\n%s", want, out.String())
		}
	}
	for _, secret := range []string{"hunter2-secret", "pw-secret", "key-secret"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("print-config shows %s", secret)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		args []string
		kind settings.Kind
		want string // after the file name
	}{
		{"syntax", "[outlet]\nid = SH-001\n", nil, settings.Syntax, ":2:6: "},
		{"wrong type", "[counter]\nhold_days = \"seven\"\n", nil, settings.Type, ":2: counter.hold_days: want a whole number, got the string \"seven\""},
		{"unknown key", "[counter]\nhold_day = 7\n", nil, settings.Unknown, ":2: counter.hold_day: unknown key (did you mean counter.hold_days?)"},
		{"unknown section", "[sla]\nresult = \"7d\"\n", nil, settings.Unknown, ":1: sla: unknown key"},
		{"key in file", "[pii]\nkey = \"abc\"\n", nil, settings.Invalid, ":2: pii.key: cannot be set in a file; use environment variable YZ_PII_KEY"},
		{"device setting misspelt", "[[devices.scanners]]\nname = \"a\"\ndriver = \"tcp\"\nconfig = { address = \"127.0.0.1:2001\" }\n[[devices.scanners]]\nname = \"counter\"\ndriver = \"serial\"\n[devices.scanners.config]\npath = \"/dev/ttyUSB0\"\nbaudrate = 9600\n", nil, settings.Invalid, ":5: devices.scanners[1]: serial scanner counter: config: json: unknown field \"baudrate\""},
		{"device field misspelt", "[[devices.printers]]\nname = \"p\"\ndrvier = \"zpl\"\n", nil, settings.Unknown, ":3: devices.printers[0].drvier: unknown key (did you mean devices.printers[0].driver?)"},
		{"bad debounce", "[[devices.scanners]]\nname = \"a\"\ndriver = \"tcp\"\ndebounce = \"soon\"\n", nil, settings.Type, ":4: devices.scanners[0].debounce: duration"},
		{"name used twice", "[[devices.printers]]\nname = \"a\"\ndriver = \"zpl\"\naddress = \"tcp://127.0.0.1:9100\"\n[[devices.printers]]\nname = \"a\"\ndriver = \"zpl\"\naddress = \"tcp://127.0.0.1:9101\"\n", nil, settings.Invalid, ":5: devices.printers[1]: device name \"a\" is used twice"},
		{"label printer unknown", "[devices]\n\nlabel_printer = \"nope\"\n", nil, settings.Invalid, ":3: devices.label_printer: label_printer \"nope\" is not one of the printers"},
		{"log format", "[log]\nformat = \"xml\"\n", []string{"--data", "d", "--outlet", "o", "--secret", "s"}, settings.Invalid, ":2: log.format: must be json or text, not \"xml\""},
		{"exception deadline kind", "[exceptions]\ndeadlines = \"lost=240h,loose=1h\"\n", []string{"--data", "d", "--outlet", "o", "--secret", "s"}, settings.Invalid, ":2: exceptions.deadlines: \"loose=1h\": want kind=duration"},
		{"plain broker elsewhere", "[sync]\nbroker = \"tcp://10.1.2.3:1883\"\n", []string{"--data", "d", "--outlet", "o", "--secret", "s"}, settings.Invalid, ":2: sync.broker: broker tcp://10.1.2.3:1883 is plain MQTT to 10.1.2.3, which is not this machine"},
		{"tls without CA file", "[sync]\nbroker = \"tls://hub.example.internal\"\n", []string{"--data", "d", "--outlet", "o", "--secret", "s"}, settings.Invalid, ":2: sync.broker: sync.ca_file (--ca-file) is required with a TLS broker"},
		{"client cert without key", "[sync]\nbroker = \"tls://hub.example.internal\"\nca_file = \"ca.crt\"\ncert_file = \"c.crt\"\n", []string{"--data", "d", "--outlet", "o", "--secret", "s"}, settings.Invalid, ":2: sync.broker: sync.cert_file (--cert-file) and sync.key_file (--key-file) go together"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, "agent.toml", tc.body)
			l, err := Parse(append([]string{"--config", p}, tc.args...), nil, io.Discard)
			if err == nil {
				err = l.Check()
			}
			var e *settings.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want a *settings.Error", err)
			}
			if e.Kind != tc.kind {
				t.Errorf("kind %d, want %d: %v", e.Kind, tc.kind, err)
			}
			if !strings.HasPrefix(err.Error(), p+tc.want) {
				t.Errorf("error\n %q\nwant it to start\n %q", err.Error(), p+tc.want)
			}
		})
	}
}

// TestPlainBrokerNamesTheSetting: the refusal says which setting allows
// it, and that setting does.
func TestPlainBrokerNamesTheSetting(t *testing.T) {
	base := []string{"--data", "d", "--outlet", "o", "--secret", "s"}
	l, err := Parse(append(base, "--broker", "tcp://hub.example.internal:1883"), nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Check(); err == nil || !strings.Contains(err.Error(), "set sync.allow_plain = true (--allow-plain)") {
		t.Fatalf("Check = %v, want the refusal to name sync.allow_plain", err)
	}
	for _, args := range [][]string{
		{"--broker", "tcp://hub.example.internal:1883", "--allow-plain"},
		{"--broker", "tcp://127.0.0.1:1883"},
		{"--broker", "tls://hub.example.internal", "--ca-file", "ca.crt"},
		{"--broker", "ssl://hub.example.internal:8883", "--ca-file", "ca.crt", "--cert-file", "c.crt", "--key-file", "c.key"},
	} {
		l, err := Parse(append(base, args...), nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Check(); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func TestMissingSettingsNamed(t *testing.T) {
	l, err := Parse(nil, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	err = l.Check()
	if err == nil || err.Error() != "missing data.dir (--data), outlet.id (--outlet), outlet.secret (--secret, YZ_SECRET or secret_file)" {
		t.Fatalf("err = %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	var stderr bytes.Buffer
	_, err := Parse([]string{"--hold-days", "many"}, nil, &stderr)
	var ue *settings.UsageError
	if !errors.As(err, &ue) || !strings.Contains(stderr.String(), "hold-days") {
		t.Fatalf("err = %v, stderr %q", err, stderr.String())
	}
	if _, err := Parse([]string{"--config", filepath.Join(t.TempDir(), "none.toml")}, nil, io.Discard); err == nil || !strings.Contains(err.Error(), "none.toml") {
		t.Fatalf("missing file: %v", err)
	}
}

// The JSON file keeps loading as before, for run and for the devices
// commands, and print-config names it as the devices' source.
func TestJSONStillLoads(t *testing.T) {
	l, err := Parse([]string{"--config", "../../deploy/agent.sample.json"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Devices.Printers) != 3 || l.Source("devices.printers").String() != "../../deploy/agent.sample.json" {
		t.Fatalf("devices %+v from %s", l.Devices, l.Source("devices.printers"))
	}
	for _, path := range []string{"../../deploy/agent.sample.json", "../../deploy/agent.sample.toml"} {
		d, err := LoadDevices(path)
		if err != nil || len(d.Printers) != 3 {
			t.Fatalf("%s: %v %+v", path, err, d)
		}
	}
	if _, err := LoadDevices(write(t, "a.toml", "[devices]\nlabel_printr = \"x\"\n")); err == nil || !strings.Contains(err.Error(), ":2: devices.label_printr") {
		t.Fatalf("LoadDevices took a misspelt key: %v", err)
	}
}

func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	to := filepath.Join(dir, "agent.toml")
	var stdout, stderr bytes.Buffer
	if code := Command([]string{"migrate", "--from", "../../deploy/agent.sample.json", "--to", to}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"devices.scanners (2: counter, desk-wedge)", "devices.printers (3: shelf, receipt, waybill)",
		"devices.scales (1: counter-scale)", `devices.label_printer = "shelf"`, "wrote " + to} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
	// Round trip: the migrated file loads to the same devices.
	want, err := peripherals.LoadConfig("../../deploy/agent.sample.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadDevices(to)
	if err != nil {
		t.Fatal(err)
	}
	if !SameDevices(want, got) {
		t.Fatalf("migrated devices differ:\n%+v\n%+v", want, got)
	}
	// Defaults the JSON left implicit stay implicit.
	body, _ := os.ReadFile(to)
	if strings.Count(string(body), "debounce") != 1 || strings.Contains(string(body), `receipt_printer = ""`) {
		t.Errorf("migrated file spells out defaults:\n%s", body)
	}
	// It never overwrites, and it refuses a broken source.
	if code := Command([]string{"migrate", "--from", "../../deploy/agent.sample.json", "--to", to}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "already exists") {
		t.Errorf("second migrate: exit %d, %s", code, stderr.String())
	}
	stderr.Reset()
	bad := write(t, "bad.json", `{"devices": {"scaners": []}}`)
	if code := Command([]string{"migrate", "--from", bad, "--to", filepath.Join(dir, "b.toml")}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "unknown field") {
		t.Errorf("broken source: exit %d, %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "b.toml")); err == nil {
		t.Error("a broken source still wrote a file")
	}
	if code := Command([]string{"migrate", "--from", bad}, &stdout, &stderr); code != 2 {
		t.Errorf("no --to: exit %d", code)
	}
}

// SameDevices must tell different devices apart, or the round trip above
// proves nothing.
func TestSameDevicesDiffers(t *testing.T) {
	a, err := peripherals.LoadConfig("../../deploy/agent.sample.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := peripherals.LoadConfig("../../deploy/agent.sample.json")
	if !SameDevices(a, b) {
		t.Fatal("the same file differs from itself")
	}
	b.Scanners[0].Config = []byte(`{"path": "/dev/ttyUSB9", "baud": 9600}`)
	if SameDevices(a, b) {
		t.Fatal("a different scanner path compares the same")
	}
	c, _ := peripherals.LoadConfig("../../deploy/agent.sample.json")
	c.Printers[0].WidthMM = 58
	if SameDevices(a, c) {
		t.Fatal("a different label width compares the same")
	}
}

// What --print-config writes is itself a settings file that loads to the
// same settings (the sample has no secrets to redact).
func TestPrintConfigLoadsBack(t *testing.T) {
	l, err := Parse([]string{"--config", "../../deploy/agent.sample.toml", "--hold-days", "5"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := l.Print(&out); err != nil {
		t.Fatal(err)
	}
	again, err := Parse([]string{"--config", write(t, "printed.toml", out.String())}, nil, io.Discard)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !SameDevices(l.Devices, again.Devices) {
		t.Error("devices differ after print and load")
	}
	a, b := l.Settings, again.Settings
	a.Devices, b.Devices = peripherals.Config{}, peripherals.Config{}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("settings differ after print and load:\n%+v\n%+v", a, b)
	}
	if b.Counter.HoldDays != 5 {
		t.Errorf("hold_days %d", b.Counter.HoldDays)
	}
}

func TestAllowedHosts(t *testing.T) {
	file := write(t, "agent.toml", "[outlet]\nid = \"SH-009\"\nsecret = \"s\"\n\n[http]\nallowed_hosts = \"outlet-pc, outlet-pc.local ,\"\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", file}, "outlet-pc|outlet-pc.local"},
		{[]string{"--config", file, "--allowed-hosts", "counter-2"}, "counter-2"},
		{[]string{"--secret", "s"}, ""},
	} {
		l, err := Parse(tc.args, env{}.lookup, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := strings.Join(l.AllowedHosts(), "|"); got != tc.want {
			t.Errorf("%v: allowed hosts %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestProgressURL(t *testing.T) {
	for in, want := range map[string]string{"": "", " https://kefu.example.com/p ": "https://kefu.example.com/p", "http://10.0.0.5:8081/p": "http://10.0.0.5:8081/p"} {
		var s Settings
		s.Complaints.ProgressURL = in
		if got, err := s.ProgressURL(); err != nil || got != want {
			t.Errorf("ProgressURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"kefu.example.com/p", "ftp://kefu.example.com/p", "https:///p", "https://kefu.example.com/p?t=1", "https://u:p@kefu.example.com/p", "javascript:alert(1)"} {
		var s Settings
		s.Complaints.ProgressURL = bad
		if _, err := s.ProgressURL(); err == nil {
			t.Errorf("ProgressURL(%q) taken", bad)
		}
	}
}
