package e2e

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// The link between outlets and the hub over TLS, with the real hub and
// agent processes and certificates made here: the right CA syncs; a wrong
// CA and an expired hub certificate are refused, each with its reason in
// the agent's log, its sync status and the counter screen's header; client
// certificates name their outlet; and plain MQTT off loopback is refused
// at start with the setting named.

// certDate is how the agent writes a certificate's date.
const certDate = "2006-01-02 15:04 UTC"

// waitRefused waits until a's status says code with the given params and
// returns its last_error.
func waitRefused(t *testing.T, a *agent, code string, params map[string]string) string {
	t.Helper()
	var s agentSync
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		s = a.sync(t)
		ok := !s.Connected && s.LastProblem != nil && s.LastProblem.Code == code
		for k, v := range params {
			ok = ok && s.LastProblem.Params[k] == v
		}
		return ok, fmt.Sprintf("agent %s: connected %v, last_problem %+v, last_error %q; want %s %v", a.id, s.Connected, s.LastProblem, s.LastError, code, params)
	})
	return s.LastError
}

// hubTLSArgs are the hub's flags for an embedded broker with cert.
func hubTLSArgs(cert harness.CertFiles, extra ...string) []string {
	return append([]string{"--mqtt-tls-cert", cert.Cert, "--mqtt-tls-key", cert.Key}, extra...)
}

func (c *cluster) tlsURL() string { return "tls://" + c.hubMQTT }

// TestTLSRightCAWrongCAExpired: the outlet with head office's CA syncs
// over TLS; one holding another CA is refused, and so is everyone once the
// hub's certificate has expired; each refusal is in the log, the status
// and the header, in the clerk's words.
func TestTLSRightCAWrongCAExpired(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001", "BJ-002")
	ca, other := harness.NewCA(t, "hq-ca"), harness.NewCA(t, "another-ca")
	good := ca.Issue(t, "hub", harness.CertOptions{CommonName: "yizhan-hub", Hosts: []string{"127.0.0.1", "localhost"}})
	expiredOn := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Minute)
	expired := ca.Issue(t, "hub-expired", harness.CertOptions{CommonName: "yizhan-hub", Hosts: []string{"127.0.0.1"},
		NotBefore: expiredOn.Add(-30 * 24 * time.Hour), NotAfter: expiredOn})
	c.startHub(hubTLSArgs(good)...)

	a := c.newAgent("SH-001")
	key := writePIIKey(t) // the counter workflows, and so the screen after login, need it
	c.startAgentVia(a, c.tlsURL(), "--ca-file", ca.CertPEM, "--pii-key-file", key)
	acked := scanMany(t, a.http, "TLS", 40, 4, nil)
	c.waitDrained(a, 60*time.Second)
	c.checkExactlyOnce("SH-001", uint64(len(acked)), acked)

	b := c.newAgent("BJ-002")
	c.startAgentVia(b, c.tlsURL(), "--ca-file", other.CertPEM, "--pii-key-file", key)
	scanMany(t, b.http, "WRONGCA", 3, 1, nil)
	msg := waitRefused(t, b, "sync.cert_unknown_ca", map[string]string{"file": other.CertPEM})
	want := "the hub's certificate is not signed by the CA in " + other.CertPEM
	if !strings.Contains(msg, want) {
		t.Errorf("last_error %q, want it to say %q", msg, want)
	}
	if !strings.Contains(b.proc.Output(), want) {
		t.Errorf("the agent's log does not say %q:\n%s", want, b.proc.Output())
	}
	if n := c.hubAcked("BJ-002"); n != 0 || len(c.hubEvents("BJ-002")) != 0 {
		t.Errorf("the hub took %d events from the outlet with the wrong CA", n)
	}
	checkHeader(t, c, b, "总部的证书不是由 "+other.CertPEM+" 中的 CA 签发的", want)

	// The same hub, now with a certificate that expired three days ago.
	c.killHub()
	c.startHub(hubTLSArgs(expired)...)
	before := c.hubAcked("SH-001")
	scanMany(t, a.http, "AFTER", 3, 1, nil)
	date := expiredOn.Format(certDate)
	msg = waitRefused(t, a, "sync.cert_expired", map[string]string{"date": date})
	want = "the hub's certificate expired on " + date
	if !strings.Contains(msg, want) || !strings.Contains(a.proc.Output(), want) {
		t.Errorf("last_error %q and the log should say %q", msg, want)
	}
	if n := c.hubAcked("SH-001"); n != before {
		t.Errorf("the hub acked %d → %d through an expired certificate", before, n)
	}
	checkHeader(t, c, a, "总部的证书已于 "+date+" 过期", want)
}

