package broker

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// TestRevokedClientCertificates: a client certificate whose serial is in
// the revocation list is refused in the handshake, read again when the
// file changes, with no restart; another certificate of the same CA is
// taken; a list that cannot be parsed keeps the broker from starting.
func TestRevokedClientCertificates(t *testing.T) {
	ca := harness.NewCA(t, "hq-ca")
	server := ca.Issue(t, "broker", harness.CertOptions{CommonName: "hub", Hosts: []string{"127.0.0.1"}})
	one := ca.Issue(t, "SH-001", harness.CertOptions{CommonName: "SH-001", Client: true})
	two := ca.Issue(t, "BJ-002", harness.CertOptions{CommonName: "BJ-002", Client: true})
	caPEM, _ := os.ReadFile(ca.CertPEM)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	list := filepath.Join(t.TempDir(), "revoked.txt")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := Start(Options{Addr: "127.0.0.1:0", TLS: TLSFiles{CertFile: server.Cert, KeyFile: server.Key, ClientCAFile: ca.CertPEM, RevokedFile: list},
		Secrets: noOutlets{}, Logger: log})
	if err != nil {
		t.Fatalf("Start with a revocation list not yet written: %v", err)
	}
	defer b.Close()
	handshake := func(c harness.CertFiles) error {
		pair, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := tls.Dial("tcp", b.Addr(), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: []tls.Certificate{pair}})
		if err != nil {
			return err
		}
		defer conn.Close()
		// TLS 1.3: a refusal arrives with the first read; a taken client
		// meets the read deadline instead.
		conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, err = conn.Read(make([]byte, 1))
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			return nil
		}
		return err
	}
	serial := func(c harness.CertFiles) string {
		raw, _ := os.ReadFile(c.Cert)
		cert, err := parseFirst(raw)
		if err != nil {
			t.Fatal(err)
		}
		return cert.SerialNumber.Text(16)
	}
	if err := handshake(one); err != nil {
		t.Fatalf("before any revocation: %v", err)
	}
	os.WriteFile(list, []byte("# revoked\n"+strings.ToUpper(serial(one))+" # SH-001\n"), 0o644)
	if err := handshake(one); err == nil || !strings.Contains(err.Error(), "bad certificate") {
		t.Errorf("a revoked certificate: %v, want the handshake refused", err)
	}
	if err := handshake(two); err != nil {
		t.Errorf("another certificate of the CA: %v", err)
	}
	os.WriteFile(list, []byte("zz-not-hex\n"), 0o644)
	if err := handshake(two); err == nil {
		t.Error("with an unreadable list a certificate is taken")
	}
	if _, err := Start(Options{Addr: "127.0.0.1:0", TLS: TLSFiles{CertFile: server.Cert, KeyFile: server.Key, ClientCAFile: ca.CertPEM, RevokedFile: list},
		Secrets: noOutlets{}, Logger: log}); err == nil || !strings.Contains(err.Error(), "mqtt.tls_client_revoked") {
		t.Errorf("Start with an unreadable list: %v", err)
	}
	if err := CheckListen("127.0.0.1:0", TLSFiles{CertFile: server.Cert, KeyFile: server.Key, RevokedFile: list}, false); err == nil {
		t.Error("a revocation list without a client CA is taken")
	}
	if got, err := parseRevoked([]byte("0A:1b\n\n  ff # x\n")); err != nil || !got["a1b"] || !got["ff"] || len(got) != 2 {
		t.Errorf("parse: %v %v", got, err)
	}
}

func parseFirst(raw []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, io.EOF
	}
	return x509.ParseCertificate(block.Bytes)
}
