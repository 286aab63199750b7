package sealed

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func master(seed byte) []byte { return bytes.Repeat([]byte{seed}, KeySize) }

func testMaster(t testing.TB, seed byte) *Master {
	t.Helper()
	m, err := NewMaster(master(seed))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var waybill = Record{Kind: "parcel", ID: "SF1234567890123"}

func TestSealOpen(t *testing.T) {
	m := testMaster(t, 1)
	k := m.Outlet("SH-001")
	for _, field := range []string{Phone, Name, IDNumber, Address, Text, Confirmation} {
		for _, value := range []string{"13812345678", "上海市浦东新区世纪大道 100 号", ""} {
			s := k.Seal(field, waybill, value)
			if !strings.HasPrefix(s, "v2:"+k.KeyID()+":") {
				t.Fatalf("sealed %q lacks the v2 prefix and key id", s)
			}
			if value != "" && strings.Contains(s, value) {
				t.Fatalf("sealed value %q contains the plaintext", s)
			}
			if s2 := k.Seal(field, waybill, value); s2 == s {
				t.Fatal("two seals of one value are equal: nonce reused")
			}
			if got, err := k.Open(field, waybill, s); err != nil || got != value {
				t.Fatalf("Open = %q, %v; want %q", got, err, value)
			}
			// Head office opens it with the master key alone.
			if got, err := m.Open("SH-001", field, waybill, s); err != nil || got != value {
				t.Fatalf("master Open = %q, %v; want %q", got, err, value)
			}
		}
	}
}

// The issued secret is the derived one: an outlet that loads it seals
// what head office opens, and it is not the master.
func TestIssuedKeyMatchesMaster(t *testing.T) {
	m := testMaster(t, 1)
	raw, err := IssueKeyFile(master(1), "SH-001", false)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseKeyFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(f.Seal, master(1)) || bytes.Equal(f.Customer, master(1)) || bytes.Contains(raw, []byte(base64.StdEncoding.EncodeToString(master(1)))) {
		t.Fatal("the outlet key file holds the master key")
	}
	k, err := NewKey(f.Outlet, f.Seal)
	if err != nil {
		t.Fatal(err)
	}
	s := k.Seal(Address, waybill, "北京市朝阳区")
	if got, err := m.Open("SH-001", Address, waybill, s); err != nil || got != "北京市朝阳区" {
		t.Fatalf("master Open = %q, %v", got, err)
	}
	if CustomerID(f.Customer, "13812345678") != CustomerID(m.CustomerSecret(), "13812345678") {
		t.Fatal("the issued customer key differs from head office's")
	}
}

func TestOpenRefuses(t *testing.T) {
	m := testMaster(t, 1)
	a, b := m.Outlet("SH-001"), m.Outlet("SH-002")
	phone := a.Seal(Phone, waybill, "13812345678")
	v, _ := Parse(phone)
	flipped := bytes.Clone(v.Body)
	flipped[len(flipped)-1] ^= 1
	tampered := "v2:" + v.KeyID + ":" + base64.RawURLEncoding.EncodeToString(flipped)
	other := Record{Kind: "parcel", ID: "SF9999999999999"}

	for _, tc := range []struct {
		name string
		open func() (string, error)
		want error
	}{
		{"another outlet's key", func() (string, error) { return b.Open(Phone, waybill, phone) }, ErrWrongKey},
		{"master, as another outlet's value", func() (string, error) { return m.Open("SH-002", Phone, waybill, phone) }, ErrWrongKey},
		{"another master", func() (string, error) { return testMaster(t, 2).Open("SH-001", Phone, waybill, phone) }, ErrWrongKey},
		{"moved to another record", func() (string, error) { return a.Open(Phone, other, phone) }, ErrTampered},
		{"moved to another kind of record", func() (string, error) { return a.Open(Phone, Record{Kind: "complaint", ID: waybill.ID}, phone) }, ErrTampered},
		{"master, moved to another record", func() (string, error) { return m.Open("SH-001", Phone, other, phone) }, ErrTampered},
		{"another field", func() (string, error) { return a.Open(Name, waybill, phone) }, ErrTampered},
		{"tampered", func() (string, error) { return a.Open(Phone, waybill, tampered) }, ErrTampered},
		{"unknown version", func() (string, error) { return a.Open(Phone, waybill, "v3"+phone[2:]) }, ErrUnknownVersion},
		{"legacy value at an outlet", func() (string, error) { return a.Open(Phone, waybill, m.legacy.Seal(Phone, "13812345678")) }, ErrWrongKey},
		{"no version", func() (string, error) { return a.Open(Phone, waybill, "13812345678") }, ErrMalformed},
		{"truncated", func() (string, error) { return a.Open(Phone, waybill, phone[:len(phone)-4]) }, ErrTampered},
		{"too short", func() (string, error) { return a.Open(Phone, waybill, "v2:"+v.KeyID+":AAAA") }, ErrMalformed},
		{"bad base64", func() (string, error) { return a.Open(Phone, waybill, "v2:"+v.KeyID+":!!!") }, ErrMalformed},
		{"key id not hex", func() (string, error) { return a.Open(Phone, waybill, "v2:zzzzzzzz:"+phone[12:]) }, ErrMalformed},
		{"unknown field", func() (string, error) { return a.Open("email", waybill, phone) }, ErrUnknownKind},
		{"empty", func() (string, error) { return a.Open(Phone, waybill, "") }, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.open()
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %q, %v; want %v", got, err, tc.want)
			}
			if strings.Contains(err.Error(), "13812345678") {
				t.Fatalf("error %q quotes the value", err)
			}
		})
	}
}

