package syncclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Broker URL schemes. The agent dials itself (see Client.dial), so these
// are the ones it accepts, not paho's list: the plain ones and the names
// paho, Mosquitto's tools and other clients use for MQTT over TLS.
var (
	plainSchemes = []string{"tcp", "mqtt"}
	tlsSchemes   = []string{"tls", "ssl", "mqtts", "tcps"}
)

// Broker is a checked broker URL.
type Broker struct {
	URL *url.URL
	// TLS is true for tls://, ssl://, mqtts:// and tcps://.
	TLS bool
	// HostPort is what to dial, with the conventional port (1883 plain, 8883
	// over TLS) when the URL names none.
	HostPort string
}

// ParseBroker checks a broker URL and the transport rule: plain MQTT only
// to this machine, unless allowPlain. Its errors name the settings
// (sync.broker, sync.allow_plain) because an operator reads them at start.
func ParseBroker(raw string, allowPlain bool) (Broker, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return Broker{}, fmt.Errorf("broker %q is not a URL such as tls://hub.example.internal:8883", raw)
	}
	b := Broker{URL: u}
	port := syncproto.PlainMQTTPort
	switch s := strings.ToLower(u.Scheme); {
	case contains(tlsSchemes, s):
		b.TLS, port = true, syncproto.TLSMQTTPort
	case contains(plainSchemes, s):
	default:
		return Broker{}, fmt.Errorf("broker %q: unsupported scheme %q: use tls://host:8883 (also ssl://, mqtts://, tcps://), or tcp://127.0.0.1:1883 for a broker on this machine", raw, u.Scheme)
	}
	if u.Port() != "" {
		port = u.Port()
	}
	b.HostPort = net.JoinHostPort(u.Hostname(), port)
	if !b.TLS && !allowPlain && !syncproto.LoopbackHost(u.Hostname()) {
		return Broker{}, fmt.Errorf("broker %s is plain MQTT to %s, which is not this machine: the outlet's secret and every event would cross the network unencrypted; use tls://%s:%s with sync.ca_file (--ca-file), or set sync.allow_plain = true (--allow-plain) only where the network itself is protected",
			raw, u.Hostname(), u.Hostname(), syncproto.TLSMQTTPort)
	}
	return b, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TLSFiles are the files of an encrypted link to the hub.
type TLSFiles struct {
	// CAFile holds the CA certificate(s), PEM, that the hub's broker
	// certificate must be signed by. Required with a TLS broker.
	CAFile string
	// CertFile and KeyFile are this outlet's client certificate and key,
	// PEM, for a broker that asks for one; both or neither.
	CertFile, KeyFile string
}

// CheckTLSFiles checks which files go with which broker, without reading
// them: the settings check calls it, and tlsConfig reads them at start.
func CheckTLSFiles(b Broker, f TLSFiles) error {
	switch {
	case b.TLS && f.CAFile == "":
		return errors.New("sync.ca_file (--ca-file) is required with a TLS broker: the file with head office's CA certificate (PEM), which the hub's certificate must be signed by")
	case !b.TLS && (f.CAFile != "" || f.CertFile != ""):
		return fmt.Errorf("sync.ca_file and sync.cert_file are for a TLS broker, but sync.broker %s is plain: use tls://%s:%s", b.URL, b.URL.Hostname(), syncproto.TLSMQTTPort)
	case (f.CertFile == "") != (f.KeyFile == ""):
		return errors.New("sync.cert_file (--cert-file) and sync.key_file (--key-file) go together: give both, or neither")
	}
	return nil
}

// tlsConfig reads the files; nil for a plain broker.
func tlsConfig(b Broker, f TLSFiles, now func() time.Time) (*tls.Config, error) {
	if !b.TLS {
		return nil, nil
	}
	if err := CheckTLSFiles(b, f); err != nil {
		return nil, err
	}
	pem, err := os.ReadFile(f.CAFile)
	if err != nil {
		return nil, fmt.Errorf("read the hub's CA file (sync.ca_file): %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the hub's CA file %s (sync.ca_file) holds no PEM certificate", f.CAFile)
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: b.URL.Hostname(), MinVersion: tls.VersionTLS12, Time: now}
	if f.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load this outlet's client certificate (sync.cert_file %s, sync.key_file %s): %w", f.CertFile, f.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// handshake runs the TLS handshake on conn and words a refusal of the
// hub's certificate for the clerk and the operator.
func (c *Client) handshake(conn net.Conn, timeout time.Duration) (net.Conn, error) {
	tc := tls.Client(conn, c.tls)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, c.certError(err)
	}
	return tc, nil
}

// certDate is how a certificate's date is shown: the same in both
// languages, in UTC, to the minute.
const certDate = "2006-01-02 15:04 UTC"

// certError is the reason a TLS handshake failed, as a catalog error.
func (c *Client) certError(err error) error {
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
	)
	switch {
	case errors.As(err, &unknown):
		return problem.Wrap(err, problem.SyncCertUnknownCA, "file", c.files.CAFile)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired && invalid.Cert != nil:
		if now := c.cfg.Clock.Now(); now.Before(invalid.Cert.NotBefore) {
			return problem.Wrap(err, problem.SyncCertNotYetValid, "date", invalid.Cert.NotBefore.UTC().Format(certDate))
		}
		return problem.Wrap(err, problem.SyncCertExpired, "date", invalid.Cert.NotAfter.UTC().Format(certDate))
	case errors.As(err, &hostname) && hostname.Certificate != nil:
		names := hostname.Certificate.DNSNames
		for _, ip := range hostname.Certificate.IPAddresses {
			names = append(names, ip.String())
		}
		return problem.Wrap(err, problem.SyncCertWrongHost, "host", hostname.Host, "names", names)
	}
	return problem.Wrap(err, problem.SyncTLSFailed, "detail", err.Error())
}

// clientCertError words a TLS alert the hub sent about this outlet's
// certificate: with TLS 1.3 such a refusal shows only on the first read
// after the handshake, as a "remote error" (crypto/tls keeps the alert
// type unexported). nil for any other error.
func clientCertError(err error) error {
	s := err.Error()
	i := strings.Index(s, "remote error: tls: ")
	if i < 0 {
		return nil
	}
	alert := s[i+len("remote error: tls: "):]
	for _, a := range []string{"certificate required", "bad certificate", "unknown certificate authority", "expired certificate", "certificate revoked", "unsupported certificate"} {
		if strings.HasPrefix(alert, a) {
			return problem.Wrap(err, problem.SyncClientCertRefused, "detail", a)
		}
	}
	return nil
}
