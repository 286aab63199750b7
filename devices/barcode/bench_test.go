package barcode

import (
	"testing"
	"time"
)

var sinkBytes []byte
var sinkResult Result

// compare runs base and op in alternating batches of n, so drift on a
// shared machine hits both alike, and reports op's rate and its cost as a
// multiple of base, both measured in this run.
func compare(b *testing.B, n int, base, op func()) {
	var tb, to time.Duration
	iters := 0
	for b.Loop() {
		t0 := time.Now()
		for range n {
			base()
		}
		t1 := time.Now()
		for range n {
			op()
		}
		tb += t1.Sub(t0)
		to += time.Since(t1)
		iters++
	}
	reads := float64(iters * n)
	b.ReportMetric(reads/to.Seconds(), "reads/s")
	b.ReportMetric(float64(to.Nanoseconds())/reads, "ns/read")
	b.ReportMetric(float64(tb.Nanoseconds())/reads, "baseline_ns")
	b.ReportMetric(float64(to)/float64(tb), "x_baseline")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkValidate measures Validate on each kind of code the outlets
// see. The baseline is what a read costs before validation: copying the
// scanned text into a fresh byte slice.
func BenchmarkValidate(b *testing.B) {
	cases := []struct {
		name, text, aim string
	}{
		{"carrier", "431234567890123", ""},
		{"gs1", "420200000\x1d00106141411234567897", "]C1"},
		{"s10", "RB123456785GB", ""},
		{"sscc", "00106141411234567897", "]C1"},
		{"unknown", "XQ-7731-ZZ", ""},
		{"noise", "SF12\x0034", ""},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			compare(b, 1000,
				func() { sinkBytes = []byte(tc.text) },
				func() { sinkResult = Validate(tc.text, tc.aim) })
		})
	}
}
