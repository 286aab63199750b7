package tariff

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

var sample = Tariff{
	Version: "2026-11",
	Zones:   map[string]string{"310000": "local", "320000": "near", "320500": "local", "540000": "far"},
	Rates: map[string]Rate{
		"local": {FirstGrams: 1000, FirstFen: 800, StepGrams: 1000, StepFen: 200},
		"near":  {FirstGrams: 1000, FirstFen: 1000, StepGrams: 1000, StepFen: 500},
		"far":   {FirstGrams: 1000, FirstFen: 2000, StepGrams: 500, StepFen: 1000},
	},
	VolumetricDivisor: 6000,
	MaxWeightGrams:    50000,
	Insurance:         Insurance{RateBP: 50, MinFen: 100, MaxDeclaredFen: 2_000_000},
}

func TestQuoteWorkedExamples(t *testing.T) {
	cases := []struct {
		name                   string
		p                      Parcel
		zone                   string
		chargeable             int64
		volumetric             bool
		base, insurance, total int64
		lines                  []string
	}{
		{"500 g to Shanghai Xuhui by province", Parcel{WeightGrams: 500, DestCode: "310104"}, "local", 500, false, 800, 0, 800, []string{LineFirstWeight}},
		{"exactly the first weight", Parcel{WeightGrams: 1000, DestCode: "310000"}, "local", 1000, false, 800, 0, 800, []string{LineFirstWeight}},
		{"one gram over starts a step", Parcel{WeightGrams: 1001, DestCode: "310000"}, "local", 1001, false, 1000, 0, 1000, []string{LineFirstWeight, LineAdditionalWeight}},
		// 1000 + ⌈1500/1000⌉ × 500
		{"2.5 kg to Nanjing", Parcel{WeightGrams: 2500, DestCode: "320102"}, "near", 2500, false, 2000, 0, 2000, []string{LineFirstWeight, LineAdditionalWeight}},
		{"Suzhou by city code beats its province", Parcel{WeightGrams: 2500, DestCode: "320506"}, "local", 2500, false, 1200, 0, 1200, []string{LineFirstWeight, LineAdditionalWeight}},
		// 40 × 30 × 20 = 24000 cm³ / 6000 = 4 kg; 800 + 3 × 200
		{"light and bulky: volumetric", Parcel{WeightGrams: 300, LengthCm: 40, WidthCm: 30, HeightCm: 20, DestCode: "310000"}, "local", 4000, true, 1400, 0, 1400, []string{LineFirstWeight, LineAdditionalWeight}},
		{"heavy in the same box: actual", Parcel{WeightGrams: 5000, LengthCm: 40, WidthCm: 30, HeightCm: 20, DestCode: "310000"}, "local", 5000, false, 1600, 0, 1600, []string{LineFirstWeight, LineAdditionalWeight}},
		// 700 cm³ × 1000 / 6000 = 116.67 g → 117 g
		{"volumetric rounds up to the gram", Parcel{WeightGrams: 100, LengthCm: 10, WidthCm: 10, HeightCm: 7, DestCode: "310000"}, "local", 117, true, 800, 0, 800, []string{LineFirstWeight}},
		{"one side missing: no volumetric", Parcel{WeightGrams: 300, LengthCm: 40, WidthCm: 30, DestCode: "310000"}, "local", 300, false, 800, 0, 800, []string{LineFirstWeight}},
		// 1.2 kg far: 2000 + ⌈200/500⌉ × 1000
		{"far zone, half-kilo steps", Parcel{WeightGrams: 1200, DestCode: "540102"}, "far", 1200, false, 3000, 0, 3000, []string{LineFirstWeight, LineAdditionalWeight}},
		// 100000 fen × 50 bp = 500 fen
		{"insured 1000 yuan", Parcel{WeightGrams: 500, DestCode: "310000", DeclaredFen: 100000, Insured: true}, "local", 500, false, 800, 500, 1300, []string{LineFirstWeight, LineInsurance}},
		{"insurance minimum", Parcel{WeightGrams: 500, DestCode: "310000", DeclaredFen: 5000, Insured: true}, "local", 500, false, 800, 100, 900, []string{LineFirstWeight, LineInsurance}},
		// 300000 × 50 / 10000 = 1500 exactly; 300001 → 1500.005 → 1501
		{"insurance exact", Parcel{WeightGrams: 500, DestCode: "310000", DeclaredFen: 300000, Insured: true}, "local", 500, false, 800, 1500, 2300, []string{LineFirstWeight, LineInsurance}},
		{"insurance rounds up to the fen", Parcel{WeightGrams: 500, DestCode: "310000", DeclaredFen: 300001, Insured: true}, "local", 500, false, 800, 1501, 2301, []string{LineFirstWeight, LineInsurance}},
		{"declared but not insured", Parcel{WeightGrams: 500, DestCode: "310000", DeclaredFen: 300000}, "local", 500, false, 800, 0, 800, []string{LineFirstWeight}},
		{"at the weight limit", Parcel{WeightGrams: 50000, DestCode: "310000"}, "local", 50000, false, 800 + 49*200, 0, 800 + 49*200, []string{LineFirstWeight, LineAdditionalWeight}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Quote(sample, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if q.Zone != tc.zone || q.ChargeableGrams != tc.chargeable || q.Volumetric != tc.volumetric ||
				q.BaseFen != tc.base || q.InsuranceFen != tc.insurance || q.TotalFen != tc.total {
				t.Fatalf("%+v", q)
			}
			var codes []string
			var sum int64
			for _, l := range q.Lines {
				codes = append(codes, l.Code)
				sum += l.Fen
				if !strings.Contains(l.Text, " / ") {
					t.Errorf("line text not bilingual: %q", l.Text)
				}
			}
			if strings.Join(codes, ",") != strings.Join(tc.lines, ",") || sum != q.TotalFen {
				t.Fatalf("lines %+v", q.Lines)
			}
		})
	}
}

