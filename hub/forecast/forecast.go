// Package forecast predicts an outlet's daily parcel volume for the next
// days, for peak planning. The model is deliberately small and
// explainable, and deterministic:
//
//   - Weekday factors: each weekday's mean over the last sixteen weeks'
//     worth of ordinary days (days outside the calendar's events),
//     divided by the mean of all of them.
//   - Trend: a robust level and slope (Theil–Sen: the median of the
//     pairwise slopes) through the same days with the weekday taken out.
//   - Events: each named head-office event (Double 11, 618, Spring
//     Festival...) carries an uplift learnt from its past occurrences in
//     the history: the parcels counted on its days divided by what the
//     model above, fitted the day before the occurrence began, expected.
//     A name never seen has uplift 1.
//   - Band: the 10th and 90th percentiles of actual/forecast of the
//     model's own forecasts over the same horizon from the four weekly
//     origins before, on ordinary days (on a short series: of
//     actual/fitted over the fit's days). It is empirical, not a
//     promise: the backtest reports how often it held.
//
// A day's staffing hint is the clerks needed to handle the expected
// parcels in the opening hours. Backtest compares the model with the
// seasonal-naive forecast (same weekday of the last observed week) over
// rolling origins, by WAPE.
package forecast

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Defaults and limits. A zero parameter takes its default; the limits
// keep a hostile or broken series from costing memory or time.
const (
	DefaultHorizon       = 14
	DefaultPerClerkHour  = 60 // parcels one clerk handles in an hour
	DefaultOpeningHours  = 10
	DefaultBacktestWeeks = 8

	MinHistory       = 14         // two weeks: every weekday seen twice
	MaxHorizon       = 92         // a quarter
	MaxSpan          = 20 * 366   // days from the series' first day to its last
	MaxParcels       = 10_000_000 // one outlet's parcels on one day
	MaxEvents        = 1000       // calendar entries
	MaxEventDays     = 62         // one event's length
	MaxBacktestWeeks = 52

	window      = 112 // ordinary days the fit looks back over
	lowQ, highQ = 0.1, 0.9
)

// Errors, matched with errors.Is; the message says which value is wrong.
var (
	ErrShortSeries = errors.New("forecast: the series has fewer than two weeks of ordinary days")
	ErrBadSeries   = errors.New("forecast: bad series")
	ErrBadParams   = errors.New("forecast: bad parameters")
)

// Point is one day's parcel count. Day counts days since 1970-01-01 in
// the outlet's civil calendar (store.DayOf's numbering). Days missing
// between the first and last point count as zero parcels, as the rollups
// count a day with nothing on it.
type Point struct {
	Day     int64
	Parcels int
}

// Event is one occurrence of a head-office promotion or holiday, its days
// First to Last inclusive, in Point's numbering. Occurrences of the same
// event in different years share the Name; dates that move (Spring
// Festival) are simply given per year.
type Event struct {
	Name        string
	First, Last int64
	// Uplift, when above 0, is applied to the occurrence's days instead
	// of the name's learnt factor (head office's expectation for a new
	// event, or one it knows will differ this year).
	Uplift float64
}

// Params are the forecast's settings; zero values take the defaults.
type Params struct {
	Horizon      int     // days forecast after the series' last day
	PerClerkHour float64 // parcels a clerk handles per hour
	OpeningHours float64 // the outlet's opening hours per day
	// WeekdayHours, by time.Weekday (0 = Sunday), replace OpeningHours on
	// that weekday where above 0.
	WeekdayHours [7]float64
	// Calendar lists the events, past and future. Where two overlap, a
	// day belongs to the one listed first.
	Calendar []Event
}

// Day is one forecast day.
type Day struct {
	Day       int64
	Expected  int // parcels
	Low, High int // the band the day's parcels usually fall in
	Clerks    int // ceil(Expected / (PerClerkHour × the day's opening hours))
	Event     string
	Uplift    float64 // the event's uplift applied, 1 on ordinary days
}

// Uplift is what the history taught about one event name.
type Uplift struct {
	Factor      float64 // actual / expected over its past days; 1 when never seen
	Occurrences int     // past occurrences it was learnt from
}

