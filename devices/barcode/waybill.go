package barcode

import "fmt"

// A waybill is what the outlet files a parcel under and prints on its shelf
// label as Code 128. Every shape this package knows is made of ASCII
// letters and digits, with '-' in JD's sub-parcel numbers: UPU S10
// (two letters, nine digits, two letters), SSCC and GTIN (digits), and the
// Chinese carriers' numbers (DefaultCarriers). Code 128 encodes only
// printable ASCII, so a character beyond that (顺, 快, a full-width digit)
// would give a parcel whose label can never print, and a space inside a
// number is two reads run together or a typing slip. CheckWaybill holds a
// waybill to exactly those characters.

// WaybillChars says in words which characters a waybill may hold.
const WaybillChars = "A–Z a–z 0–9 -"

// WaybillRune reports whether r may appear in a waybill.
func WaybillRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-'
}

// BadWaybillRune returns the first rune of s a waybill may not hold and its
// position counted in characters from 1, or false if there is none.
func BadWaybillRune(s string) (r rune, position int, bad bool) {
	for _, r := range s {
		position++
		if !WaybillRune(r) {
			return r, position, true
		}
	}
	return 0, 0, false
}

// CheckWaybill returns nil when s may be a waybill, ErrEmpty when it is
// empty, and ErrWaybillChars naming the first character it may not hold.
func CheckWaybill(s string) error {
	if s == "" {
		return ErrEmpty.with("no waybill")
	}
	if r, _, bad := BadWaybillRune(s); bad {
		return ErrWaybillChars.with("waybill %q: %s", s, describeRune(r))
	}
	return nil
}

// describeRune names a rune for a log line: a space is easy to miss.
func describeRune(r rune) string {
	if r == ' ' {
		return "a space (U+0020)"
	}
	return fmt.Sprintf("%q (%U)", r, r)
}