func TestQuoteErrors(t *testing.T) {
	bad := sample
	bad.VolumetricDivisor = 0
	orphan := sample
	orphan.Zones = map[string]string{"310000": "moon"}
	cases := []struct {
		name string
		t    Tariff
		p    Parcel
		want error
	}{
		{"unknown destination", sample, Parcel{WeightGrams: 500, DestCode: "810000"}, ErrUnknownDestination},
		{"five-digit code", sample, Parcel{WeightGrams: 500, DestCode: "31000"}, ErrUnknownDestination},
		{"letters in code", sample, Parcel{WeightGrams: 500, DestCode: "31000A"}, ErrUnknownDestination},
		{"empty code", sample, Parcel{WeightGrams: 500}, ErrUnknownDestination},
		{"weight 0", sample, Parcel{DestCode: "310000"}, ErrNoWeight},
		{"negative weight", sample, Parcel{WeightGrams: -5, DestCode: "310000"}, ErrNoWeight},
		{"over max weight", sample, Parcel{WeightGrams: 50001, DestCode: "310000"}, ErrOverweight},
		{"volumetric over max", sample, Parcel{WeightGrams: 500, LengthCm: 100, WidthCm: 100, HeightCm: 100, DestCode: "310000"}, ErrOverweight},
		{"side too long", sample, Parcel{WeightGrams: 500, LengthCm: 1001, WidthCm: 1, HeightCm: 1, DestCode: "310000"}, ErrBadSize},
		{"negative side", sample, Parcel{WeightGrams: 500, WidthCm: -1, DestCode: "310000"}, ErrBadSize},
		{"insured without value", sample, Parcel{WeightGrams: 500, DestCode: "310000", Insured: true}, ErrBadDeclared},
		{"declared over the limit", sample, Parcel{WeightGrams: 500, DestCode: "310000", Insured: true, DeclaredFen: 2_000_001}, ErrBadDeclared},
		{"divisor 0", bad, Parcel{WeightGrams: 500, DestCode: "310000"}, ErrBadTariff},
		{"zone without a rate", orphan, Parcel{WeightGrams: 500, DestCode: "310000"}, ErrBadTariff},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Quote(tc.t, tc.p)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), " / ") {
				t.Fatalf("error not bilingual: %v", err)
			}
		})
	}
}

