package pii

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode"

	"github.com/yizhan/yizhan/syncproto/phone"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

var rec = Record{Kind: "parcel", ID: "SF1234567890123"}

func testKeys(t testing.TB, seed byte) *Keys {
	t.Helper()
	k, err := NewKeys(bytes.Repeat([]byte{seed}, KeySize), "SH-001")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k := testKeys(t, 1)
	for _, tc := range []struct{ kind, value string }{
		{KindPhone, "13812345678"},
		{KindName, "张三丰"},
		{KindIDNumber, "11010519491231002X"},
		{KindName, ""},
	} {
		t.Run(tc.kind+"/"+tc.value, func(t *testing.T) {
			s := k.Seal(tc.kind, rec, tc.value)
			if !strings.HasPrefix(s, "v2:"+k.KeyID()+":") {
				t.Fatalf("sealed %q lacks the v1 prefix and key id", s)
			}
			if tc.value != "" && strings.Contains(s, tc.value) {
				t.Fatalf("sealed value %q contains the plaintext", s)
			}
			if s2 := k.Seal(tc.kind, rec, tc.value); s2 == s {
				t.Fatal("two seals of one value are equal: nonce reused")
			}
			got, err := k.Open(tc.kind, rec, s)
			if err != nil || got != tc.value {
				t.Fatalf("Open = %q, %v; want %q", got, err, tc.value)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	k := testKeys(t, 1)
	other := testKeys(t, 2)
	phone := k.Seal(KindPhone, rec, "13812345678")
	ver, rest, _ := strings.Cut(phone, ":")
	kid, body, _ := strings.Cut(rest, ":")
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	flipped := bytes.Clone(raw)
	flipped[len(flipped)-1] ^= 1
	tampered := ver + ":" + kid + ":" + base64.RawURLEncoding.EncodeToString(flipped)

	for _, tc := range []struct {
		name   string
		keys   *Keys
		kind   string
		sealed string
		want   error
	}{
		{"another key", other, KindPhone, phone, ErrWrongKey},
		{"another kind", k, KindName, phone, ErrTampered},
		{"tampered", k, KindPhone, tampered, ErrTampered},
		{"unknown version", k, KindPhone, "v3" + phone[2:], ErrUnknownVersion},
		{"no version", k, KindPhone, "13812345678", ErrMalformed},
		{"truncated", k, KindPhone, phone[:len(phone)-4], ErrTampered},
		{"too short", k, KindPhone, "v2:" + kid + ":AAAA", ErrMalformed},
		{"bad base64", k, KindPhone, "v2:" + kid + ":!!!", ErrMalformed},
		{"unknown kind", k, "email", phone, ErrUnknownKind},
		{"empty", k, KindPhone, "", ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.keys.Open(tc.kind, rec, tc.sealed)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %q, %v; want %v", got, err, tc.want)
			}
			if got != "" {
				t.Fatalf("Open returned %q with an error", got)
			}
			if strings.Contains(err.Error(), "13812345678") {
				t.Fatalf("error quotes the phone number: %v", err)
			}
		})
	}
}

func TestSealUnknownKindPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Seal with an unknown kind did not panic")
		}
	}()
	testKeys(t, 1).Seal("email", rec, "x@example.com")
}

func TestCustomerID(t *testing.T) {
	k := testKeys(t, 1)
	id := k.CustomerID("13812345678")
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Fatalf("CustomerID = %q, want 32 hex characters", id)
	}
	for _, same := range []string{"138 1234 5678", "138-1234-5678", "+8613812345678", "+86 138 1234 5678", "008613812345678", "8613812345678", "１３８１２３４５６７８"} {
		if got := k.CustomerID(same); got != id {
			t.Errorf("CustomerID(%q) = %s, want %s", same, got, id)
		}
	}
	if k.CustomerID("13812345679") == id {
		t.Error("two phones gave one id")
	}
	if testKeys(t, 2).CustomerID("13812345678") == id {
		t.Error("two keys gave one id")
	}
	// Another outlet of the same installation gets the same id, whether it
	// holds an issued key file or the old shared key.
	raw, _ := sealed.IssueKeyFile(bytes.Repeat([]byte{1}, KeySize), "SH-002", false)
	kf, _ := sealed.ParseKeyFile(raw)
	other, err := FromKeyFile(kf)
	if err != nil {
		t.Fatal(err)
	}
	if other.CustomerID("13812345678") != id {
		t.Error("same installation, same phone, different id")
	}
}

