package forecast

import (
	"fmt"
	"math"
)

// Score is one forecaster's error over a backtest.
//
// WAPE (sum of |actual − forecast| over sum of actual) is the headline:
// it weighs each day by its parcels, so a quiet day does not dominate,
// and a day with no parcels (a closed Sunday, a holiday) still counts,
// where MAPE divides by zero. MAPE, the mean of |actual − forecast| /
// actual, is given too, over the days with parcels only.
type Score struct {
	WAPE float64
	MAPE float64
}

// Report is a backtest's result.
type Report struct {
	Origins  int     // forecast origins evaluated
	Days     int     // forecast days compared with actuals
	Model    Score   // this package's model
	Naive    Score   // seasonal-naive: the same weekday of the last observed week
	Coverage float64 // share of actual days inside the model's Low–High band
}

// Backtest evaluates the model by rolling origin over the last weeks
// weeks of the series (0: DefaultBacktestWeeks): from every day that
// leaves p.Horizon days of actuals after it, the model forecasts from the
// days before only and is compared with what happened, as is
// seasonal-naive on the same days.
func Backtest(series []Point, p Params, weeks int) (Report, error) {
	if weeks == 0 {
		weeks = DefaultBacktestWeeks
	}
	if weeks < 1 || weeks > MaxBacktestWeeks {
		return Report{}, fmt.Errorf("%w: %d backtest weeks, want 1 to %d", ErrBadParams, weeks, MaxBacktestWeeks)
	}
	p, err := p.normalise()
	if err != nil {
		return Report{}, err
	}
	h, err := newHistory(series, p.Calendar)
	if err != nil {
		return Report{}, err
	}
	last := len(h.y) - p.Horizon // the latest origin
	first := last - 7*weeks + 1
	if first < MinHistory {
		return Report{}, fmt.Errorf("%w: %d days cannot hold %d weeks of backtest with a %d-day horizon after %d days of history",
			ErrShortSeries, len(h.y), weeks, p.Horizon, MinHistory)
	}
	var r Report
	var model, naive errSum
	inBand := 0
	for o := first; o <= last; o++ {
		f, err := h.predict(o, p)
		if err != nil {
			return Report{}, err
		}
		r.Origins++
		for k, d := range f.Days {
			i := o + k
			a := h.y[i]
			model.add(a, float64(d.Expected))
			// Same weekday in the last week before the origin.
			naive.add(a, h.y[i-7*((k+7)/7)])
			if float64(d.Low) <= a && a <= float64(d.High) {
				inBand++
			}
			r.Days++
		}
	}
	r.Model, r.Naive = model.score(), naive.score()
	r.Coverage = float64(inBand) / float64(r.Days)
	return r, nil
}

type errSum struct {
	absErr, actual, ape float64
	withParcels         int
}

func (s *errSum) add(actual, forecast float64) {
	e := math.Abs(actual - forecast)
	s.absErr += e
	s.actual += actual
	if actual > 0 {
		s.ape += e / actual
		s.withParcels++
	}
}

func (s errSum) score() Score {
	var sc Score
	if s.actual > 0 {
		sc.WAPE = s.absErr / s.actual
	}
	if s.withParcels > 0 {
		sc.MAPE = s.ape / float64(s.withParcels)
	}
	return sc
}
