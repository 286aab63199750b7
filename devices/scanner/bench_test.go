package scanner

import (
	"bytes"
	"testing"
)

// BenchmarkFramer measures framing 100 codes a call against copying the
// same bytes (the baseline).
func BenchmarkFramer(b *testing.B) {
	in := bytes.Repeat([]byte("]C100106141411234567897\r\n"), 100)
	b.Run("baseline-copy", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		buf := make([]byte, len(in))
		for b.Loop() {
			copy(buf, in)
		}
	})
	b.Run("framer", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		f, _ := NewFramer(Framing{Suffix: SuffixCRLF, AIM: true})
		for b.Loop() {
			f.Feed(in)
		}
	})
}
