// Package expiry says when certificates end: the earliest NotAfter of the
// certificates in a PEM file's bytes, and how a program should judge it
// (ok, expiring soon, expired). Reading the file is each program's own
// I/O; both programs' metrics and the agent's doctor use this one rule.
package expiry

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// Warn is how long before its end a certificate is reported as expiring:
// the doctor warns from then on. The sample alert fires at half of it.
const Warn = 30 * 24 * time.Hour

// ErrNoCertificate is returned for PEM bytes that hold no certificate.
var ErrNoCertificate = errors.New("no PEM certificate")

// Earliest is the certificate in data (PEM, one or more CERTIFICATE
// blocks; other blocks such as a key are skipped) that ends first.
func Earliest(data []byte) (*x509.Certificate, error) {
	var first *x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		if first == nil || c.NotAfter.Before(first.NotAfter) {
			first = c
		}
	}
	if first == nil {
		return nil, ErrNoCertificate
	}
	return first, nil
}

// State is how a certificate's end is judged at a moment.
type State int

const (
	OK       State = iota // more than Warn left
	Expiring              // valid, but ending within Warn
	Expired               // past NotAfter
)

// Judge is the state of a certificate ending at notAfter, at now.
func Judge(notAfter, now time.Time) State {
	switch left := notAfter.Sub(now); {
	case left <= 0:
		return Expired
	case left <= Warn:
		return Expiring
	}
	return OK
}
