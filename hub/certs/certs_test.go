package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/problem"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseCert(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newCA(t *testing.T) (string, *CA) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ca")
	if _, err := NewCA(dir, "", Options{}); err != nil {
		t.Fatal(err)
	}
	ca, err := LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, ca
}

func roots(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(readCert(t, filepath.Join(dir, CACert)))
	return pool
}

// The chain: the broker's certificate verifies for each of its names as a
// server, an outlet's as a client named for the outlet; both are P-256
// with their lifetimes, and the CA is a CA for ten years.
func TestChainNamesAndLifetimes(t *testing.T) {
	now := time.Now()
	dir, ca := newCA(t)
	caCert := readCert(t, filepath.Join(dir, CACert))
	if !caCert.IsCA || !caCert.BasicConstraintsValid || caCert.NotAfter.Before(now.AddDate(9, 11, 0)) || caCert.NotAfter.After(now.AddDate(10, 0, 1)) {
		t.Errorf("CA: is CA %v, until %s", caCert.IsCA, caCert.NotAfter)
	}
	srv, err := ca.Server([]string{"hub.example.com", "10.0.0.5", "::1"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sc := readCert(t, srv.Cert)
	for _, name := range []string{"hub.example.com", "10.0.0.5", "::1"} {
		if _, err := sc.Verify(x509.VerifyOptions{Roots: roots(t, dir), DNSName: name, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("server certificate for %s: %v", name, err)
		}
	}
	if _, err := sc.Verify(x509.VerifyOptions{Roots: roots(t, dir), DNSName: "other.example.com"}); err == nil {
		t.Error("the server certificate verifies for a name it does not hold")
	}
	if _, err := sc.Verify(x509.VerifyOptions{Roots: roots(t, dir), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("the server certificate verifies as a client's")
	}
	if d := sc.NotAfter.Sub(now); d < 729*24*time.Hour || d > 731*24*time.Hour {
		t.Errorf("server certificate lasts %s, want two years", d)
	}
	out, err := ca.Outlet("SH-001", Options{Days: 30})
	if err != nil {
		t.Fatal(err)
	}
	oc := readCert(t, out.Cert)
	if oc.Subject.CommonName != "SH-001" || filepath.Base(out.Cert) != "outlet-SH-001.crt" {
		t.Errorf("outlet certificate %s names %q", out.Cert, oc.Subject.CommonName)
	}
	if _, err := oc.Verify(x509.VerifyOptions{Roots: roots(t, dir), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("outlet certificate as a client: %v", err)
	}
	if _, err := oc.Verify(x509.VerifyOptions{Roots: roots(t, dir), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("the outlet certificate verifies as a server's")
	}
	if d := oc.NotAfter.Sub(now); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("--days 30 gave %s", d)
	}
	for _, f := range []Files{srv, out} {
		b, _ := os.ReadFile(f.Key)
		block, _ := pem.Decode(b)
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		key, ok := k.(*ecdsa.PrivateKey)
		if err != nil || !ok || key.Curve != elliptic.P256() {
			t.Errorf("%s: not a P-256 key (%v)", f.Key, err)
		}
	}
	// Another CA's certificates do not verify under this one.
	otherDir, other := newCA(t)
	foreign, err := other.Outlet("SH-001", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readCert(t, foreign.Cert).Verify(x509.VerifyOptions{Roots: roots(t, dir), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Errorf("a certificate of the CA in %s verifies under %s", otherDir, dir)
	}
	// A certificate never outlives its CA.
	short := filepath.Join(t.TempDir(), "short")
	NewCA(short, "", Options{Days: 10})
	sca, _ := LoadCA(short)
	f, err := sca.Outlet("BJ-002", Options{})
	if err != nil || !f.NotAfter.Equal(readCert(t, filepath.Join(short, CACert)).NotAfter) {
		t.Errorf("an outlet certificate of a 10-day CA lasts until %s (%v)", f.NotAfter, err)
	}
}

// Keys are the owner's only; certificates anyone's to read.
func TestKeyModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Log("Windows keeps no Unix mode bits: the directory's ACL protects the keys there")
		return
	}
	dir, ca := newCA(t)
	srv, _ := ca.Server([]string{"hub"}, Options{})
	out, _ := ca.Outlet("SH-001", Options{})
	for _, p := range []string{filepath.Join(dir, CAKey), srv.Key, out.Key} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", p, fi.Mode().Perm(), err)
		}
	}
	for _, p := range []string{filepath.Join(dir, CACert), srv.Cert, out.Cert} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v (%v), want 0644", p, fi.Mode().Perm(), err)
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("the CA directory has mode %v", fi.Mode().Perm())
	}
}

// Nothing is replaced without Force, and a refusal leaves every byte;
// with Force a renewal gets a new key and serial.
func TestNoOverwriteWithoutForce(t *testing.T) {
	dir, ca := newCA(t)
	first, err := ca.Outlet("SH-001", Options{})
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func() map[string][]byte {
		m := map[string][]byte{}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			m[e.Name()], _ = os.ReadFile(filepath.Join(dir, e.Name()))
		}
		return m
	}
	before := snapshot()
	for name, try := range map[string]func() error{
		"ca":     func() error { _, err := NewCA(dir, "", Options{}); return err },
		"outlet": func() error { _, err := ca.Outlet("SH-001", Options{}); return err },
	} {
		err := try()
		if !errors.Is(err, problem.New(problem.CertExists)) {
			t.Errorf("%s again: %v, want cert.exists", name, err)
		}
	}
	// Only the key exists (a crash between the two writes): still refused.
	os.Remove(filepath.Join(dir, ServerName+".crt"))
	os.WriteFile(filepath.Join(dir, ServerName+".key"), []byte("old"), 0o600)
	if _, err := ca.Server([]string{"hub"}, Options{}); !errors.Is(err, problem.New(problem.CertExists)) {
		t.Errorf("server over an existing key: %v", err)
	}
	os.Remove(filepath.Join(dir, ServerName+".key"))
	after := snapshot()
	if len(after) != len(before) {
		t.Fatalf("files %d, were %d", len(after), len(before))
	}
	for k, v := range before {
		if !bytes.Equal(after[k], v) {
			t.Errorf("%s changed after a refusal", k)
		}
	}
	renewed, err := ca.Outlet("SH-001", Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if renewed.Serial.Cmp(first.Serial) == 0 || bytes.Equal(before[filepath.Base(first.Key)], snapshot()[filepath.Base(first.Key)]) {
		t.Error("a forced renewal kept the serial or the key")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// Bad input is refused with its code and writes nothing.
func TestBadInput(t *testing.T) {
	dir, ca := newCA(t)
	for _, tc := range []struct {
		name string
		do   func() error
		code problem.Code
	}{
		{"server with no name", func() error { _, err := ca.Server(nil, Options{}); return err }, problem.CertBadName},
		{"server name with a space", func() error { _, err := ca.Server([]string{"hub example"}, Options{}); return err }, problem.CertBadName},
		{"server name with a slash", func() error { _, err := ca.Server([]string{"hub/x"}, Options{}); return err }, problem.CertBadName},
		{"outlet id with a slash", func() error { _, err := ca.Outlet("SH/001", Options{}); return err }, problem.CertBadName},
		{"empty outlet id", func() error { _, err := ca.Outlet("", Options{}); return err }, problem.CertBadName},
		{"negative days", func() error { _, err := ca.Outlet("SH-001", Options{Days: -1}); return err }, problem.CertBadLifetime},
		{"too many days", func() error { _, err := ca.Outlet("SH-001", Options{Days: MaxDays + 1}); return err }, problem.CertBadLifetime},
		{"no CA", func() error { _, err := LoadCA(t.TempDir()); return err }, problem.CertNoCA},
	} {
		if err := tc.do(); !errors.Is(err, problem.New(tc.code)) {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files after bad input, want the CA's 2", len(entries))
	}
	os.WriteFile(filepath.Join(dir, CAKey), []byte("not a key"), 0o600)
	if _, err := LoadCA(dir); !errors.Is(err, problem.New(problem.CertUnreadable)) {
		t.Errorf("a damaged CA key: %v", err)
	}
}

// List shows each certificate with its expiry and what is wrong with it.
func TestListExpiryAndProblems(t *testing.T) {
	dir, ca := newCA(t)
	ca.Server([]string{"hub.example.com", "10.0.0.5"}, Options{})
	ca.Outlet("SH-001", Options{Days: 10})
	_, other := newCA(t)
	foreign, _ := other.Outlet("BJ-002", Options{})
	b, _ := os.ReadFile(foreign.Cert)
	os.WriteFile(filepath.Join(dir, "outlet-BJ-002.crt"), b, 0o644)

	now := time.Now()
	list, err := List(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, in := range list {
		files = append(files, filepath.Base(in.File))
	}
	if !slices.Equal(files, []string{"ca.crt", "outlet-BJ-002.crt", "outlet-SH-001.crt", "server.crt"}) {
		t.Fatalf("listed %v", files)
	}
	if !list[0].IsCA || list[0].Problem != "" || list[1].Problem != "not signed by ca.crt" || list[2].Problem != "" || !list[2].Client ||
		list[2].DaysLeft != 9 || !slices.Equal(list[3].Names, []string{"hub.example.com", "10.0.0.5"}) || list[3].Client {
		t.Errorf("list: %+v", list)
	}
	later, _ := List(dir, now.AddDate(0, 0, 12))
	if later[2].Problem != "expired" || later[2].DaysLeft >= 0 {
		t.Errorf("12 days on, the outlet's 10-day certificate: %+v", later[2])
	}
}

// A forced renewal of an outlet's certificate revokes the one it replaced;
// Revoke does the same for a lost PC; the list shows both revoked, and a
// certificate of another CA is not revoked here.
func TestRenewalRevokes(t *testing.T) {
	dir, ca := newCA(t)
	first, _ := ca.Outlet("SH-001", Options{})
	if first.Replaced != nil {
		t.Fatalf("a first certificate replaced %v", first.Replaced)
	}
	second, err := ca.Outlet("SH-001", Options{Force: true})
	if err != nil || second.Replaced == nil || second.Replaced.Cmp(first.Serial) != 0 {
		t.Fatalf("renewal: replaced %v (%v), want %v", second.Replaced, err, first.Serial)
	}
	bj, _ := ca.Outlet("BJ-002", Options{})
	if _, err := ca.Revoke(bj.Cert); err != nil {
		t.Fatal(err)
	}
	got, err := RevokedSerials(dir)
	if err != nil || !slices.Equal(got, []string{first.Serial.Text(16), bj.Serial.Text(16)}) {
		t.Fatalf("revoked %v (%v)", got, err)
	}
	in, _ := Show(filepath.Join(dir, "outlet-BJ-002.crt"), time.Now())
	if in.Problem != "revoked" {
		t.Errorf("a revoked certificate shows %+v", in)
	}
	if in, _ := Show(second.Cert, time.Now()); in.Problem != "" {
		t.Errorf("the renewed certificate shows %+v", in)
	}
	_, other := newCA(t)
	foreign, _ := other.Outlet("GZ-003", Options{})
	if _, err := ca.Revoke(foreign.Cert); !errors.Is(err, problem.New(problem.CertNotOurs)) {
		t.Errorf("revoke another CA's certificate: %v", err)
	}
	if _, err := ca.Revoke(filepath.Join(dir, "outlet-XX-9.crt")); !errors.Is(err, problem.New(problem.CertUnreadable)) {
		t.Errorf("revoke a missing certificate: %v", err)
	}
}