// Forecast is the result of Predict.
type Forecast struct {
	Days    []Day
	Uplifts map[string]Uplift // every name in the calendar
	Weekday [7]float64        // factors by time.Weekday (0 = Sunday)
	Level   float64           // deseasonalised parcels on the last day
	Slope   float64           // deseasonalised parcels per day
}

// Predict forecasts p.Horizon days after the series' last day.
func Predict(series []Point, p Params) (Forecast, error) {
	p, err := p.normalise()
	if err != nil {
		return Forecast{}, err
	}
	h, err := newHistory(series, p.Calendar)
	if err != nil {
		return Forecast{}, err
	}
	return h.predict(len(h.y), p)
}

func (p Params) normalise() (Params, error) {
	if p.Horizon == 0 {
		p.Horizon = DefaultHorizon
	}
	if p.PerClerkHour == 0 {
		p.PerClerkHour = DefaultPerClerkHour
	}
	if p.OpeningHours == 0 {
		p.OpeningHours = DefaultOpeningHours
	}
	switch {
	case p.Horizon < 1 || p.Horizon > MaxHorizon:
		return p, fmt.Errorf("%w: horizon %d days, want 1 to %d", ErrBadParams, p.Horizon, MaxHorizon)
	case !(p.PerClerkHour > 0) || math.IsInf(p.PerClerkHour, 0):
		return p, fmt.Errorf("%w: %v parcels per clerk-hour, want a positive number", ErrBadParams, p.PerClerkHour)
	case !(p.OpeningHours > 0 && p.OpeningHours <= 24):
		return p, fmt.Errorf("%w: %v opening hours, want more than 0 and at most 24", ErrBadParams, p.OpeningHours)
	case !validHours(p.WeekdayHours):
		return p, fmt.Errorf("%w: weekday opening hours %v, want each 0 (the default) to 24", ErrBadParams, p.WeekdayHours)
	case len(p.Calendar) > MaxEvents:
		return p, fmt.Errorf("%w: %d calendar events, at most %d", ErrBadParams, len(p.Calendar), MaxEvents)
	}
	for _, e := range p.Calendar {
		switch {
		case e.Name == "":
			return p, fmt.Errorf("%w: a calendar event without a name", ErrBadParams)
		case e.Last < e.First:
			return p, fmt.Errorf("%w: event %q ends before it begins", ErrBadParams, e.Name)
		case e.Uplift < 0 || e.Uplift > 100 || math.IsNaN(e.Uplift):
			return p, fmt.Errorf("%w: event %q has uplift %v, want 0 (learnt) to 100", ErrBadParams, e.Name, e.Uplift)
		case e.Last-e.First >= MaxEventDays:
			return p, fmt.Errorf("%w: event %q lasts %d days, at most %d", ErrBadParams, e.Name, e.Last-e.First+1, MaxEventDays)
		}
	}
	return p, nil
}

func validHours(hs [7]float64) bool {
	for _, h := range hs {
		if !(h >= 0 && h <= 24) {
			return false
		}
	}
	return true
}

// hours is the opening hours on day.
func (p Params) hours(day int64) float64 {
	if h := p.WeekdayHours[weekday(day)]; h > 0 {
		return h
	}
	return p.OpeningHours
}

// history is the series as a dense run of days from start, with the
// calendar event (index into events, -1 for none) of each day.
type history struct {
	start  int64
	y      []float64
	event  []int
	events []Event
	fits   map[int]fitted
}