// checkHeader logs a clerk in on the agent's counter screen and waits for
// the sync indicator in its header to give the reason, in Chinese and then
// in English.
func checkHeader(t *testing.T, c *cluster, a *agent, zh, en string) {
	t.Helper()
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	b := newBrowser(t)
	has := func(s string) string {
		return fmt.Sprintf(`(document.querySelector('#sync-problem')?.innerText || '').includes(%q)`, s)
	}
	base := "http://" + a.http + "/"
	b.step(t, "open the screen in Chinese", chromedp.Navigate(base), runJS(`localStorage.setItem('yz.lang', 'zh')`))
	loginScreen(t, b, base, "c01", "1234", "张三")
	b.step(t, "the header says why in Chinese", waitJS(has(zh)))
	b.step(t, "the header says why in English",
		runJS(`localStorage.setItem('yz.lang', 'en')`),
		chromedp.Reload(),
		waitJS(has(en)))
	b.checkNoExceptions(t)
}

// TestTLSClientCertificates: with a client CA the hub takes only outlets
// that present a certificate from it naming themselves; the secret alone,
// or another outlet's certificate, no longer connects.
func TestTLSClientCertificates(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001", "BJ-002")
	ca, outletsCA := harness.NewCA(t, "hq-ca"), harness.NewCA(t, "outlets-ca")
	hubCert := ca.Issue(t, "hub", harness.CertOptions{CommonName: "yizhan-hub", Hosts: []string{"127.0.0.1"}})
	sh := outletsCA.Issue(t, "SH-001", harness.CertOptions{CommonName: "SH-001", Client: true})
	c.startHub(hubTLSArgs(hubCert, "--mqtt-tls-client-ca", outletsCA.CertPEM)...)

	a := c.newAgent("SH-001")
	c.startAgentVia(a, c.tlsURL(), "--ca-file", ca.CertPEM, "--cert-file", sh.Cert, "--key-file", sh.Key)
	acked := scanMany(t, a.http, "CERT", 10, 2, nil)
	c.waitDrained(a, 60*time.Second)
	c.checkExactlyOnce("SH-001", uint64(len(acked)), acked)

	// BJ-002 with its right secret but no certificate.
	b := c.newAgent("BJ-002")
	c.startAgentVia(b, c.tlsURL(), "--ca-file", ca.CertPEM)
	scanMany(t, b.http, "NOCERT", 2, 1, nil)
	waitRefused(t, b, "sync.client_cert_refused", nil)

	// BJ-002 with SH-001's certificate: the broker names the mismatch.
	b.proc.Stop()
	c.startAgentVia(b, c.tlsURL(), "--ca-file", ca.CertPEM, "--cert-file", sh.Cert, "--key-file", sh.Key)
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		return strings.Contains(c.hub.Output(), `the client certificate is for \"SH-001\", not outlet BJ-002`), "hub log: " + lastLines(c.hub.Output(), 5)
	})
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		s := b.sync(t)
		return !s.Connected && strings.Contains(s.LastError, "the client certificate "+sh.Cert+" (sync.cert_file) is not this outlet's"), "last_error " + s.LastError
	})
	if n := c.hubAcked("BJ-002"); n != 0 || len(c.hubEvents("BJ-002")) != 0 {
		t.Errorf("the hub took %d events from an outlet without its own certificate", n)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestPlainMQTTOffLoopbackRefused: neither program starts a plain MQTT
// link beyond this machine unless told to, and each says which setting
// tells it.
func TestPlainMQTTOffLoopbackRefused(t *testing.T) {
	c := newCluster(t, "embedded")
	exit := func(bin string, args ...string) (int, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, c.bins[bin], args...).CombinedOutput()
		if ctx.Err() != nil {
			return -1, "still running after 20 s: it started\n" + string(out)
		}
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return code, string(out)
	}
	port := strings.Split(harness.FreeAddr(t), ":")[1]
	code, out := exit("yizhan-hub", "run", "--data", c.hubDir(), "--http", harness.FreeAddr(t), "--api-token", apiToken,
		"--mqtt-listen", "0.0.0.0:"+port)
	if code != 2 || !strings.Contains(out, "mqtt.allow_plain = true (--mqtt-allow-plain)") || !strings.Contains(out, "mqtt.tls_cert") {
		t.Errorf("hub with a plain listener on every interface: exit %d, want 2 naming mqtt.allow_plain and mqtt.tls_cert:\n%s", code, out)
	}
	code, out = exit("yizhan-hub", "run", "--data", c.hubDir(), "--http", harness.FreeAddr(t), "--api-token", apiToken,
		"--broker", "tcp://hub:"+hubPass+"@192.0.2.10:1883")
	if code != 2 || !strings.Contains(out, "mqtt.allow_plain = true (--mqtt-allow-plain)") || strings.Contains(out, hubPass) {
		t.Errorf("hub with a plain external broker elsewhere: exit %d, want 2 naming mqtt.allow_plain, without the password:\n%s", code, out)
	}
	code, out = exit("yizhan-agent", "run", "--data", filepath.Join(c.dir, "agent"), "--outlet", "SH-001", "--secret", "x",
		"--http", harness.FreeAddr(t), "--broker", "tcp://192.0.2.10:1883")
	if code != 2 || !strings.Contains(out, "sync.allow_plain = true (--allow-plain)") {
		t.Errorf("agent with a plain broker elsewhere: exit %d, want 2 naming sync.allow_plain:\n%s", code, out)
	}

	// Told explicitly, the hub does listen plain on every interface.
	c.hubMQTT = "0.0.0.0:" + port
	c.startHub("--mqtt-allow-plain")
}

