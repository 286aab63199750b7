package purge

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestScrub(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a":1}`, `{"a":1}`},
		{`{"phone_sealed":"v2:0011aabb:xyz"}`, `{}`},
		{`{"phone_sealed":"v2:x","a":1}`, `{"a":1}`},
		{`{"a":1,"phone_sealed":"v2:x"}`, `{"a":1}`},
		{`{"a":1,"phone_sealed":"v2:x","name_sealed":"v2:y"}`, `{"a":1}`},
		{`{"phone_sealed":"v2:x","name_sealed":"v2:y","a":1}`, `{"a":1}`},
		{`{"a":1,"phone_sealed":"v2:x","b":2,"name_sealed":"v2:y"}`, `{"a":1,"b":2}`},
		{`{ "a" : 1 , "phone_sealed" : "v2:x" }`, `{ "a" : 1 }`},
		{`{"pickup":{"signature_svg":"<svg \"q\">\\</svg>","signature_sha256":"ab","staff":"c01"},"phone_masked":"138****5678"}`,
			`{"pickup":{"signature_sha256":"ab","staff":"c01"},"phone_masked":"138****5678"}`},
		{`{"parties":[{"name_sealed":"v2:a","city":"SH"},{"address_sealed":"v2:b"}],"customer":"h1"}`, `{"parties":[{"city":"SH"},{}],"customer":"h1"}`},
		{`{"phone_sealed":{"not":"a string"}}`, `{"phone_sealed":{"not":"a string"}}`},
		{`{"x_sealed":"v2:a","y":{"z_sealed":"v2:b"},"w":[1,true,null,-2.5e3]}`, `{"y":{},"w":[1,true,null,-2.5e3]}`},
		{`not json "phone_sealed":"v2:x"`, `not json "phone_sealed":"v2:x"`},
		{`{"phone_sealed":"v2:x"`, `{"phone_sealed":"v2:x"`},
	} {
		got, n := Scrub([]byte(c.in))
		if string(got) != c.want {
			t.Errorf("Scrub(%s) = %s, want %s", c.in, got, c.want)
		}
		if (n > 0) != (c.in != c.want) {
			t.Errorf("Scrub(%s) removed %d", c.in, n)
		}
		if json.Valid([]byte(c.in)) && !json.Valid(got) {
			t.Errorf("Scrub(%s) gave invalid JSON %s", c.in, got)
		}
		again, m := Scrub(got)
		if m != 0 || string(again) != string(got) {
			t.Errorf("Scrub not idempotent on %s", got)
		}
	}
}

// Every member Personal names is gone, at any depth, and every other
// member is as it was.
func FuzzScrub(f *testing.F) {
	f.Add(`{"a":{"b_sealed":"v2:x","c":[{"svg":"<svg/>"}]},"d":"e"}`)
	f.Add(`{"agent_name":"张三","n":1}`)
	f.Fuzz(func(t *testing.T, in string) {
		var before any
		if json.Unmarshal([]byte(in), &before) != nil {
			return
		}
		out, _ := Scrub([]byte(in))
		var after any
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("Scrub(%q) = %q: %v", in, out, err)
		}
		want := strip(before)
		a, _ := json.Marshal(after)
		w, _ := json.Marshal(want)
		if string(a) != string(w) {
			t.Fatalf("Scrub(%q) = %s, want %s", in, a, w)
		}
	})
}

func strip(v any) any {
	switch d := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range d {
			if _, s := x.(string); s && Personal(k) {
				continue
			}
			out[k] = strip(x)
		}
		return out
	case []any:
		for i := range d {
			d[i] = strip(d[i])
		}
	}
	return v
}

// Every document Scrub changes holds a marker.
func TestMarkers(t *testing.T) {
	for _, in := range []string{`{"phone_sealed":"v2:x"}`, `{"svg":"<svg/>"}`, `{"a":{"signature_svg":""}}`, `{"agent_name":"x"}`} {
		if _, n := Scrub([]byte(in)); n == 0 {
			t.Fatalf("%s not scrubbed", in)
		}
		found := false
		for _, m := range Markers() {
			found = found || strings.Contains(in, m)
		}
		if !found {
			t.Errorf("%s holds no marker", in)
		}
	}
}

func TestPersonal(t *testing.T) {
	for _, k := range []string{"phone_sealed", "text_sealed", "sender_id_sealed", "signature_svg", "svg", "agent_name"} {
		if !Personal(k) {
			t.Errorf("%s is personal", k)
		}
	}
	for _, k := range []string{"phone_masked", "customer", "signature_sha256", "at", strings.ToUpper("phone_sealed")} {
		if Personal(k) {
			t.Errorf("%s is not personal", k)
		}
	}
}
