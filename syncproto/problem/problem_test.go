package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestErrorRendersAndMatches(t *testing.T) {
	err := New(ParcelInStock, "waybill", "RB123456785GB", "code", "3-2-0042")
	want := "运单 RB123456785GB 已在库，取件码 3-2-0042 / parcel RB123456785GB is already in stock (pickup code 3-2-0042)"
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err, want)
	}
	wrapped := fmt.Errorf("inbound: %w", err)
	if !errors.Is(wrapped, New(ParcelInStock)) || errors.Is(wrapped, New(ParcelPickedUp)) {
		t.Error("errors.Is must match by code, and only by code")
	}
	if !Is(wrapped, ParcelInStock) || Is(wrapped, ParcelPickedUp) || Is(errors.New("x"), ParcelInStock) {
		t.Error("Is must find the code in the chain")
	}
	var pe *Error
	if !errors.As(wrapped, &pe) || pe.Param("waybill") != "RB123456785GB" || CodeOf(wrapped) != ParcelInStock {
		t.Errorf("errors.As = %v, code %v", pe, CodeOf(wrapped))
	}
	if CodeOf(errors.New("plain")) != (Code{}) || CodeOf(errors.New("plain")).String() != "internal.error" {
		t.Error("a plain error has no code and reads as internal")
	}
}

func TestWrapKeepsTheCause(t *testing.T) {
	cause := errors.New("disk on fire")
	err := Wrap(cause, AgentNotSaved)
	if !errors.Is(err, cause) {
		t.Error("the cause is not in the chain")
	}
	if strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("the message shows the cause: %q", err)
	}
	// A sentinel wrapped under a more specific code still matches both.
	sentinel := New(PhoneInvalid)
	specific := Wrap(sentinel, PhoneEmpty)
	if !errors.Is(specific, sentinel) || !errors.Is(specific, New(PhoneEmpty)) {
		t.Error("a wrapped sentinel must match")
	}
}

func TestRender(t *testing.T) {
	for _, tc := range []struct {
		tmpl   string
		params map[string]any
		want   string
	}{
		{"a {x} b", map[string]any{"x": "1"}, "a 1 b"},
		{"{n} photos", map[string]any{"n": 4}, "4 photos"},
		{"{n} from JSON", map[string]any{"n": 4.0}, "4 from JSON"},
		{"allowed: {allowed}", map[string]any{"allowed": []string{"close", "assign"}}, "allowed: close, assign"},
		{"allowed: {allowed}", map[string]any{"allowed": []string{}}, "allowed: —"},
		{"allowed: {allowed}", map[string]any{"allowed": []any{"close"}}, "allowed: close"},
		{"missing {x}", nil, "missing {x}"},
		{"not a param {X} or {", map[string]any{"X": "1"}, "not a param {X} or {"},
	} {
		if got := Render(tc.tmpl, tc.params); got != tc.want {
			t.Errorf("Render(%q) = %q, want %q", tc.tmpl, got, tc.want)
		}
	}
}

func TestPairsShowMistakes(t *testing.T) {
	err := New(ParcelNotFound, "waybill")
	if err.Param("waybill") != "!missing" {
		t.Errorf("a key without a value: %v", err.Params())
	}
	err = New(ParcelNotFound, 7, "x")
	if _, ok := err.Params()["!badkey0"]; !ok {
		t.Errorf("a key that is not a string: %v", err.Params())
	}
}

