// Package sealed is the sealing core both programs share: how a personal
// value is sealed at an outlet and opened there or at head office, and how
// the keys are derived. It does no I/O; agent/pii wraps it with key files
// and masking.
//
// What it promises:
//
//   - A key per outlet. Head office holds one 32-byte master key; each
//     outlet's sealing key is HKDF-SHA256 of the master and the outlet id,
//     so head office derives any outlet's key and an outlet holds only its
//     own. Outlet B's key cannot open what outlet A sealed.
//   - A shared customer-id key, HKDF of the master under the label the
//     single shared key used, so a customer's id is the same at every
//     outlet and the same as before per-outlet keys.
//   - Record-bound values. A value is sealed with AES-256-GCM under a fresh
//     nonce, with the field kind, the record (entity kind and id) and the
//     outlet as additional data: a value copied into another record, field
//     or outlet fails to open.
//   - Legacy values stay readable. Values sealed under the old single key
//     ("v1") open with the master (Legacy) and name their key id, so they
//     can be told apart and re-sealed.
//
// A value looks like
//
//	v2:<key id, 8 hex>:<base64url of nonce | ciphertext | tag>
//
// The key id is a fingerprint of the outlet key under its own HKDF label;
// it lets Open tell "another outlet's key" from "tampered" and reveals
// nothing about the key.
package sealed

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// KeySize is the length of every key here in bytes.
const KeySize = 32

// Field kinds, bound into every sealed value.
const (
	Phone        = "phone"
	Name         = "name"
	IDNumber     = "id_number"
	Address      = "address"      // a sender's or recipient's address
	Text         = "text"         // free text a customer told the counter
	Confirmation = "confirmation" // a pickup's confirmation, which holds the recipient's name
)

// ValidField reports whether field is one of the field kinds.
func ValidField(field string) bool {
	switch field {
	case Phone, Name, IDNumber, Address, Text, Confirmation:
		return true
	}
	return false
}

// legacyFields are the kinds the v1 format knew.
func legacyField(field string) bool { return field == Phone || field == Name || field == IDNumber }

// Record is what a value belongs to: the entity kind and id (a parcel's
// waybill, a complaint's id). The outlet comes from the key.
type Record struct {
	Kind string
	ID   string
}

const (
	V1 = "v1" // the old single shared key, kind-bound only
	V2 = "v2" // per-outlet keys, record-bound

	nonceSize = 12
	tagSize   = 16
	keyIDSize = 4

	// HKDF labels: changing one changes every derived key. The v1 labels
	// are those of the single shared key and must not change.
	infoV1Seal  = "yizhan pii v1 seal aes-256-gcm"
	infoV1KeyID = "yizhan pii v1 key-id"
	infoHash    = "yizhan pii v1 customer-id hmac-sha256"
	infoOutlet  = "yizhan sealed v2 outlet key\x00"
	infoV2Seal  = "yizhan sealed v2 seal aes-256-gcm"
	infoV2KeyID = "yizhan sealed v2 key-id"

	customerIDLen = 32 // hex characters
)

// Errors from Open and Parse; match them with errors.Is.
var (
	ErrUnknownVersion = problem.New(problem.PIIUnknownVersion)
	ErrWrongKey       = problem.New(problem.PIIWrongKey)
	ErrTampered       = problem.New(problem.PIITampered)
	ErrMalformed      = problem.New(problem.PIIMalformed)
	ErrUnknownKind    = problem.New(problem.PIIUnknownKind)
)

// Value is a sealed value taken apart.
type Value struct {
	Version string
	KeyID   string
	Body    []byte // nonce | ciphertext | tag
}

// Parse takes a sealed value apart without opening it.
func Parse(s string) (Value, error) {
	ver, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Value{}, ErrMalformed
	}
	if ver != V1 && ver != V2 {
		return Value{}, fmt.Errorf("%w (found %.8q)", ErrUnknownVersion, ver)
	}
	kid, body, ok := strings.Cut(rest, ":")
	if !ok || len(kid) != 2*keyIDSize {
		return Value{}, ErrMalformed
	}
	if _, err := hex.DecodeString(kid); err != nil {
		return Value{}, ErrMalformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < nonceSize+tagSize {
		return Value{}, ErrMalformed
	}
	return Value{Version: ver, KeyID: kid, Body: raw}, nil
}

