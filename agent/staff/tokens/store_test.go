package tokens

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto/problem"
)

func openStore(t *testing.T) (*Store, *datafile.File) {
	t.Helper()
	f, err := datafile.Open(filepath.Join(t.TempDir(), "data"), datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return Open(f), f
}

func TestStore(t *testing.T) {
	s, f := openStore(t)
	secret, tok, err := s.Add(" Sorter-1 ", []string{"scans", "read", "scans"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "sorter-1" || strings.Join(tok.Scopes, ",") != "read,scans" || tok.Actor() != "token:sorter-1" || !tok.Has(ScopeScans) {
		t.Fatalf("token %+v", tok)
	}
	if !strings.HasPrefix(secret, Prefix) || len(secret) < len(Prefix)+40 {
		t.Fatalf("secret %q", secret)
	}
	got, ok := s.Check(secret)
	if !ok || got.Name != "sorter-1" {
		t.Fatalf("check: %+v %v", got, ok)
	}
	for _, bad := range []string{"", secret + "x", secret[:len(secret)-1], strings.TrimPrefix(secret, Prefix), "Bearer " + secret} {
		if _, ok := s.Check(bad); ok {
			t.Errorf("check %q passed", bad)
		}
	}
	// Only a hash is stored: the secret is nowhere in the file.
	_ = f.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(datafile.APITokens).ForEach(func(k, v []byte) error {
			if bytes.Contains(v, []byte(secret)) || bytes.Contains(v, []byte(strings.TrimPrefix(secret, Prefix))) {
				t.Errorf("token %s stored in clear: %s", k, v)
			}
			return nil
		})
	})
	if _, _, err := s.Add("sorter-1", []string{"read"}); !problem.Is(err, problem.TokenExists) {
		t.Fatalf("same name again: %v", err)
	}
	for _, tc := range []struct {
		name   string
		scopes []string
		code   problem.Code
	}{
		{"", []string{"scans"}, problem.TokenBadName},
		{"a b", []string{"scans"}, problem.TokenBadName},
		{"token:x", []string{"scans"}, problem.TokenBadName},
		{strings.Repeat("a", 33), []string{"scans"}, problem.TokenBadName},
		{"ok", []string{"admin"}, problem.TokenBadScope},
		{"ok", nil, problem.TokenBadScope},
	} {
		if _, _, err := s.Add(tc.name, tc.scopes); !problem.Is(err, tc.code) {
			t.Errorf("add %q %v: %v, want %s", tc.name, tc.scopes, err, tc.code)
		}
	}
	second, _, err := s.Add("monitor", []string{"read"})
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.List()
	if err != nil || len(all) != 2 || all[0].Name != "monitor" || all[1].Name != "sorter-1" {
		t.Fatalf("list: %+v %v", all, err)
	}
	if err := s.Revoke("SORTER-1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Check(secret); ok {
		t.Fatal("a revoked token still passes")
	}
	if _, ok := s.Check(second); !ok {
		t.Fatal("revoking one token refused another")
	}
	if err := s.Revoke("sorter-1"); !problem.Is(err, problem.TokenNotFound) {
		t.Fatalf("revoke twice: %v", err)
	}
}

func FuzzParseScopes(f *testing.F) {
	for _, s := range []string{"scans", "read", "scans,read", " read , scans ", "", ",", "scans,,read", "admin", "scans,admin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseScopes(s)
		if err != nil {
			return
		}
		if len(got) == 0 {
			t.Fatalf("%q: no scopes and no error", s)
		}
		for i, sc := range got {
			if sc != ScopeScans && sc != ScopeRead || i > 0 && got[i-1] >= sc {
				t.Fatalf("%q: scopes %v", s, got)
			}
		}
	})
}
