package barcode

import "fmt"

// Code names a class of rejection. Codes are stable: logs, metrics and the
// UI key on them.
type Code string

const (
	CodeMisread      Code = "misread"     // check digit wrong
	CodeBadCountry   Code = "bad_country" // S10 country is not an ISO 3166 code
	CodeEmpty        Code = "empty"       // nothing but whitespace
	CodeControl      Code = "control"     // control bytes in the data
	CodeBinary       Code = "binary"      // not text: invalid UTF-8 or C1 controls
	CodeOverlong     Code = "overlong"    // longer than any label we expect
	CodeFraming      Code = "framing"     // STX/ETX or suffix out of place
	CodeGS1          Code = "gs1_syntax"  // GS1 element string malformed
	CodeGS1UnknownAI Code = "gs1_unknown_ai"
	CodeWaybillChars Code = "waybill_chars" // a character a waybill may not hold (see CheckWaybill)
)

// Error is a rejected read, worded for the clerk. See the package doc.
type Error struct {
	Code   Code
	Zh, En string
	Detail string // what exactly was wrong, for logs; may be empty
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%s (%s)", e.Zh, e.En)
	}
	return fmt.Sprintf("%s (%s): %s", e.Zh, e.En, e.Detail)
}

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, ErrMisread) works whatever the Detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is. Do not modify them; use their Code.
var (
	ErrMisread      = &Error{Code: CodeMisread, Zh: "条码校验位错误", En: "check digit wrong: misread, scan again"}
	ErrBadCountry   = &Error{Code: CodeBadCountry, Zh: "运单号国家代码无效", En: "country code in the item number is not valid: misread, scan again"}
	ErrEmpty        = &Error{Code: CodeEmpty, Zh: "条码为空", En: "empty read: scan again"}
	ErrControl      = &Error{Code: CodeControl, Zh: "条码含控制字符", En: "read contains control characters: line noise, scan again"}
	ErrBinary       = &Error{Code: CodeBinary, Zh: "条码不是文本", En: "read is not text: line noise or wrong baud rate, check scanner settings"}
	ErrOverlong     = &Error{Code: CodeOverlong, Zh: "条码过长", En: "read too long: missing suffix or two codes run together, scan again"}
	ErrFraming      = &Error{Code: CodeFraming, Zh: "扫描数据不完整", En: "broken frame: partial read, scan again"}
	ErrGS1          = &Error{Code: CodeGS1, Zh: "GS1 条码格式错误", En: "GS1 data malformed: scan again or check the keyboard layout setting"}
	ErrGS1UnknownAI = &Error{Code: CodeGS1UnknownAI, Zh: "GS1 应用标识符未知", En: "unknown GS1 application identifier: scan again"}
	ErrWaybillChars = &Error{Code: CodeWaybillChars, Zh: "运单号只能有字母、数字和“-”", En: "a waybill holds only letters A–Z, digits 0–9 and '-': check the number"}
)

// with returns a copy of sentinel e carrying detail.
func (e *Error) with(format string, args ...any) *Error {
	c := *e
	c.Detail = fmt.Sprintf(format, args...)
	return &c
}
