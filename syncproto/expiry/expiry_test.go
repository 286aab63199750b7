package expiry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

func certPEM(t *testing.T, notAfter time.Time) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
		NotBefore: notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestEarliest: of several certificates (a CA bundle) the one ending first
// counts, and a key block in between is skipped.
func TestEarliest(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	late, soon := now.Add(400*24*time.Hour).Truncate(time.Second), now.Add(10*24*time.Hour).Truncate(time.Second)
	data := append(certPEM(t, late), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1}})...)
	data = append(data, certPEM(t, soon)...)
	c, err := Earliest(data)
	if err != nil {
		t.Fatal(err)
	}
	if !c.NotAfter.Equal(soon) {
		t.Fatalf("earliest %v, want %v", c.NotAfter, soon)
	}
	if _, err := Earliest([]byte("not pem")); err != ErrNoCertificate {
		t.Fatalf("no certificate: %v", err)
	}
}

func TestJudge(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		left time.Duration
		want State
	}{{-time.Second, Expired}, {0, Expired}, {time.Hour, Expiring}, {Warn, Expiring}, {Warn + time.Second, OK}} {
		if got := Judge(now.Add(c.left), now); got != c.want {
			t.Errorf("left %v: %v, want %v", c.left, got, c.want)
		}
	}
}
