package barcode

import (
	"fmt"
	"strings"
)

// GS is the ASCII group separator that stands for FNC1 between
// variable-length GS1 elements.
const GS = '\x1d'

// Element is one GS1 application identifier and its value.
type Element struct {
	AI    string `json:"ai"`
	Value string `json:"value"`
	Title string `json:"title,omitempty"` // GS1 data title, e.g. "SSCC"
}

// aiSpec describes one AI. fixed > 0 means exactly that many characters,
// so no separator is needed after it; otherwise up to max characters ended
// by GS or the end of data.
type aiSpec struct {
	title   string
	fixed   int
	max     int
	numeric bool
	check   bool // last digit is a GS1 mod-10 check digit
	date    bool // YYMMDD, DD may be 00
	country int  // leading digits that are an ISO 3166 numeric code
}

var aiTable = map[string]aiSpec{
	"00":   {title: "SSCC", fixed: 18, numeric: true, check: true},
	"01":   {title: "GTIN", fixed: 14, numeric: true, check: true},
	"02":   {title: "CONTENT", fixed: 14, numeric: true, check: true},
	"10":   {title: "BATCH/LOT", max: 20},
	"11":   {title: "PROD DATE", fixed: 6, numeric: true, date: true},
	"12":   {title: "DUE DATE", fixed: 6, numeric: true, date: true},
	"13":   {title: "PACK DATE", fixed: 6, numeric: true, date: true},
	"15":   {title: "BEST BEFORE", fixed: 6, numeric: true, date: true},
	"16":   {title: "SELL BY", fixed: 6, numeric: true, date: true},
	"17":   {title: "USE BY", fixed: 6, numeric: true, date: true},
	"20":   {title: "VARIANT", fixed: 2, numeric: true},
	"21":   {title: "SERIAL", max: 20},
	"22":   {title: "CPV", max: 20},
	"235":  {title: "TPX", max: 28},
	"240":  {title: "ADDITIONAL ID", max: 30},
	"241":  {title: "CUST. PART No.", max: 30},
	"242":  {title: "MTO VARIANT", max: 6, numeric: true},
	"250":  {title: "SECONDARY SERIAL", max: 30},
	"251":  {title: "REF. TO SOURCE", max: 30},
	"253":  {title: "GDTI", max: 30},
	"254":  {title: "GLN EXTENSION COMPONENT", max: 20},
	"255":  {title: "GCN", max: 25, numeric: true},
	"30":   {title: "VAR. COUNT", max: 8, numeric: true},
	"37":   {title: "COUNT", max: 8, numeric: true},
	"400":  {title: "ORDER NUMBER", max: 30},
	"401":  {title: "GINC", max: 30},
	"402":  {title: "GSIN", fixed: 17, numeric: true, check: true},
	"403":  {title: "ROUTE", max: 30},
	"420":  {title: "SHIP TO POST", max: 20},
	"421":  {title: "SHIP TO POST", max: 12, country: 3},
	"422":  {title: "ORIGIN", fixed: 3, numeric: true, country: 3},
	"423":  {title: "COUNTRY - INITIAL PROCESS", max: 15, numeric: true},
	"424":  {title: "COUNTRY - PROCESS", fixed: 3, numeric: true, country: 3},
	"425":  {title: "COUNTRY - DISASSEMBLY", max: 15, numeric: true},
	"426":  {title: "COUNTRY - FULL PROCESS", fixed: 3, numeric: true, country: 3},
	"7001": {title: "NSN", fixed: 13, numeric: true},
	"7003": {title: "EXPIRY TIME", fixed: 10, numeric: true},
	"8003": {title: "GRAI", max: 30},
	"8004": {title: "GIAI", max: 30},
	"8018": {title: "GSRN - RECIPIENT", fixed: 18, numeric: true, check: true},
	"8020": {title: "REF No.", max: 25},
	"90":   {title: "INTERNAL", max: 30},
}

func init() {
	// Measures: 31nn-36nn, six digits with the decimal point position in n.
	for p := 310; p <= 369; p++ {
		for n := 0; n <= 5; n++ {
			aiTable[fmt.Sprintf("%d%d", p, n)] = aiSpec{title: "MEASURE", fixed: 6, numeric: true}
		}
	}
	for n := 0; n <= 9; n++ {
		aiTable[fmt.Sprintf("390%d", n)] = aiSpec{title: "AMOUNT", max: 15, numeric: true}
		aiTable[fmt.Sprintf("391%d", n)] = aiSpec{title: "AMOUNT", max: 18, numeric: true, country: 3}
		aiTable[fmt.Sprintf("392%d", n)] = aiSpec{title: "PRICE", max: 15, numeric: true}
		aiTable[fmt.Sprintf("393%d", n)] = aiSpec{title: "PRICE", max: 18, numeric: true, country: 3}
	}
	for ai := 410; ai <= 417; ai++ {
		aiTable[fmt.Sprint(ai)] = aiSpec{title: "GLN", fixed: 13, numeric: true, check: true}
	}
	for ai := 91; ai <= 99; ai++ {
		aiTable[fmt.Sprint(ai)] = aiSpec{title: "INTERNAL", max: 90}
	}
}

