// Package pii protects customers' personal data: phone numbers, names and
// ID numbers.
//
// What it promises:
//
//   - Sealing. Keys.Seal encrypts a value with AES-256-GCM under a fresh
//     random 96-bit nonce and binds the field kind as additional data, so a
//     sealed phone number cannot be opened as a name. Keys.Open refuses
//     anything sealed under another key, altered, sealed as another kind, or
//     in a format it does not know, each with its own error.
//   - Customer ids. Keys.CustomerID is a keyed hash (HMAC-SHA256) of the
//     normalised phone number: the same phone gives the same id at every
//     outlet and at the hub, since they share the key, and the id reveals
//     nothing without the key.
//   - Keys come from configuration (a key file or YZ_PII_KEY), never from
//     the data file they protect. One 32-byte master key is stretched with
//     HKDF into separate sub-keys for sealing and for hashing.
//   - Masking. MaskPhone, MaskName and MaskID never need a key and never
//     show more than the last four characters of a phone number in a row.
//     Errors in this package never quote a personal value.
//
// A sealed value looks like
//
//	v1:<key id, 8 hex>:<base64url of nonce | ciphertext | tag>
//
// The key id is a fingerprint of the master key derived with its own HKDF
// label; it lets Open tell "another key" from "tampered" and leaves room
// for key rotation. It reveals nothing about the key.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// Field kinds, bound into every sealed value.
const (
	KindPhone    = "phone"
	KindName     = "name"
	KindIDNumber = "id_number"
)

// KeySize is the length of the master key in bytes.
const KeySize = 32

const (
	version   = "v1"
	nonceSize = 12
	tagSize   = 16
	keyIDSize = 4

	// HKDF labels: changing one changes every derived key.
	infoSeal  = "yizhan pii v1 seal aes-256-gcm"
	infoHash  = "yizhan pii v1 customer-id hmac-sha256"
	infoKeyID = "yizhan pii v1 key-id"

	customerIDLen = 32 // hex characters
)

// Errors from Open; match them with errors.Is.
var (
	ErrUnknownVersion = problem.New(problem.PIIUnknownVersion)
	ErrWrongKey       = problem.New(problem.PIIWrongKey)
	ErrTampered       = problem.New(problem.PIITampered)
	ErrMalformed      = problem.New(problem.PIIMalformed)
	ErrUnknownKind    = problem.New(problem.PIIUnknownKind)
)

// Keys seal, open and hash personal data. A Keys is safe for concurrent use.
type Keys struct {
	aead    cipher.AEAD
	hashKey []byte
	keyID   string
}

// NewKeys derives the sub-keys from a 32-byte master key.
func NewKeys(master []byte) (*Keys, error) {
	if len(master) != KeySize {
		return nil, problem.New(problem.PIIKeySize, "size", len(master), "want", KeySize)
	}
	sealKey, err := hkdf.Key(sha256.New, master, nil, infoSeal, 32)
	if err != nil {
		return nil, err
	}
	hashKey, err := hkdf.Key(sha256.New, master, nil, infoHash, 32)
	if err != nil {
		return nil, err
	}
	kid, err := hkdf.Key(sha256.New, master, nil, infoKeyID, keyIDSize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{aead: aead, hashKey: hashKey, keyID: hex.EncodeToString(kid)}, nil
}

// KeyID is the fingerprint written into every sealed value; safe to log.
func (k *Keys) KeyID() string { return k.keyID }

// ValidKind reports whether kind is one of the field kinds.
func ValidKind(kind string) bool {
	switch kind {
	case KindPhone, KindName, KindIDNumber:
		return true
	}
	return false
}

func additionalData(kind string) []byte { return []byte("yizhan pii v1 kind=" + kind) }

// Seal encrypts plaintext as a value of the given kind. Every call uses a
// new random nonce, so sealing the same value twice gives different
// strings; use CustomerID to look values up. Seal panics on a kind other
// than KindPhone, KindName and KindIDNumber: that is a programming error
// which any test of the caller finds.
func (k *Keys) Seal(kind, plaintext string) string {
	if !ValidKind(kind) {
		panic(fmt.Sprintf("pii: Seal with unknown kind %q", kind))
	}
	buf := make([]byte, nonceSize, nonceSize+len(plaintext)+tagSize)
	// crypto/rand.Read never fails since Go 1.24: it crashes the program
	// rather than return a predictable nonce.
	_, _ = rand.Read(buf)
	out := k.aead.Seal(buf, buf[:nonceSize], []byte(plaintext), additionalData(kind))
	return version + ":" + k.keyID + ":" + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a value sealed as kind. Its errors wrap ErrUnknownVersion,
// ErrWrongKey, ErrTampered, ErrMalformed or ErrUnknownKind.
func (k *Keys) Open(kind, sealed string) (string, error) {
	if !ValidKind(kind) {
		return "", fmt.Errorf("%w (%q)", ErrUnknownKind, kind)
	}
	ver, rest, ok := strings.Cut(sealed, ":")
	if !ok {
		return "", ErrMalformed
	}
	if ver != version {
		return "", fmt.Errorf("%w (found %.8q)", ErrUnknownVersion, ver)
	}
	kid, body, ok := strings.Cut(rest, ":")
	if !ok || len(kid) != 2*keyIDSize {
		return "", ErrMalformed
	}
	if kid != k.keyID {
		return "", fmt.Errorf("%w (sealed with key %.8s, this key is %s)", ErrWrongKey, kid, k.keyID)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < nonceSize+tagSize {
		return "", ErrMalformed
	}
	plain, err := k.aead.Open(nil, raw[:nonceSize], raw[nonceSize:], additionalData(kind))
	if err != nil {
		return "", fmt.Errorf("%w (kind %s)", ErrTampered, kind)
	}
	return string(plain), nil
}

// CustomerID identifies a customer by phone number without storing it: the
// first 32 hex characters of HMAC-SHA256 over NormalizePhone(phone).
func (k *Keys) CustomerID(phone string) string {
	m := hmac.New(sha256.New, k.hashKey)
	m.Write([]byte(NormalizePhone(phone)))
	return hex.EncodeToString(m.Sum(nil))[:customerIDLen]
}
