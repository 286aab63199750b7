package scale

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var (
	stgs    = Format{Name: FormatSTGS}
	bare    = Format{Name: FormatBare}
	bareInG = Format{Name: FormatBare, Unit: "g"}
)

type lineCase struct {
	name string
	f    Format
	line string
	want Frame
	err  string // substring of the error; "" means the line parses
}

var lineCases = []lineCase{
	// st-gs family
	{"st gs kg", stgs, "ST,GS,+  1.234kg", Frame{Grams: 1234, Unit: "kg", Stability: StabilityStable}, ""},
	{"us nt negative", stgs, "US,NT,-  0.050kg", Frame{Grams: -50, Unit: "kg", Stability: StabilityUnstable, Net: true}, ""},
	{"st nt zero padded", stgs, "ST,NT,+0001.500kg", Frame{Grams: 1500, Unit: "kg", Stability: StabilityStable, Net: true}, ""},
	{"grams", stgs, "ST,GS,+   1234g", Frame{Grams: 1234, Unit: "g", Stability: StabilityStable}, ""},
	{"grams with decimal rounds", stgs, "ST,GS,+  12.5 g", Frame{Grams: 13, Unit: "g", Stability: StabilityStable}, ""},
	{"unit space and caps", stgs, "ST,GS,+  2.000 KG", Frame{Grams: 2000, Unit: "kg", Stability: StabilityStable}, ""},
	{"pounds", stgs, "ST,GS,+  2.205lb", Frame{Grams: 1000, Unit: "lb", Stability: StabilityStable}, ""},
	{"one pound exact", stgs, "ST,GS,+  1.000lb", Frame{Grams: 454, Unit: "lb", Stability: StabilityStable}, ""},
	{"lbs", stgs, "ST,GS,+ 10.00lbs", Frame{Grams: 4536, Unit: "lb", Stability: StabilityStable}, ""},
	{"ounces", stgs, "ST,GS,+ 16.00oz", Frame{Grams: 454, Unit: "oz", Stability: StabilityStable}, ""},
	{"negative ounces", stgs, "US,GS,-  1.00oz", Frame{Grams: -28, Unit: "oz", Stability: StabilityUnstable}, ""},
	{"no sign", stgs, "ST,GS,  0.250kg", Frame{Grams: 250, Unit: "kg", Stability: StabilityStable}, ""},
	{"minus zero", stgs, "ST,GS,-  0.000kg", Frame{Grams: 0, Unit: "kg", Stability: StabilityStable}, ""},
	{"overload dashes", stgs, "OL,GS,+  -OL-kg", Frame{Unit: "", Overload: true}, ""},
	{"overload value", stgs, "OL,GS,+ 99.999kg", Frame{Grams: 0, Unit: "kg", Overload: true}, ""},
	{"surrounding spaces", stgs, "  ST,GS,+  1.234kg  ", Frame{Grams: 1234, Unit: "kg", Stability: StabilityStable}, ""},
	{"tare line refused", stgs, "ST,TR,+  0.300kg", Frame{}, "kind"},
	{"unknown status", stgs, "XX,GS,+  1.234kg", Frame{}, "status"},
	{"two fields", stgs, "ST,+  1.234kg", Frame{}, "STATUS,KIND,WEIGHT"},
	{"no unit", stgs, "ST,GS,+  1.234", Frame{}, "no unit"},
	{"bad unit", stgs, "ST,GS,+  1.234kgs", Frame{}, "unit"},
	{"two dots", stgs, "ST,GS,+  1.2.34kg", Frame{}, "unit"},
	{"no digits", stgs, "ST,GS,+  .kg", Frame{}, "no value"},
	{"sign only", stgs, "ST,GS,+", Frame{}, "no value"},
	{"too many digits", stgs, "ST,GS,+12345678901kg", Frame{}, "too many digits"},
	{"binary", stgs, "ST,GS,\x00\xff1.234kg", Frame{}, "unprintable"},
	{"wrong baud noise", stgs, "\xf8\x80\xfe", Frame{}, "unprintable"},
	{"half line", stgs, "34kg", Frame{}, "STATUS,KIND,WEIGHT"},
	{"space in value", stgs, "ST,GS,+ 1 234kg", Frame{}, "unit"},

	// bare weight lines
	{"bare padded", bare, "  001.234 kg", Frame{Grams: 1234, Unit: "kg"}, ""},
	{"bare signed", bare, "+0001.234kg", Frame{Grams: 1234, Unit: "kg"}, ""},
	{"bare negative", bare, "-0000.075kg", Frame{Grams: -75, Unit: "kg"}, ""},
	{"bare stable flag", bare, "S +0002.000kg", Frame{Grams: 2000, Unit: "kg", Stability: StabilityStable}, ""},
	{"bare unstable flag", bare, "U +0002.010kg", Frame{Grams: 2010, Unit: "kg", Stability: StabilityUnstable}, ""},
	{"bare motion flag", bare, "M   12.5 lb", Frame{Grams: 5670, Unit: "lb", Stability: StabilityUnstable}, ""},
	{"bare words", bare, "ST,NT,+  0.500kg", Frame{Grams: 500, Unit: "kg", Stability: StabilityStable, Net: true}, ""},
	{"bare net", bare, "S NT +0000.500kg", Frame{Grams: 500, Unit: "kg", Stability: StabilityStable, Net: true}, ""},
	{"bare overload", bare, "  -OL- kg", Frame{Overload: true}, ""},
	{"bare overload word", bare, "OL", Frame{Overload: true}, ""},
	{"bare default unit", bareInG, "  1234", Frame{Grams: 1234, Unit: "g"}, ""},
	{"bare no unit", bare, "  1234", Frame{}, "no unit"},
	{"bare unknown word", bare, "X 1.234kg", Frame{}, "no value"},
	{"bare text", bare, "hello", Frame{}, "no value"},
	{"bare unit first", bare, "kg 1.234", Frame{}, "no value"},
	{"bare binary", bare, "\x1b[0m1.0kg", Frame{}, "unprintable"},
}