func TestNewKeysLength(t *testing.T) {
	if _, err := NewKeys(make([]byte, 16), "SH-001"); err == nil {
		t.Fatal("16-byte key accepted")
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pii.key")
	if err := GenerateKeyFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k1, err := LoadKey(path, "SH-001")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKey(path, "SH-001")
	if err != nil {
		t.Fatal(err)
	}
	s := k1.Seal(KindPhone, rec, "13812345678")
	if got, err := k2.Open(KindPhone, rec, s); err != nil || got != "13812345678" {
		t.Fatalf("reloaded key: Open = %q, %v", got, err)
	}
	if err := GenerateKeyFile(path); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("GenerateKeyFile over an existing file: %v", err)
	}

	b, _ := os.ReadFile(path)
	t.Setenv(EnvKey, string(b))
	ke, err := LoadKeyEnv("SH-001")
	if err != nil {
		t.Fatal(err)
	}
	if ke.KeyID() != k1.KeyID() {
		t.Fatal("the env key and the file key differ")
	}
}

func TestLoadKeyErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask may have narrowed it
			t.Fatal(err)
		}
		return p
	}
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	cases := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.key"), "not found"},
		{"short", write("short.key", base64.StdEncoding.EncodeToString(make([]byte, 16)), 0o600), "16 bytes, want 32"},
		{"not base64", write("junk.key", "not a key at all!", 0o600), "not base64"},
		{"directory", dir, "directory"},
	}
	if runtime.GOOS != "windows" {
		p := write("open.key", good, 0o644)
		cases = append(cases,
			struct{ name, path, want string }{"world readable", p, "chmod 600 " + p},
			struct{ name, path, want string }{"group readable", write("group.key", good, 0o640), "chmod 600"},
		)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadKey(tc.path, "SH-001")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadKey: %v; want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), good) {
				t.Fatal("error quotes the key")
			}
		})
	}
	if _, err := LoadKey(write("ok.key", good+"\n", 0o600), "SH-001"); err != nil {
		t.Fatalf("good key file: %v", err)
	}
	if _, err := LoadKey(write("raw.key", strings.TrimRight(good, "="), 0o600), "SH-001"); err != nil {
		t.Fatalf("unpadded key file: %v", err)
	}

	t.Setenv(EnvKey, "")
	if _, err := LoadKeyEnv("SH-001"); err == nil || !strings.Contains(err.Error(), "not set") {
		t.Fatalf("LoadKeyEnv unset: %v", err)
	}
	t.Setenv(EnvKey, base64.StdEncoding.EncodeToString(make([]byte, 31)))
	if _, err := LoadKeyEnv("SH-001"); err == nil || !strings.Contains(err.Error(), "31 bytes") {
		t.Fatalf("LoadKeyEnv short: %v", err)
	}
}

// TestPhoneIsTheSharedRule: pii's phone names are syncproto/phone's rule
// (its own test holds the cases), so the customer id an outlet computes
// and head office's search read a number the same way.
func TestPhoneIsTheSharedRule(t *testing.T) {
	if got := NormalizePhone("+86 138 1234 5678"); got != phone.Normalize("+86 138 1234 5678") || got != "13812345678" {
		t.Errorf("NormalizePhone = %q", got)
	}
	if err := ValidPhone("1381234567"); !errors.Is(err, phone.ErrInvalid) || !errors.Is(err, ErrPhone) {
		t.Errorf("ValidPhone of a short number = %v", err)
	}
}

