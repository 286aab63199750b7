package mqttclient

import "testing"

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
