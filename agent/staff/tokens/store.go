// Package tokens keeps the agent's API tokens: how a local integration (a
// sorting line that posts scans, a monitor that reads the sync status) is
// let into the agent's HTTP API without a staff member's PIN.
//
// What it promises:
//
//   - A token is never stored: only the SHA-256 of it. A token is 32 random
//     bytes, so a fast hash is enough (there is nothing to guess offline
//     the way there is with a 4-digit PIN).
//   - A token has a name, which is its identity (events it causes carry the
//     actor "token:NAME"), and scopes, which say what it may do. It is never
//     a staff member: it cannot log in, and the routes that need a staff
//     member refuse it.
//   - Revoking a token refuses it from the next request on.
//
// The list lives in api_tokens/ of the agent's data file (agent/datafile
// draws and migrates it). Tokens belong to this PC and never sync. The
// token command edits the file directly when it is free and otherwise goes
// through the running agent, as the staff command does.
package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Scopes. A token holds one or more.
const (
	// ScopeScans may post scans (POST /api/v1/scans).
	ScopeScans = "scans"
	// ScopeRead may read the sync and device status, for monitoring.
	ScopeRead = "read"
)

// Scopes lists every scope, in the order they are shown.
var Scopes = []string{ScopeScans, ScopeRead}

// Prefix starts every token, so a token is told from a session at a glance
// (and a leaked one is easy to search for).
const Prefix = "yzt_"

// ActorPrefix starts the actor of every event a token causes.
const ActorPrefix = "token:"

// maxName bounds a token's name.
const maxName = 32

// Token is a token as the list shows it; its secret is shown once, when it
// is made.
type Token struct {
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
}

// Has reports whether t holds scope.
func (t Token) Has(scope string) bool { return slices.Contains(t.Scopes, scope) }

// Actor is the actor of the events t causes: never a staff id, which
// cannot hold a colon.
func (t Token) Actor() string { return ActorPrefix + t.Name }

type record struct {
	Token
	Hash string `json:"hash"` // SHA-256 hex of the token
}

// Store is the token list in the agent's data file. Safe for concurrent use.
type Store struct {
	db  *datafile.File
	now func() time.Time
}

// Open returns the token list in f.
func Open(f *datafile.File) *Store { return &Store{db: f, now: time.Now} }

// NormalizeName is how names are stored and compared: trimmed, lower case.
func NormalizeName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// ValidName checks a normalized name.
func ValidName(name string) error {
	if name == "" || len(name) > maxName {
		return problem.New(problem.TokenBadName, "max", maxName)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return problem.New(problem.TokenBadName, "max", maxName)
		}
	}
	return nil
}

// ParseScopes reads "scans,read" into a sorted list without repeats.
func ParseScopes(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(Scopes, f) {
			return nil, problem.New(problem.TokenBadScope, "scope", f, "allowed", Scopes)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out, nil
}

func hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Add makes a token named name with scopes and returns its secret, which
// is stored nowhere: the caller shows it once.
func (s *Store) Add(name string, scopes []string) (string, Token, error) {
	name = NormalizeName(name)
	if err := ValidName(name); err != nil {
		return "", Token{}, err
	}
	sc, err := ParseScopes(strings.Join(scopes, ","))
	if err != nil {
		return "", Token{}, err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails since Go 1.24
	secret := Prefix + base64.RawURLEncoding.EncodeToString(b)
	rec := record{Token: Token{Name: name, Scopes: sc, CreatedAt: s.now().UTC().Truncate(time.Second)}, Hash: hash(secret)}
	raw, err := json.Marshal(rec)
	if err != nil {
		return "", Token{}, err
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(datafile.APITokens)
		if b.Get([]byte(name)) != nil {
			return problem.New(problem.TokenExists, "name", name)
		}
		return b.Put([]byte(name), raw)
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, rec.Token, nil
}

// List returns every token, ordered by name.
func (s *Store) List() ([]Token, error) {
	out := []Token{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(datafile.APITokens).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("token %s: %w", k, err)
			}
			out = append(out, r.Token)
			return nil
		})
	})
	return out, err
}

// Revoke deletes a token; it is refused from the next request on.
func (s *Store) Revoke(name string) error {
	name = NormalizeName(name)
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(datafile.APITokens)
		if b.Get([]byte(name)) == nil {
			return problem.New(problem.TokenNotFound, "name", name)
		}
		return b.Delete([]byte(name))
	})
}

// Check returns the token whose secret this is. It compares every stored
// hash in constant time; the list is a handful of integrations.
func (s *Store) Check(secret string) (Token, bool) {
	if !strings.HasPrefix(secret, Prefix) {
		return Token{}, false
	}
	want := []byte(hash(secret))
	var found Token
	ok := false
	_ = s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(datafile.APITokens).ForEach(func(_, v []byte) error {
			var r record
			if json.Unmarshal(v, &r) == nil && subtle.ConstantTimeCompare([]byte(r.Hash), want) == 1 {
				found, ok = r.Token, true
			}
			return nil
		})
	})
	return found, ok
}
