package problem

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// Decode reads a JSON request body of at most limit bytes from r into v,
// the one rule for both programs' APIs: one JSON value, nothing after it,
// and no field v does not declare. An empty body decodes as {}. The errors
// are catalog codes: request.too_large, request.malformed,
// request.unknown_field (naming the field), request.wrong_type and
// request.unreadable.
func Decode(r io.Reader, limit int64, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return Wrap(err, RequestUnreadable)
	}
	if int64(len(b)) > limit {
		return New(RequestTooLarge, "limit", limit)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, len(b))
	}
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		return New(RequestMalformed, "offset", dec.InputOffset())
	}
	return nil
}

func decodeError(err error, n int) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return Wrap(err, RequestMalformed, "offset", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Wrap(err, RequestMalformed, "offset", n)
	case errors.As(err, &typ) && typ.Field != "":
		return Wrap(err, RequestWrongType, "field", typ.Field, "want", jsonType(typ.Type))
	case errors.As(err, &typ):
		return Wrap(err, RequestMalformed, "offset", typ.Offset)
	}
	// encoding/json has no type for this one; its text is stable.
	if q, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field, uerr := strconv.Unquote(q)
		if uerr != nil {
			field = q
		}
		return Wrap(err, RequestUnknownField, "field", field)
	}
	return err // a destination json cannot fill: our mistake, not the caller's
}

// jsonType names the JSON type a Go type decodes from.
func jsonType(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "value"
}

// BearerToken is the token of an Authorization header value
// "Bearer <token>", the one rule both APIs read it with: the scheme is
// case-insensitive (RFC 9110 §11.1) and spaces around the token do not
// count. ok is false for another scheme or an empty token.
func BearerToken(authorization string) (token string, ok bool) {
	scheme, token, found := strings.Cut(strings.TrimSpace(authorization), " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}
