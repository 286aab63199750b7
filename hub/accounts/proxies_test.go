package accounts

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The client behind trusted proxies: the right-most X-Forwarded-For entry
// that is not one of them; an untrusted peer's header is ignored, and so
// is whatever a client wrote left of what the nearest proxy saw.
func TestProxiesClient(t *testing.T) {
	p, err := ParseProxies(" 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no header from an untrusted peer", "198.51.100.1:4000", nil, "198.51.100.1"},
		{"a forged header from an untrusted peer", "198.51.100.1:4000", []string{"203.0.113.9"}, "198.51.100.1"},
		{"a trusted proxy, no header", "10.1.2.3:4000", nil, "10.1.2.3"},
		{"a trusted proxy", "10.1.2.3:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"a client's forged entry left of the proxy's", "10.1.2.3:4000", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"two trusted hops", "192.0.2.7:4000", []string{"1.1.1.1, 203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"over several header lines", "10.1.2.3:4000", []string{"1.1.1.1", "203.0.113.9, 10.0.0.5"}, "203.0.113.9"},
		{"entries with ports", "10.1.2.3:4000", []string{"[2001:db9::1]:5555"}, "2001:db9::1"},
		{"an IPv4-mapped peer and entry", "[::ffff:10.1.2.3]:4000", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"a trusted IPv6 proxy", "[2001:db8::5]:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"garbage ends the walk at the last trusted hop", "10.1.2.3:4000", []string{"203.0.113.9, unknown, 10.0.0.5"}, "10.0.0.5"},
		{"only trusted hops", "10.1.2.3:4000", []string{"10.0.0.4, 10.0.0.5"}, "10.0.0.4"},
		{"an empty header", "10.1.2.3:4000", []string{""}, "10.1.2.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/p", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			var seen string
			p.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = ClientAddr(r) })).ServeHTTP(httptest.NewRecorder(), r)
			want := tc.want
			if strings.Contains(want, ":") {
				want = ClientAddr(&http.Request{RemoteAddr: "[" + want + "]:1"}) // by its /64
			}
			if seen != want {
				t.Errorf("client %q, want %q", seen, want)
			}
		})
	}
	// No proxies: the header is never read.
	r := httptest.NewRequest("GET", "/p", nil)
	r.RemoteAddr, r.Header["X-Forwarded-For"] = "10.1.2.3:4000", []string{"203.0.113.9"}
	if a, _ := Proxies(nil).Client(r); a.String() != "10.1.2.3" {
		t.Errorf("without trusted proxies: %s", a)
	}
	// A header of a megabyte of commas walks at most maxHops entries.
	r.Header["X-Forwarded-For"] = []string{strings.Repeat(",", 1<<20) + "203.0.113.9"}
	if hops := hopsFromRight(r.Header); len(hops) != maxHops || hops[0] != "203.0.113.9" {
		t.Errorf("%d hops, the first %q", len(hops), hops[0])
	}
}

func TestParseProxiesRefuses(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "hub.example.com", "10.0.0.0/8;", "::ffff:10.0.0.0/104", "*"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) took it", bad)
		}
	}
	if p, err := ParseProxies(""); err != nil || len(p) != 0 {
		t.Errorf("an empty list: %v %v", p, err)
	}
}

// FuzzProxiesClient: any header from a trusted peer gives the peer or
// one of the header's addresses, never a panic; from an untrusted peer,
// the peer.
func FuzzProxiesClient(f *testing.F) {
	for _, s := range []string{"203.0.113.9", "1.1.1.1, 203.0.113.9, 10.9.9.9", "[2001:db9::1]:5555", "unknown", ",,,", ""} {
		f.Add(s)
	}
	p, _ := ParseProxies("10.0.0.0/8")
	f.Fuzz(func(t *testing.T, xff string) {
		r := &http.Request{RemoteAddr: "10.1.2.3:4000", Header: http.Header{"X-Forwarded-For": {xff}}}
		a, ok := p.Client(r)
		known := a.String() == "10.1.2.3"
		for _, h := range hopsFromRight(r.Header) {
			if e, ok := hopAddr(h); ok && e == a {
				known = true
			}
		}
		if !ok || !known {
			t.Fatalf("client %s of %q: neither the peer nor an entry", a, xff)
		}
		r.RemoteAddr = "198.51.100.1:4000"
		if a, _ := p.Client(r); a.String() != "198.51.100.1" {
			t.Fatalf("an untrusted peer's header read: %s", a)
		}
	})
}
