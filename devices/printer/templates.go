package printer

import (
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/width"
)

// ShelfLabel is the pickup-code label stuck on a parcel when it is shelved.
type ShelfLabel struct {
	PickupCode string    // e.g. "3-2-9903": shelf-layer-number
	Phone      string    // full or masked; always printed through MaskPhone
	Waybill    string    // printed as Code 128 and in clear
	Date       time.Time // the day it was shelved, printed as 2006-01-02
	NoBarcode  bool      // print the waybill in clear only (it cannot be encoded)
}

// ExceptionTag marks an exception parcel (damaged, refused, ...).
type ExceptionTag struct {
	Waybill   string
	Kind      string // an exception kind of syncproto/lifecycle, e.g. "damaged"; unknown kinds print as given
	Reporter  string // staff name or id who recorded it
	Note      string // optional short remark
	Date      time.Time
	NoBarcode bool // print the waybill in clear only
}

// ComplaintReceipt is handed to a customer who files a complaint.
type ComplaintReceipt struct {
	Ticket   string    // complaint number
	Outlet   string    // outlet name
	Received time.Time // when the complaint was taken
	ReplyBy  time.Time // promised first reply
	Text     string    // the complaint in the customer's words (usually Chinese)
	// Progress is the address of the ticket's page at head office, where
	// the customer follows the complaint with the ticket and the last four
	// digits of their phone; "" prints how to ask instead.
	Progress  string
	NoBarcode bool // leave out the ticket's barcode (slips only)
}

// WaybillLabel is the waybill (面单) printed for a parcel sent at the
// counter, on a label printer with e-waybill stock (at least 70×100 mm,
// usually 100×150 mm). It is laid out as a privacy waybill (隐私面单):
// names and phone numbers are always printed through MaskName and
// MaskPhone, so the struct may carry full values and no renderer can print
// them. The recipient's address is printed in full for the courier.
type WaybillLabel struct {
	Number      string    // waybill number, e.g. "YZ123456785CN"; large, and as Code 128
	Date        time.Time // when the outlet accepted the parcel, printed as 2006-01-02 15:04
	Sender      Party     // name and phone masked; address on one line
	Recipient   Party     // name and phone masked; address in full
	Destination string    // sorting code or area (大头笔), e.g. "021 徐汇"; printed large
	WeightG     int       // weight in grams, printed in kg with three decimals
	PriceFen    int64     // postage in fen, printed as ￥12.30
	InsuredFen  int64     // insured value in fen; 0 when the parcel is not insured
	Items       string    // contents as declared, e.g. "衣服 2 件"
	Outlet      string    // id of the outlet that accepted the parcel
	NoBarcode   bool      // leave out the number's barcode; it stays printed in clear
}

// Party is a sender or recipient on a waybill.
type Party struct {
	Name    string // full name; printed masked (张*)
	Phone   string // full number; printed masked (138****5678)
	Address string
}

// MaskPhone hides the middle of a phone number the way privacy waybills do:
// 13812345678 -> 138****5678. Numbers of other lengths keep only their last
// four digits. It never returns more digits than that, and masking a masked
// number returns it unchanged.
func MaskPhone(phone string) string {
	var b []byte
	for _, r := range phone {
		if r >= '0' && r <= '9' || r == '*' {
			b = append(b, byte(r))
		}
	}
	s := string(b)
	switch {
	case len(s) == 13 && strings.HasPrefix(s, "86"):
		s = s[2:]
	case len(s) == 15 && strings.HasPrefix(s, "0086"):
		s = s[4:]
	}
	switch {
	case len(s) == 11:
		return s[:3] + "****" + s[7:]
	case len(s) >= 8:
		return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
	default:
		return strings.Repeat("*", len(s))
	}
}

// MaskName hides a name the way privacy waybills do: the first character,
// then one "*" for each other character (张三丰 -> 张**). A one-character
// name is all masked. Masking a masked name returns it unchanged.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(Clean(name)))
	if len(r) <= 1 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:1]) + strings.Repeat("*", len(r)-1)
}

// maskDigitRuns passes every run of seven or more digits in free text (an
// address, a contents note) through MaskPhone: such a run is a phone
// number typed in the wrong field, never part of an address.
func maskDigitRuns(s string) string {
	var b strings.Builder
	run := -1
	flush := func(end int) {
		if run < 0 {
			return
		}
		if d := s[run:end]; len(d) >= 7 {
			b.WriteString(MaskPhone(d))
		} else {
			b.WriteString(d)
		}
		run = -1
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			if run < 0 {
				run = i
			}
			continue
		}
		flush(i)
		b.WriteByte(s[i])
	}
	flush(len(s))
	return b.String()
}

// Clean removes control characters so clerk input cannot inject printer
// commands, and turns tabs and newlines into spaces.
func Clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r) || r == unicode.ReplacementChar:
			return -1
		}
		return r
	}, s)
}

// Cells is the printed width of s: CJK and full-width characters take two
// cells, others one.
func Cells(s string) int {
	n := 0
	for _, r := range s {
		n += runeCells(r)
	}
	return n
}

func runeCells(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// Wrap breaks s into lines at most cells wide, keeping explicit newlines,
// breaking Latin text at spaces where it can and CJK text anywhere.
func Wrap(s string, cells int) []string {
	if cells < 2 {
		cells = 2
	}
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		para = strings.TrimSpace(Clean(para))
		if para == "" {
			continue
		}
		var line []rune
		w := 0
		for _, r := range para {
			rw := runeCells(r)
			if w+rw > cells {
				// Prefer breaking at the last space for Latin words.
				cut := -1
				for i := len(line) - 1; i > 0; i-- {
					if line[i] == ' ' {
						cut = i
						break
					}
				}
				if cut > 0 && r != ' ' {
					out = append(out, strings.TrimRight(string(line[:cut]), " "))
					line = append([]rune(nil), line[cut+1:]...)
				} else {
					out = append(out, strings.TrimRight(string(line), " "))
					line = line[:0]
				}
				w = Cells(string(line))
				if r == ' ' && len(line) == 0 {
					continue
				}
			}
			line = append(line, r)
			w += rw
		}
		if len(line) > 0 {
			out = append(out, strings.TrimRight(string(line), " "))
		}
	}
	return out
}

// Truncate cuts lines to at most n, marking the cut with "…" on the last.
func Truncate(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	out := append([]string(nil), lines[:n]...)
	last := []rune(out[n-1])
	if len(last) > 0 {
		last = last[:len(last)-1]
	}
	out[n-1] = string(last) + "…"
	return out
}
