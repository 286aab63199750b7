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
}

// ExceptionTag marks an exception parcel (damaged, refused, ...).
type ExceptionTag struct {
	Waybill  string
	Kind     string // identifier from ExceptionKinds, e.g. "damaged"; unknown kinds print as given
	Reporter string // staff name or id who recorded it
	Note     string // optional short remark
	Date     time.Time
}

// ComplaintReceipt is handed to a customer who files a complaint.
type ComplaintReceipt struct {
	Ticket   string    // complaint number
	Outlet   string    // outlet name
	Received time.Time // when the complaint was taken
	ReplyBy  time.Time // promised first reply
	Text     string    // the complaint in the customer's words (usually Chinese)
}

// ExceptionKinds maps exception identifiers to the Chinese word clerks use.
var ExceptionKinds = map[string]string{
	"damaged":     "破损",
	"lost":        "丢失",
	"delayed":     "延误",
	"refused":     "拒收",
	"overdue":     "滞留",
	"return":      "退回",
	"wrong_addr":  "地址错误",
	"wrong_phone": "电话错误",
	"missorted":   "错分",
	"unreachable": "联系不上",
	"intercepted": "拦截",
}

// KindLabel returns "破损 damaged" for a known kind, or the kind itself.
func KindLabel(kind string) string {
	if zh, ok := ExceptionKinds[kind]; ok {
		return zh + " " + kind
	}
	return kind
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
