package barcode

import "testing"

// Baseline: what a read costs before validation (a string copy).
func BenchmarkBaselineCopy(b *testing.B) {
	s := "SF1234567890123"
	for b.Loop() {
		_ = []byte(s)
	}
}

func BenchmarkValidateCarrier(b *testing.B) {
	for b.Loop() {
		Validate("431234567890123", "")
	}
}

func BenchmarkValidateGS1(b *testing.B) {
	s := "420200000\x1d00106141411234567897"
	for b.Loop() {
		Validate(s, "]C1")
	}
}

func BenchmarkValidateS10(b *testing.B) {
	for b.Loop() {
		Validate("RB123456785GB", "")
	}
}