func TestParseLine(t *testing.T) {
	for _, tc := range lineCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLine(tc.f, []byte(tc.line))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseLine(%q) = %+v, %v; want error with %q", tc.line, got, err, tc.err)
				}
				if got != (Frame{}) {
					t.Fatalf("refused line still gave %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLine(%q): %v", tc.line, err)
			}
			if got != tc.want {
				t.Fatalf("ParseLine(%q) = %+v, want %+v", tc.line, got, tc.want)
			}
		})
	}
}

// feedAll runs input through a fresh Parser in the given pieces.
func feedAll(f Format, pieces ...[]byte) []Result {
	p := Parser{Format: f}
	var out []Result
	for _, b := range pieces {
		out = append(out, p.Feed(b)...)
	}
	return out
}

func describe(rs []Result) string {
	var b strings.Builder
	for _, r := range rs {
		if r.Err != nil {
			fmt.Fprintf(&b, "err(%q) ", r.Line)
		} else {
			fmt.Fprintf(&b, "%+v ", r.Frame)
		}
	}
	return b.String()
}

// TestSplitEverywhere feeds every table line, followed by a good line,
// split at every position: the result must not depend on how the bytes
// arrive, a refused line gives no reading, and the good line after it
// still parses.
func TestSplitEverywhere(t *testing.T) {
	for _, tc := range lineCases {
		for _, term := range []string{"\r\n", "\r", "\n"} {
			good := "ST,GS,+  0.777kg"
			if tc.f.Name == FormatBare {
				good = "+0000.777kg"
			}
			in := []byte("\x02" + tc.line + term + good + term)
			whole := feedAll(tc.f, in)
			if len(whole) == 0 || whole[len(whole)-1].Err != nil || whole[len(whole)-1].Frame.Grams != 777 {
				t.Fatalf("%s %q: the good line after it was lost: %s", tc.name, term, describe(whole))
			}
			for _, r := range whole[:len(whole)-1] {
				if (r.Err == nil) != (tc.err == "") {
					t.Fatalf("%s: whole input gave %s", tc.name, describe(whole))
				}
			}
			for i := 0; i <= len(in); i++ {
				got := feedAll(tc.f, in[:i], in[i:])
				if describe(got) != describe(whole) {
					t.Fatalf("%s split at %d: %s, whole gave %s", tc.name, i, describe(got), describe(whole))
				}
			}
			bytewise := make([][]byte, len(in))
			for i := range in {
				bytewise[i] = in[i : i+1]
			}
			if got := feedAll(tc.f, bytewise...); describe(got) != describe(whole) {
				t.Fatalf("%s byte by byte: %s", tc.name, describe(got))
			}
		}
	}
}

