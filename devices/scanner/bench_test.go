package scanner

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkFramer frames 100 codes a call. The baseline, measured in the
// same run in alternating batches, is copying the same bytes.
func BenchmarkFramer(b *testing.B) {
	const codes = 100
	in := bytes.Repeat([]byte("]C100106141411234567897\r\n"), codes)
	buf := make([]byte, len(in))
	f, _ := NewFramer(Framing{Suffix: SuffixCRLF, AIM: true})
	var tb, tf time.Duration
	iters := 0
	for b.Loop() {
		t0 := time.Now()
		for range 10 {
			copy(buf, in)
		}
		t1 := time.Now()
		for range 10 {
			if fr := f.Feed(in); len(fr) != codes {
				b.Fatalf("framed %d codes, want %d", len(fr), codes)
			}
		}
		tb += t1.Sub(t0)
		tf += time.Since(t1)
		iters++
	}
	reads := float64(iters * 10 * codes)
	b.SetBytes(int64(10 * len(in)))
	b.ReportMetric(reads/tf.Seconds(), "reads/s")
	b.ReportMetric(float64(tf.Nanoseconds())/reads, "ns/read")
	b.ReportMetric(float64(tf)/float64(tb), "x_baseline")
}