func decodeBody(t *testing.T, body any) map[string]any {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestResponse(t *testing.T) {
	status, body := Response(New(ParcelInStock, "waybill", "W1", "code", "1-1-0001"))
	m := decodeBody(t, body)
	e, _ := m["error"].(map[string]any)
	params, _ := e["params"].(map[string]any)
	if status != 409 || e["code"] != "parcel.in_stock" || params["waybill"] != "W1" || !strings.Contains(e["message"].(string), "已在库") || len(m) != 1 {
		t.Fatalf("Response = %d %v", status, m)
	}

	status, body = Response(fmt.Errorf("wrapped: %w", New(StepNotAllowed, "state", "closed").WithFields("state", "closed", "allowed", []string{})))
	m = decodeBody(t, body)
	if status != 409 || m["state"] != "closed" || fmt.Sprint(m["allowed"]) != "[]" || m["error"].(map[string]any)["code"] != "step.not_allowed" {
		t.Fatalf("fields beside error: %d %v", status, m)
	}

	status, body = Response(errors.New("bolt: database not open at /var/lib/secret"))
	m = decodeBody(t, body)
	e = m["error"].(map[string]any)
	if status != 500 || e["code"] != "internal.error" || strings.Contains(fmt.Sprint(m), "secret") {
		t.Fatalf("internal error: %d %v", status, m)
	}
	if p, ok := e["params"].(map[string]any); !ok || len(p) != 0 {
		t.Errorf("params must be an empty object, got %v", e["params"])
	}
	if Status(New(AuthLoginRequired)) != 401 || Status(New(StaffLocked)) != 429 || Status(Wrap(io.EOF, RequestTooLarge)) != 413 {
		t.Error("Status does not follow the class")
	}
	// Body decodes what Response wrote.
	_, body = Response(New(PhotoNotBase64, "n", 2))
	raw, _ := json.Marshal(body)
	var got Body
	if err := json.Unmarshal(raw, &got); err != nil || got.Error.Code != "photo.not_base64" || got.Error.Params["n"] != 2.0 {
		t.Fatalf("Body = %+v, %v", got, err)
	}
}

func TestDecode(t *testing.T) {
	type party struct {
		Name string `json:"name"`
	}
	type req struct {
		Barcode string   `json:"barcode"`
		Count   int      `json:"count"`
		Sender  party    `json:"sender"`
		Tags    []string `json:"tags"`
	}
	for _, tc := range []struct {
		name, body string
		limit      int64
		code       Code // zero: no error
		params     map[string]any
	}{
		{"ok", `{"barcode":"SF1","count":2,"sender":{"name":"张三"}}`, 1 << 10, Code{}, nil},
		{"empty is {}", ``, 1 << 10, Code{}, nil},
		{"whitespace is {}", " \n ", 1 << 10, Code{}, nil},
		{"case-insensitive names", `{"Barcode":"SF1"}`, 1 << 10, Code{}, nil},
		{"unknown field", `{"barcode":"SF1","acton":"inbound"}`, 1 << 10, RequestUnknownField, map[string]any{"field": "acton"}},
		{"unknown nested field", `{"sender":{"nmae":"x"}}`, 1 << 10, RequestUnknownField, map[string]any{"field": "nmae"}},
		{"syntax", `{"barcode":}`, 1 << 10, RequestMalformed, map[string]any{"offset": int64(12)}},
		{"truncated", `{"barcode":"SF`, 1 << 10, RequestMalformed, map[string]any{"offset": 14}},
		{"trailing value", `{"barcode":"SF1"} {"count":1}`, 1 << 10, RequestMalformed, map[string]any{"offset": int64(17)}},
		{"wrong type", `{"count":"two"}`, 1 << 10, RequestWrongType, map[string]any{"field": "count", "want": "number"}},
		{"wrong nested type", `{"sender":{"name":7}}`, 1 << 10, RequestWrongType, map[string]any{"field": "sender.name", "want": "string"}},
		{"not an object", `[1,2]`, 1 << 10, RequestMalformed, nil},
		{"exactly the limit", `{"barcode":"12345"}`, 19, Code{}, nil},
		{"over the limit", `{"barcode":"123456"}`, 19, RequestTooLarge, map[string]any{"limit": int64(19)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v req
			err := Decode(strings.NewReader(tc.body), tc.limit, &v)
			if tc.code == (Code{}) {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			pe := As(err)
			if pe == nil || pe.Code() != tc.code {
				t.Fatalf("Decode = %v, want code %v", err, tc.code)
			}
			for k, want := range tc.params {
				if got := pe.Param(k); got != want {
					t.Errorf("param %s = %#v, want %#v", k, got, want)
				}
			}
			if Status(err) != tc.code.Class().Status() {
				t.Errorf("status %d", Status(err))
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestDecodeUnreadable(t *testing.T) {
	var v struct{}
	if err := Decode(failingReader{}, 10, &v); !Is(err, RequestUnreadable) {
		t.Fatalf("Decode = %v", err)
	}
}

// A destination json cannot fill is the program's mistake: internal.
func TestDecodeBadDestination(t *testing.T) {
	var notPointer struct{}
	if err := Decode(strings.NewReader(`{}`), 10, notPointer); err == nil || As(err) != nil {
		t.Fatalf("Decode into a non-pointer = %v, want a plain error", err)
	}
}

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		header, token string
		ok            bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER abc", "abc", true},
		{" Bearer   abc  ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer  ", "", false},
		{"abc", "", false},
		{"", "", false},
		{"Bearerabc", "", false},
	} {
		token, ok := BearerToken(tc.header)
		if token != tc.token || ok != tc.ok {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tc.header, token, ok, tc.token, tc.ok)
		}
	}
}
