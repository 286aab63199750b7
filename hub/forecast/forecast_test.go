package forecast

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func dayOf(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// calendar is head office's calendar for the generated years.
func calendar() []Event {
	var cal []Event
	for _, y := range []int{2024, 2025, 2026} {
		cal = append(cal,
			Event{Name: "double11", First: dayOf(y, time.November, 8), Last: dayOf(y, time.November, 14)},
			Event{Name: "618", First: dayOf(y, time.June, 15), Last: dayOf(y, time.June, 20)})
	}
	return append(cal,
		Event{Name: "spring-festival", First: dayOf(2025, time.January, 26), Last: dayOf(2025, time.February, 4)},
		Event{Name: "spring-festival", First: dayOf(2026, time.February, 14), Last: dayOf(2026, time.February, 23)})
}

// generated is two years of one outlet's parcels (2024-12-01 to
// 2026-11-30): weekly seasonality, a trend of about a fifth a year,
// multiplicative noise, Double 11 and 618 peaks and a Spring Festival lull.
func generated() []Point {
	rng := rand.New(rand.NewPCG(13, 2026))
	weekly := [7]float64{0.7, 1.15, 1.1, 1.05, 1.0, 1.1, 0.8} // Sunday first
	from, to := dayOf(2024, time.December, 1), dayOf(2026, time.November, 30)
	var out []Point
	for d := from; d <= to; d++ {
		t := time.Unix(d*86400, 0).UTC()
		v := 400 * (1 + 0.2*float64(d-from)/365) * weekly[t.Weekday()]
		switch md := int(t.Month())*100 + t.Day(); {
		case md == 1111 || md == 1112:
			v *= 3
		case md >= 1108 && md <= 1114:
			v *= 1.8
		case md >= 615 && md <= 620:
			v *= 1.6
		}
		if (d >= dayOf(2025, time.January, 26) && d <= dayOf(2025, time.February, 4)) ||
			(d >= dayOf(2026, time.February, 14) && d <= dayOf(2026, time.February, 23)) {
			v *= 0.4
		}
		v *= 1 + 0.08*rng.NormFloat64()
		out = append(out, Point{Day: d, Parcels: max(0, int(math.Round(v)))})
	}
	return out
}

func TestBacktestBeatsSeasonalNaive(t *testing.T) {
	series := generated()
	r, err := Backtest(series, Params{Calendar: calendar()}, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backtest, last 8 weeks (Double 11 inside), %d origins, %d days: model WAPE %.3f MAPE %.3f, seasonal-naive WAPE %.3f MAPE %.3f, band coverage %.2f",
		r.Origins, r.Days, r.Model.WAPE, r.Model.MAPE, r.Naive.WAPE, r.Naive.MAPE, r.Coverage)
	if r.Origins != 56 || r.Days != 56*DefaultHorizon {
		t.Errorf("origins %d days %d, want 56 and %d", r.Origins, r.Days, 56*DefaultHorizon)
	}
	if !(r.Model.WAPE < r.Naive.WAPE) {
		t.Errorf("model WAPE %.3f is not below seasonal-naive %.3f", r.Model.WAPE, r.Naive.WAPE)
	}
	// The calendar's learnt uplift is what carries the peak.
	plain, err := Backtest(series, Params{}, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("without the calendar: model WAPE %.3f", plain.Model.WAPE)
	if !(r.Model.WAPE < plain.Model.WAPE) {
		t.Errorf("model WAPE with the calendar %.3f is not below without it %.3f", r.Model.WAPE, plain.Model.WAPE)
	}
	// Over a quiet stretch (August and September) too.
	quiet := series[:len(series)-61]
	q, err := Backtest(quiet, Params{Calendar: calendar()}, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backtest to %s: model WAPE %.3f, seasonal-naive WAPE %.3f, band coverage %.2f",
		time.Unix(quiet[len(quiet)-1].Day*86400, 0).UTC().Format(time.DateOnly), q.Model.WAPE, q.Naive.WAPE, q.Coverage)
	if !(q.Model.WAPE < q.Naive.WAPE) {
		t.Errorf("quiet stretch: model WAPE %.3f is not below seasonal-naive %.3f", q.Model.WAPE, q.Naive.WAPE)
	}
}

func TestUpliftsLearnt(t *testing.T) {
	series := generated()
	f, err := Predict(series, Params{Calendar: calendar()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("uplifts %+v, weekday factors %.2f, level %.1f slope %.2f/day", f.Uplifts, f.Weekday, f.Level, f.Slope)
	// Factors by time.Weekday: the generated ones over their mean.
	for wd, g := range [7]float64{0.7, 1.15, 1.1, 1.05, 1.0, 1.1, 0.8} {
		if got := f.Weekday[wd]; math.Abs(got-g/0.9857) > 0.05 {
			t.Errorf("%s factor %.3f, want about %.3f", time.Weekday(wd), got, g/0.9857)
		}
	}
	want := map[string]struct {
		occ    int
		lo, hi float64
	}{
		"double11":        {2, 1.5, 3},   // two days at 3, five at 1.8: about 2.1
		"618":             {2, 1.3, 1.9}, // 1.6
		"spring-festival": {2, 0.2, 0.6}, // 0.4
	}
	for name, w := range want {
		u := f.Uplifts[name]
		if u.Occurrences != w.occ || !(u.Factor > w.lo && u.Factor < w.hi) {
			t.Errorf("%s: uplift %+v, want %d occurrences and a factor between %v and %v", name, u, w.occ, w.lo, w.hi)
		}
	}
}

// flat is n days of the same count, ending on 2026-11-30.
func flat(n, parcels int) []Point {
	end := dayOf(2026, time.November, 30)
	out := make([]Point, n)
	for i := range out {
		out[i] = Point{Day: end - int64(n-1-i), Parcels: parcels}
	}
	return out
}

func TestShortSeries(t *testing.T) {
	for _, s := range [][]Point{nil, flat(1, 100), flat(MinHistory-1, 100)} {
		if _, err := Predict(s, Params{}); !errors.Is(err, ErrShortSeries) {
			t.Errorf("%d days: error %v, want ErrShortSeries", len(s), err)
		}
	}
	// Event days do not count as history.
	s := flat(MinHistory+2, 100)
	cal := []Event{{Name: "promo", First: s[0].Day, Last: s[2].Day}}
	if _, err := Predict(s, Params{Calendar: cal}); !errors.Is(err, ErrShortSeries) {
		t.Errorf("13 ordinary days of 16: error %v, want ErrShortSeries", err)
	}
	f, err := Predict(flat(MinHistory, 100), Params{})
	if err != nil {
		t.Fatalf("two weeks: %v", err)
	}
	if len(f.Days) != DefaultHorizon || f.Days[0].Day != dayOf(2026, time.December, 1) {
		t.Errorf("two weeks: %d days from %d, want %d from %d", len(f.Days), f.Days[0].Day, DefaultHorizon, dayOf(2026, time.December, 1))
	}
	for _, d := range f.Days {
		if d.Expected != 100 || d.Low != 100 || d.High != 100 || d.Uplift != 1 || d.Event != "" {
			t.Errorf("flat series: %+v, want 100 parcels in a band of 100 with uplift 1", d)
		}
	}
	if _, err := Backtest(flat(MinHistory+DefaultHorizon+5, 100), Params{}, 1); !errors.Is(err, ErrShortSeries) {
		t.Errorf("backtest a day short: error %v, want ErrShortSeries", err)
	}
	if _, err := Backtest(flat(MinHistory+DefaultHorizon+6, 100), Params{}, 1); err != nil {
		t.Errorf("backtest just long enough: %v", err)
	}
}

func TestUnseenEventHasUpliftOne(t *testing.T) {
	series := generated()
	future := Event{Name: "new-promo", First: dayOf(2026, time.December, 3), Last: dayOf(2026, time.December, 5)}
	with, err := Predict(series, Params{Calendar: append(calendar(), future)})
	if err != nil {
		t.Fatal(err)
	}
	if u := with.Uplifts["new-promo"]; u != (Uplift{Factor: 1}) {
		t.Errorf("never seen: %+v, want factor 1 from no occurrences", u)
	}
	without, err := Predict(series, Params{Calendar: calendar()})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range with.Days {
		o := without.Days[i]
		if d.Expected != o.Expected || d.Uplift != 1 {
			t.Errorf("%d: %+v, want uplift 1 and %d parcels as without the event", d.Day, d, o.Expected)
		}
		if inPromo := d.Day >= future.First && d.Day <= future.Last; inPromo != (d.Event == "new-promo") {
			t.Errorf("%d: event %q", d.Day, d.Event)
		}
	}
	// A seen event's days do move (so the comparison above can fail).
	d11 := []Event{{Name: "double11", First: dayOf(2025, time.November, 8), Last: dayOf(2025, time.November, 14)},
		{Name: "double11", First: dayOf(2026, time.December, 3), Last: dayOf(2026, time.December, 5)}}
	seen, err := Predict(series, Params{Calendar: d11})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Predict(series, Params{Calendar: d11[:1]})
	if err != nil {
		t.Fatal(err)
	}
	d, o := seen.Days[2], plain.Days[2]
	if !(d.Uplift > 1.5 && d.Event == "double11") || math.Abs(float64(d.Expected)-d.Uplift*float64(o.Expected)) > d.Uplift {
		t.Errorf("a seen event on %d: %+v, want its learnt uplift applied to %d parcels", d.Day, d, o.Expected)
	}
	if d.Low <= o.Low || d.High <= o.High || d.Clerks < o.Clerks {
		t.Errorf("a seen event on %d: band %d–%d and %d clerks, want above %d–%d and at least %d", d.Day, d.Low, d.High, d.Clerks, o.Low, o.High, o.Clerks)
	}
}

func TestStaffingRoundsUp(t *testing.T) {
	for _, c := range []struct {
		parcels      int
		perHour, hrs float64
		clerks       int
	}{
		{600, 0, 0, 1}, // defaults: 60 × 10
		{601, 0, 0, 2},
		{1200, 60, 10, 2},
		{1201, 60, 10, 3},
		{1, 60, 10, 1},
		{0, 60, 10, 0},
		{100, 25, 4, 1},
		{101, 25, 4, 2},
		{50, 12.5, 2, 2},
	} {
		f, err := Predict(flat(28, c.parcels), Params{PerClerkHour: c.perHour, OpeningHours: c.hrs})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Days {
			if d.Expected != c.parcels || d.Clerks != c.clerks {
				t.Errorf("%d parcels at %v/clerk-hour for %v hours: %d parcels, %d clerks, want %d", c.parcels, c.perHour, c.hrs, d.Expected, d.Clerks, c.clerks)
				break
			}
		}
	}
}

func TestBadInputRefused(t *testing.T) {
	good := flat(28, 100)
	day := good[0].Day
	for name, c := range map[string]struct {
		series []Point
		p      Params
		weeks  int
		want   error
	}{
		"negative horizon":     {good, Params{Horizon: -1}, 1, ErrBadParams},
		"horizon too long":     {good, Params{Horizon: MaxHorizon + 1}, 1, ErrBadParams},
		"negative clerk rate":  {good, Params{PerClerkHour: -60}, 1, ErrBadParams},
		"NaN clerk rate":       {good, Params{PerClerkHour: math.NaN()}, 1, ErrBadParams},
		"infinite clerk rate":  {good, Params{PerClerkHour: math.Inf(1)}, 1, ErrBadParams},
		"negative hours":       {good, Params{OpeningHours: -1}, 1, ErrBadParams},
		"more than a day open": {good, Params{OpeningHours: 25}, 1, ErrBadParams},
		"NaN hours":            {good, Params{OpeningHours: math.NaN()}, 1, ErrBadParams},
		"event without name":   {good, Params{Calendar: []Event{{First: day, Last: day}}}, 1, ErrBadParams},
		"event backwards":      {good, Params{Calendar: []Event{{Name: "x", First: day, Last: day - 1}}}, 1, ErrBadParams},
		"event too long":       {good, Params{Calendar: []Event{{Name: "x", First: day, Last: day + MaxEventDays}}}, 1, ErrBadParams},
		"too many events":      {good, Params{Calendar: make([]Event, MaxEvents+1)}, 1, ErrBadParams},
		"negative weeks":       {good, Params{}, -1, ErrBadParams},
		"too many weeks":       {good, Params{}, MaxBacktestWeeks + 1, ErrBadParams},
		"days out of order":    {append(append([]Point{}, good[1:]...), good[0]), Params{}, 1, ErrBadSeries},
		"day twice":            {append([]Point{good[0]}, good...), Params{}, 1, ErrBadSeries},
		"negative parcels":     {append(append([]Point{}, good...), Point{Day: day + 28, Parcels: -1}), Params{}, 1, ErrBadSeries},
		"too many parcels":     {append(append([]Point{}, good...), Point{Day: day + 28, Parcels: MaxParcels + 1}), Params{}, 1, ErrBadSeries},
		"span too long":        {append(append([]Point{}, good...), Point{Day: day + MaxSpan, Parcels: 1}), Params{}, 1, ErrBadSeries},
	} {
		_, perr := Predict(c.series, c.p)
		_, berr := Backtest(c.series, c.p, c.weeks)
		if name != "negative weeks" && name != "too many weeks" && !errors.Is(perr, c.want) {
			t.Errorf("%s: Predict error %v, want %v", name, perr, c.want)
		}
		if !errors.Is(berr, c.want) {
			t.Errorf("%s: Backtest error %v, want %v", name, berr, c.want)
		}
	}
	// The limits themselves are accepted.
	ok := Params{Horizon: MaxHorizon, PerClerkHour: 0.5, OpeningHours: 24,
		Calendar: []Event{{Name: "x", First: day, Last: day + MaxEventDays - 1}}}
	if _, err := Predict(append(flat(70, 100), Point{Day: dayOf(2026, time.November, 30) + 1, Parcels: MaxParcels}), ok); err != nil {
		t.Errorf("at the limits: %v", err)
	}
}

// Days missing from the series count as zero parcels.
func TestGapsCountAsZero(t *testing.T) {
	s := flat(28, 100)
	var sparse []Point
	for _, p := range s {
		if weekday(p.Day) != int(time.Sunday) {
			sparse = append(sparse, p)
		}
	}
	f, err := Predict(sparse, Params{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Days {
		if sunday := weekday(d.Day) == int(time.Sunday); sunday != (d.Expected == 0) || d.Expected > 120 {
			t.Errorf("%d (weekday %d): %d parcels, want none on Sundays and about 117 otherwise", d.Day, weekday(d.Day), d.Expected)
		}
	}
	if f.Weekday[time.Sunday] != 0 {
		t.Errorf("Sunday factor %v, want 0", f.Weekday[time.Sunday])
	}
}

func TestWeekdayHoursAndUpliftOverride(t *testing.T) {
	s := flat(28, 600)
	next := s[len(s)-1].Day + 1
	var hours [7]float64
	hours[weekday(next)] = 5 // half a day: twice the clerks
	cal := []Event{{Name: "fair", First: next + 1, Last: next + 1, Uplift: 2.5}}
	f, err := Predict(s, Params{PerClerkHour: 60, OpeningHours: 10, WeekdayHours: hours, Calendar: cal})
	if err != nil {
		t.Fatal(err)
	}
	if d := f.Days[0]; d.Clerks != 2 {
		t.Errorf("600 parcels in 5 hours at 60 an hour: %d clerks, want 2", d.Clerks)
	}
	if d := f.Days[1]; d.Expected != 1500 || d.Uplift != 2.5 || d.Event != "fair" || d.Clerks != 3 {
		t.Errorf("a day with a 2.5 override: %+v, want 1500 parcels and 3 clerks", d)
	}
	if d := f.Days[2]; d.Expected != 600 || d.Clerks != 1 {
		t.Errorf("an ordinary day: %+v, want 600 parcels and 1 clerk", d)
	}
	for name, p := range map[string]Params{
		"hours over 24":    {WeekdayHours: [7]float64{25}},
		"negative hours":   {WeekdayHours: [7]float64{0, -1}},
		"negative uplift":  {Calendar: []Event{{Name: "x", First: next, Last: next, Uplift: -1}}},
		"uplift too large": {Calendar: []Event{{Name: "x", First: next, Last: next, Uplift: 1000}}},
	} {
		if _, err := Predict(s, p); !errors.Is(err, ErrBadParams) {
			t.Errorf("%s: %v, want ErrBadParams", name, err)
		}
	}
}