// IsSealed reports whether s has the form of a sealed value of a known
// version (it may still fail to open).
func IsSealed(s string) bool {
	_, err := Parse(s)
	return err == nil
}

func derive(secret []byte, info string, n int) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, info, n)
	if err != nil {
		panic(err) // only for lengths over 255*32, which none here is
	}
	return k
}

func newAEAD(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // key is always 32 bytes here
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

func checkSize(b []byte) error {
	if len(b) != KeySize {
		return problem.New(problem.PIIKeySize, "size", len(b), "want", KeySize)
	}
	return nil
}

// OutletSecret derives outlet's sealing secret from head office's master
// key: what head office issues to that outlet, and never the master.
func OutletSecret(master []byte, outlet string) ([]byte, error) {
	if err := checkSize(master); err != nil {
		return nil, err
	}
	return derive(master, infoOutlet+outlet, KeySize), nil
}

// CustomerSecret derives the customer-id key every outlet shares from the
// master key.
func CustomerSecret(master []byte) ([]byte, error) {
	if err := checkSize(master); err != nil {
		return nil, err
	}
	return derive(master, infoHash, KeySize), nil
}

// Key seals and opens one outlet's values. It is safe for concurrent use.
type Key struct {
	outlet string
	aead   cipher.AEAD
	id     string
}

// NewKey makes outlet's key from its sealing secret (OutletSecret).
func NewKey(outlet string, secret []byte) (*Key, error) {
	if err := checkSize(secret); err != nil {
		return nil, err
	}
	return &Key{outlet: outlet, aead: newAEAD(derive(secret, infoV2Seal, 32)),
		id: hex.EncodeToString(derive(secret, infoV2KeyID, keyIDSize))}, nil
}

// Outlet is the outlet whose key this is.
func (k *Key) Outlet() string { return k.outlet }

// KeyID is the fingerprint written into every value; safe to log.
func (k *Key) KeyID() string { return k.id }

// additionalData binds the format, field, record and outlet, each length
// prefixed so that no two different tuples give the same bytes.
func additionalData(field string, rec Record, outlet string) []byte {
	b := []byte("yizhan sealed v2")
	for _, part := range []string{field, rec.Kind, rec.ID, outlet} {
		b = binary.AppendUvarint(b, uint64(len(part)))
		b = append(b, part...)
	}
	return b
}

// Seal encrypts plaintext as field of rec. Every call uses a new random
// nonce. Seal panics on an unknown field: that is a programming error any
// test of the caller finds.
func (k *Key) Seal(field string, rec Record, plaintext string) string {
	if !ValidField(field) {
		panic(fmt.Sprintf("sealed: Seal with unknown field %q", field))
	}
	return seal(k.aead, V2, k.id, []byte(plaintext), additionalData(field, rec, k.outlet))
}

func seal(aead cipher.AEAD, ver, kid string, plaintext, ad []byte) string {
	buf := make([]byte, nonceSize, nonceSize+len(plaintext)+tagSize)
	// crypto/rand.Read never fails since Go 1.24: it crashes the program
	// rather than return a predictable nonce.
	_, _ = rand.Read(buf)
	out := aead.Seal(buf, buf[:nonceSize], plaintext, ad)
	return ver + ":" + kid + ":" + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a v2 value sealed by this outlet as field of rec. Its
// errors wrap ErrUnknownVersion, ErrWrongKey, ErrTampered, ErrMalformed or
// ErrUnknownKind; a v1 value is ErrWrongKey (it needs the legacy key).
func (k *Key) Open(field string, rec Record, s string) (string, error) {
	if !ValidField(field) {
		return "", fmt.Errorf("%w (%q)", ErrUnknownKind, field)
	}
	v, err := Parse(s)
	if err != nil {
		return "", err
	}
	if v.Version != V2 || v.KeyID != k.id {
		return "", fmt.Errorf("%w (sealed with %s key %.8s, this is outlet %s's key %s)", ErrWrongKey, v.Version, v.KeyID, k.outlet, k.id)
	}
	return open(k.aead, v, additionalData(field, rec, k.outlet), field)
}

func open(aead cipher.AEAD, v Value, ad []byte, field string) (string, error) {
	plain, err := aead.Open(nil, v.Body[:nonceSize], v.Body[nonceSize:], ad)
	if err != nil {
		return "", fmt.Errorf("%w (kind %s)", ErrTampered, field)
	}
	return string(plain), nil
}

// Legacy opens values sealed under the old single shared key, whose bytes
// are head office's master key.
type Legacy struct {
	aead cipher.AEAD
	id   string
}

// NewLegacy makes the v1 opener from the old shared key (the master).
func NewLegacy(master []byte) (*Legacy, error) {
	if err := checkSize(master); err != nil {
		return nil, err
	}
	return &Legacy{aead: newAEAD(derive(master, infoV1Seal, 32)), id: hex.EncodeToString(derive(master, infoV1KeyID, keyIDSize))}, nil
}

// LegacyFromSecret makes the v1 opener from its sealing secret and key id
// (LegacySecret), as an outlet key file carries them: it opens old values
// but derives no outlet's key.
func LegacyFromSecret(secret []byte, keyID string) (*Legacy, error) {
	if err := checkSize(secret); err != nil {
		return nil, err
	}
	if b, err := hex.DecodeString(keyID); err != nil || len(b) != keyIDSize {
		return nil, problem.New(problem.PIIKeyFileMalformed, "field", "legacy.key_id")
	}
	return &Legacy{aead: newAEAD(secret), id: keyID}, nil
}

// LegacySecret is the old format's sealing secret and key id, derived from
// the master (the old shared key).
func LegacySecret(master []byte) (*LegacyKey, error) {
	if err := checkSize(master); err != nil {
		return nil, err
	}
	return &LegacyKey{Seal: derive(master, infoV1Seal, 32), KeyID: hex.EncodeToString(derive(master, infoV1KeyID, keyIDSize))}, nil
}

// KeyID is the old key's fingerprint.
func (l *Legacy) KeyID() string { return l.id }

func legacyAD(field string) []byte { return []byte("yizhan pii v1 kind=" + field) }

// Seal seals as the old format did; only tests and fixtures need it.
func (l *Legacy) Seal(field, plaintext string) string {
	if !legacyField(field) {
		panic(fmt.Sprintf("sealed: legacy Seal with field %q", field))
	}
	return seal(l.aead, V1, l.id, []byte(plaintext), legacyAD(field))
}

// Open decrypts a v1 value of field.
func (l *Legacy) Open(field, s string) (string, error) {
	if !legacyField(field) {
		return "", fmt.Errorf("%w (%q)", ErrUnknownKind, field)
	}
	v, err := Parse(s)
	if err != nil {
		return "", err
	}
	if v.Version != V1 || v.KeyID != l.id {
		return "", fmt.Errorf("%w (sealed with %s key %.8s, the legacy key is %s)", ErrWrongKey, v.Version, v.KeyID, l.id)
	}
	return open(l.aead, v, legacyAD(field), field)
}

// Master is head office's master key: it derives every outlet's key and
// opens any outlet's values, old and new.
type Master struct {
	master []byte
	legacy *Legacy
}

// NewMaster takes the 32-byte master key.
func NewMaster(master []byte) (*Master, error) {
	l, err := NewLegacy(master)
	if err != nil {
		return nil, err
	}
	return &Master{master: append([]byte(nil), master...), legacy: l}, nil
}

// Outlet derives outlet's key.
func (m *Master) Outlet(outlet string) *Key {
	s, _ := OutletSecret(m.master, outlet)
	k, _ := NewKey(outlet, s)
	return k
}

// OutletSecret is what head office issues to outlet.
func (m *Master) OutletSecret(outlet string) []byte {
	s, _ := OutletSecret(m.master, outlet)
	return s
}

// CustomerSecret is the shared customer-id key.
func (m *Master) CustomerSecret() []byte {
	s, _ := CustomerSecret(m.master)
	return s
}

// Open opens a value outlet sealed as field of rec, in either format.
func (m *Master) Open(outlet, field string, rec Record, s string) (string, error) {
	if strings.HasPrefix(s, V1+":") {
		return m.legacy.Open(field, s)
	}
	return m.Outlet(outlet).Open(field, rec, s)
}

// CustomerID identifies a customer by an already normalised phone number
// without storing it: the first 32 hex characters of HMAC-SHA256 under the
// shared customer-id key.
func CustomerID(customerKey []byte, normalizedPhone string) string {
	h := hmac.New(sha256.New, customerKey)
	h.Write([]byte(normalizedPhone))
	return hex.EncodeToString(h.Sum(nil))[:customerIDLen]
}

// KeyFileFormat names the outlet key file's format in its first field.
const KeyFileFormat = "yizhan-outlet-key/1"

// KeyFile is what head office issues to one outlet: its sealing secret and
// the shared customer-id key, never the master.
type KeyFile struct {
	Format   string `json:"format"`
	Outlet   string `json:"outlet"`
	Seal     []byte `json:"seal"`     // OutletSecret
	Customer []byte `json:"customer"` // CustomerSecret
	// Legacy opens the values the outlet sealed under the old shared key,
	// while it still holds open records with them; omitted otherwise.
	Legacy *LegacyKey `json:"legacy,omitempty"`
}

// LegacyKey is the old format's sealing secret (not the master: it derives
// no outlet's key and opens no v2 value) and its key id.
type LegacyKey struct {
	Seal  []byte `json:"seal"`
	KeyID string `json:"key_id"`
}

// IssueKeyFile makes outlet's key file from the master key; with legacy it
// also carries the old format's opener.
func IssueKeyFile(master []byte, outlet string, legacy bool) ([]byte, error) {
	m, err := NewMaster(master)
	if err != nil {
		return nil, err
	}
	if outlet == "" {
		return nil, problem.New(problem.PIIKeyFileMalformed, "field", "outlet")
	}
	f := KeyFile{Format: KeyFileFormat, Outlet: outlet, Seal: m.OutletSecret(outlet), Customer: m.CustomerSecret()}
	if legacy {
		f.Legacy, _ = LegacySecret(master)
	}
	b, err := json.Marshal(f)
	return append(b, '\n'), err
}

// ParseKeyFile reads an outlet key file. Its errors never quote the key.
func ParseKeyFile(b []byte) (KeyFile, error) {
	var f KeyFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return KeyFile{}, problem.New(problem.PIIKeyFileMalformed, "field", "json")
	}
	if dec.More() {
		return KeyFile{}, problem.New(problem.PIIKeyFileMalformed, "field", "json")
	}
	switch {
	case f.Format != KeyFileFormat:
		return KeyFile{}, problem.New(problem.PIIKeyFileMalformed, "field", "format")
	case f.Outlet == "":
		return KeyFile{}, problem.New(problem.PIIKeyFileMalformed, "field", "outlet")
	case len(f.Seal) != KeySize:
		return KeyFile{}, problem.New(problem.PIIKeyFileMalformed, "field", "seal")
	case len(f.Customer) != KeySize:
		return KeyFile{}, problem.New(problem.PIIKeyFileMalformed, "field", "customer")
	}
	if f.Legacy != nil {
		if _, err := LegacyFromSecret(f.Legacy.Seal, f.Legacy.KeyID); err != nil {
			return KeyFile{}, problem.New(problem.PIIKeyFileMalformed, "field", "legacy")
		}
	}
	return f, nil
}

// DecodeKey reads a 32-byte key written as base64 (the master key file's
// one line). It accepts standard or URL base64, padded or not, since keys
// get pasted between systems, and never quotes the input.
func DecodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != KeySize {
			return nil, problem.New(problem.PIIKeySize, "size", len(b), "want", KeySize)
		}
		return b, nil
	}
	return nil, problem.New(problem.PIIKeyNotBase64)
}

// LooksLikeKeyFile tells an outlet key file from the old single-key file
// (one line of base64, which never starts with a brace).
func LooksLikeKeyFile(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(b), []byte("{"))
}
