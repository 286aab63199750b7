package scanner

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/devices/barcode"
)

// want is a compact expected frame: "text", "]C1|text" with an AIM, or
// "!code" for a rejected frame.
func summarize(frames []Frame) []string {
	var out []string
	for _, f := range frames {
		var e *barcode.Error
		switch {
		case errors.As(f.Err, &e):
			out = append(out, "!"+string(e.Code))
		case f.Err != nil:
			out = append(out, "!"+f.Err.Error())
		case f.AIM != "":
			out = append(out, f.AIM+"|"+f.Text)
		default:
			out = append(out, f.Text)
		}
	}
	return out
}

var framingCases = []struct {
	name string
	cfg  Framing
	in   string
	want []string
	idle []string // frames from Idle() after the input
}{
	{"cr", Framing{Suffix: SuffixCR}, "SF1234567890123\rYT1234567890123\r", []string{"SF1234567890123", "YT1234567890123"}, nil},
	{"cr tolerates crlf", Framing{Suffix: SuffixCR}, "A1\r\nB2\r\n", []string{"A1", "B2"}, nil},
	{"lf", Framing{Suffix: SuffixLF}, "A1\nB2\n", []string{"A1", "B2"}, nil},
	{"crlf", Framing{Suffix: SuffixCRLF}, "A1\r\nB2\r\n", []string{"A1", "B2"}, nil},
	{"crlf tolerates lf", Framing{Suffix: SuffixCRLF}, "A1\nB2\n", []string{"A1", "B2"}, nil},
	{"tab", Framing{Suffix: SuffixTab}, "A1\tB2\t", []string{"A1", "B2"}, nil},
	{"lone suffixes skipped", Framing{Suffix: SuffixCR}, "\r\r\rA1\r", []string{"A1"}, nil},
	{"none ends on idle", Framing{Suffix: SuffixNone}, "A1", nil, []string{"A1"}},
	{"aim", Framing{Suffix: SuffixCR, AIM: true}, "]C100106141411234567897\r]E04006381333931\r", []string{"]C1|00106141411234567897", "]E0|4006381333931"}, nil},
	{"aim missing kept", Framing{Suffix: SuffixCR, AIM: true}, "PLAIN\r", []string{"PLAIN"}, nil},
	{"gs1 with gs", Framing{Suffix: SuffixCR, AIM: true}, "]C10109501101530003\x1d10LOT\r", []string{"]C1|0109501101530003\x1d10LOT"}, nil},
	{"stx etx", Framing{Suffix: SuffixNone, STXETX: true}, "\x02A1\x03\x02B2\x03", []string{"A1", "B2"}, nil},
	{"stx etx with suffix", Framing{Suffix: SuffixCRLF, STXETX: true}, "\x02A1\x03\r\n\x02B2\x03\r\n", []string{"A1", "B2"}, nil},
	{"stx etx qr with newline", Framing{Suffix: SuffixCR, STXETX: true, AIM: true}, "\x02]Q1line1\nline2\x03\r", []string{"]Q1|line1\nline2"}, nil},
	{"stx etx garbage between", Framing{Suffix: SuffixNone, STXETX: true}, "\x02A1\x03zz\xff\x02B2\x03", []string{"A1", "!framing", "B2"}, nil},
	{"stx etx cut off", Framing{Suffix: SuffixNone, STXETX: true}, "\x02A1\x02B2\x03", []string{"!framing", "B2"}, nil},
	{"stx etx half frame on idle", Framing{Suffix: SuffixNone, STXETX: true}, "\x02A1", nil, []string{"!framing"}},
	{"cr half frame on idle", Framing{Suffix: SuffixCR}, "A1\rGARB", []string{"A1"}, []string{"!framing"}},
	{"binary noise", Framing{Suffix: SuffixCR}, "\xff\xfe\x00\rA1\r", []string{"!binary", "A1"}, nil},
	{"control noise", Framing{Suffix: SuffixCR}, "\x07\x08\rA1\r", []string{"!control", "A1"}, nil},
	{"overlong resyncs", Framing{Suffix: SuffixCR, MaxLen: 8}, "123456789012\rA1\r", []string{"!overlong", "A1"}, nil},
	{"overlong stx resyncs", Framing{Suffix: SuffixNone, STXETX: true, MaxLen: 4}, "\x02123456\x03\x02A1\x03", []string{"!overlong", "A1"}, nil},
	{"stray etx in suffix mode", Framing{Suffix: SuffixCR}, "A\x031\rB2\r", []string{"!framing", "B2"}, nil},
	{"whitespace only", Framing{Suffix: SuffixCR}, "  \rA1\r", []string{"!empty", "A1"}, nil},
}

