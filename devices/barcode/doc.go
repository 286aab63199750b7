// Package barcode decodes and validates what a scanner read, with no I/O.
//
// It parses AIM symbology identifiers (ISO/IEC 15424, "]C1", "]E0", ...),
// GS1 element strings, UPU S10 item numbers, SSCC-18 and GTIN check digits,
// detects candidate Chinese carriers from waybill number shapes, rejects
// noise, and debounces repeated reads. Validate and Classify are the entry
// points; everything else is exported for tests, tools and the UI.
//
// # Error convention
//
// Every rejection is an *Error with a stable machine Code (for logs,
// metrics and the UI) plus a Chinese and an English message. Error() renders
// them for the clerk as "中文 (English)", e.g.
//
//	条码校验位错误 (check digit wrong: misread, scan again)
//
// Test for a class of rejection with errors.Is(err, ErrMisread) and friends;
// errors.As gives the Code, Zh, En and Detail fields.
//
// # Policy
//
// A wrong S10, SSCC, GTIN or GS1 check digit is a rejection (a misread; the
// clerk scans again). An S10-shaped number whose country is not an ISO 3166
// code is rejected too: the letters were misread. A number no rule knows is
// accepted and flagged FlagUnknownFormat, because outlets receive every
// carrier's parcels. Chinese carriers publish no check digit and their
// prefixes overlap, so carrier detection returns candidates, not an answer.
//
// Validate says what a read is; CheckWaybill says whether a number can be
// a waybill (ASCII letters, digits and '-', the characters every known
// shape uses and Code 128 prints). The agent applies it to the number it
// files a parcel under, so a waybill whose label cannot print is refused
// when it is typed or scanned, not when the label fails.
package barcode
