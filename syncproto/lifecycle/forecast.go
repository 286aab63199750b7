package lifecycle

// ForecastPublished is head office sending one outlet its own peak
// forecast (hub/peak): the expected inbound parcels and the clerks they
// need for each of the next days. The subject is empty; the target is the
// outlet. A later event replaces an earlier one at the counter, which
// keeps the last it received to show while offline. An agent from before
// syncproto minor 4 ignores it (no kind owns the type).
const ForecastPublished = "forecast.published"

// MaxForecastDays bounds the days one ForecastPublished event carries.
const MaxForecastDays = 31

// ForecastV1 is the payload of ForecastPublished.
type ForecastV1 struct {
	// AsOf is the last day of history the forecast was made from (the
	// hub's yesterday, YYYY-MM-DD); At when it was made, Unix ms.
	AsOf         string          `json:"as_of"`
	At           int64           `json:"at"`
	PerClerkHour float64         `json:"per_clerk_hour"`
	Days         []ForecastDayV1 `json:"days"`
}

// ForecastDayV1 is one forecast day: parcels expected, the band they
// usually fall in, the opening hours assumed and the clerks needed, and
// the head-office event on the day, if any, in both languages.
type ForecastDayV1 struct {
	Date     string  `json:"date"`
	Expected int     `json:"expected"`
	Low      int     `json:"low"`
	High     int     `json:"high"`
	Hours    float64 `json:"hours"`
	Clerks   int     `json:"clerks"`
	EventZH  string  `json:"event_zh,omitempty"`
	EventEN  string  `json:"event_en,omitempty"`
}