// TestTLSWithMosquitto: the same agent settings work against Mosquitto's
// TLS listener, with the same refusal for a wrong CA, and the hub reaches
// Mosquitto over TLS too.
func TestTLSWithMosquitto(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001", "BJ-002")
	ca, other := harness.NewCA(t, "hq-ca"), harness.NewCA(t, "another-ca")
	cert := ca.Issue(t, "mosquitto", harness.CertOptions{CommonName: "mosquitto", Hosts: []string{"127.0.0.1"}})
	tlsAddr := harness.FreeAddr(t)
	users := map[string]string{hubUser: hubPass}
	for id, s := range c.secrets {
		users[id] = s
	}
	c.mosq = harness.StartMosquitto(t, harness.MosquittoOptions{Users: users, HubUser: hubUser, ExtraConfig: fmt.Sprintf(
		"listener %s %s\ncertfile %s\nkeyfile %s\n", strings.Split(tlsAddr, ":")[1], "127.0.0.1", cert.Cert, cert.Key)})
	c.kind = "mosquitto"
	c.hub = harness.Start(t, c.bins["yizhan-hub"], "run", "--data", c.hubDir(), "--http", c.hubHTTP, "--api-token", apiToken,
		"--log-format", "text", "--broker", fmt.Sprintf("ssl://%s:%s@%s", hubUser, hubPass, tlsAddr), "--broker-ca-file", ca.CertPEM)
	harness.WaitHTTP(t, "http://"+c.hubHTTP+"/healthz", 20*time.Second)

	a := c.newAgent("SH-001")
	c.startAgentVia(a, "mqtts://"+tlsAddr, "--ca-file", ca.CertPEM)
	acked := scanMany(t, a.http, "MOSQ", 10, 2, nil)
	c.waitDrained(a, 60*time.Second)
	c.checkExactlyOnce("SH-001", uint64(len(acked)), acked)

	b := c.newAgent("BJ-002")
	c.startAgentVia(b, "mqtts://"+tlsAddr, "--ca-file", other.CertPEM)
	waitRefused(t, b, "sync.cert_unknown_ca", map[string]string{"file": other.CertPEM})
}
