// Package problem is the one vocabulary of errors that the agent's and the
// hub's HTTP APIs speak, and the one rule both use to read a request body.
//
// # Codes
//
// Every error a person may see is a catalog entry (catalog.go): a stable
// machine code such as "parcel.in_stock", a class that decides the HTTP
// status, and a fallback message "中文 / English" with named {param}
// placeholders, the same in both halves. A Code can only be declared in the
// catalog, so the catalog is the one place to add an error; the counter
// screen keeps a dictionary entry "error."+code in each language and turns a
// code and its parameters into words. The fallback is what logs, the
// command line and clients without a dictionary show.
//
// An *Error is a code with its parameters and, optionally, the error that
// caused it (errors.Is and errors.As see through it). errors.Is(err, target)
// is true when target is an *Error with the same code, so a sentinel such as
// staff.ErrBadCredentials matches every error with its code.
//
// # The error body
//
// Both APIs answer an error with Response's status and body:
//
//	{"error": {"code": "parcel.in_stock", "params": {"waybill": "…", "code": "…"}, "message": "<fallback>"}}
//
// with extra top-level fields beside "error" where an error carries them (a
// refused step's "state" and "allowed"). An error that is not a problem is
// internal: status 500, code "internal.error" and a generic message. The
// caller logs the real error; it is never sent.
//
// # Request bodies
//
// Decode is the one way both programs read a JSON request body: at most a
// given number of bytes, one JSON value, and no fields the destination does
// not declare. An unknown field is refused (400 request.unknown_field, naming
// it) because a misspelt field that is silently ignored is an instruction lost
// at the counter. An empty body is the empty object. The sync wire protocol
// does the opposite on purpose: receivers ignore unknown fields there, so a
// newer minor version may add optional ones (see syncproto's package doc).
//
// The package does no I/O beyond reading the io.Reader it is given.
package problem

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// Class groups codes by what the caller can do about them; it decides the
// HTTP status.
type Class uint8

// Classes. The zero Class is not valid.
const (
	Invalid      Class = iota + 1 // the request is wrong in itself: 400
	NotFound                      // no such thing: 404
	Conflict                      // not now, in this state: 409
	Unauthorized                  // not logged in or no token: 401
	Forbidden                     // logged in, but not allowed: 403
	TooLarge                      // the request body is over its limit: 413
	TooMany                       // try again later, after Retry-After: 429
	Unavailable                   // not done, try again: 503
	Internal                      // a fault on our side: 500
)

var classNames = map[Class]string{
	Invalid: "invalid", NotFound: "not_found", Conflict: "conflict", Unauthorized: "unauthorized",
	Forbidden: "forbidden", TooLarge: "too_large", TooMany: "too_many", Unavailable: "unavailable", Internal: "internal",
}

// HTTP statuses as numbers: this package may not import net/http.
var classStatus = map[Class]int{
	Invalid: 400, NotFound: 404, Conflict: 409, Unauthorized: 401,
	Forbidden: 403, TooLarge: 413, TooMany: 429, Unavailable: 503, Internal: 500,
}

