// Package certs makes head office's certificate authority and the
// certificates its MQTT link uses: the broker's server certificate (the
// hub's embedded broker, or Mosquitto) and each outlet's client
// certificate, whose common name is the outlet id the broker checks. Keys
// are ECDSA P-256, written readable by their owner only; no file is ever
// replaced unless the caller says so.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// The files in a CA directory.
const (
	CACert = "ca.crt"
	CAKey  = "ca.key"
	// ServerName is the base name of the broker's certificate and key.
	ServerName = "server"
	// Revoked lists the serials of outlet certificates the broker must no
	// longer take (mqtt.tls_client_revoked), one hex serial a line.
	Revoked = "revoked.txt"
)

// OutletName is the base name of an outlet's certificate and key.
func OutletName(id string) string { return "outlet-" + id }

// Default lifetimes, in days: the CA outlives many server and outlet
// certificates; those are renewed every two years.
const (
	CADays     = 3650
	ServerDays = 730
	OutletDays = 730
	// MaxDays bounds any lifetime (about 30 years).
	MaxDays = 11000
)

// Files are the two files written for one certificate.
type Files struct {
	Cert, Key string
	NotAfter  time.Time
	Serial    *big.Int
	// Replaced is the serial of the certificate a forced renewal of an
	// outlet's replaced and revoked; nil if none.
	Replaced *big.Int
}

// Options are what every certificate takes.
type Options struct {
	// Days is the lifetime from Now; the kind's default if 0.
	Days int
	// Force replaces existing files; without it an existing file is an
	// error (cert.exists) and nothing is written.
	Force bool
	// Now is the start of the lifetime; time.Now if zero.
	Now time.Time
}

func (o Options) span(def int) (time.Time, time.Time, error) {
	days := o.Days
	if days == 0 {
		days = def
	}
	if days < 1 || days > MaxDays {
		return time.Time{}, time.Time{}, problem.New(problem.CertBadLifetime, "value", days, "max", MaxDays)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	// A little back, so a PC whose clock is a few minutes behind accepts
	// a certificate made a moment ago.
	from := now.Add(-5 * time.Minute).UTC().Truncate(time.Second)
	return from, now.AddDate(0, 0, days).UTC().Truncate(time.Second), nil
}

// NewCA makes the CA in dir (created if missing), named name.
func NewCA(dir, name string, o Options) (Files, error) {
	from, until, err := o.span(CADays)
	if err != nil {
		return Files{}, err
	}
	if name == "" {
		name = "Yizhan head office CA"
	}
	f := Files{Cert: filepath.Join(dir, CACert), Key: filepath.Join(dir, CAKey), NotAfter: until}
	if err := free(o.Force, f.Cert, f.Key); err != nil {
		return Files{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Files{}, err
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: name, Organization: []string{"Yizhan"}}, NotBefore: from, NotAfter: until,
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	return write(dir, f, tmpl, tmpl, key, key)
}

// CA is a loaded CA that issues certificates.
type CA struct {
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// LoadCA reads the CA in dir; cert.no_ca when there is none.
func LoadCA(dir string) (*CA, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, CACert))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, problem.New(problem.CertNoCA, "dir", dir)
	} else if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, CAKey))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, problem.New(problem.CertNoCA, "dir", dir)
	} else if err != nil {
		return nil, err
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, problem.Wrap(err, problem.CertUnreadable, "path", filepath.Join(dir, CACert))
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, problem.New(problem.CertUnreadable, "path", filepath.Join(dir, CAKey))
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	key, ok := k.(*ecdsa.PrivateKey)
	if err != nil || !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, problem.New(problem.CertUnreadable, "path", filepath.Join(dir, CAKey))
	}
	return &CA{dir: dir, cert: cert, key: key}, nil
}

// Server issues the broker's certificate for names: host names and IP
// addresses the outlets connect to (the first is its common name).
func (ca *CA) Server(names []string, o Options) (Files, error) {
	if len(names) == 0 {
		return Files{}, problem.New(problem.CertBadName, "value", "")
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: names[0]}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if validHost(n) {
			tmpl.DNSNames = append(tmpl.DNSNames, strings.ToLower(n))
		} else {
			return Files{}, problem.New(problem.CertBadName, "value", n)
		}
	}
	return ca.issue(ServerName, tmpl, ServerDays, o)
}

// Outlet issues outlet id's client certificate: its common name is the id,
// which the broker compares with the MQTT user name.
func (ca *CA) Outlet(id string, o Options) (Files, error) {
	if err := syncproto.ValidOutletID(id); err != nil {
		return Files{}, problem.Wrap(err, problem.CertBadName, "value", id)
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: id, OrganizationalUnit: []string{"outlet"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	// A renewal revokes the certificate it replaces: the old PC's files
	// must stop working when the new ones are installed.
	old, _ := ca.own(filepath.Join(ca.dir, OutletName(id)+".crt"))
	f, err := ca.issue(OutletName(id), tmpl, OutletDays, o)
	if err != nil || old == nil {
		return f, err
	}
	if err := ca.revoke(old); err != nil {
		return f, err
	}
	f.Replaced = old.SerialNumber
	return f, nil
}

// own reads a certificate this CA issued; nil if there is none at path.
func (ca *CA) own(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := parseCert(b)
	if err != nil {
		return nil, problem.Wrap(err, problem.CertUnreadable, "path", path)
	}
	if err := c.CheckSignatureFrom(ca.cert); err != nil {
		return nil, problem.Wrap(err, problem.CertNotOurs, "path", path)
	}
	return c, nil
}

// Revoke adds the certificate at path, which this CA issued, to the
// revocation list, and returns it.
func (ca *CA) Revoke(path string) (*x509.Certificate, error) {
	c, err := ca.own(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, problem.Wrap(err, problem.CertUnreadable, "path", path)
	} else if err != nil {
		return nil, err
	}
	return c, ca.revoke(c)
}

func (ca *CA) revoke(c *x509.Certificate) error {
	path := filepath.Join(ca.dir, Revoked)
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	line := fmt.Sprintf("%s # %s, until %s, revoked %s\n", c.SerialNumber.Text(16), c.Subject.CommonName,
		c.NotAfter.UTC().Format("2006-01-02"), time.Now().UTC().Format(time.RFC3339))
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	// Replaced whole, so the broker never reads half a line.
	return replace(path, append(old, line...), 0o644)
}

// RevokedSerials lists the serials (hex) in dir's revocation list.
func RevokedSerials(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, Revoked))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if s, _, _ := strings.Cut(line, "#"); strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out, nil
}

