package barcode

// Symbology names a barcode type in lower-case words, as logs and the UI
// show it. The empty Symbology means "not known" (no AIM identifier).
type Symbology string

const (
	SymUnknown         Symbology = ""
	SymCode39          Symbology = "code39"
	SymTelepen         Symbology = "telepen"
	SymCode128         Symbology = "code128"
	SymGS1128          Symbology = "gs1-128"
	SymCodeOne         Symbology = "code-one"
	SymEAN13           Symbology = "ean-13" // also UPC-A and UPC-E expanded to 13 digits
	SymEAN8            Symbology = "ean-8"
	SymEANAddOn        Symbology = "ean-addon"
	SymCodabar         Symbology = "codabar"
	SymCode93          Symbology = "code93"
	SymCode11          Symbology = "code11"
	SymITF             Symbology = "itf"
	SymCode16K         Symbology = "code16k"
	SymPDF417          Symbology = "pdf417"
	SymMSI             Symbology = "msi"
	SymAnker           Symbology = "anker"
	SymCodablock       Symbology = "codablock"
	SymPlessey         Symbology = "plessey"
	SymQR              Symbology = "qr"
	SymGS1QR           Symbology = "gs1-qr"
	SymStraight2of5    Symbology = "straight-2of5"
	SymCode49          Symbology = "code49"
	SymMaxiCode        Symbology = "maxicode"
	SymOther           Symbology = "other"
	SymDataMatrix      Symbology = "datamatrix"
	SymGS1DataMatrix   Symbology = "gs1-datamatrix"
	SymGS1DataBar      Symbology = "gs1-databar"
	SymHanXin          Symbology = "hanxin"
	SymAztec           Symbology = "aztec"
	SymGS1Aztec        Symbology = "gs1-aztec"
	SymDotCode         Symbology = "dotcode"
	SymGS1DotCode      Symbology = "gs1-dotcode"
	SymGridMatrix      Symbology = "grid-matrix"
	SymMicroPDF417     Symbology = "micropdf417"
	SymOCR             Symbology = "ocr"
	SymChannel         Symbology = "channel-code"
	SymNonBarcode      Symbology = "non-barcode"
	SymSystemExpansion Symbology = "system-expansion"
)

// aimCodes maps the AIM code character (ISO/IEC 15424) to its symbology.
var aimCodes = map[byte]Symbology{
	'A': SymCode39, 'B': SymTelepen, 'C': SymCode128, 'D': SymCodeOne,
	'E': SymEAN13, 'F': SymCodabar, 'G': SymCode93, 'H': SymCode11,
	'I': SymITF, 'K': SymCode16K, 'L': SymPDF417, 'M': SymMSI,
	'N': SymAnker, 'O': SymCodablock, 'P': SymPlessey, 'Q': SymQR,
	'R': SymStraight2of5, 'S': SymStraight2of5, 'T': SymCode49,
	'U': SymMaxiCode, 'X': SymOther, 'Y': SymSystemExpansion,
	'Z': SymNonBarcode, 'c': SymChannel, 'd': SymDataMatrix,
	'e': SymGS1DataBar, 'g': SymGridMatrix, 'h': SymHanXin,
	'J': SymDotCode, 'o': SymOCR, 'z': SymAztec,
}

// AIM is a parsed symbology identifier such as "]C1".
type AIM struct {
	ID        string // the three characters as read, e.g. "]C1"
	Code      byte   // 'C'
	Modifier  byte   // '1'
	Symbology Symbology
	GS1       bool // the data is a GS1 element string (FNC1 in first position)
}

// ParseAIM splits a leading AIM symbology identifier off s. It reports
// ok=false and returns s unchanged when s does not start with one.
func ParseAIM(s string) (id AIM, rest string, ok bool) {
	if len(s) < 3 || s[0] != ']' {
		return AIM{}, s, false
	}
	code, mod := s[1], s[2]
	sym, known := aimCodes[code]
	if !known || !isAlnum(mod) {
		return AIM{}, s, false
	}
	id = AIM{ID: s[:3], Code: code, Modifier: mod, Symbology: sym}
	switch code {
	case 'C':
		if mod == '1' {
			id.Symbology, id.GS1 = SymGS1128, true
		}
	case 'E':
		switch mod {
		case '1', '2':
			id.Symbology = SymEANAddOn
		case '4':
			id.Symbology = SymEAN8
		}
	case 'Q':
		if mod == '3' || mod == '4' {
			id.Symbology, id.GS1 = SymGS1QR, true
		}
	case 'd':
		if mod == '2' || mod == '5' {
			id.Symbology, id.GS1 = SymGS1DataMatrix, true
		}
	case 'e':
		id.GS1 = true // GS1 DataBar always carries GS1 data
	case 'z':
		if mod >= '3' && mod <= '5' || mod >= '9' && mod <= 'A' {
			id.Symbology, id.GS1 = SymGS1Aztec, true
		}
	case 'J':
		if mod == '1' {
			id.Symbology, id.GS1 = SymGS1DotCode, true
		}
	case 'L':
		if mod >= '3' && mod <= '5' {
			id.Symbology = SymMicroPDF417
		}
	}
	return id, s[3:], true
}

// Is2D reports whether a symbology is a matrix or stacked code, whose data
// may legitimately contain line breaks.
func (s Symbology) Is2D() bool {
	switch s {
	case SymQR, SymGS1QR, SymDataMatrix, SymGS1DataMatrix, SymPDF417,
		SymMicroPDF417, SymAztec, SymGS1Aztec, SymHanXin, SymMaxiCode,
		SymDotCode, SymGS1DotCode, SymGridMatrix, SymCodablock, SymCode16K, SymCode49:
		return true
	}
	return false
}

// IsGS1 reports whether the symbology always carries a GS1 element string.
func (s Symbology) IsGS1() bool {
	switch s {
	case SymGS1128, SymGS1QR, SymGS1DataMatrix, SymGS1DataBar, SymGS1Aztec, SymGS1DotCode:
		return true
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
