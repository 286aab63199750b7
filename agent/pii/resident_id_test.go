package pii

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

var residentNow = time.Date(2026, 11, 11, 10, 0, 0, 0, time.UTC)

// checkCharByDefinition computes the MOD 11-2 check character straight from
// ISO 7064: weights are 2^(17-i) mod 11, and the check value c satisfies
// (sum + c) mod 11 == 1, with 10 written as X.
func checkCharByDefinition(digits string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		w := 1
		for k := 0; k < 17-i; k++ {
			w = w * 2 % 11
		}
		sum += int(digits[i]-'0') * w
	}
	for c := 0; c <= 10; c++ {
		if (sum+c)%11 == 1 {
			if c == 10 {
				return 'X'
			}
			return byte('0' + c)
		}
	}
	panic("unreachable")
}

func withCheck(first17 string) string { return first17 + string(checkCharByDefinition(first17)) }

func TestValidResidentID(t *testing.T) {
	cases := []struct {
		name, id string
		want     error
	}{
		// Sample numbers printed in GB 11643-1999.
		{"published sample X", "11010519491231002X", nil},
		// The standard's other sample was born in 1880: well formed, check
		// character right, but before the 1900 floor this check applies.
		{"published sample before 1900", "440524188001010014", ErrResidentIDBirth},
		{"lower-case x", "11010519491231002x", nil},
		{"constructed 1900-01-01", withCheck("31010119000101123"), nil},
		{"constructed leap day", withCheck("32050220000229001"), nil},
		{"constructed born today", withCheck("51010720261111555"), nil},
		{"wrong check char", "110105194912310021", ErrResidentIDCheck},
		{"wrong check digit", "440524198001010015", ErrResidentIDCheck},
		{"transposed digits", "110105194912310202", ErrResidentIDCheck},
		{"17 chars", "11010519491231002", ErrResidentIDLength},
		{"19 chars", "11010519491231002X1", ErrResidentIDLength},
		{"empty", "", ErrResidentIDLength},
		{"15-digit old format", "110105491231002", ErrResidentIDLength},
		{"letter inside", "1101051949123100AX", ErrResidentIDChars},
		{"X not last", "X10105194912310021", ErrResidentIDChars},
		{"last is Y", "11010519491231002Y", ErrResidentIDChars},
		{"full-width digit", "１1010519491231002", ErrResidentIDLength},
		{"region all zeros", withCheck("00000019491231002"), ErrResidentIDRegion},
		{"feb 30", withCheck("11010519490230002"), ErrResidentIDBirth},
		{"feb 29 non-leap", withCheck("11010519000229002"), ErrResidentIDBirth},
		{"month 13", withCheck("11010519491301002"), ErrResidentIDBirth},
		{"month 00", withCheck("11010519490001002"), ErrResidentIDBirth},
		{"day 00", withCheck("11010519491200002"), ErrResidentIDBirth},
		{"before 1900", withCheck("11010518991231002"), ErrResidentIDBirth},
		{"tomorrow", withCheck("11010520261112002"), ErrResidentIDBirth},
		{"next year", withCheck("11010520270101002"), ErrResidentIDBirth},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidResidentIDAt(tc.id, residentNow); !errors.Is(err, tc.want) {
				t.Fatalf("ValidResidentIDAt = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestResidentIDCheckCharMatchesDefinition(t *testing.T) {
	for i := 0; i < 2000; i++ {
		digits := fmt.Sprintf("%06d%s%03d", 110000+i*37%890000, "19850615", i%1000)
		got, ok := ResidentIDCheckChar(digits)
		if !ok || got != checkCharByDefinition(digits) {
			t.Fatalf("%s: got %c ok=%v, want %c", digits, got, ok, checkCharByDefinition(digits))
		}
	}
	for _, bad := range []string{"", "1234567890123456", "123456789012345678", "1234567890123456a"} {
		if _, ok := ResidentIDCheckChar(bad); ok {
			t.Errorf("ResidentIDCheckChar(%q) ok", bad)
		}
	}
}

func TestResidentIDErrorsAreBilingualAndQuoteNothing(t *testing.T) {
	id := withCheck("11010519491231002")
	id = id[:17] + "0"
	if id == withCheck("11010519491231002") {
		id = id[:17] + "1"
	}
	err := ValidResidentIDAt(id, residentNow)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, part := range []string{id, id[:6], id[6:14]} {
		if contains(msg, part) {
			t.Fatalf("error quotes the number: %q", msg)
		}
	}
	if !contains(msg, " / ") {
		t.Fatalf("error is not bilingual: %q", msg)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// FuzzValidResidentID: never panics, and a valid number with any one digit
// changed is rejected (MOD 11-2 catches every single-digit error).
func FuzzValidResidentID(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "440524188001010014", "11010519491231002x", "110105194912310021", "", "00000019000101000X", "32050220000229001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ValidResidentIDAt(id, residentNow) != nil {
			// Most random inputs are invalid: also try the input's first 17
			// characters completed with their right check character.
			if len(id) < 17 {
				return
			}
			if _, ok := ResidentIDCheckChar(id[:17]); !ok {
				return
			}
			id = withCheck(id[:17])
			if ValidResidentIDAt(id, residentNow) != nil {
				return
			}
		}
		for i := 0; i < 18; i++ {
			for d := byte('0'); d <= '9'; d++ {
				if id[i] == d {
					continue
				}
				changed := id[:i] + string(d) + id[i+1:]
				if ValidResidentIDAt(changed, residentNow) == nil {
					t.Fatalf("one changed character at %d still valid", i)
				}
			}
		}
	})
}