// The record's parts are length-prefixed: shifting a character from one
// part to the next must not give the same additional data.
func TestAdditionalDataUnambiguous(t *testing.T) {
	k := testMaster(t, 1).Outlet("SH-001")
	s := k.Seal(Text, Record{Kind: "ab", ID: "c"}, "x")
	if _, err := k.Open(Text, Record{Kind: "a", ID: "bc"}, s); !errors.Is(err, ErrTampered) {
		t.Fatalf("Open with shifted record parts = %v, want ErrTampered", err)
	}
	s = testMaster(t, 1).Outlet("S").Seal(Text, Record{Kind: "parcel", ID: "1"}, "x")
	if _, err := testMaster(t, 1).Outlet("S").Open(Text, Record{Kind: "parcel", ID: "1"}, s); err != nil {
		t.Fatal(err)
	}
}

// Values sealed under the old single shared key (the master) keep
// opening at head office, and customer ids keep their old values.
func TestLegacyValuesOpen(t *testing.T) {
	m := testMaster(t, 1)
	// A value in the v1 format from before per-outlet keys, made by the
	// old agent/pii with the key of seed 1 (agent/datafile/testdata holds
	// a whole file of them).
	l, err := NewLegacy(master(1))
	if err != nil {
		t.Fatal(err)
	}
	s := l.Seal(Name, "张三丰")
	if !strings.HasPrefix(s, "v1:"+l.KeyID()+":") {
		t.Fatalf("legacy value %q", s)
	}
	for _, rec := range []Record{waybill, {}} {
		if got, err := m.Open("SH-001", Name, rec, s); err != nil || got != "张三丰" {
			t.Fatalf("master Open(v1) = %q, %v", got, err)
		}
	}
	if _, err := l.Open(Phone, s); !errors.Is(err, ErrTampered) {
		t.Fatalf("legacy Open as another kind = %v", err)
	}
	if _, err := testMaster(t, 2).Open("SH-001", Name, waybill, s); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("legacy Open with another master = %v", err)
	}
	// HMAC-SHA256 under HKDF(master, the v1 customer-id label) of
	// "13812345678" with the key of seed 1: the id the old agent wrote.
	if got := CustomerID(m.CustomerSecret(), "13812345678"); got != legacyCustomerID {
		t.Fatalf("customer id changed: %s, want %s", got, legacyCustomerID)
	}
}

// legacyCustomerID was computed by the old agent/pii.Keys.CustomerID with
// a master key of 32 bytes of 1.
const legacyCustomerID = "7fbf2be4d0cf8514141f36cf9bfceb0a"

