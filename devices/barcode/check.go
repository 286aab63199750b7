package barcode

import "strings"

// GS1CheckDigit returns the GS1 mod-10 check digit for payload (the digits
// before the check digit): weights 3,1,3,... from the right. ok is false if
// payload is empty or not all digits.
func GS1CheckDigit(payload string) (digit byte, ok bool) {
	if !allDigits(payload) {
		return 0, false
	}
	sum := 0
	for i := 0; i < len(payload); i++ {
		d := int(payload[len(payload)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10), true
}

// ValidGS1Mod10 reports whether s (payload followed by its check digit) is
// all digits with a correct GS1 check digit.
func ValidGS1Mod10(s string) bool {
	if len(s) < 2 {
		return false
	}
	c, ok := GS1CheckDigit(s[:len(s)-1])
	return ok && c == s[len(s)-1]
}

// ValidSSCC reports whether s is an 18-digit SSCC with a correct check digit.
func ValidSSCC(s string) bool { return len(s) == 18 && ValidGS1Mod10(s) }

// ValidGTIN reports whether s is a GTIN-8, -12, -13 or -14 with a correct
// check digit.
func ValidGTIN(s string) bool {
	switch len(s) {
	case 8, 12, 13, 14:
		return ValidGS1Mod10(s)
	}
	return false
}

var s10Weights = [8]int{8, 6, 4, 2, 3, 5, 9, 7}

// S10CheckDigit returns the UPU S10 check digit for an 8-digit serial
// number: r = weighted sum mod 11; check = 11-r, except r=0 gives 5 and
// r=1 gives 0.
func S10CheckDigit(serial string) (digit byte, ok bool) {
	if len(serial) != 8 || !allDigits(serial) {
		return 0, false
	}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += int(serial[i]-'0') * s10Weights[i]
	}
	switch r := sum % 11; r {
	case 0:
		return '5', true
	case 1:
		return '0', true
	default:
		return byte('0' + 11 - r), true
	}
}

// IsS10Shape reports whether s looks like an S10 item number: two letters,
// nine digits, two letters (e.g. "RB123456785GB"). It does not check digits.
func IsS10Shape(s string) bool {
	if len(s) != 13 {
		return false
	}
	for i := 0; i < 13; i++ {
		c := s[i]
		if i < 2 || i > 10 {
			if c < 'A' || c > 'Z' {
				return false
			}
		} else if !isDigit(c) {
			return false
		}
	}
	return true
}

// ValidateS10 checks an S10 item number: shape, check digit and ISO 3166
// country code. It returns nil or an *Error (ErrMisread, ErrBadCountry).
func ValidateS10(s string) error {
	if !IsS10Shape(s) {
		return ErrMisread.with("%q is not two letters, nine digits, two letters", s)
	}
	want, _ := S10CheckDigit(s[2:10])
	if s[10] != want {
		return ErrMisread.with("S10 %s: check digit %c, expected %c", s, s[10], want)
	}
	if !IsCountry(s[11:]) {
		return ErrBadCountry.with("S10 %s: %s is not an ISO 3166 country code", s, s[11:])
	}
	return nil
}

// iso3166 holds the officially assigned ISO 3166-1 alpha-2 codes.
const iso3166 = "" +
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
	"HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM " +
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

var countries = func() map[string]bool {
	m := make(map[string]bool, 249)
	for _, c := range strings.Fields(iso3166) {
		m[c] = true
	}
	return m
}()

// IsCountry reports whether cc is an assigned ISO 3166-1 alpha-2 code.
func IsCountry(cc string) bool { return countries[cc] }
