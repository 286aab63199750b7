package phone

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeAndValidPhone(t *testing.T) {
	for _, tc := range []struct {
		in, norm string
		valid    bool
	}{
		{"13812345678", "13812345678", true},
		{" 138 1234 5678 ", "13812345678", true},
		{"138-1234-5678", "13812345678", true},
		{"+86 138 1234 5678", "13812345678", true},
		{"0086-13812345678", "13812345678", true},
		{"8613812345678", "13812345678", true},
		{"１３８　１２３４　５６７８", "13812345678", true},
		{"＋86 19912345678", "19912345678", true},
		{"12812345678", "12812345678", false},
		{"23812345678", "23812345678", false},
		{"1381234567", "1381234567", false},
		{"138123456789", "138123456789", false},
		{"1381234567a", "1381234567a", false},
		{"010-12345678", "01012345678", false},
		{"", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := Normalize(tc.in); got != tc.norm {
				t.Errorf("Normalize = %q, want %q", got, tc.norm)
			}
			err := Valid(tc.in)
			if (err == nil) != tc.valid {
				t.Fatalf("Valid = %v, want valid=%v", err, tc.valid)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), " / ") {
					t.Errorf("error %q is not a bilingual ErrInvalid", err)
				}
				if tc.norm != "" && strings.Contains(err.Error(), tc.norm) {
					t.Errorf("error quotes the number: %v", err)
				}
			}
		})
	}
}
