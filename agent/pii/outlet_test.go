package pii

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

var installation = bytes.Repeat([]byte{9}, KeySize)

// issue writes outlet's key file as yizhan-hub outlet key does and loads it.
func issue(t *testing.T, outlet string, legacy bool) *Keys {
	t.Helper()
	raw, err := sealed.IssueKeyFile(installation, outlet, legacy)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), outlet+".key")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := LoadKey(path, outlet)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestOutletKeyFile(t *testing.T) {
	a, b := issue(t, "SH-001", false), issue(t, "SH-002", false)
	if a.HoldsMaster() || a.OpensLegacy() {
		t.Fatal("an issued key file without the legacy secret holds more than the outlet's key")
	}
	addr := a.Seal(KindAddress, rec, "上海市浦东新区世纪大道 100 号")
	if got, err := a.Open(KindAddress, rec, addr); err != nil || got != "上海市浦东新区世纪大道 100 号" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Outlet B's key does not open outlet A's value.
	if _, err := b.Open(KindAddress, rec, addr); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("outlet B opened outlet A's value: %v", err)
	}
	// A value moved to another record does not open.
	moved := Record{Kind: "parcel", ID: "SF0000000000000"}
	if _, err := a.Open(KindAddress, moved, addr); !errors.Is(err, ErrTampered) {
		t.Fatalf("a moved value opened: %v", err)
	}
	if _, err := a.Open(KindText, rec, addr); !errors.Is(err, ErrTampered) {
		t.Fatalf("an address opened as free text: %v", err)
	}
	// The old shared key, at an upgrading outlet, seals what the issued
	// key file opens: both are SH-001's derived key.
	old, err := NewKeys(installation, "SH-001")
	if err != nil {
		t.Fatal(err)
	}
	if !old.HoldsMaster() || old.KeyID() != a.KeyID() {
		t.Fatalf("the master key's SH-001 key %s differs from the issued %s", old.KeyID(), a.KeyID())
	}
	if got, err := a.Open(KindAddress, rec, old.Seal(KindAddress, rec, "x")); err != nil || got != "x" {
		t.Fatalf("issued key on a value sealed with the master's outlet key: %q, %v", got, err)
	}
	if a.CustomerID("13812345678") != b.CustomerID("13812345678") || a.CustomerID("13812345678") != old.CustomerID("13812345678") {
		t.Fatal("customer ids differ across outlets")
	}

	// A key file issued to another outlet is refused with both ids.
	raw, _ := sealed.IssueKeyFile(installation, "SH-002", false)
	path := filepath.Join(t.TempDir(), "wrong.key")
	os.WriteFile(path, raw, 0o600)
	_, err = LoadKey(path, "SH-001")
	if !problem.Is(err, problem.PIIKeyOutlet) || !strings.Contains(err.Error(), "SH-002") {
		t.Fatalf("another outlet's key file: %v", err)
	}
	t.Setenv(EnvKey, string(raw))
	if k, err := LoadKeyEnv("SH-002"); err != nil || k.KeyID() != b.KeyID() {
		t.Fatalf("key file content in %s: %v", EnvKey, err)
	}
}

// Values from before per-outlet keys (v1, the old shared key) open at an
// outlet that still holds that key or was issued the legacy secret, and at
// no other.
func TestLegacyValues(t *testing.T) {
	l, err := sealed.NewLegacy(installation)
	if err != nil {
		t.Fatal(err)
	}
	v1 := l.Seal(KindPhone, "13812345678")
	old, _ := NewKeys(installation, "SH-001")
	for name, k := range map[string]*Keys{"old shared key": old, "issued with legacy": issue(t, "SH-001", true)} {
		// The record is not bound into v1 values; any record opens them.
		if got, err := k.Open(KindPhone, Record{}, v1); err != nil || got != "13812345678" {
			t.Fatalf("%s: Open(v1) = %q, %v", name, got, err)
		}
		if _, err := k.Open(KindName, rec, v1); !errors.Is(err, ErrTampered) {
			t.Fatalf("%s: v1 phone opened as a name: %v", name, err)
		}
	}
	_, err = issue(t, "SH-001", false).Open(KindPhone, rec, v1)
	if !errors.Is(err, ErrWrongKey) || !problem.Is(err, problem.PIILegacyKey) {
		t.Fatalf("no legacy key: %v", err)
	}
	other, _ := NewKeys(bytes.Repeat([]byte{8}, KeySize), "SH-001")
	if _, err := other.Open(KindPhone, rec, v1); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("another installation's key opened a v1 value: %v", err)
	}
}
