package barcode

import (
	"errors"
	"testing"
)

func TestCheckWaybill(t *testing.T) {
	for _, tc := range []struct {
		in   string
		err  error
		bad  rune
		at   int
		name string
	}{
		{"RB123456785GB", nil, 0, 0, "s10"},
		{"106141411234567897", nil, 0, 0, "sscc"},
		{"SF1234567890123", nil, 0, 0, "sf"},
		{"JDX000123456789-1-1-", nil, 0, 0, "jd sub-parcel"},
		{"xyz-42", nil, 0, 0, "lower case"},
		{"", ErrEmpty, 0, 0, "empty"},
		{"顺丰456", ErrWaybillChars, '顺', 1, "chinese carrier name"},
		{"快递123", ErrWaybillChars, '快', 1, "chinese word"},
		{"SF123 456", ErrWaybillChars, ' ', 6, "space"},
		{"SF１２３", ErrWaybillChars, '１', 3, "full-width digit"},
		{"https://example.com/p?id=1", ErrWaybillChars, ':', 6, "url"},
		{"SF12_34", ErrWaybillChars, '_', 5, "underscore"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckWaybill(tc.in)
			if tc.err == nil {
				if err != nil {
					t.Fatalf("CheckWaybill(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("CheckWaybill(%q) = %v, want %s", tc.in, err, tc.err.(*Error).Code)
			}
			if tc.bad == 0 {
				return
			}
			r, at, bad := BadWaybillRune(tc.in)
			if !bad || r != tc.bad || at != tc.at {
				t.Fatalf("BadWaybillRune(%q) = %q, %d, %v; want %q at %d", tc.in, r, at, bad, tc.bad, tc.at)
			}
		})
	}
}

// Every waybill a carrier rule matches passes CheckWaybill: the rule and
// the shapes must not drift apart.
func TestCarrierShapesAreWaybills(t *testing.T) {
	for _, wb := range []string{"SF1234567890123", "73123456789012", "YT1234567890123", "JD0012345678901", "EA123456789CN", "JT1234567890123", "DPK123456789012", "CN12345678901234"} {
		if len(DetectCarriers(wb, nil)) == 0 {
			t.Fatalf("%s matches no carrier: fix the sample", wb)
		}
		if err := CheckWaybill(wb); err != nil {
			t.Errorf("carrier waybill %s refused: %v", wb, err)
		}
	}
}