func (c Class) String() string {
	if n, ok := classNames[c]; ok {
		return n
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Status is the class's HTTP status; 500 for an unknown class.
func (c Class) Status() int {
	if s, ok := classStatus[c]; ok {
		return s
	}
	return 500
}

// Code is one catalog entry. Codes are declared only in catalog.go; the
// zero Code stands for "no code" and renders as an internal error.
type Code struct{ e *entry }

type entry struct {
	id       string
	class    Class
	fallback string
}

// String is the machine code, e.g. "parcel.in_stock".
func (c Code) String() string {
	if c.e == nil {
		return Internal.String() + ".error"
	}
	return c.e.id
}

// Class is the code's class.
func (c Code) Class() Class {
	if c.e == nil {
		return Internal
	}
	return c.e.class
}

// Fallback is the message template "中文 / English" with {param}
// placeholders.
func (c Code) Fallback() string {
	if c.e == nil {
		return InternalError.e.fallback
	}
	return c.e.fallback
}

// Halves splits the fallback into its Chinese and English templates.
func (c Code) Halves() (zh, en string) {
	zh, en, _ = strings.Cut(c.Fallback(), Separator)
	return zh, en
}

// Params lists the placeholder names of the fallback in order of first
// appearance.
func (c Code) Params() []string { return Placeholders(c.Fallback()) }

// MarshalText makes a Code encode as its machine code.
func (c Code) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Separator divides a fallback's Chinese half from its English half.
const Separator = " / "

// Placeholders lists the {name} placeholders of a template in order of
// first appearance, each once.
func Placeholders(tmpl string) []string {
	var out []string
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			return out
		}
		name := tmpl[i+1 : i+j]
		if validName(name) && !contains(out, name) {
			out = append(out, name)
		}
		tmpl = tmpl[i+j+1:]
	}
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Error is a catalog code with its parameters, and optionally its cause and
// fields to put beside "error" in the response body.
type Error struct {
	code   Code
	params map[string]any
	fields map[string]any
	cause  error
}

// New returns an error with code and parameters given as name, value pairs:
//
//	problem.New(problem.ParcelInStock, "waybill", p.Waybill, "code", p.PickupCode)
//
// Values should be strings, numbers, booleans or string lists: they are
// sent as JSON to the screen, which formats them.
func New(code Code, kv ...any) *Error {
	return &Error{code: code, params: pairs(kv)}
}

// Wrap is New with a cause that errors.Is and errors.As see, and that the
// message does not show.
func Wrap(cause error, code Code, kv ...any) *Error {
	e := New(code, kv...)
	e.cause = cause
	return e
}

// pairs turns name, value pairs into a map. A key that is not a string, or
// a last key without a value, is kept under a name that shows the mistake
// (the call-site test in this package's tests catches it first).
func pairs(kv []any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			k = "!badkey" + strconv.Itoa(i)
		}
		if i+1 < len(kv) {
			m[k] = kv[i+1]
		} else {
			m[k] = "!missing"
		}
	}
	return m
}

// WithFields returns a copy of e that puts the name, value pairs beside
// "error" at the top level of the response body.
func (e *Error) WithFields(kv ...any) *Error {
	c := *e
	c.fields = maps.Clone(e.fields)
	if c.fields == nil {
		c.fields = map[string]any{}
	}
	maps.Copy(c.fields, pairs(kv))
	return &c
}

// Code is the error's catalog code.
func (e *Error) Code() Code { return e.code }

// Params are the error's parameters; do not modify the map.
func (e *Error) Params() map[string]any { return e.params }

// Param is one parameter, nil if absent.
func (e *Error) Param(name string) any { return e.params[name] }

// Fields are the top-level fields beside "error"; do not modify the map.
func (e *Error) Fields() map[string]any { return e.fields }

// Error renders the fallback message with the parameters.
func (e *Error) Error() string { return Render(e.code.Fallback(), e.params) }

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.code == e.code
}

// Render fills a template's {name} placeholders from params. A placeholder
// without a parameter stays as it is, so the gap shows.
func Render(tmpl string, params map[string]any) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			break
		}
		name := tmpl[i+1 : i+j]
		v, ok := params[name]
		b.WriteString(tmpl[:i])
		if ok && validName(name) {
			b.WriteString(format(v))
		} else {
			b.WriteString(tmpl[i : i+j+1])
		}
		tmpl = tmpl[i+j+1:]
	}
	b.WriteString(tmpl)
	return b.String()
}

// format renders one parameter for the fallback message.
func format(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []string:
		if len(v) == 0 {
			return "—"
		}
		return strings.Join(v, ", ")
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = format(x)
		}
		if len(parts) == 0 {
			return "—"
		}
		return strings.Join(parts, ", ")
	case float64: // parameters decoded from JSON
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// CodeOf is the code of the *Error in err's chain; the zero Code (internal)
// if there is none.
func CodeOf(err error) Code {
	if e := As(err); e != nil {
		return e.code
	}
	return Code{}
}

// Is reports whether err's chain holds an *Error with code.
func Is(err error, code Code) bool {
	e := As(err)
	return e != nil && e.code == code
}
