// Package tariff prices a parcel sent at the counter from the tariff table
// head office publishes, so that an outlet offline and head office compute
// the same price to the fen. It does no I/O and uses no floating point:
// weights are whole grams, sizes whole centimetres, money whole fen (分).
//
// # Rules
//
//   - Destination: DestCode is a 6-digit administrative division code (GB/T
//     2260). The zone is looked up by the exact code, then its city
//     (first 4 digits + "00"), then its province (first 2 digits + "0000").
//   - Volumetric weight: length × width × height in cm³ divided by the
//     divisor in cm³ per kg, in grams rounded up to the next whole gram. It
//     counts only when all three sides are given.
//   - Chargeable weight: the larger of the actual and the volumetric weight.
//   - Carriage: the first weight's price covers up to FirstGrams; every
//     started StepGrams beyond it costs StepFen (a started step is charged in
//     full).
//   - Insurance (保价), when asked for: RateBP basis points (1/10000) of the
//     declared value, rounded up to the next whole fen, and at least MinFen.
//   - Total: carriage plus insurance, which is exactly the sum of the lines.
package tariff

import (
	"fmt"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// MaxSideCm is the longest side accepted, in centimetres.
const MaxSideCm = 1000

// Tariff is a published tariff table.
type Tariff struct {
	Version           string            `json:"version"`
	Zones             map[string]string `json:"zones"` // division code → zone
	Rates             map[string]Rate   `json:"rates"` // zone → rate
	VolumetricDivisor int64             `json:"volumetric_divisor"`
	MaxWeightGrams    int64             `json:"max_weight_grams"` // chargeable weight limit
	Insurance         Insurance         `json:"insurance"`
}

// Rate is one zone's price.
type Rate struct {
	FirstGrams int64 `json:"first_grams"`
	FirstFen   int64 `json:"first_fen"`
	StepGrams  int64 `json:"step_grams"`
	StepFen    int64 `json:"step_fen"`
}

// Insurance is the declared-value insurance rule.
type Insurance struct {
	RateBP         int64 `json:"rate_bp"` // basis points of the declared value, 0–10000
	MinFen         int64 `json:"min_fen"`
	MaxDeclaredFen int64 `json:"max_declared_fen"` // 0: no limit
}

// Parcel is what the clerk measured and the customer asked for.
type Parcel struct {
	WeightGrams int64  `json:"weight_grams"`
	LengthCm    int64  `json:"length_cm"`
	WidthCm     int64  `json:"width_cm"`
	HeightCm    int64  `json:"height_cm"`
	DestCode    string `json:"dest_code"`
	DeclaredFen int64  `json:"declared_fen"`
	Insured     bool   `json:"insured"`
}

// Line codes.
const (
	LineFirstWeight      = "first_weight"
	LineAdditionalWeight = "additional_weight"
	LineInsurance        = "insurance"
)

// Line is one priced line of a quote.
type Line struct {
	Code string `json:"code"`
	Text string `json:"text"` // "中文 / English", for logs and clients without words of their own
	Fen  int64  `json:"fen"`
	// Params are the values the line's words name, so that a screen words
	// it in its own language: first_weight {grams}; additional_weight
	// {steps} × {grams}; insurance {declared} fen at {bp} basis points.
	Params map[string]int64 `json:"params,omitempty"`
}

// Quotation is a priced parcel.
type Quotation struct {
	ChargeableGrams int64  `json:"chargeable_grams"`
	VolumetricGrams int64  `json:"volumetric_grams"`
	Volumetric      bool   `json:"volumetric"` // the volumetric weight was charged
	Zone            string `json:"zone"`
	BaseFen         int64  `json:"base_fen"`
	InsuranceFen    int64  `json:"insurance_fen"`
	TotalFen        int64  `json:"total_fen"`
	Lines           []Line `json:"lines"`
}

// Errors Quote returns, with their parameters; test with errors.Is, which
// matches by code.
var (
	ErrUnknownDestination = problem.New(problem.TariffUnknownDest)
	ErrNoWeight           = problem.New(problem.TariffNoWeight)
	ErrOverweight         = problem.New(problem.TariffOverweight)
	ErrBadSize            = problem.New(problem.TariffBadSize)
	ErrBadDeclared        = problem.New(problem.TariffBadDeclared)
	ErrBadTariff          = problem.New(problem.TariffInvalid)
)

func badTariff(format string, args ...any) error {
	return problem.New(problem.TariffInvalid, "detail", fmt.Sprintf(format, args...))
}

// Validate checks a tariff table's shape.
func (t *Tariff) Validate() error {
	switch {
	case t.VolumetricDivisor <= 0:
		return badTariff("volumetric divisor %d", t.VolumetricDivisor)
	case t.MaxWeightGrams <= 0 || t.MaxWeightGrams > 1_000_000_000:
		return badTariff("max weight %d g", t.MaxWeightGrams)
	case t.Insurance.RateBP < 0 || t.Insurance.RateBP > 10000 || t.Insurance.MinFen < 0 || t.Insurance.MaxDeclaredFen < 0:
		return badTariff("insurance %+v", t.Insurance)
	}
	for zone, r := range t.Rates {
		if r.FirstGrams <= 0 || r.StepGrams <= 0 || r.FirstFen < 0 || r.StepFen < 0 || r.FirstFen > 1e9 || r.StepFen > 1e9 {
			return badTariff("zone %s rate %+v", zone, r)
		}
	}
	for code, zone := range t.Zones {
		if _, ok := t.Rates[zone]; !ok {
			return badTariff("code %s maps to zone %s, which has no rate", code, zone)
		}
	}
	return nil
}

// ZoneOf finds the zone for a 6-digit division code: the code, its city,
// then its province.
func (t *Tariff) ZoneOf(code string) (string, bool) {
	if len(code) != 6 {
		return "", false
	}
	for i := 0; i < 6; i++ {
		if code[i] < '0' || code[i] > '9' {
			return "", false
		}
	}
	for _, c := range []string{code, code[:4] + "00", code[:2] + "0000"} {
		if z, ok := t.Zones[c]; ok {
			return z, true
		}
	}
	return "", false
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// Quote prices p under t; see the package comment for the rules.
func Quote(t Tariff, p Parcel) (Quotation, error) {
	if err := t.Validate(); err != nil {
		return Quotation{}, err
	}
	if p.WeightGrams <= 0 {
		return Quotation{}, problem.New(problem.TariffNoWeight)
	}
	zone, ok := t.ZoneOf(p.DestCode)
	if !ok {
		return Quotation{}, problem.New(problem.TariffUnknownDest, "dest", p.DestCode)
	}
	for _, side := range []int64{p.LengthCm, p.WidthCm, p.HeightCm} {
		if side < 0 || side > MaxSideCm {
			return Quotation{}, problem.New(problem.TariffBadSize, "length", p.LengthCm, "width", p.WidthCm, "height", p.HeightCm)
		}
	}
	q := Quotation{Zone: zone, ChargeableGrams: p.WeightGrams}
	if p.LengthCm > 0 && p.WidthCm > 0 && p.HeightCm > 0 {
		q.VolumetricGrams = ceilDiv(p.LengthCm*p.WidthCm*p.HeightCm*1000, t.VolumetricDivisor)
		if q.VolumetricGrams > p.WeightGrams {
			q.ChargeableGrams, q.Volumetric = q.VolumetricGrams, true
		}
	}
	if q.ChargeableGrams > t.MaxWeightGrams {
		return Quotation{}, problem.New(problem.TariffOverweight, "grams", q.ChargeableGrams, "max", t.MaxWeightGrams)
	}
	r := t.Rates[zone]
	q.Lines = append(q.Lines, Line{Code: LineFirstWeight, Text: fmt.Sprintf("首重 %d 克 / first %d g", r.FirstGrams, r.FirstGrams), Fen: r.FirstFen,
		Params: map[string]int64{"grams": r.FirstGrams}})
	if extra := q.ChargeableGrams - r.FirstGrams; extra > 0 {
		steps := ceilDiv(extra, r.StepGrams)
		q.Lines = append(q.Lines, Line{Code: LineAdditionalWeight,
			Text: fmt.Sprintf("续重 %d × %d 克 / additional %d × %d g", steps, r.StepGrams, steps, r.StepGrams), Fen: steps * r.StepFen,
			Params: map[string]int64{"steps": steps, "grams": r.StepGrams}})
	}
	for _, l := range q.Lines {
		q.BaseFen += l.Fen
	}
	if p.Insured {
		if p.DeclaredFen <= 0 || (t.Insurance.MaxDeclaredFen > 0 && p.DeclaredFen > t.Insurance.MaxDeclaredFen) {
			return Quotation{}, problem.New(problem.TariffBadDeclared, "declared", p.DeclaredFen, "max", t.Insurance.MaxDeclaredFen)
		}
		// ⌈declared × bp / 10000⌉ without overflow: bp ≤ 10000.
		d, bp := p.DeclaredFen, t.Insurance.RateBP
		fee := d/10000*bp + ceilDiv(d%10000*bp, 10000)
		q.InsuranceFen = max(fee, t.Insurance.MinFen)
		q.Lines = append(q.Lines, Line{Code: LineInsurance,
			Text: fmt.Sprintf("保价 %d 分 × %d‱ / insurance on %d fen at %d bp", d, bp, d, bp), Fen: q.InsuranceFen,
			Params: map[string]int64{"declared": d, "bp": bp}})
	}
	q.TotalFen = q.BaseFen + q.InsuranceFen
	return q, nil
}
