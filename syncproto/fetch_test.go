package syncproto

import "testing"

func TestCheckFetch(t *testing.T) {
	ok := Fetch{Origin: "SH-001", Incarnation: "0123456789abcdef", From: 5, Through: 900}
	if err := CheckFetch(&ok, "SH-001"); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		f    Fetch
		code string
	}{
		"another outlet's stream": {Fetch{Origin: "SH-002", Incarnation: ok.Incarnation, From: 1, Through: 2}, CodeOriginMismatch},
		"no incarnation":          {Fetch{Origin: "SH-001", From: 1, Through: 2}, CodeMalformed},
		"bad incarnation":         {Fetch{Origin: "SH-001", Incarnation: "a/b", From: 1, Through: 2}, CodeMalformed},
		"from zero":               {Fetch{Origin: "SH-001", Incarnation: ok.Incarnation, From: 0, Through: 2}, CodeMalformed},
		"backwards":               {Fetch{Origin: "SH-001", Incarnation: ok.Incarnation, From: 9, Through: 2}, CodeMalformed},
		"past every sequence":     {Fetch{Origin: "SH-001", Incarnation: ok.Incarnation, From: 1, Through: MaxSeq + 1}, CodeMalformed},
	}
	for name, c := range cases {
		if err := CheckFetch(&c.f, "SH-001"); ErrorCode(err) != c.code || err == nil {
			t.Errorf("%s: err = %v, want %s", name, err, c.code)
		}
	}
	// Both new kinds frame and decode.
	for _, k := range []Kind{KindFetch, KindOwn} {
		frame, err := Encode(k, ok, -1)
		if err != nil {
			t.Fatal(err)
		}
		var got Fetch
		if _, err := Decode(frame, k, &got); err != nil || got != ok {
			t.Fatalf("%s: %v, %+v", k, err, got)
		}
	}
}
