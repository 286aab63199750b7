package lifecycle

import (
	"testing"
	"time"
)

func TestComplaintTicket(t *testing.T) {
	at := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC).UnixMilli()
	id := "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f9a0c"
	tk := ComplaintTicket(at, "SH-001", id)
	if tk != "T261201-SH-001-3F9A0C" {
		t.Fatalf("ticket %q", tk)
	}
	outlet, day, suffix, ok := ParseTicket(tk)
	if !ok || outlet != "SH-001" || !day.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || suffix != "3f9a0c" {
		t.Fatalf("ParseTicket(%q) = %q %v %q %v", tk, outlet, day, suffix, ok)
	}
	for _, bad := range []string{"", "T", "X261201-SH-001-3F9A0C", "T261301-SH-001-3F9A0C", "T261201-SH-001-3F9A0", "T261201-SH-001-3F9A0CC",
		"T261201-SH-001-3F9A0G", "T261201--3F9A0C", "T261201-SH 001-3F9A0C", "T261201-SH-001-3f9a0c", "T261201-%-3F9A0C", "T261201-SH-001-%%%%%%"} {
		if _, _, _, ok := ParseTicket(bad); ok {
			t.Errorf("ParseTicket(%q) took it", bad)
		}
	}
}

func FuzzParseTicket(f *testing.F) {
	f.Add("T261201-SH-001-3F9A0C")
	f.Add("T261201--3F9A0C")
	f.Fuzz(func(t *testing.T, s string) {
		outlet, day, suffix, ok := ParseTicket(s)
		if ok && ComplaintTicket(day.UnixMilli(), outlet, suffix) != s {
			t.Errorf("%q parses to %q %v %q, which is another ticket", s, outlet, day, suffix)
		}
	})
}
