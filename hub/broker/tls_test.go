package broker

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// TestStartRefusesPlainOffLoopback: the rule holds in Start itself, not
// only in the hub's settings check, so no caller can open a plain
// listener on the network by mistake.
func TestStartRefusesPlainOffLoopback(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		b, err := Start(Options{Addr: addr, Secrets: noOutlets{}, Logger: log})
		if err == nil {
			b.Close()
			t.Fatalf("Start(%s) plain: listening, want a refusal", addr)
		}
		if !strings.Contains(err.Error(), "mqtt.allow_plain = true") || !strings.Contains(err.Error(), "every network interface") {
			t.Errorf("Start(%s): %v, want the refusal to name mqtt.allow_plain", addr, err)
		}
	}
	b, err := Start(Options{Addr: "0.0.0.0:0", AllowPlain: true, Secrets: noOutlets{}, Logger: log})
	if err != nil {
		t.Fatalf("Start with AllowPlain: %v", err)
	}
	b.Close()
}

// TestTLSListener: with a certificate the broker speaks TLS (a client
// that trusts the CA completes a handshake) and not plain MQTT; with a
// client CA, a client without a certificate is refused in the handshake.
func TestTLSListener(t *testing.T) {
	ca := harness.NewCA(t, "hq-ca")
	cert := ca.Issue(t, "broker", harness.CertOptions{CommonName: "hub", Hosts: []string{"127.0.0.1"}})
	pem, _ := os.ReadFile(ca.CertPEM)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	b, err := Start(Options{Addr: "0.0.0.0:0", TLS: TLSFiles{CertFile: cert.Cert, KeyFile: cert.Key}, Secrets: noOutlets{}, Logger: log})
	if err != nil {
		t.Fatalf("Start with TLS on every interface: %v", err)
	}
	defer b.Close()
	_, port, _ := net.SplitHostPort(b.Addr())
	conn, err := tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS handshake with the broker: %v", err)
	}
	conn.Close()

	withCA, err := Start(Options{Addr: "127.0.0.1:0", TLS: TLSFiles{CertFile: cert.Cert, KeyFile: cert.Key, ClientCAFile: ca.CertPEM}, Secrets: noOutlets{}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer withCA.Close()
	conn, err = tls.Dial("tcp", withCA.Addr(), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err == nil {
		// TLS 1.3: the refusal arrives with the first read.
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Errorf("a client without a certificate: %v, want the handshake refused for want of one", err)
	}

	if _, err := Start(Options{Addr: "127.0.0.1:0", TLS: TLSFiles{CertFile: cert.Cert, KeyFile: cert.Cert}, Secrets: noOutlets{}, Logger: log}); err == nil ||
		!strings.Contains(err.Error(), "mqtt.tls_key") {
		t.Errorf("Start with a certificate as its own key: %v, want an error naming mqtt.tls_key", err)
	}
}