func TestFramer(t *testing.T) {
	for _, tc := range framingCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFramer(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := summarize(f.Feed([]byte(tc.in)))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("Feed(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if idle := summarize(f.Idle()); fmt.Sprint(idle) != fmt.Sprint(tc.idle) {
				t.Fatalf("Idle() = %q, want %q", idle, tc.idle)
			}
		})
	}
}

// feedPieces feeds in cut at the given positions and returns all frames.
func feedPieces(t testing.TB, cfg Framing, in []byte, cuts ...int) []string {
	f, err := NewFramer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var frames []Frame
	prev := 0
	for _, c := range append(cuts, len(in)) {
		frames = append(frames, f.Feed(in[prev:c])...)
		prev = c
	}
	return summarize(frames)
}

func TestFramerSplitEverywhere(t *testing.T) {
	for _, tc := range framingCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			whole := fmt.Sprint(feedPieces(t, tc.cfg, in))
			for i := 0; i <= len(in); i++ {
				if got := fmt.Sprint(feedPieces(t, tc.cfg, in, i)); got != whole {
					t.Fatalf("split at %d: %s, whole: %s", i, got, whole)
				}
			}
			bytewise := make([]int, 0, len(in))
			for i := 1; i < len(in); i++ {
				bytewise = append(bytewise, i)
			}
			if got := fmt.Sprint(feedPieces(t, tc.cfg, in, bytewise...)); got != whole {
				t.Fatalf("byte by byte: %s, whole: %s", got, whole)
			}
		})
	}
}

func TestFramerReset(t *testing.T) {
	f, _ := NewFramer(Framing{Suffix: SuffixCR})
	f.Feed([]byte("HALF"))
	f.Reset()
	if got := summarize(f.Feed([]byte("A1\r"))); fmt.Sprint(got) != "[A1]" {
		t.Fatalf("after Reset: %q", got)
	}
}

func TestFramingValidate(t *testing.T) {
	f := Framing{Suffix: "crcr"}
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "use cr, lf") {
		t.Fatalf("Validate = %v", err)
	}
}

func FuzzFramer(f *testing.F) {
	for i, tc := range framingCases {
		f.Add([]byte(tc.in), uint8(i), uint16(len(tc.in)/2))
	}
	f.Fuzz(func(t *testing.T, in []byte, cfgIdx uint8, cut uint16) {
		cfg := framingCases[int(cfgIdx)%len(framingCases)].cfg
		c := int(cut) % (len(in) + 1)
		whole := feedPieces(t, cfg, in)
		if got := feedPieces(t, cfg, in, c); fmt.Sprint(got) != fmt.Sprint(whole) {
			t.Fatalf("split at %d: %q, whole: %q", c, got, whole)
		}
		fr, _ := NewFramer(cfg)
		for _, fm := range append(fr.Feed(in), fr.Idle()...) {
			if fm.Err == nil && barcode.CheckNoise([]byte(fm.Text), fm.Symbology, 0) != nil {
				t.Fatalf("noise delivered as a frame: %q", fm.Text)
			}
		}
	})
}
