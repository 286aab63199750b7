package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// certsCLI runs yizhan-hub certs with args and fails on an error.
func (c *cluster) certsCLI(args ...string) string {
	c.t.Helper()
	out, err := exec.Command(c.bins["yizhan-hub"], append([]string{"certs"}, args...)...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("yizhan-hub certs %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// mqttTLS tries an MQTT login over TLS to addr as user with pass and the
// client certificate cert/key, and returns why it failed, or nil.
func mqttTLS(t *testing.T, addr, caFile, cert, key, user, pass string) error {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	opts := paho.NewClientOptions().AddBroker("tls://" + addr).SetClientID(fmt.Sprintf("probe-%s-%d", user, time.Now().UnixNano())).
		SetUsername(user).SetPassword(pass).SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(10 * time.Second).
		SetTLSConfig(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12})
	cl := paho.NewClient(opts)
	tok := cl.Connect()
	if !tok.WaitTimeout(15 * time.Second) {
		return fmt.Errorf("no answer")
	}
	if tok.Error() != nil {
		return tok.Error()
	}
	cl.Disconnect(100)
	return nil
}

// copyFiles copies each file to the same name under dir.
func copyFiles(t *testing.T, dir string, files ...string) []string {
	t.Helper()
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.Base(f))
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out = append(out, dst)
	}
	return out
}

// TestRotateOutletCertificateAndSecret: head office's certificates all
// come from yizhan-hub certs; the hub's embedded broker takes only outlets
// with a client certificate from its CA and their secret. SH-001 has
// events it could not send (its link is cut) when its certificate and its
// secret are both replaced; its agent is restarted with the new files and
// secret, reconnects, and every event reaches the hub exactly once. The
// old secret is refused afterwards, and so is the old certificate, which
// the renewal revoked.
func TestRotateOutletCertificateAndSecret(t *testing.T) {
	const outlet = "SH-001"
	c := newCluster(t, "embedded", outlet)
	ca := filepath.Join(c.dir, "ca")
	c.certsCLI("ca", "--dir", ca)
	c.certsCLI("server", "--dir", ca, "--name", "localhost,127.0.0.1")
	c.certsCLI("outlet", "--dir", ca, "--id", outlet)
	caFile := filepath.Join(ca, "ca.crt")
	certFile, keyFile := filepath.Join(ca, "outlet-"+outlet+".crt"), filepath.Join(ca, "outlet-"+outlet+".key")
	// The outlet PC's copies, as an operator would install them.
	pc := filepath.Join(c.dir, "pc")
	os.MkdirAll(pc, 0o700)
	installed := copyFiles(t, pc, caFile, certFile, keyFile)
	c.startHub("--mqtt-tls-cert", filepath.Join(ca, "server.crt"), "--mqtt-tls-key", filepath.Join(ca, "server.key"),
		"--mqtt-tls-client-ca", caFile, "--mqtt-tls-client-revoked", filepath.Join(ca, "revoked.txt"))

	link := harness.NewProxy(t, c.hubMQTT)
	a := c.newAgent(outlet)
	tlsArgs := []string{"--ca-file", installed[0], "--cert-file", installed[1], "--key-file", installed[2]}
	c.startAgentVia(a, "tls://"+link.Addr(), tlsArgs...)
	acked := scanMany(t, a.http, "ROT-A", 20, 2, nil)
	c.waitDrained(a, 60*time.Second)

	// Offline: the outbox fills.
	link.Cut()
	acked = append(acked, scanMany(t, a.http, "ROT-B", 30, 2, nil)...)
	if s := a.sync(t); s.Backlog != 30 {
		t.Fatalf("backlog %d with the link cut, want 30", s.Backlog)
	}

	// Head office renews the certificate (the old one is revoked) and
	// gives the outlet a new secret, while the hub runs.
	oldFiles := copyFiles(t, t.TempDir(), certFile, keyFile)
	oldSecret := c.secrets[outlet]
	out := c.certsCLI("outlet", "--dir", ca, "--id", outlet, "--force")
	if !strings.Contains(out, "revoked") {
		t.Errorf("the renewal does not say the old certificate was revoked:\n%s", out)
	}
	rot, err := exec.Command(c.bins["yizhan-hub"], "outlet", "add", "--data", c.hubDir(), "--id", outlet, "--rotate").Output()
	if err != nil {
		t.Fatalf("outlet add --rotate: %v", err)
	}
	newSecret := strings.TrimSpace(string(rot))
	if newSecret == "" || newSecret == oldSecret {
		t.Fatalf("rotated secret %q", newSecret)
	}

	// The outlet PC: new files in place, the new secret in its settings,
	// the agent restarted; the link comes back.
	if err := a.proc.Stop(); err != nil {
		t.Logf("agent stopped: %v", err)
	}
	copyFiles(t, pc, certFile, keyFile)
	c.secrets[outlet] = newSecret
	link.Restore()
	c.startAgentVia(a, "tls://"+link.Addr(), tlsArgs...)
	c.waitDrained(a, 60*time.Second)
	s := a.sync(t)
	if s.LastSeq != 50 || s.Backlog != 0 {
		t.Fatalf("after the rotation: %+v", s)
	}
	c.checkExactlyOnce(outlet, s.LastSeq, acked)

	// The new pair logs in; the old secret and the old certificate do not.
	if err := mqttTLS(t, c.hubMQTT, caFile, certFile, keyFile, outlet, newSecret); err != nil {
		t.Fatalf("the new certificate and secret: %v", err)
	}
	if err := mqttTLS(t, c.hubMQTT, caFile, certFile, keyFile, outlet, oldSecret); err == nil {
		t.Error("the old secret still logs in")
	}
	if err := mqttTLS(t, c.hubMQTT, caFile, oldFiles[0], oldFiles[1], outlet, newSecret); err == nil {
		t.Error("the old, revoked certificate still logs in")
	}
	if n := c.hubAcked(outlet); n != 50 {
		t.Errorf("hub acked %d", n)
	}
}
