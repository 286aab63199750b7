package store

import (
	"strings"
	"testing"
)

func TestSecrets(t *testing.T) {
	s, err := NewSecret()
	if err != nil || len(s) != 43 {
		t.Fatalf("NewSecret = %q, %v", s, err)
	}
	h1, _ := HashSecret(s)
	h2, _ := HashSecret(s)
	if h1 == h2 {
		t.Errorf("two hashes of one secret are equal: salt missing")
	}
	if strings.Contains(h1, s) {
		t.Errorf("hash contains the secret")
	}
	for _, tc := range []struct {
		name, stored, secret string
		want                 bool
	}{
		{"right", h1, s, true},
		{"other salt", h2, s, true},
		{"wrong", h1, s + "x", false},
		{"empty", h1, "", false},
		{"not a hash", "plain", "plain", false},
		{"unknown scheme", strings.Replace(h1, "sha256", "md5", 1), s, false},
		{"no stored hash", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckSecret(tc.stored, tc.secret); got != tc.want {
				t.Errorf("CheckSecret = %v, want %v", got, tc.want)
			}
		})
	}
}
