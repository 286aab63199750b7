package pii

import (
	"strings"

	"github.com/yizhan/yizhan/syncproto/phone"
)

// NormalizePhone, ValidPhone and ErrPhone are syncproto/phone's: head
// office computes the same customer id from a phone it is asked about.
var (
	NormalizePhone = phone.Normalize
	ValidPhone     = phone.Valid
	ErrPhone       = phone.ErrInvalid
)

// MaskPhone is syncproto/phone's Mask: head office masks numbers the
// same way.
var MaskPhone = phone.Mask

// MaskName keeps the first character: 张三丰 → 张**. A one-character name
// is all masked.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) <= 1 {
		return stars(len(r))
	}
	return string(r[:1]) + stars(len(r)-1)
}

// MaskID shows an 18-digit resident id as 110***********1234 (the region
// prefix and the last four). Shorter documents keep the last four only, and
// fewer than 5 characters are all masked.
func MaskID(id string) string {
	r := []rune(strings.ToUpper(strings.TrimSpace(id)))
	n := len(r)
	switch {
	case n >= 10:
		return string(r[:3]) + stars(n-7) + string(r[n-4:])
	case n >= 5:
		return stars(n-4) + string(r[n-4:])
	default:
		return stars(n)
	}
}

// Mask masks a value of the given kind; an unknown kind is masked entirely.
func Mask(kind, value string) string {
	switch kind {
	case KindPhone:
		return MaskPhone(value)
	case KindName:
		return MaskName(value)
	case KindIDNumber:
		return MaskID(value)
	}
	return stars(len([]rune(value)))
}

func stars(n int) string { return strings.Repeat("*", n) }