func newHistory(series []Point, cal []Event) (*history, error) {
	if len(series) == 0 {
		return nil, fmt.Errorf("%w: no days", ErrShortSeries)
	}
	first, last := series[0].Day, series[len(series)-1].Day
	if last < first || last-first >= MaxSpan {
		return nil, fmt.Errorf("%w: days %d to %d, want ascending within %d days", ErrBadSeries, first, last, MaxSpan)
	}
	h := &history{start: first, y: make([]float64, last-first+1), events: cal, fits: map[int]fitted{}}
	prev := first - 1
	for _, pt := range series {
		if pt.Day <= prev {
			return nil, fmt.Errorf("%w: day %d after day %d, want each day once in ascending order", ErrBadSeries, pt.Day, prev)
		}
		if pt.Parcels < 0 || pt.Parcels > MaxParcels {
			return nil, fmt.Errorf("%w: %d parcels on day %d, want 0 to %d", ErrBadSeries, pt.Parcels, pt.Day, MaxParcels)
		}
		h.y[pt.Day-first] = float64(pt.Parcels)
		prev = pt.Day
	}
	h.event = make([]int, len(h.y))
	for i := range h.event {
		h.event[i] = h.eventOn(first + int64(i))
	}
	return h, nil
}

// eventOn is the index of the first calendar event holding day, or -1.
func (h *history) eventOn(day int64) int {
	for i, e := range h.events {
		if e.First <= day && day <= e.Last {
			return i
		}
	}
	return -1
}

// weekday is day's time.Weekday; day 0 (1970-01-01) was a Thursday.
func weekday(day int64) int { return int(((day % 7) + 7 + 4) % 7) }

// model is a fit of the days before origin n (an index into y).
type model struct {
	start        int64
	n            int
	level, slope float64
	factor       [7]float64
	lo, hi       float64
}

// at is the model's parcels for index i, events left out.
func (m *model) at(i int) float64 {
	v := (m.level + m.slope*float64(i-(m.n-1))) * m.factor[weekday(m.start+int64(i))]
	return math.Max(v, 0)
}

// fit fits the model to the last window ordinary days before index n.
// Sixteen weeks steady the weekday factors and the slope; on the
// generated series eight weeks' slope forecast worse than none at all.
func (h *history) fit(n int) (*model, error) {
	if c, ok := h.fits[n]; ok {
		return c.m, c.err
	}
	m, err := h.fitAt(n)
	h.fits[n] = fitted{m, err}
	return m, err
}

// fitted is a cached fit: a backtest asks for the same origins' fits
// (an event's eve, the band's weekly origins) from every origin.
type fitted struct {
	m   *model
	err error
}

func (h *history) fitAt(n int) (*model, error) {
	var idx []int
	for i := n - 1; i >= 0 && len(idx) < window; i-- {
		if h.event[i] < 0 {
			idx = append(idx, i)
		}
	}
	if len(idx) < MinHistory {
		return nil, fmt.Errorf("%w: %d ordinary days before day %d, want %d", ErrShortSeries, len(idx), h.start+int64(n), MinHistory)
	}
	m := &model{start: h.start, n: n, lo: 1, hi: 1}
	var sum [7]float64
	var cnt [7]int
	total := 0.0
	for _, i := range idx {
		wd := weekday(h.start + int64(i))
		sum[wd] += h.y[i]
		cnt[wd]++
		total += h.y[i]
	}
	mean := total / float64(len(idx))
	for wd := range m.factor {
		m.factor[wd] = 1
		if cnt[wd] > 0 && mean > 0 {
			m.factor[wd] = sum[wd] / float64(cnt[wd]) / mean
		}
	}
	// Deseasonalise; a weekday the outlet is closed tells nothing of the level.
	var xs, ds []float64
	for _, i := range idx {
		if f := m.factor[weekday(h.start+int64(i))]; f > 0 {
			xs = append(xs, float64(i-(n-1)))
			ds = append(ds, h.y[i]/f)
		}
	}
	if len(xs) >= 2 {
		var slopes []float64
		for a := range xs {
			for b := a + 1; b < len(xs); b++ {
				slopes = append(slopes, (ds[b]-ds[a])/(xs[b]-xs[a]))
			}
		}
		m.slope = median(slopes)
		levels := make([]float64, len(xs))
		for k := range xs {
			levels[k] = ds[k] - m.slope*xs[k]
		}
		m.level = median(levels)
	}
	var ratios []float64
	for _, i := range idx {
		if f := m.at(i); f > 0 {
			ratios = append(ratios, h.y[i]/f)
		}
	}
	if len(ratios) > 0 {
		sort.Float64s(ratios)
		m.lo, m.hi = quantile(ratios, lowQ), quantile(ratios, highQ)
	}
	return m, nil
}

