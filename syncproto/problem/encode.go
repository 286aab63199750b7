package problem

import (
	"encoding/json"
	"io"
)

// Encode writes v as one line of JSON, the one response rule of both HTTP
// APIs. It leaves <, > and & as they are: the answers are JSON for
// programs and screens, never HTML, and an escaped "\u003ctoken\u003e" in
// an error message is unreadable to the person who gets it.
func Encode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
