package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// KDF is argon2id's cost. The default follows the OWASP password storage
// cheat sheet's first argon2id line (19 MiB, 2 passes, 1 lane): measured
// 81 ms a hash on the 2-core development machine at a load average of 12,
// and 340 ms at its busiest, so a login costs a person little while a
// copied database costs a guesser 19 MiB and two passes per guess. One
// lane, because the hub answers many people at once and one login should
// not take every core. The parameters are stored in each hash, so raising
// them later leaves old hashes readable.
type KDF struct {
	Time    uint32
	MemKiB  uint32
	Threads uint8
}

// DefaultKDF is the cost every new hash is made with.
var DefaultKDF = KDF{Time: 2, MemKiB: 19 * 1024, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// hash returns password's argon2id hash in the PHC string format,
// "$argon2id$v=19$m=19456,t=2,p=1$salt$key".
func (k KDF) hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, k.Time, k.MemKiB, k.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, k.MemKiB, k.Time, k.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// verify reports whether password matches stored, in constant time. A
// hash it cannot read matches nothing, after the same work as one it can.
func verify(stored, password string) bool {
	parts := strings.Split(stored, "$")
	var k KDF
	var v int
	ok := len(parts) == 6 && parts[1] == "argon2id"
	if ok {
		_, err1 := fmt.Sscanf(parts[2], "v=%d", &v)
		_, err2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &k.MemKiB, &k.Time, &k.Threads)
		ok = err1 == nil && err2 == nil && v == argon2.Version && k.Time >= 1 && k.Threads >= 1 && k.MemKiB >= 8*uint32(k.Threads) && k.MemKiB <= 1<<21
	}
	var salt, want []byte
	if ok {
		var err1, err2 error
		salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
		want, err2 = base64.RawStdEncoding.DecodeString(parts[5])
		ok = err1 == nil && err2 == nil && len(want) == keyLen
	}
	if !ok {
		checkDummy(password)
		return false
	}
	got := argon2.IDKey([]byte(password), salt, k.Time, k.MemKiB, k.Threads, keyLen)
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is a hash nobody's password has, made with k: a login to an
// account that does not exist is checked against it, so that it takes the
// time a wrong password takes and is answered the same.
func (k KDF) dummyHash() string {
	h, err := k.hash("no account has this password")
	if err != nil {
		panic(err) // crypto/rand failed: nothing works
	}
	return h
}

var (
	dummyOnce sync.Once
	dummy     string
)

// checkDummy is the work of one check of the default cost, for a stored
// hash that cannot be read.
func checkDummy(password string) {
	dummyOnce.Do(func() { dummy = DefaultKDF.dummyHash() })
	verify(dummy, password)
}

// The password rule, as the catalog's account.weak_password says it: at
// least MinPasswordLen characters, at least MinPasswordDistinct of them
// different, letters and something else (digits or signs), and not the
// account's id.
const (
	MinPasswordLen      = 10
	MinPasswordDistinct = 5
	maxPasswordLen      = 256
)

// weak reports whether password breaks the rule for account id.
func weak(id, password string) bool {
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLen || len(password) > maxPasswordLen || !utf8.ValidString(password) {
		return true
	}
	distinct := map[rune]bool{}
	var letter, other bool
	for _, r := range password {
		if unicode.IsControl(r) {
			return true
		}
		distinct[r] = true
		if unicode.IsLetter(r) {
			letter = true
		} else {
			other = true
		}
	}
	if len(distinct) < MinPasswordDistinct || !letter || !other {
		return true
	}
	return id != "" && strings.Contains(strings.ToLower(password), strings.ToLower(id))
}
