package syncclient

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/problem"
)

func TestParseBroker(t *testing.T) {
	for _, tc := range []struct {
		url        string
		allowPlain bool
		tls        bool
		hostPort   string
		err        string
	}{
		{"tcp://127.0.0.1:1883", false, false, "127.0.0.1:1883", ""},
		{"mqtt://localhost", false, false, "localhost:1883", ""},
		{"tcp://[::1]:1884", false, false, "[::1]:1884", ""},
		{"tls://hub.example.internal", false, true, "hub.example.internal:8883", ""},
		{"ssl://hub.example.internal:9883", false, true, "hub.example.internal:9883", ""},
		{"mqtts://10.0.0.5:8883", false, true, "10.0.0.5:8883", ""},
		{"tcps://10.0.0.5", false, true, "10.0.0.5:8883", ""},
		{"tcp://10.0.0.5:1883", true, false, "10.0.0.5:1883", ""},
		{"tcp://10.0.0.5:1883", false, false, "", "sync.allow_plain = true"},
		{"tcp://hub.example.internal:1883", false, false, "", "use tls://hub.example.internal:8883 with sync.ca_file"},
		{"tcp://0.0.0.0:1883", false, false, "", "not this machine"},
		{"ws://hub:80", false, false, "", `unsupported scheme "ws"`},
		{"hub:1883", false, false, "", "not a URL"},
		{"tls://", false, false, "", "not a URL"},
	} {
		b, err := ParseBroker(tc.url, tc.allowPlain)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseBroker(%q, %v) = %v, want an error containing %q", tc.url, tc.allowPlain, err, tc.err)
			}
			continue
		}
		if err != nil || b.TLS != tc.tls || b.HostPort != tc.hostPort {
			t.Errorf("ParseBroker(%q, %v) = %+v, %v; want TLS %v, %s", tc.url, tc.allowPlain, b, err, tc.tls, tc.hostPort)
		}
	}
}

func TestCheckTLSFiles(t *testing.T) {
	tlsB, _ := ParseBroker("tls://hub:8883", false)
	plain, _ := ParseBroker("tcp://127.0.0.1:1883", false)
	for _, tc := range []struct {
		b    Broker
		f    TLSFiles
		want string
	}{
		{tlsB, TLSFiles{CAFile: "ca.crt"}, ""},
		{tlsB, TLSFiles{CAFile: "ca.crt", CertFile: "c", KeyFile: "k"}, ""},
		{plain, TLSFiles{}, ""},
		{tlsB, TLSFiles{}, "sync.ca_file (--ca-file) is required"},
		{tlsB, TLSFiles{CAFile: "ca.crt", CertFile: "c"}, "go together"},
		{plain, TLSFiles{CAFile: "ca.crt"}, "is plain: use tls://127.0.0.1:8883"},
	} {
		err := CheckTLSFiles(tc.b, tc.f)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckTLSFiles(%s, %+v) = %v, want %q", tc.b.URL, tc.f, err, tc.want)
		}
	}
}

