// Package pii protects customers' personal data: phone numbers, names, ID
// numbers, addresses and the free text customers tell the counter. The
// sealing itself is syncproto/sealed, which head office shares; this
// package holds an outlet's keys, loads them from files, and masks.
//
// What it promises:
//
//   - Sealing. Keys.Seal encrypts a value under this outlet's own key and
//     binds the field kind, the record (entity kind and id) and the outlet,
//     so a sealed phone number cannot be opened as a name, nor as another
//     parcel's phone. Keys.Open refuses anything sealed under another key,
//     altered, moved, or in a format it does not know, each with its own
//     error.
//   - One key per outlet. Head office derives every outlet's key from its
//     master key and issues each outlet only its own (yizhan-hub outlet
//     key), so a stolen outlet PC opens only that outlet's values.
//   - Customer ids. Keys.CustomerID is a keyed hash (HMAC-SHA256) of the
//     normalised phone number under a key every outlet shares: the same
//     phone gives the same id at every outlet and at the hub, and the id
//     reveals nothing without the key.
//   - Old values. The single shared key of earlier releases is head
//     office's master key. An outlet still configured with it (upgrading)
//     seals under its derived outlet key and opens its old "v1" values; an
//     outlet key file issued with the legacy secret opens them too.
//   - Keys come from configuration (a key file or YZ_PII_KEY), never from
//     the data file they protect.
//   - Masking. MaskPhone, MaskName and MaskID never need a key and never
//     show more than the last four characters of a phone number in a row.
//     Errors in this package never quote a personal value.
package pii

import (
	"fmt"

	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// Field kinds, bound into every sealed value.
const (
	KindPhone        = sealed.Phone
	KindName         = sealed.Name
	KindIDNumber     = sealed.IDNumber
	KindAddress      = sealed.Address
	KindText         = sealed.Text
	KindConfirmation = sealed.Confirmation
)

// Record is what a sealed value belongs to: an entity kind and id.
type Record = sealed.Record

// KeySize is the length of a key in bytes.
const KeySize = sealed.KeySize

// Errors from Open; match them with errors.Is.
var (
	ErrUnknownVersion = sealed.ErrUnknownVersion
	ErrWrongKey       = sealed.ErrWrongKey
	ErrTampered       = sealed.ErrTampered
	ErrMalformed      = sealed.ErrMalformed
	ErrUnknownKind    = sealed.ErrUnknownKind
	// ErrLegacyKey wraps ErrWrongKey: a v1 value this outlet holds no
	// legacy key for; head office opens it with the master key.
	ErrLegacyKey = problem.Wrap(sealed.ErrWrongKey, problem.PIILegacyKey)
)

// Keys seal, open and hash one outlet's personal data. A Keys is safe for
// concurrent use.
type Keys struct {
	seal     *sealed.Key
	legacy   *sealed.Legacy // nil: v1 values do not open here
	customer []byte
	master   bool // loaded from the installation's master key
}

// NewKeys takes the installation's master key (the single shared key of
// earlier releases) for outlet: it seals under the outlet's derived key and
// opens old values. Head office's master at an outlet is for upgrading
// only: replace it with the key file yizhan-hub outlet key writes.
func NewKeys(master []byte, outlet string) (*Keys, error) {
	m, err := sealed.NewMaster(master)
	if err != nil {
		return nil, err
	}
	legacy, _ := sealed.NewLegacy(master)
	return &Keys{seal: m.Outlet(outlet), legacy: legacy, customer: m.CustomerSecret(), master: true}, nil
}

// FromKeyFile takes the key file head office issued to one outlet.
func FromKeyFile(f sealed.KeyFile) (*Keys, error) {
	k, err := sealed.NewKey(f.Outlet, f.Seal)
	if err != nil {
		return nil, err
	}
	out := &Keys{seal: k, customer: f.Customer}
	if f.Legacy != nil {
		if out.legacy, err = sealed.LegacyFromSecret(f.Legacy.Seal, f.Legacy.KeyID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// KeyID is the fingerprint written into every value sealed here; safe to
// log.
func (k *Keys) KeyID() string { return k.seal.KeyID() }

// Outlet is the outlet these keys seal for.
func (k *Keys) Outlet() string { return k.seal.Outlet() }

// HoldsMaster reports whether these keys came from the installation's
// master key, which an outlet should hold only while upgrading.
func (k *Keys) HoldsMaster() bool { return k.master }

// OpensLegacy reports whether values sealed under the old shared key open
// here.
func (k *Keys) OpensLegacy() bool { return k.legacy != nil }

// ValidKind reports whether kind is one of the field kinds.
func ValidKind(kind string) bool { return sealed.ValidField(kind) }

// Seal encrypts plaintext as field kind of rec. Every call uses a new
// random nonce, so sealing the same value twice gives different strings;
// use CustomerID to look values up. Seal panics on an unknown kind: that
// is a programming error which any test of the caller finds.
func (k *Keys) Seal(kind string, rec Record, plaintext string) string {
	return k.seal.Seal(kind, rec, plaintext)
}

// Open decrypts a value sealed as kind of rec, in this release's format or
// (with a legacy key) the old one. Its errors wrap ErrUnknownVersion,
// ErrWrongKey, ErrTampered, ErrMalformed or ErrUnknownKind.
func (k *Keys) Open(kind string, rec Record, s string) (string, error) {
	v, err := sealed.Parse(s)
	if err == nil && v.Version == sealed.V1 {
		if !ValidKind(kind) {
			return "", fmt.Errorf("%w (%q)", ErrUnknownKind, kind)
		}
		if k.legacy == nil {
			return "", ErrLegacyKey
		}
		return k.legacy.Open(kind, s)
	}
	return k.seal.Open(kind, rec, s)
}

// CustomerID identifies a customer by phone number without storing it: the
// first 32 hex characters of HMAC-SHA256 over NormalizePhone(phone).
func (k *Keys) CustomerID(phone string) string {
	return sealed.CustomerID(k.customer, NormalizePhone(phone))
}

// Reseal re-seals a value sealed under the old shared key as kind of rec
// under this outlet's key; a value already in this release's format comes
// back as it is. It fails, leaving the value to its caller, when the old
// value does not open here.
func (k *Keys) Reseal(kind string, rec Record, old string) (string, error) {
	v, err := sealed.Parse(old)
	if err != nil {
		return "", err
	}
	if v.Version != sealed.V1 {
		return old, nil
	}
	plain, err := k.Open(kind, rec, old)
	if err != nil {
		return "", err
	}
	return k.Seal(kind, rec, plain), nil
}
