package broker

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"slices"

	"github.com/yizhan/yizhan/syncproto"
)

// TLSFiles are the broker's certificate files, PEM.
type TLSFiles struct {
	// CertFile and KeyFile are the broker's certificate (with any
	// intermediates after it) and its key. Both or neither.
	CertFile, KeyFile string
	// ClientCAFile, if set, holds the CA that signs the outlets' client
	// certificates; every outlet must then present one.
	ClientCAFile string
	// RevokedFile, if set, lists the serials (hex, one a line, '#'
	// comments) of client certificates the CA issued that are no longer
	// taken. It is read again whenever it changes; a missing file revokes
	// none, a file that cannot be read refuses every client certificate.
	RevokedFile string
}

// On reports whether the listener speaks TLS.
func (f TLSFiles) On() bool { return f.CertFile != "" }

// CheckListen refuses settings the broker must not start with, without
// reading any file: a certificate without its key, a client CA without a
// certificate, and plain MQTT on an address other than loopback unless
// allowPlain. The hub's settings check and Start both call it; its words
// name the settings because an operator reads them at start.
func CheckListen(addr string, f TLSFiles, allowPlain bool) error {
	switch {
	case (f.CertFile == "") != (f.KeyFile == ""):
		return fmt.Errorf("mqtt.tls_cert (--mqtt-tls-cert) and mqtt.tls_key (--mqtt-tls-key) go together: give both, or neither")
	case f.ClientCAFile != "" && !f.On():
		return fmt.Errorf("mqtt.tls_client_ca (--mqtt-tls-client-ca) needs TLS: set mqtt.tls_cert and mqtt.tls_key too")
	case f.RevokedFile != "" && f.ClientCAFile == "":
		return fmt.Errorf("mqtt.tls_client_revoked (--mqtt-tls-client-revoked) revokes client certificates: set mqtt.tls_client_ca too")
	case f.On() || allowPlain:
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("mqtt.listen %q is not host:port, e.g. 127.0.0.1:1883 or 0.0.0.0:8883: %v", addr, err)
	}
	if syncproto.LoopbackHost(host) {
		return nil
	}
	where := host
	if where == "" || where == "0.0.0.0" || where == "::" {
		where = "every network interface"
	}
	return fmt.Errorf("mqtt.listen %s would take plain MQTT on %s: outlet secrets and events would cross the network unencrypted; set mqtt.tls_cert and mqtt.tls_key (--mqtt-tls-cert, --mqtt-tls-key) to listen with TLS, listen on 127.0.0.1, or set mqtt.allow_plain = true (--mqtt-allow-plain) only where the network itself is protected",
		addr, where)
}

// config reads the files; nil without TLS.
func (f TLSFiles) config() (*tls.Config, error) {
	if !f.On() {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load the broker's certificate (mqtt.tls_cert %s, mqtt.tls_key %s): %w", f.CertFile, f.KeyFile, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if f.ClientCAFile != "" {
		pem, err := os.ReadFile(f.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("read the outlets' client CA (mqtt.tls_client_ca): %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the outlets' client CA file %s (mqtt.tls_client_ca) holds no PEM certificate", f.ClientCAFile)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
		if f.RevokedFile != "" {
			rl := &revocations{path: f.RevokedFile}
			if _, err := rl.load(); err != nil {
				return nil, err
			}
			cfg.VerifyPeerCertificate = rl.verify
		}
	}
	return cfg, nil
}

// certNames says why conn's verified client certificate does not belong
// to outlet, or "" when its common name or one of its DNS names is the
// outlet id.
func certNames(conn net.Conn, outlet string) string {
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return "client certificates are required, but the connection is not TLS"
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "no client certificate"
	}
	c := certs[0]
	if c.Subject.CommonName == outlet || slices.Contains(c.DNSNames, outlet) {
		return ""
	}
	return fmt.Sprintf("the client certificate is for %q, not outlet %s", c.Subject.CommonName, outlet)
}