// tlsServer accepts TLS connections with cert on loopback and finishes
// each handshake; it returns the address.
func tlsServer(t *testing.T, cert harness.CertFiles) string {
	t.Helper()
	kp, err := tls.LoadX509KeyPair(cert.Cert, cert.Key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{kp}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.(*tls.Conn).Handshake()
				c.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

// TestHandshakeWordsTheRefusal dials a TLS server with each kind of bad
// certificate and checks the catalog code and parameters the status and
// the screen get.
func TestHandshakeWordsTheRefusal(t *testing.T) {
	ca, other := harness.NewCA(t, "hq-ca"), harness.NewCA(t, "someone-else")
	good := ca.Issue(t, "good", harness.CertOptions{CommonName: "hub", Hosts: []string{"127.0.0.1", "localhost"}})
	expiredAt := time.Now().Add(-48 * time.Hour).Truncate(time.Minute)
	expired := ca.Issue(t, "expired", harness.CertOptions{CommonName: "hub", Hosts: []string{"127.0.0.1"},
		NotBefore: expiredAt.Add(-24 * time.Hour), NotAfter: expiredAt})
	futureFrom := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	future := ca.Issue(t, "future", harness.CertOptions{CommonName: "hub", Hosts: []string{"127.0.0.1"},
		NotBefore: futureFrom, NotAfter: futureFrom.Add(24 * time.Hour)})
	elsewhere := ca.Issue(t, "elsewhere", harness.CertOptions{CommonName: "hub", Hosts: []string{"hub.example.internal"}})

	for _, tc := range []struct {
		name   string
		cert   harness.CertFiles
		caFile string
		code   problem.Code
		params map[string]any
	}{
		{"right CA", good, ca.CertPEM, problem.Code{}, nil},
		{"wrong CA", good, other.CertPEM, problem.SyncCertUnknownCA, map[string]any{"file": other.CertPEM}},
		{"expired", expired, ca.CertPEM, problem.SyncCertExpired, map[string]any{"date": expiredAt.UTC().Format("2006-01-02 15:04 UTC")}},
		{"not yet valid", future, ca.CertPEM, problem.SyncCertNotYetValid, map[string]any{"date": futureFrom.UTC().Format("2006-01-02 15:04 UTC")}},
		{"other host", elsewhere, ca.CertPEM, problem.SyncCertWrongHost, map[string]any{"host": "127.0.0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tlsServer(t, tc.cert)
			b, err := ParseBroker("tls://"+addr, false)
			if err != nil {
				t.Fatal(err)
			}
			files := TLSFiles{CAFile: tc.caFile}
			cfg, err := tlsConfig(b, files, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			c := &Client{cfg: Config{Clock: clock.System}, broker: b, files: files, tls: cfg}
			raw, err := net.Dial("tcp", b.HostPort)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := c.handshake(raw, 5*time.Second)
			if tc.code == (problem.Code{}) {
				if err != nil {
					t.Fatalf("handshake with the right CA: %v", err)
				}
				conn.Close()
				return
			}
			p := problem.As(err)
			if p == nil || p.Code() != tc.code {
				t.Fatalf("handshake error %v, want code %s", err, tc.code)
			}
			for k, v := range tc.params {
				if p.Param(k) != v {
					t.Errorf("param %s = %v, want %v (error %v)", k, p.Param(k), v, err)
				}
			}
			// The sync status carries it for the screen, and says it in words.
			c.setErr(connectError("tls://"+addr, "SH-001", err))
			st := c.Status()
			if st.LastProblem == nil || st.LastProblem.Code != tc.code.String() || !strings.Contains(st.LastError, "hub's certificate") {
				t.Errorf("status %+v %q, want last_problem %s", st.LastProblem, st.LastError, tc.code)
			}
		})
	}
}

func TestNewRefusesPlainBrokerElsewhere(t *testing.T) {
	_, err := New(Config{Broker: "tcp://192.168.1.20:1883", Outlet: "SH-001", Events: openLog(t)})
	if err == nil || !strings.Contains(err.Error(), "sync.allow_plain") {
		t.Fatalf("New with a plain remote broker: %v, want a refusal naming sync.allow_plain", err)
	}
	if _, err := New(Config{Broker: "tcp://192.168.1.20:1883", AllowPlain: true, Outlet: "SH-001", Events: openLog(t)}); err != nil {
		t.Fatalf("New with allow_plain: %v", err)
	}
	_, err = New(Config{Broker: "tls://hub:8883", TLS: TLSFiles{CAFile: t.TempDir() + "/missing.crt"}, Outlet: "SH-001", Events: openLog(t)})
	if err == nil || !strings.Contains(err.Error(), "sync.ca_file") {
		t.Fatalf("New with a missing CA file: %v", err)
	}
}

// FuzzParseBroker: any string either is refused or gives a dialable
// host:port, and a plain link it accepts without allowPlain stays on this
// machine.
func FuzzParseBroker(f *testing.F) {
	for _, s := range []string{"tcp://127.0.0.1:1883", "tls://hub.example.internal", "mqtts://[::1]:8883", "tcp://10.0.0.5:1883",
		"ssl://hub:9", "tcp://[::ffff:127.0.0.1]:1", "tcp://localhost.", "ws://x", "", "tls://", "tcp://:1883", "tcp://0.0.0.0"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, allowPlain bool) {
		b, err := ParseBroker(raw, allowPlain)
		if err != nil {
			return
		}
		host, port, err := net.SplitHostPort(b.HostPort)
		if err != nil || host == "" || port == "" {
			t.Fatalf("ParseBroker(%q) accepted with host:port %q: %v", raw, b.HostPort, err)
		}
		if !b.TLS && !allowPlain && !syncproto.LoopbackHost(host) {
			t.Fatalf("ParseBroker(%q) accepted a plain link to %q", raw, host)
		}
	})
}