func TestParserFraming(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     string
	}{
		{"crlf gives one line", "ST,GS,+  1.000kg\r\n", "{Grams:1000 Unit:kg Stability:1 Net:false Overload:false} "},
		{"blank lines skipped", "\r\n\r\n  \r\nST,GS,+  1.000kg\r\n", "{Grams:1000 Unit:kg Stability:1 Net:false Overload:false} "},
		{"stx etx", "\x02ST,GS,+  2.000kg\x03", "{Grams:2000 Unit:kg Stability:1 Net:false Overload:false} "},
		{"stx drops a half line", "ST,GS,+  9\x02ST,GS,+  2.000kg\r\n", "{Grams:2000 Unit:kg Stability:1 Net:false Overload:false} "},
		{"overlong", strings.Repeat("9", 200) + "\r\nST,GS,+  3.000kg\r\n", fmt.Sprintf("err(%q) {Grams:3000 Unit:kg Stability:1 Net:false Overload:false} ", strings.Repeat("9", maxLine))},
		{"no terminator yet", "ST,GS,+  1.000kg", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describe(feedAll(stgs, []byte(tc.in))); got != tc.want {
				t.Fatalf("got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestStabilizer(t *testing.T) {
	seq := func(f Format, repeats int, lines ...string) string {
		st := Stabilizer{Repeats: repeats}
		var out []string
		for _, l := range lines {
			fr, err := ParseLine(f, []byte(l))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(st.Stable(fr)))
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"flag wins", seq(stgs, 3, "US,GS,+  1.000kg", "ST,GS,+  1.000kg", "US,GS,+  1.000kg"), "false true false"},
		{"no flag needs repeats", seq(bare, 3, "1.000kg", "1.000kg", "1.000kg", "1.000kg"), "false false true true"},
		{"a change restarts", seq(bare, 2, "1.000kg", "1.000kg", "1.001kg", "1.001kg"), "false true false true"},
		{"overload breaks the run", seq(bare, 2, "1.000kg", "OL", "1.000kg", "1.000kg"), "false false false true"},
		{"net differs from gross", seq(bare, 2, "1.000kg", "NT 1.000kg"), "false false"},
		{"repeats 1", seq(bare, 1, "5g", "6g"), "true true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %s, want %s", tc.got, tc.want)
			}
		})
	}
}

// TestEncodeGolden pins the bytes the simulator prints and checks each
// parses back to the weight it encodes.
func TestEncodeGolden(t *testing.T) {
	frames := []Frame{
		{Grams: 1234, Stability: StabilityStable},
		{Grams: 1240, Stability: StabilityUnstable},
		{Grams: -50, Stability: StabilityStable, Net: true},
		{Grams: 0, Stability: StabilityStable},
		{Overload: true},
	}
	var out bytes.Buffer
	for _, c := range []SimConfig{
		{Protocol: FormatSTGS, Unit: "kg"},
		{Protocol: FormatSTGS, Unit: "g"},
		{Protocol: FormatSTGS, Unit: "lb"},
		{Protocol: FormatSTGS, Unit: "oz"},
		{Protocol: FormatBare, Unit: "kg"},
		{Protocol: FormatBare, Unit: "kg", Flag: true},
		{Protocol: ProtocolRequest, Answer: FormatBare, Unit: "g", Flag: true},
	} {
		fmt.Fprintf(&out, "# protocol=%s answer=%s unit=%s flag=%v\n", c.Protocol, c.Answer, c.Unit, c.Flag)
		f := Format{Name: c.Protocol}
		if c.Protocol == ProtocolRequest {
			f.Name = c.Answer
		}
		for _, fr := range frames {
			line := EncodeLine(c, fr)
			fmt.Fprintf(&out, "%q\n", line)
			rs := feedAll(f, line)
			if len(rs) != 1 || rs[0].Err != nil {
				t.Fatalf("%q does not parse: %s", line, describe(rs))
			}
			got := rs[0].Frame
			if got.Overload != fr.Overload || !fr.Overload && (got.Grams != fr.Grams || got.Unit != c.Unit || got.Net != fr.Net) {
				t.Fatalf("%q parsed as %+v, encoded %+v", line, got, fr)
			}
			if c.Protocol == FormatSTGS || c.Flag {
				if !fr.Overload && got.Stability != fr.Stability {
					t.Fatalf("%q stability %v, want %v", line, got.Stability, fr.Stability)
				}
			}
		}
	}
	golden := filepath.Join("testdata", "lines.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update once)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("simulator output changed; diff against %s:\n%s", golden, out.String())
	}
}

// FuzzParse: no input crashes the parser, splitting never changes the
// result, and whatever parses is a sane weight.
func FuzzParse(f *testing.F) {
	for _, tc := range lineCases {
		f.Add(tc.f.Name == FormatBare, []byte(tc.line+"\r\n"), uint8(len(tc.line)/2))
	}
	f.Add(false, []byte("\x02ST,GS,+  1.234kg\x03US,NT,-  0.050kg\r\n"), uint8(7))
	f.Fuzz(func(t *testing.T, isBare bool, in []byte, cut uint8) {
		format := stgs
		if isBare {
			format = bare
		}
		whole := feedAll(format, in)
		i := int(cut) % (len(in) + 1)
		if got := feedAll(format, in[:i], in[i:]); describe(got) != describe(whole) {
			t.Fatalf("split at %d: %s, whole: %s", i, describe(got), describe(whole))
		}
		for _, r := range whole {
			if r.Err != nil {
				if r.Frame != (Frame{}) {
					t.Fatalf("refused line %q gave %+v", r.Line, r.Frame)
				}
				continue
			}
			if _, ok := units[r.Frame.Unit]; !ok && !r.Frame.Overload {
				t.Fatalf("line %q: unit %q", r.Line, r.Frame.Unit)
			}
			if g := r.Frame.Grams; g > 1e13 || g < -1e13 {
				t.Fatalf("line %q: %d g", r.Line, g)
			}
		}
	})
}
