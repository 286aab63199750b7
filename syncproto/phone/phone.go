// Package phone is the one rule for reading a customer's phone number:
// the outlets normalise it before they hash it into the customer id, and
// head office does the same when it is asked about a number.
package phone

import (
	"strings"
	"unicode"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// Normalize reduces a phone number to the digits people mean: it
// turns full-width digits into ASCII, drops spaces and dashes, and strips a
// leading +86, 0086, or 86 before an 11-digit mobile number. Anything else
// is left as it is, so Valid can reject it.
func Normalize(s string) string {
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

// ErrInvalid is wrapped by Valid's error, which says more.
var ErrInvalid = problem.New(problem.PhoneInvalid)

// Valid checks a mainland mobile number (1[3-9] and nine more digits)
// after Normalize. The error never repeats the number.
func Valid(phone string) error {
	n := Normalize(phone)
	if n == "" {
		return problem.Wrap(ErrInvalid, problem.PhoneEmpty)
	}
	if len(n) != 11 || !allDigits(n) {
		return problem.Wrap(ErrInvalid, problem.PhoneLength, "length", len([]rune(n)))
	}
	if n[0] != '1' || n[1] < '3' || n[1] > '9' {
		return problem.Wrap(ErrInvalid, problem.PhonePrefix)
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

// Mask shows a phone number as privacy waybills do: 138****5678. Only
// numbers of 11 characters or more keep their first three; shorter ones
// keep the last four only, and fewer than 7 characters are all masked, so
// the last four never give away the whole number.
func Mask(phone string) string {
	r := []rune(Normalize(phone))
	n := len(r)
	switch {
	case n >= 11:
		return string(r[:3]) + strings.Repeat("*", n-7) + string(r[n-4:])
	case n >= 7:
		return strings.Repeat("*", n-4) + string(r[n-4:])
	default:
		return strings.Repeat("*", n)
	}
}