// lookupAI finds the AI at the start of s, trying 2, 3 then 4 digits.
func lookupAI(s string) (string, aiSpec, bool) {
	for n := 2; n <= 4 && n <= len(s); n++ {
		if spec, ok := aiTable[s[:n]]; ok && allDigits(s[:n]) {
			return s[:n], spec, true
		}
	}
	return "", aiSpec{}, false
}

// ParseGS1 parses a GS1 element string. It accepts:
//   - the raw form, elements concatenated, variable-length values ended by
//     GS (0x1D) or the end of data, optional GS after fixed-length values;
//   - a leading "]C1", "]d2", "]Q3", "]e0" AIM identifier, or a leading GS
//     standing for FNC1 in first position, both stripped;
//   - the human-readable form "(01)09501101530003(17)251231".
//
// A variable-length value longer than its maximum means a GS separator was
// lost (common with keyboard-wedge scanners) and is an error, not a guess.
// Check digits, dates and the GS1 character set are verified.
func ParseGS1(s string) ([]Element, error) {
	if id, rest, ok := ParseAIM(s); ok {
		if !id.GS1 {
			return nil, ErrGS1.with("symbology %s (%s) does not carry GS1 data", id.ID, id.Symbology)
		}
		s = rest
	}
	s = strings.TrimLeft(s, string(GS))
	if s == "" {
		return nil, ErrGS1.with("no element string")
	}
	if s[0] == '(' {
		return parseGS1HRI(s)
	}
	var out []Element
	for len(s) > 0 {
		ai, spec, ok := lookupAI(s)
		if !ok {
			return nil, ErrGS1UnknownAI.with("at %q", clip(s))
		}
		s = s[len(ai):]
		var v string
		if spec.fixed > 0 {
			if len(s) < spec.fixed {
				return nil, ErrGS1.with("AI (%s) needs %d characters, %d left", ai, spec.fixed, len(s))
			}
			v, s = s[:spec.fixed], s[spec.fixed:]
			if strings.IndexByte(v, GS) >= 0 {
				return nil, ErrGS1.with("AI (%s) %q: separator inside a fixed-length value", ai, v)
			}
		} else {
			end := strings.IndexByte(s, GS)
			if end < 0 {
				end = len(s)
			}
			v, s = s[:end], s[end:]
		}
		s = strings.TrimPrefix(s, string(GS))
		e, err := checkElement(ai, spec, v)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func parseGS1HRI(s string) ([]Element, error) {
	var out []Element
	for len(s) > 0 {
		if s[0] != '(' {
			return nil, ErrGS1.with("expected '(' at %q", clip(s))
		}
		close := strings.IndexByte(s, ')')
		if close < 0 {
			return nil, ErrGS1.with("unclosed '(' at %q", clip(s))
		}
		ai := s[1:close]
		spec, ok := aiTable[ai]
		if !ok || !allDigits(ai) {
			return nil, ErrGS1UnknownAI.with("(%s)", ai)
		}
		s = s[close+1:]
		end := strings.IndexByte(s, '(')
		if end < 0 {
			end = len(s)
		}
		v := s[:end]
		s = s[end:]
		if spec.fixed > 0 && len(v) != spec.fixed {
			return nil, ErrGS1.with("AI (%s) needs %d characters, got %d", ai, spec.fixed, len(v))
		}
		e, err := checkElement(ai, spec, v)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func checkElement(ai string, spec aiSpec, v string) (Element, error) {
	if v == "" {
		return Element{}, ErrGS1.with("AI (%s) has no value", ai)
	}
	if spec.fixed == 0 && len(v) > spec.max {
		return Element{}, ErrGS1.with("AI (%s) value is %d characters, at most %d: a GS separator is missing", ai, len(v), spec.max)
	}
	if spec.numeric && !allDigits(v) {
		return Element{}, ErrGS1.with("AI (%s) %q must be digits", ai, v)
	}
	for i := 0; i < len(v); i++ {
		if !isCSet82(v[i]) {
			return Element{}, ErrGS1.with("AI (%s) %q: character %q not allowed in GS1 data", ai, v, v[i])
		}
	}
	if spec.country > 0 {
		if len(v) < spec.country || !allDigits(v[:spec.country]) {
			return Element{}, ErrGS1.with("AI (%s) %q must start with a 3-digit country code", ai, v)
		}
	}
	if spec.check && !ValidGS1Mod10(v) {
		return Element{}, ErrMisread.with("GS1 AI (%s) %s: check digit wrong", ai, v)
	}
	if spec.date && !validYYMMDD(v) {
		return Element{}, ErrGS1.with("AI (%s) %q is not a date YYMMDD", ai, v)
	}
	return Element{AI: ai, Value: v, Title: spec.title}, nil
}

func validYYMMDD(v string) bool {
	mm := int(v[2]-'0')*10 + int(v[3]-'0')
	dd := int(v[4]-'0')*10 + int(v[5]-'0')
	return mm >= 1 && mm <= 12 && dd <= 31
}

// isCSet82 reports whether c is in GS1 AI encodable character set 82.
func isCSet82(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	}
	return strings.IndexByte(`!"%&'()*+,-./:;<=>?_`, c) >= 0
}

func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

// FormatGS1 renders elements in the human-readable "(AI)value" form.
func FormatGS1(els []Element) string {
	var b strings.Builder
	for _, e := range els {
		b.WriteString("(" + e.AI + ")" + e.Value)
	}
	return b.String()
}
