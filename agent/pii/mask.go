package pii

import (
	"strings"
	"unicode"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// NormalizePhone reduces a phone number to the digits people mean: it
// turns full-width digits into ASCII, drops spaces and dashes, and strips a
// leading +86, 0086, or 86 before an 11-digit mobile number. Anything else
// is left as it is, so ValidPhone can reject it.
func NormalizePhone(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == '＋':
			b.WriteByte('+')
		case unicode.IsSpace(r), r == '-', r == '－', r >= '‐' && r <= '―':
			// separators people and IMEs type
		default:
			b.WriteRune(r)
		}
	}
	n := b.String()
	switch {
	case strings.HasPrefix(n, "+86"):
		n = n[3:]
	case strings.HasPrefix(n, "0086"):
		n = n[4:]
	case len(n) == 13 && strings.HasPrefix(n, "861"):
		// A landline with area code has at most 12 digits, so this is a
		// mobile number with the country code in front.
		n = n[2:]
	}
	return n
}

// ErrPhone is wrapped by ValidPhone's error, which says more.
var ErrPhone = problem.New(problem.PhoneInvalid)

// ValidPhone checks a mainland mobile number (1[3-9] and nine more digits)
// after NormalizePhone. The error never repeats the number.
func ValidPhone(phone string) error {
	n := NormalizePhone(phone)
	if n == "" {
		return problem.Wrap(ErrPhone, problem.PhoneEmpty)
	}
	if len(n) != 11 || !allDigits(n) {
		return problem.Wrap(ErrPhone, problem.PhoneLength, "length", len([]rune(n)))
	}
	if n[0] != '1' || n[1] < '3' || n[1] > '9' {
		return problem.Wrap(ErrPhone, problem.PhonePrefix)
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MaskPhone shows a phone number as privacy waybills do: 138****5678. Only
// numbers of 11 characters or more keep their first three; shorter ones
// keep the last four only, and fewer than 7 characters are all masked, so
// the last four never give away the whole number.
func MaskPhone(phone string) string {
	r := []rune(NormalizePhone(phone))
	n := len(r)
	switch {
	case n >= 11:
		return string(r[:3]) + stars(n-7) + string(r[n-4:])
	case n >= 7:
		return stars(n-4) + string(r[n-4:])
	default:
		return stars(n)
	}
}

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
