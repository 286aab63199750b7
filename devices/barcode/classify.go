package barcode

import "strings"

// Kind says what a read is.
type Kind string

const (
	KindS10     Kind = "s10"     // UPU S10 item number, check digit verified
	KindSSCC    Kind = "sscc"    // SSCC-18, from GS1 AI (00) or a bare "00"+18 digits
	KindGTIN    Kind = "gtin"    // EAN/UPC product code
	KindGS1     Kind = "gs1"     // other GS1 element string
	KindCarrier Kind = "carrier" // matches one or more carrier shapes
	KindUnknown Kind = "unknown" // accepted, nothing recognised it
)

// Flags on an accepted read; the UI may ask the clerk to confirm.
const (
	FlagUnknownFormat    = "unknown_format"    // no rule recognised it
	FlagAmbiguousCarrier = "ambiguous_carrier" // more than one carrier candidate
	FlagProductCode      = "product_code"      // a product (GTIN) barcode, not a waybill
)

// Result is the verdict on one read. Err is nil when accepted.
type Result struct {
	Text       string      `json:"text"` // data without AIM identifier
	AIM        string      `json:"aim,omitempty"`
	Symbology  Symbology   `json:"symbology,omitempty"`
	Kind       Kind        `json:"kind"`
	Waybill    string      `json:"waybill,omitempty"` // the number to file the parcel under
	GS1        []Element   `json:"gs1,omitempty"`
	Candidates []Candidate `json:"candidates,omitempty"`
	Flags      []string    `json:"flags,omitempty"`
	Err        error       `json:"-"` // *Error when rejected
}

// OK reports whether the read was accepted.
func (r Result) OK() bool { return r.Err == nil }

// Validator holds the tunables of Validate. The zero value is ready to use.
type Validator struct {
	MaxLen   int           // 0 means DefaultMaxLen
	Carriers []CarrierRule // nil means DefaultCarriers
}

// Validate classifies one read with the default Validator. See
// Validator.Validate.
func Validate(text, aimID string) Result { return Validator{}.Validate(text, aimID) }

// Classify is Validate for data that may still start with its AIM
// identifier (a scanner whose framing does not strip it).
func Classify(scanned string) Result {
	id, rest, ok := ParseAIM(scanned)
	if !ok {
		return Validate(scanned, "")
	}
	return Validate(rest, id.ID)
}

// Validate classifies text (the data without its AIM identifier; aimID is
// that identifier or ""). In order:
//  1. noise is rejected (CheckNoise);
//  2. GS1 symbologies, and text in "(AI)" form or starting with GS, are
//     parsed as GS1; any error rejects; AI (00) makes it an SSCC;
//  3. S10-shaped text must pass ValidateS10;
//  4. EAN/UPC symbologies must carry a valid GTIN;
//  5. carrier shapes give candidates;
//  6. without an AIM identifier, "00" followed by 18 digits is an SSCC
//     read from a GS1-128 label, and a wrong check digit rejects it;
//  7. anything else is accepted as unknown and flagged.
func (v Validator) Validate(text, aimID string) Result {
	r := Result{Text: text, AIM: aimID, Kind: KindUnknown}
	if aimID != "" {
		id, _, ok := ParseAIM(aimID)
		if !ok {
			r.Err = ErrFraming.with("%q is not an AIM symbology identifier", aimID)
			return r
		}
		r.Symbology = id.Symbology
	}
	if err := CheckNoise([]byte(text), r.Symbology, v.MaxLen); err != nil {
		r.Err = err
		return r
	}
	t := strings.TrimSpace(text)
	if !r.Symbology.Is2D() {
		r.Text = t
	}

	if r.Symbology.IsGS1() || strings.HasPrefix(t, "(") && len(t) > 3 && isDigit(t[1]) || strings.HasPrefix(t, string(GS)) {
		els, err := ParseGS1(t)
		if err != nil {
			r.Err = err
			return r
		}
		r.GS1, r.Kind = els, KindGS1
		for _, e := range els {
			if e.AI == "00" {
				r.Kind, r.Waybill = KindSSCC, e.Value
				break
			}
		}
		if r.Kind == KindGS1 && len(els) > 0 && els[0].AI == "01" && len(els) == 1 {
			r.Flags = append(r.Flags, FlagProductCode)
		}
		return r
	}

	if IsS10Shape(t) {
		if err := ValidateS10(t); err != nil {
			r.Err = err
			return r
		}
		r.Kind, r.Waybill = KindS10, t
		r.Candidates = DetectCarriers(t, v.Carriers)
		return r
	}

	switch r.Symbology {
	case SymEAN13, SymEAN8:
		if !ValidGTIN(t) {
			r.Err = ErrMisread.with("%s %q: check digit wrong", r.Symbology, t)
			return r
		}
		r.Kind = KindGTIN
		r.Flags = append(r.Flags, FlagProductCode)
		return r
	}

	if c := DetectCarriers(t, v.Carriers); len(c) > 0 {
		r.Kind, r.Waybill, r.Candidates = KindCarrier, t, c
		if len(c) > 1 {
			r.Flags = append(r.Flags, FlagAmbiguousCarrier)
		}
		return r
	}

	if r.Symbology == SymUnknown && len(t) == 20 && strings.HasPrefix(t, "00") && allDigits(t) {
		if !ValidSSCC(t[2:]) {
			r.Err = ErrMisread.with("SSCC %s: check digit wrong", t[2:])
			return r
		}
		r.Kind, r.Waybill = KindSSCC, t[2:]
		r.GS1 = []Element{{AI: "00", Value: t[2:], Title: "SSCC"}}
		return r
	}

	r.Waybill = t
	r.Flags = append(r.Flags, FlagUnknownFormat)
	return r
}