// uplifts learns each event name's uplift from its occurrences that began
// inside the days before index n, with enough history before them to fit.
func (h *history) uplifts(n int) map[string]Uplift {
	type acc struct{ actual, expected float64 }
	sums := map[string]*acc{}
	out := map[string]Uplift{}
	for k, e := range h.events {
		if _, ok := out[e.Name]; !ok {
			out[e.Name] = Uplift{Factor: 1}
		}
		fi := e.First - h.start
		if fi < 0 || fi >= int64(n) {
			continue
		}
		m, err := h.fit(int(fi))
		if err != nil {
			continue
		}
		a := sums[e.Name]
		if a == nil {
			a = &acc{}
			sums[e.Name] = a
		}
		for i := int(fi); i < n && int64(i) <= e.Last-h.start; i++ {
			if h.event[i] == k {
				a.actual += h.y[i]
				a.expected += m.at(i)
			}
		}
		u := out[e.Name]
		u.Occurrences++
		out[e.Name] = u
	}
	for name, a := range sums {
		if a.expected > 0 {
			u := out[name]
			u.Factor = a.actual / a.expected
			out[name] = u
		}
	}
	return out
}

// predict forecasts p.Horizon days from the days before index n.
func (h *history) predict(n int, p Params) (Forecast, error) {
	m, err := h.fit(n)
	if err != nil {
		return Forecast{}, err
	}
	lo, hi := h.band(n, p.Horizon, m)
	f := Forecast{Uplifts: h.uplifts(n), Weekday: m.factor, Level: m.level, Slope: m.slope}
	for i := n; i < n+p.Horizon; i++ {
		day := h.start + int64(i)
		d := Day{Day: day, Uplift: 1}
		if k := h.eventOn(day); k >= 0 {
			d.Event = h.events[k].Name
			d.Uplift = f.Uplifts[d.Event].Factor
			if o := h.events[k].Uplift; o > 0 {
				d.Uplift = o
			}
		}
		perClerk := p.PerClerkHour * p.hours(day)
		v := m.at(i) * d.Uplift
		d.Expected = int(math.Round(v))
		d.Low = min(int(math.Floor(v*lo)), d.Expected)
		d.High = max(int(math.Ceil(v*hi)), d.Expected)
		d.Clerks = int(math.Ceil(float64(d.Expected) / perClerk))
		f.Days = append(f.Days, d)
	}
	return f, nil
}

// bandOrigins is how many earlier weekly forecasts the band learns from.
const bandOrigins = 4

// band is the spread of actual/forecast of the model's own forecasts of
// horizon days from the bandOrigins weekly origins whose days all lie
// before index n, on ordinary days: what forecasting this far ahead has
// missed by lately. Without such forecasts (a short series) it falls back
// to the spread around m's fit, which is narrower.
func (h *history) band(n, horizon int, m *model) (lo, hi float64) {
	var ratios []float64
	for j := range bandOrigins {
		o := n - horizon - 7*j
		if o < 0 {
			break
		}
		past, err := h.fit(o)
		if err != nil {
			break
		}
		for i := o; i < o+horizon; i++ {
			if f := past.at(i); h.event[i] < 0 && f > 0 {
				ratios = append(ratios, h.y[i]/f)
			}
		}
	}
	if len(ratios) < MinHistory {
		return m.lo, m.hi
	}
	sort.Float64s(ratios)
	return quantile(ratios, lowQ), quantile(ratios, highQ)
}

func median(v []float64) float64 {
	sort.Float64s(v)
	return quantile(v, 0.5)
}

// quantile interpolates linearly in sorted v.
func quantile(v []float64, q float64) float64 {
	pos := q * float64(len(v)-1)
	lo := int(pos)
	if lo+1 >= len(v) {
		return v[len(v)-1]
	}
	return v[lo] + (pos-float64(lo))*(v[lo+1]-v[lo])
}
