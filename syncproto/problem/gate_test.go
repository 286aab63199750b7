package problem

import "testing"

func TestHostPolicy(t *testing.T) {
	p := NewHostPolicy("8070", false, "hub.example.com", "10.0.0.5", "[::ffff:10.0.0.6]", "0.0.0.0")
	for host, want := range map[string]bool{
		"127.0.0.1:8070":       true,
		"localhost:8070":       true,
		"LOCALHOST:8070":       true,
		"[::1]:8070":           true,
		"hub.example.com:8070": true,
		"10.0.0.5:8070":        true,
		"10.0.0.6:8070":        true, // named as a mapped address
		"127.0.0.1:8071":       false,
		"evil.example:8070":    false,
		"10.0.0.7:8070":        false,
		"0.0.0.0:8070":         false, // unspecified names nobody
		"127.0.0.1":            false, // port 80
		"::1":                  false,
		"":                     false,
	} {
		if got := p.Allows(host); got != want {
			t.Errorf("Allows(%q) = %v, want %v", host, got, want)
		}
	}
	every := NewHostPolicy("", true)
	if !every.Allows("192.168.1.20:9") || every.Allows("outlet-pc:9") || !every.Allows("localhost") {
		t.Error("a policy on every address takes any IP literal at any port, and no other name")
	}
	if (HostPolicy{}).Allows("evil.example") || !(HostPolicy{}).Allows("127.0.0.1:1") {
		t.Error("the zero policy takes the loopback names only")
	}
}

func TestCrossSite(t *testing.T) {
	for _, tc := range []struct {
		origin, site, host string
		want               bool
	}{
		{"", "", "h:1", false},
		{"", "same-origin", "h:1", false},
		{"", "none", "h:1", false},
		{"", "cross-site", "h:1", true},
		{"", "same-site", "h:1", true},
		{"http://h:1", "", "h:1", false},
		{"https://H:1", "", "h:1", false},
		{"http://h:2", "", "h:1", true},
		{"http://evil.example", "", "h:1", true},
		{"null", "", "h:1", true},
		{"file://h:1", "", "h:1", true},
	} {
		if _, got := CrossSite(tc.origin, tc.site, tc.host); got != tc.want {
			t.Errorf("CrossSite(%q, %q, %q) = %v, want %v", tc.origin, tc.site, tc.host, got, tc.want)
		}
	}
}

func TestIsJSONAndStateChanging(t *testing.T) {
	for ct, want := range map[string]bool{"application/json": true, "application/json; charset=utf-8": true, "Application/JSON": true,
		"text/plain": false, "": false, "application/x-www-form-urlencoded": false, "multipart/form-data; boundary=x": false} {
		if IsJSON(ct) != want {
			t.Errorf("IsJSON(%q) != %v", ct, want)
		}
	}
	for ct, want := range map[string]bool{"application/x-www-form-urlencoded": true, "application/x-www-form-urlencoded; charset=UTF-8": true,
		"application/json": false, "text/plain": false, "": false, "multipart/form-data; boundary=x": false} {
		if IsForm(ct) != want {
			t.Errorf("IsForm(%q) != %v", ct, want)
		}
	}
	for m, want := range map[string]bool{"GET": false, "HEAD": false, "OPTIONS": false, "POST": true, "PUT": true, "PATCH": true, "DELETE": true} {
		if StateChanging(m) != want {
			t.Errorf("StateChanging(%q) != %v", m, want)
		}
	}
}