func TestMask(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(string) string
		in   string
		want string
	}{
		{"phone", MaskPhone, "13812345678", "138****5678"},
		{"phone spaced", MaskPhone, "+86 138 1234 5678", "138****5678"},
		{"phone landline", MaskPhone, "010-12345678", "010****5678"},
		{"phone 12", MaskPhone, "075512345678", "075*****5678"},
		{"phone 8", MaskPhone, "12345678", "****5678"},
		{"phone 7", MaskPhone, "1234567", "***4567"},
		{"phone 6", MaskPhone, "123456", "******"},
		{"phone 4", MaskPhone, "5678", "****"},
		{"phone empty", MaskPhone, "", ""},
		{"name 3", MaskName, "张三丰", "张**"},
		{"name 2", MaskName, "张三", "张*"},
		{"name 1", MaskName, "张", "*"},
		{"name 4", MaskName, "欧阳娜娜", "欧***"},
		{"name latin", MaskName, " Li Lei ", "L*****"},
		{"name empty", MaskName, "", ""},
		{"id 18", MaskID, "110105194912311234", "110***********1234"},
		{"id 18 X", MaskID, "11010519491231002x", "110***********002X"},
		{"id 15", MaskID, "110105491231002", "110********1002"},
		{"passport", MaskID, "E12345678", "*****5678"},
		{"id short", MaskID, "1234", "****"},
		{"id empty", MaskID, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f(tc.in); got != tc.want {
				t.Fatalf("mask(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got := Mask(KindPhone, "13812345678"); got != "138****5678" {
		t.Errorf("Mask(phone) = %q", got)
	}
	if got := Mask("other", "secret"); got != "******" {
		t.Errorf("Mask(unknown kind) = %q", got)
	}
}

// longestDigitRun is the longest run of consecutive decimal digits.
func longestDigitRun(s string) int {
	best, run := 0, 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

func FuzzSealOpen(f *testing.F) {
	for _, s := range []string{"13812345678", "张三丰", "11010519491231002X", "", "\x00\xff"} {
		f.Add(KindPhone, s)
		f.Add(KindName, s)
	}
	f.Add(KindIDNumber, "E12345678")
	k, other := testKeys(f, 1), testKeys(f, 2)
	f.Fuzz(func(t *testing.T, kind, value string) {
		if !ValidKind(kind) {
			if _, err := k.Open(kind, rec, "v1:00000000:AAAA"); !errors.Is(err, ErrUnknownKind) {
				t.Fatalf("Open with kind %q: %v", kind, err)
			}
			return
		}
		s := k.Seal(kind, rec, value)
		got, err := k.Open(kind, rec, s)
		if err != nil || got != value {
			t.Fatalf("round trip: %q, %v", got, err)
		}
		if _, err := other.Open(kind, rec, s); !errors.Is(err, ErrWrongKey) {
			t.Fatalf("other key opened it: %v", err)
		}
		for _, wrong := range []string{KindPhone, KindName, KindIDNumber} {
			if wrong == kind {
				continue
			}
			if _, err := k.Open(wrong, rec, s); !errors.Is(err, ErrTampered) {
				t.Fatalf("opened a %s as a %s: %v", kind, wrong, err)
			}
		}
		// Open must never panic on arbitrary input.
		_, _ = k.Open(kind, rec, value)
	})
}

func FuzzMaskPhone(f *testing.F) {
	for _, s := range []string{"13812345678", "+86 138 1234 5678", "12345678", "1234567", "123456", "5678", "", "1381234567812345678", "１３８１２３４５６７８", "a1b2c3d4e5f6g7h8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := MaskPhone(in)
		if run := longestDigitRun(out); run > 4 {
			t.Fatalf("MaskPhone(%q) = %q shows %d digits in a row", in, out, run)
		}
		n := len([]rune(NormalizePhone(in)))
		limit := 7
		switch {
		case n < 7:
			limit = 0
		case n < 11:
			limit = 4
		}
		if d := countDigits(out); d > limit {
			t.Fatalf("MaskPhone(%q) = %q shows %d digits, at most %d allowed", in, out, d, limit)
		}
	})
}

func FuzzMaskNameID(f *testing.F) {
	for _, s := range []string{"张三丰", "张", "", "110105194912311234", "E12345678", "Li Lei"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name := MaskName(in)
		if nr := []rune(name); len([]rune(strings.TrimSpace(in))) > 1 {
			if strings.Trim(string(nr[1:]), "*") != "" {
				t.Fatalf("MaskName(%q) = %q keeps more than one character", in, name)
			}
		} else if strings.Trim(name, "*") != "" {
			t.Fatalf("MaskName(%q) = %q shows a one-character name", in, name)
		}
		id := MaskID(in)
		if run := longestDigitRun(id); run > 4 {
			t.Fatalf("MaskID(%q) = %q shows %d digits in a row", in, id, run)
		}
		if shown := len([]rune(id)) - strings.Count(id, "*"); shown > 7+strings.Count(strings.ToUpper(strings.TrimSpace(in)), "*") {
			t.Fatalf("MaskID(%q) = %q shows %d characters", in, id, shown)
		}
	})
}