func TestParseKeyFile(t *testing.T) {
	good, _ := IssueKeyFile(master(1), "SH-001", false)
	if f, err := ParseKeyFile(good); err != nil || f.Outlet != "SH-001" {
		t.Fatalf("ParseKeyFile = %+v, %v", f, err)
	}
	if !LooksLikeKeyFile(good) || LooksLikeKeyFile([]byte(base64.StdEncoding.EncodeToString(master(1)))) {
		t.Fatal("LooksLikeKeyFile tells the formats apart wrongly")
	}
	for _, bad := range []string{
		"", "{}", "[1]", "{", `{"format":"x","outlet":"SH-001"}`,
		`{"format":"yizhan-outlet-key/1","outlet":"","seal":"` + b64(32) + `","customer":"` + b64(32) + `"}`,
		`{"format":"yizhan-outlet-key/1","outlet":"A","seal":"` + b64(31) + `","customer":"` + b64(32) + `"}`,
		`{"format":"yizhan-outlet-key/1","outlet":"A","seal":"` + b64(32) + `","customer":"` + b64(33) + `"}`,
		`{"format":"yizhan-outlet-key/1","outlet":"A","seal":"` + b64(32) + `","customer":"` + b64(32) + `","master":"x"}`,
		string(good) + string(good),
	} {
		if _, err := ParseKeyFile([]byte(bad)); err == nil {
			t.Errorf("ParseKeyFile(%q) accepted it", bad)
		}
	}
	// With the legacy secret, the outlet opens its old values, and only those.
	withLegacy, _ := IssueKeyFile(master(1), "SH-001", true)
	f, err := ParseKeyFile(withLegacy)
	if err != nil || f.Legacy == nil {
		t.Fatalf("ParseKeyFile(legacy) = %+v, %v", f, err)
	}
	l, err := LegacyFromSecret(f.Legacy.Seal, f.Legacy.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := NewLegacy(master(1))
	if got, err := l.Open(Phone, old.Seal(Phone, "13812345678")); err != nil || got != "13812345678" {
		t.Fatalf("legacy secret Open = %q, %v", got, err)
	}
	if bytes.Contains(withLegacy, []byte(base64.StdEncoding.EncodeToString(master(1)))) {
		t.Fatal("the legacy key file holds the master key")
	}
	if _, err := IssueKeyFile(master(1)[:31], "A", false); err == nil {
		t.Fatal("IssueKeyFile took a short master")
	}
}

func b64(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }

func FuzzParse(f *testing.F) {
	k := testMaster(f, 1).Outlet("SH-001")
	l, _ := NewLegacy(master(1))
	for _, s := range []string{k.Seal(Phone, waybill, "13812345678"), l.Seal(Name, "张三"), "", "v2:", "v2:0011aabb:", "v1:zz:AAAA", "v9:00000000:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			if IsSealed(s) {
				t.Fatal("IsSealed disagrees with Parse")
			}
			return
		}
		if len(v.Body) < nonceSize+tagSize || len(v.KeyID) != 2*keyIDSize {
			t.Fatalf("Parse accepted %q as %+v", s, v)
		}
		// Opening never panics, and a fuzzed value never opens.
		if _, err := k.Open(Phone, waybill, s); err == nil && !strings.HasPrefix(s, "v2:"+k.KeyID()) {
			t.Fatalf("Open accepted %q", s)
		}
		_, _ = l.Open(Phone, s)
	})
}

func FuzzParseKeyFile(f *testing.F) {
	good, _ := IssueKeyFile(master(1), "SH-001", false)
	f.Add(good)
	f.Add([]byte("{}"))
	f.Add([]byte(base64.StdEncoding.EncodeToString(master(1))))
	f.Fuzz(func(t *testing.T, b []byte) {
		kf, err := ParseKeyFile(b)
		if err != nil {
			return
		}
		if _, err := NewKey(kf.Outlet, kf.Seal); err != nil {
			t.Fatalf("ParseKeyFile accepted a file whose key does not load: %v", err)
		}
	})
}