// FuzzQuote: whatever is priced has a total equal to the sum of its lines,
// a chargeable weight at least the actual one, and costs no less when it
// weighs more.
func FuzzQuote(f *testing.F) {
	f.Add(int64(500), int64(0), int64(0), int64(0), int64(0), false, uint8(0), int64(1))
	f.Add(int64(300), int64(40), int64(30), int64(20), int64(100000), true, uint8(1), int64(1000))
	f.Add(int64(1001), int64(10), int64(10), int64(7), int64(10001), true, uint8(3), int64(499))
	f.Add(int64(50000), int64(1000), int64(1000), int64(1000), int64(-1), true, uint8(2), int64(0))
	codes := []string{"310000", "320102", "320506", "540102", "810000"}
	f.Fuzz(func(t *testing.T, g, l, w, h, declared int64, insured bool, dest uint8, more int64) {
		p := Parcel{WeightGrams: g, LengthCm: l, WidthCm: w, HeightCm: h, DestCode: codes[int(dest)%len(codes)], DeclaredFen: declared, Insured: insured}
		q, err := Quote(sample, p)
		if err != nil {
			if !strings.Contains(err.Error(), " / ") {
				t.Fatalf("error not bilingual: %v", err)
			}
			return
		}
		var sum, base int64
		for _, line := range q.Lines {
			sum += line.Fen
			if line.Code != LineInsurance {
				base += line.Fen
			}
			if line.Fen < 0 {
				t.Fatalf("negative line %+v", line)
			}
		}
		if sum != q.TotalFen || base != q.BaseFen || q.BaseFen+q.InsuranceFen != q.TotalFen {
			t.Fatalf("total %d, lines sum %d, base %d: %+v", q.TotalFen, sum, base, q)
		}
		if q.ChargeableGrams < g || q.ChargeableGrams < q.VolumetricGrams || q.Volumetric != (q.ChargeableGrams > g) {
			t.Fatalf("chargeable %d for %d g (volumetric %d, %v)", q.ChargeableGrams, g, q.VolumetricGrams, q.Volumetric)
		}
		if insured && q.InsuranceFen < sample.Insurance.MinFen {
			t.Fatalf("insurance %d under the minimum", q.InsuranceFen)
		}
		more %= 100000
		if more < 0 {
			more = -more
		}
		p.WeightGrams = g + more
		if heavier, err := Quote(sample, p); err == nil && heavier.TotalFen < q.TotalFen {
			t.Fatalf("%d g costs %d, %d g costs %d", g, q.TotalFen, p.WeightGrams, heavier.TotalFen)
		}
	})
}

// Each line carries the values its words name, so a screen can word it in
// one language: 2.5 kg far with insurance is 1000 g, 3 steps of 500 g, and
// 100000 fen at 50 bp.
func TestQuoteLineParams(t *testing.T) {
	q, err := Quote(sample, Parcel{WeightGrams: 2500, DestCode: "540102", DeclaredFen: 100000, Insured: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int64{
		LineFirstWeight:      {"grams": 1000},
		LineAdditionalWeight: {"steps": 3, "grams": 500},
		LineInsurance:        {"declared": 100000, "bp": 50},
	}
	if len(q.Lines) != len(want) {
		t.Fatalf("lines %+v", q.Lines)
	}
	for _, l := range q.Lines {
		if !maps.Equal(l.Params, want[l.Code]) {
			t.Errorf("line %s params %v, want %v", l.Code, l.Params, want[l.Code])
		}
	}
}