func (ca *CA) issue(name string, tmpl *x509.Certificate, days int, o Options) (Files, error) {
	from, until, err := o.span(days)
	if err != nil {
		return Files{}, err
	}
	if until.After(ca.cert.NotAfter) {
		// A certificate cannot outlive the CA that vouches for it.
		until = ca.cert.NotAfter
	}
	tmpl.NotBefore, tmpl.NotAfter, tmpl.KeyUsage = from, until, x509.KeyUsageDigitalSignature
	f := Files{Cert: filepath.Join(ca.dir, name+".crt"), Key: filepath.Join(ca.dir, name+".key"), NotAfter: until}
	if err := free(o.Force, f.Cert, f.Key); err != nil {
		return Files{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Files{}, err
	}
	return write(ca.dir, f, tmpl, ca.cert, key, ca.key)
}

// free refuses paths that exist, unless force.
func free(force bool, paths ...string) error {
	if force {
		return nil
	}
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return problem.New(problem.CertExists, "path", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func write(dir string, f Files, tmpl, parent *x509.Certificate, key *ecdsa.PrivateKey, signer *ecdsa.PrivateKey) (Files, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return Files{}, err
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return Files{}, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Files{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Files{}, err
	}
	// The key first: a certificate on disk without its key is of no use,
	// and the other order could leave a new certificate beside an old key.
	if err := replace(f.Key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return Files{}, err
	}
	if err := replace(f.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return Files{}, err
	}
	f.Serial = tmpl.SerialNumber
	return f, nil
}

// replace writes b to path through a temporary file in the same
// directory, renamed over it, with mode set before any byte is written.
func replace(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func parseCert(b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// validHost accepts a DNS name: labels of letters, digits and hyphens.
func validHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Info describes one certificate in a CA directory.
type Info struct {
	File     string    `json:"file"`
	Subject  string    `json:"subject"`
	Names    []string  `json:"names,omitempty"` // DNS names and IP addresses
	Serial   string    `json:"serial"`
	IsCA     bool      `json:"is_ca"`
	Client   bool      `json:"client"` // an outlet's
	NotAfter time.Time `json:"not_after"`
	// DaysLeft is whole days until NotAfter from the time List was given;
	// negative once expired.
	DaysLeft int `json:"days_left"`
	// Problem is why the certificate is not good now ("" when it is): it
	// does not chain to the directory's CA, it has expired, or it is not
	// valid yet.
	Problem string `json:"problem,omitempty"`
}

// Show reads one certificate file and checks it against the CA in its
// directory (if there is one) at now.
func Show(path string, now time.Time) (Info, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Info{}, err
	}
	c, err := parseCert(b)
	if err != nil {
		return Info{}, problem.Wrap(err, problem.CertUnreadable, "path", path)
	}
	in := Info{File: path, Subject: c.Subject.CommonName, Serial: c.SerialNumber.Text(16), IsCA: c.IsCA,
		Client: slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth), NotAfter: c.NotAfter,
		DaysLeft: int(c.NotAfter.Sub(now).Hours() / 24)}
	if c.NotAfter.Before(now) {
		in.DaysLeft = -int(now.Sub(c.NotAfter).Hours()/24) - 1
	}
	in.Names = append(in.Names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		in.Names = append(in.Names, ip.String())
	}
	switch {
	case now.After(c.NotAfter):
		in.Problem = "expired"
	case now.Before(c.NotBefore):
		in.Problem = "not yet valid"
	}
	if revoked, _ := RevokedSerials(filepath.Dir(path)); in.Problem == "" && !c.IsCA && slices.Contains(revoked, in.Serial) {
		in.Problem = "revoked"
	}
	if in.Problem == "" && !c.IsCA {
		if caPEM, err := os.ReadFile(filepath.Join(filepath.Dir(path), CACert)); err == nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(caPEM)
			if _, err := c.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				in.Problem = "not signed by " + CACert
			}
		}
	}
	return in, nil
}

// List shows every certificate (*.crt) in dir, the CA first, then by file
// name.
func List(dir string, now time.Time) ([]Info, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.crt"))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(paths, func(a, b string) int {
		if (filepath.Base(a) == CACert) != (filepath.Base(b) == CACert) {
			if filepath.Base(a) == CACert {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	var out []Info
	for _, p := range paths {
		in, err := Show(p, now)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, in)
	}
	return out, nil
}
