package mqttclient

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, server, user, pass string
		ok                     bool
	}{
		{"tcp://hub:pw@127.0.0.1:1883", "tcp://127.0.0.1:1883", "hub", "pw", true},
		{"mqtt://broker:1883", "tcp://broker:1883", "", "", true},
		{"ssl://hub:p%40ss@b.example:8883", "ssl://b.example:8883", "hub", "p@ss", true},
		{"tcp://127.0.0.1", "", "", "", false},
		{"http://x:1883", "", "", "", false},
		{"127.0.0.1:1883", "", "", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			s, u, p, err := ParseURL(tc.in)
			if (err == nil) != tc.ok || s != tc.server || u != tc.user || p != tc.pass {
				t.Errorf("ParseURL = %q %q %q %v", s, u, p, err)
			}
		})
	}
}

func TestCheckPlain(t *testing.T) {
	for _, tc := range []struct {
		url        string
		allowPlain bool
		refused    bool
	}{
		{"tcp://hub:pw@127.0.0.1:1883", false, false},
		{"mqtt://hub:pw@localhost:1883", false, false},
		{"ssl://hub:pw@mqtt.example.internal:8883", false, false},
		{"tcp://hub:pw@mqtt.example.internal:1883", true, false},
		{"tcp://hub:pw@mqtt.example.internal:1883", false, true},
		{"mqtt://hub:pw@10.0.0.2:1883", false, true},
	} {
		err := CheckPlain(tc.url, tc.allowPlain)
		if tc.refused != (err != nil) {
			t.Errorf("CheckPlain(%q, %v) = %v", tc.url, tc.allowPlain, err)
			continue
		}
		if err != nil && (!strings.Contains(err.Error(), "mqtt.allow_plain = true (--mqtt-allow-plain)") || strings.Contains(err.Error(), "pw")) {
			t.Errorf("CheckPlain(%q) = %v, want it to name mqtt.allow_plain and not show the password", tc.url, err)
		}
	}
}

func TestTLSConfigTakesTheCAFile(t *testing.T) {
	for _, server := range []string{"ssl://b.example:8883", "tls://b.example:8883"} {
		if _, err := tlsConfig(server, t.TempDir()+"/missing.pem"); err == nil || !strings.Contains(err.Error(), "mqtt.broker_ca_file") {
			t.Errorf("%s with a missing CA file: %v, want an error naming mqtt.broker_ca_file", server, err)
		}
		cfg, err := tlsConfig(server, "")
		if err != nil || cfg == nil || cfg.ServerName != "b.example" {
			t.Errorf("%s without a CA file: %+v, %v", server, cfg, err)
		}
	}
	if cfg, err := tlsConfig("tcp://127.0.0.1:1883", "ca.pem"); cfg != nil || err != nil {
		t.Errorf("plain URL: %+v, %v", cfg, err)
	}
}
