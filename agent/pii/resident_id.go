package pii

import (
	"time"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// Resident identity number errors. None of them quotes the number.
var (
	ErrResidentIDLength = problem.New(problem.ResidentIDLength)
	ErrResidentIDChars  = problem.New(problem.ResidentIDChars)
	ErrResidentIDRegion = problem.New(problem.ResidentIDRegion)
	ErrResidentIDBirth  = problem.New(problem.ResidentIDBirth)
	ErrResidentIDCheck  = problem.New(problem.ResidentIDCheck)
)

// residentIDWeights are the ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 for
// the 17 leading digits.
var residentIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// ResidentIDCheckChar returns the check character of GB 11643 for the 17
// leading digits: the weighted sum mod 11 indexes "10X98765432". ok is
// false unless digits is exactly 17 ASCII digits.
func ResidentIDCheckChar(digits string) (c byte, ok bool) {
	if len(digits) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		d := digits[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		sum += int(d-'0') * residentIDWeights[i]
	}
	return "10X98765432"[sum%11], true
}

// ValidResidentID checks an 18-character resident identity number (GB
// 11643) against today's date; see ValidResidentIDAt.
func ValidResidentID(id string) error { return ValidResidentIDAt(id, time.Now()) }

// ValidResidentIDAt checks the structure of an 18-character resident
// identity number as of now: a 6-digit region code that is not all zeros
// (the code list itself is not checked), an 8-digit birth date YYYYMMDD that
// is a real date from 1900-01-01 up to now's date, a 3-digit sequence, and
// the ISO 7064 MOD 11-2 check character, where a lower-case 'x' counts as
// 'X'. It returns nil or one of the ErrResidentID errors.
func ValidResidentIDAt(id string, now time.Time) error {
	if len(id) != 18 {
		return ErrResidentIDLength
	}
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return ErrResidentIDChars
		}
	}
	last := id[17]
	if last == 'x' {
		last = 'X'
	}
	if (last < '0' || last > '9') && last != 'X' {
		return ErrResidentIDChars
	}
	if id[:6] == "000000" {
		return ErrResidentIDRegion
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	y, m, d := num(id[6:10]), num(id[10:12]), num(id[12:14])
	birth := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	ny, nm, nd := now.Date()
	today := time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)
	if y < 1900 || m < 1 || m > 12 || d < 1 || birth.Day() != d || birth.After(today) {
		return ErrResidentIDBirth
	}
	if c, _ := ResidentIDCheckChar(id[:17]); c != last {
		return ErrResidentIDCheck
	}
	return nil
}
