package load

import (
	"fmt"
	"math"
	"time"
)

// The daily curve of an outlet's scans, by hour of the day: a low floor at
// night and two peaks, the morning's delivery run and the afternoon's
// pickups. Shape returns it scaled so that its mean over a day is 1.
const (
	nightFloor    = 0.03 // the night's level, before scaling
	morningPeak   = 10.0 // hour
	morningHeight = 1.0
	afternoonPeak = 16.0
	afterHeight   = 0.8
	peakWidth     = 1.6 // hours, one standard deviation
)

// rawShape is the curve before scaling.
func rawShape(hour float64) float64 {
	g := func(mu, h float64) float64 {
		// The day wraps: a peak at 23:00 reaches into 01:00.
		d := math.Mod(math.Abs(hour-mu), 24)
		d = math.Min(d, 24-d)
		return h * math.Exp(-d*d/(2*peakWidth*peakWidth))
	}
	return nightFloor + g(morningPeak, morningHeight) + g(afternoonPeak, afterHeight)
}

// shapeMean is rawShape's mean over a day, by the midpoint rule on minutes.
var shapeMean = func() float64 {
	const steps = 24 * 60
	sum := 0.0
	for i := range steps {
		sum += rawShape((float64(i) + 0.5) * 24 / steps)
	}
	return sum / steps
}()

// Shape is how busy an outlet is at hour (0 to 24, wrapping) relative to its
// daily mean: its mean over a day is 1.
func Shape(hour float64) float64 {
	return rawShape(math.Mod(math.Mod(hour, 24)+24, 24)) / shapeMean
}

// Profile is the load each simulated outlet makes over simulated time.
type Profile struct {
	// Rate is an outlet's mean over a day, in events per simulated second.
	Rate float64
	// Peak multiplies the whole curve: 3 for Double 11. 0 is 1.
	Peak float64
	// Speed is how many simulated seconds pass in one real second, so that
	// a day can run in minutes. 0 is 1.
	Speed float64
	// StartHour is the time of day, in hours, at which the run starts.
	StartHour float64
}

func (p Profile) peak() float64 {
	if p.Peak <= 0 {
		return 1
	}
	return p.Peak
}

func (p Profile) speed() float64 {
	if p.Speed <= 0 {
		return 1
	}
	return p.Speed
}

// Sim is the simulated time that real time real into the run stands for.
func (p Profile) Sim(real time.Duration) time.Duration {
	return time.Duration(float64(real) * p.speed())
}

// Real is the real time into the run at which simulated time sim comes.
func (p Profile) Real(sim time.Duration) time.Duration {
	return time.Duration(float64(sim) / p.speed())
}

// Hour is the time of day, in hours, at simulated time sim into the run.
func (p Profile) Hour(sim time.Duration) float64 {
	return math.Mod(p.StartHour+sim.Hours(), 24)
}

// RateAt is one outlet's rate at simulated time sim into the run, in
// events per simulated second.
func (p Profile) RateAt(sim time.Duration) float64 {
	return p.Rate * p.peak() * Shape(p.Hour(sim))
}

// Events is how many events one outlet makes between simulated times from
// and to, integrated over the curve (trapezoids of a simulated minute).
func (p Profile) Events(from, to time.Duration) float64 {
	if to <= from {
		return 0
	}
	const step = time.Minute
	sum := 0.0
	for t := from; t < to; t += step {
		end := min(t+step, to)
		sum += (p.RateAt(t) + p.RateAt(end)) / 2 * (end - t).Seconds()
	}
	return sum
}

// Check refuses a profile that makes no sense.
func (p Profile) Check() error {
	switch {
	case p.Rate < 0 || math.IsNaN(p.Rate) || math.IsInf(p.Rate, 0):
		return fmt.Errorf("rate %v: must be zero or more events per second", p.Rate)
	case p.Peak < 0 || p.Speed < 0:
		return fmt.Errorf("peak %v and speed %v must not be negative", p.Peak, p.Speed)
	case p.StartHour < 0 || p.StartHour >= 24:
		return fmt.Errorf("start hour %v: must be in 0 to 24", p.StartHour)
	}
	return nil
}

// Storm cuts every outlet's link at once and brings it back.
type Storm struct {
	// At is when the outage starts, in simulated time into the run;
	// Offline is how long it lasts, in simulated time. Events keep being
	// scanned into the outlets' logs meanwhile.
	At, Offline time.Duration
	// ReturnWithin is the real time within which every outlet is back once
	// the link returns. It caps the sync client's reconnect backoff at
	// ReturnWithin/1.5, as the client waits its backoff ±50%: the spread
	// is the client's own jitter, not the generator's. 0 keeps the
	// client's own cap (2 minutes: back within 3).
	ReturnWithin time.Duration
}

// backoffMax is the sync client's backoff cap that brings every outlet back
// within ReturnWithin; 0 for the client's default.
func (s Storm) backoffMax() time.Duration {
	return time.Duration(float64(s.ReturnWithin) / 1.5)
}
