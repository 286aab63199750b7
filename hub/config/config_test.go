package config

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/settings"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hub.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSampleFileLoads(t *testing.T) {
	l, err := Parse([]string{"--config", "../../deploy/hub.sample.toml"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	if l.Data.Dir == "" || l.MQTT.Listen != "0.0.0.0:8883" || !l.MQTT.BrokerTLS().On() || l.Complaints.Result != 7*24*time.Hour {
		t.Errorf("sample settings: %+v", l.Settings)
	}
}

func TestDefaultsNamedOnce(t *testing.T) {
	d := Defaults()
	if d.Complaints.FirstReply != lifecycle.DefaultSLA.FirstReply || d.Complaints.Result != lifecycle.DefaultSLA.Result ||
		d.Waybills.Block != lifecycle.DefaultWaybillBlock || d.Timers.SweepEvery != DefaultSweepEvery || d.HTTP.Addr != DefaultHTTPAddr ||
		d.Clock.MaxSkew != hlc.DefaultMaxSkew || d.Measures.Timezone != DefaultTimezone || d.Gateway.MaxPerOutlet != DefaultMaxPerOutlet {
		t.Fatalf("defaults %+v", d)
	}
}

func TestPrecedence(t *testing.T) {
	file := write(t, "[waybills]\nblock = 500\n\n[complaints]\nfirst_reply = \"12h\"\n")
	for _, tc := range []struct {
		name   string
		args   []string
		get    func(*Loaded) any
		want   any
		key    string
		source string
	}{
		{"default", nil, func(l *Loaded) any { return l.Waybills.Block }, 1000, "waybills.block", "default"},
		{"file", []string{"--config", file}, func(l *Loaded) any { return l.Waybills.Block }, 500, "waybills.block", file + ":2"},
		{"flag over file", []string{"--config", file, "--waybill-block", "50"}, func(l *Loaded) any { return l.Waybills.Block }, 50, "waybills.block", "flag --waybill-block"},
		{"duration from file", []string{"--config", file}, func(l *Loaded) any { return l.Complaints.FirstReply }, 12 * time.Hour, "complaints.first_reply", file + ":5"},
		{"duration flag", []string{"--config", file, "--sla-first-reply", "2h"}, func(l *Loaded) any { return l.Complaints.FirstReply }, 2 * time.Hour, "complaints.first_reply", "flag --sla-first-reply"},
		{"untouched default beside a file", []string{"--config", file}, func(l *Loaded) any { return l.Complaints.Result }, lifecycle.DefaultResult, "complaints.result", "default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse(tc.args, nil, io.Discard)
			if err != nil {
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

func TestPrintConfig(t *testing.T) {
	file := write(t, "[http]\napi_token = \"tok-secret\"\n\n[mqtt]\nlisten = \"\"\nbroker = \"tcp://hub:pw-secret@mq:1883\"\n")
	l, err := Parse([]string{"--config", file, "--data", "/srv/hub", "--print-config"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := l.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`dir = "/srv/hub"   # flag --data`,
		`api_token = "(redacted)"`, file + ":2",
		`broker = "tcp://hub:(redacted)@mq:1883"`, file + ":6",
		`block = 1000  # default`, `sweep_every = "1m"  # default`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("print-config lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "secret") {
		t.Errorf("print-config shows a secret:\n%s", out.String())
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		args []string
		want string
	}{
		{"both brokers from the file", "[mqtt]\nlisten = \":1\"\nbroker = \"tcp://h:1\"\n", []string{"--data", "d"}, "mqtt.listen (FILE:2) and mqtt.broker (FILE:3) exclude each other"},
		{"both brokers, one a flag", "[mqtt]\nbroker = \"tcp://h:1\"\n", []string{"--data", "d", "--mqtt-listen", ":1"}, "mqtt.listen (flag --mqtt-listen) and mqtt.broker (FILE:2) exclude"},
		{"zero SLA in file", "[complaints]\n\nresult = \"0s\"\n", []string{"--data", "d"}, "FILE:3: complaints.result: must be positive"},
		{"bad level in file", "[log]\nlevel = \"loud\"\n", []string{"--data", "d"}, "FILE:2: log.level: --log-level \"loud\": use debug, info, warn or error"},
		{"unknown exception kind in file", "[exceptions]\ndeadlines = \"delayd=36h\"\n", []string{"--data", "d"}, "FILE:2: exceptions.deadlines: \"delayd=36h\": want kind=duration"},
		{"bad exception deadline flag", "", []string{"--data", "d", "--exception-deadlines", "lost=0s"}, "exceptions.deadlines: \"lost=0s\": the deadline must be a positive"},
		{"no data", "", nil, "--data DIR is required"},
		{"plain on every interface", "[mqtt]\nlisten = \"0.0.0.0:1883\"\n", []string{"--data", "d"}, "FILE:2: mqtt.listen: mqtt.listen 0.0.0.0:1883 would take plain MQTT on every network interface"},
		{"plain on a LAN address names the setting", "", []string{"--data", "d", "--mqtt-listen", "192.168.1.10:1883"}, "set mqtt.allow_plain = true (--mqtt-allow-plain)"},
		{"plain on an empty host", "", []string{"--data", "d", "--mqtt-listen", ":1883"}, "would take plain MQTT on every network interface"},
		{"certificate without key", "[mqtt]\nlisten = \"0.0.0.0:8883\"\ntls_cert = \"c.pem\"\n", []string{"--data", "d"}, "mqtt.tls_cert (--mqtt-tls-cert) and mqtt.tls_key (--mqtt-tls-key) go together"},
		{"external broker plain elsewhere", "[mqtt]\nbroker = \"tcp://hub:pw@mqtt.example.internal:1883\"\n", []string{"--data", "d"}, "FILE:2: mqtt.broker: mqtt.broker tcp://mqtt.example.internal:1883 is plain MQTT to mqtt.example.internal"},
		{"unknown time zone in file", "[measures]\ntimezone = \"Asia/Shanghia\"\n", []string{"--data", "d"}, "FILE:2: measures.timezone: \"Asia/Shanghia\" is not a time zone"},
		{"empty time zone flag", "", []string{"--data", "d", "--timezone", ""}, "measures.timezone: \"\" is not a time zone"},
		{"no clerk speed", "[forecast]\nparcels_per_clerk_hour = 0.0\n", []string{"--data", "d"}, "FILE:2: forecast.parcels_per_clerk_hour: 0: must be more than 0"},
		{"a day of 25 hours", "", []string{"--data", "d", "--forecast-opening-hours", "25"}, "forecast.opening_hours: 25: must be more than 0 and at most 24"},
		{"negative weekend hours", "[forecast]\nweekend_opening_hours = -1.0\n", []string{"--data", "d"}, "FILE:2: forecast.weekend_opening_hours: -1: must be 0"},
		{"client CA without TLS", "[mqtt]\ntls_client_ca = \"ca.pem\"\n", []string{"--data", "d"}, "mqtt.tls_client_ca (--mqtt-tls-client-ca) needs TLS"},
		{"mailbox in clear over a network", "[channels.imap]\naddr = \"mail.example.com:143\"\ntls = false\nuser = \"u\"\npassword_file = \"p\"\n", []string{"--data", "d"}, "FILE:2: channels.imap.addr: addr \"mail.example.com:143\" without tls would send the password in clear"},
		{"mailbox without a password", "[channels.imap]\naddr = \"mail.example.com:993\"\nuser = \"u\"\n", []string{"--data", "d"}, "user and password_file are required"},
		{"mailbox without the master key", "[channels.imap]\naddr = \"127.0.0.1:143\"\ntls = false\nuser = \"u\"\npassword_file = \"p\"\n", []string{"--data", "d"}, "set customers.master_key_file"},
		{"negative cap per outlet", "[gateway]\nmax_per_outlet = -1\n", []string{"--data", "d"}, "FILE:2: gateway.max_per_outlet: -1: 0 for no cap"},
		{"a trusted proxy by name", "[http]\ntrusted_proxies = \"10.0.0.0/8, proxy.example.com\"\n", []string{"--data", "d"}, "FILE:2: http.trusted_proxies: trusted proxy \"proxy.example.com\": want an address or a CIDR prefix"},
		{"a trusted proxy flag past /32", "", []string{"--data", "d", "--http-trusted-proxies", "10.0.0.0/33"}, "http.trusted_proxies: trusted proxy \"10.0.0.0/33\""},
		{"revoked list without client CA", "[mqtt]\nlisten = \"0.0.0.0:8883\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\ntls_client_revoked = \"revoked.txt\"\n", []string{"--data", "d"}, "mqtt.tls_client_revoked (--mqtt-tls-client-revoked) revokes client certificates: set mqtt.tls_client_ca too"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, tc.body)
			l, err := Parse(append([]string{"--config", p}, tc.args...), nil, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			err = l.Check()
			if want := strings.ReplaceAll(tc.want, "FILE", p); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want %q", err, want)
			}
		})
	}
}

// TestForecastHours: the weekend's hours replace Saturday's and Sunday's
// only; without them every day has the weekday's.
func TestForecastHours(t *testing.T) {
	f := Forecast{OpeningHours: 9, WeekendHours: 6}
	if got := f.WeekdayHours(); got != [7]float64{6, 9, 9, 9, 9, 9, 6} {
		t.Errorf("hours by weekday %v", got)
	}
	if got := (Forecast{OpeningHours: 9}).WeekdayHours(); got != [7]float64{9, 9, 9, 9, 9, 9, 9} {
		t.Errorf("without weekend hours %v", got)
	}
}

// TestPlainListenAllowed: loopback, TLS, an explicit allow_plain and an
// external broker all start.
func TestPlainListenAllowed(t *testing.T) {
	for _, args := range [][]string{
		{"--mqtt-listen", "127.0.0.1:1883"}, {"--mqtt-listen", "[::1]:1883"}, {"--mqtt-listen", "localhost:1883"},
		{"--mqtt-listen", "0.0.0.0:8883", "--mqtt-tls-cert", "c.pem", "--mqtt-tls-key", "k.pem"},
		{"--mqtt-listen", "0.0.0.0:8883", "--mqtt-tls-cert", "c.pem", "--mqtt-tls-key", "k.pem", "--mqtt-tls-client-ca", "ca.pem"},
		{"--mqtt-listen", "0.0.0.0:1883", "--mqtt-allow-plain"},
		{"--broker", "tcp://hub:pw@127.0.0.1:1883"},
		{"--broker", "ssl://hub:pw@10.0.0.2:8883", "--broker-ca-file", "ca.pem"},
		{"--broker", "tcp://hub:pw@10.0.0.2:1883", "--mqtt-allow-plain"},
	} {
		l, err := Parse(append([]string{"--data", "d"}, args...), nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Check(); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func TestFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		kind settings.Kind
		want string
	}{
		{"syntax", "[http\naddr = \"x\"\n", settings.Syntax, ":1:"},
		{"wrong type", "[waybills]\nblock = \"big\"\n", settings.Type, ":2: waybills.block: want a whole number, got the string \"big\""},
		{"unknown key", "[complaints]\nfirst_reply = \"24h\"\nresult_within = \"7d\"\n", settings.Unknown, ":3: complaints.result_within: unknown key"},
		{"old flag name as key", "[mqtt]\nmqtt_listen = \":1883\"\n", settings.Unknown, ":2: mqtt.mqtt_listen: unknown key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, tc.body)
			_, err := Parse([]string{"--config", p}, nil, io.Discard)
			var e *settings.Error
			if !errors.As(err, &e) || e.Kind != tc.kind || !strings.HasPrefix(err.Error(), p+tc.want) {
				t.Fatalf("err = %v, want kind %d and %q", err, tc.kind, p+tc.want)
			}
		})
	}
}

// A setting changes only the kinds it names; the others keep their defaults.
func TestExceptionDeadlinesSetting(t *testing.T) {
	l, err := Parse([]string{"--data", "d", "--exception-deadlines", "delayed=36h"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	d, err := l.ExceptionDeadlines()
	if err != nil || d["delayed"] != 36*time.Hour || d["lost"] != lifecycle.DefaultExceptionDeadlines["lost"] {
		t.Fatalf("deadlines %v, %v", d, err)
	}
	if d, _ := Defaults().ExceptionDeadlines(); d["delayed"] != lifecycle.DefaultExceptionDeadlines["delayed"] {
		t.Errorf("default deadlines %v", d)
	}
}
