package problem

import (
	"bytes"
	"testing"
)

// Both APIs answer <, > and & as they are: "\u003ctoken\u003e" in an error
// message is unreadable to the person who gets it.
func TestEncodeDoesNotEscapeHTML(t *testing.T) {
	var b bytes.Buffer
	_, body := Response(New(AuthTokenRequired))
	if err := Encode(&b, body); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte("Bearer <token>")) || bytes.Contains(b.Bytes(), []byte(`\u003c`)) {
		t.Errorf("encoded %s", b.Bytes())
	}
	if b.Bytes()[b.Len()-1] != '\n' {
		t.Errorf("no newline after the value: %q", b.Bytes())
	}
}
