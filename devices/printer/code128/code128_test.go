package code128

import (
	"reflect"
	"testing"
)

var encodeCases = []struct {
	name string
	in   string
	segs []Segment
	vals []int // check and stop included
}{
	// Published check-character examples.
	{"set B abcdef", "abcdef", []Segment{{'B', "abcdef"}}, []int{104, 65, 66, 67, 68, 69, 70, 97, 106}},
	{"set C 345678", "345678", []Segment{{'C', "345678"}}, []int{105, 34, 56, 78, 73, 106}},
	{"HI345678 from B", "HI345678", []Segment{{'B', "HI"}, {'C', "345678"}}, []int{104, 40, 41, 99, 34, 56, 78, 68, 106}},
	{"short middle run stays B", "PJJ123C", []Segment{{'B', "PJJ123C"}}, []int{104, 48, 42, 42, 17, 18, 19, 35, 55, 106}},
	// The waybills on our sample labels.
	{"SF odd run at end", "SF1234567890123", []Segment{{'B', "SF1"}, {'C', "234567890123"}},
		[]int{104, 51, 38, 17, 99, 23, 45, 67, 89, 1, 23, 11, 106}},
	{"S10 run in the middle", "RB123456785GB", []Segment{{'B', "RB1"}, {'C', "23456785"}, {'B', "GB"}},
		[]int{104, 50, 34, 17, 99, 23, 45, 67, 85, 100, 39, 34, 56, 106}},
	{"ticket with two runs", "TS-20260304-0007", []Segment{{'B', "TS-"}, {'C', "20260304"}, {'B', "-"}, {'C', "0007"}},
		[]int{104, 52, 51, 13, 99, 20, 26, 3, 4, 100, 13, 99, 0, 7, 19, 106}},
	{"odd run at start", "12345AB", []Segment{{'C', "1234"}, {'B', "5AB"}}, nil},
	{"two digits", "42", []Segment{{'C', "42"}}, []int{105, 42, (105 + 42) % 103, 106}},
	{"three digits", "123", []Segment{{'B', "123"}}, nil},
	{"odd digits only", "12345", []Segment{{'B', "1"}, {'C', "2345"}}, nil},
	{"four digits in the middle stay B", "A1234B", []Segment{{'B', "A1234B"}}, nil},
	{"single char", "~", []Segment{{'B', "~"}}, []int{104, 94, (104 + 94) % 103, 106}},
}

func TestEncode(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			sym, err := Encode(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(sym.Segments, tc.segs) {
				t.Errorf("segments = %q, want %q", sym.Segments, tc.segs)
			}
			if tc.vals != nil && !reflect.DeepEqual(sym.Values, tc.vals) {
				t.Errorf("values = %v, want %v", sym.Values, tc.vals)
			}
			if got := decode(t, sym.Pattern()); got != tc.in {
				t.Errorf("bars decode to %q, want %q", got, tc.in)
			}
			if got := len(sym.Pattern()); got != sym.Modules() {
				t.Errorf("pattern is %d modules, Modules() says %d", got, sym.Modules())
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, in := range []string{"", "运单123", "a\x1bb", "caf\u00e9"} {
		t.Run(in, func(t *testing.T) {
			if _, err := Encode(in); err == nil {
				t.Errorf("Encode(%q) succeeded", in)
			}
		})
	}
}

func TestKnownPatterns(t *testing.T) {
	tests := []struct {
		name string
		v    int
		want string
	}{
		{"start B", StartB, "11010010000"},
		{"start C", StartC, "11010011100"},
		{"start A", 103, "11010000100"},
		{"stop with final bar", Stop, "1100011101011"},
		{"space", 0, "11011001100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Symbol{Values: []int{tc.v}}).Pattern(); got != tc.want {
				t.Errorf("pattern %d = %s, want %s", tc.v, got, tc.want)
			}
		})
	}
}

// TestPatternTable checks the properties every Code 128 character has:
// 11 modules, bars adding up to an even number, and no two alike.
func TestPatternTable(t *testing.T) {
	seen := map[string]int{}
	for v, p := range patterns[:Stop] {
		if len(p) != 6 {
			t.Fatalf("value %d: %d elements", v, len(p))
		}
		sum, bars := 0, 0
		for i, c := range p {
			sum += int(c - '0')
			if i%2 == 0 {
				bars += int(c - '0')
			}
		}
		if sum != 11 || bars%2 != 0 {
			t.Errorf("value %d %s: %d modules, bars %d", v, p, sum, bars)
		}
		if w, dup := seen[p]; dup {
			t.Errorf("values %d and %d share %s", w, v, p)
		}
		seen[p] = v
	}
}

func decode(t *testing.T, bars string) string {
	t.Helper()
	s, err := Decode(bars)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func FuzzEncode(f *testing.F) {
	for _, tc := range encodeCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sym, err := Encode(s)
		if err != nil {
			return
		}
		if got := decode(t, sym.Pattern()); got != s {
			t.Fatalf("bars decode to %q, want %q", got, s)
		}
	})
}
