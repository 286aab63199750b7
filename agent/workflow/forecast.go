package workflow

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Head office's forecast of this outlet (lifecycle.ForecastPublished):
// the newest one received is kept, so the counter shows it with its "as
// of" date while the hub is out of reach.

// forecastKey is the one key of datafile.Forecast.
var forecastKey = []byte("latest")

// applyForecast keeps a forecast from head office if it is well formed
// and not older than the one kept; anything else is skipped (the cursor
// moves on).
func applyForecast(tx *bolt.Tx, ev *syncproto.Event) error {
	var p lifecycle.ForecastV1
	if json.Unmarshal(ev.Payload, &p) != nil || !validForecast(p) {
		return nil
	}
	b := tx.Bucket(datafile.Forecast)
	if b == nil {
		return fmt.Errorf("bucket %s missing", datafile.Forecast)
	}
	var kept lifecycle.ForecastV1
	if raw := b.Get(forecastKey); raw != nil && json.Unmarshal(raw, &kept) == nil && (kept.AsOf > p.AsOf || (kept.AsOf == p.AsOf && kept.At > p.At)) {
		return nil
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return b.Put(forecastKey, raw)
}

// validForecast bounds what the counter will show.
func validForecast(p lifecycle.ForecastV1) bool {
	if _, err := time.Parse(time.DateOnly, p.AsOf); err != nil || len(p.Days) == 0 || len(p.Days) > lifecycle.MaxForecastDays {
		return false
	}
	for _, d := range p.Days {
		if _, err := time.Parse(time.DateOnly, d.Date); err != nil || d.Expected < 0 || d.Clerks < 0 || len(d.EventZH) > 200 || len(d.EventEN) > 200 {
			return false
		}
	}
	return true
}

// Forecast is the newest forecast head office sent; ok is false while
// none has arrived.
func (s *Service) Forecast() (f lifecycle.ForecastV1, ok bool, err error) {
	err = s.file.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(datafile.Forecast)
		if b == nil {
			return nil
		}
		raw := b.Get(forecastKey)
		if raw == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(raw, &f)
	})
	return f, ok, err
}
