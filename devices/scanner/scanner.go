// Package scanner holds what every barcode scanner driver shares: the Read a
// scan produces, the Scanner interface, a registry of drivers, the byte
// framing (suffix, STX/ETX, AIM prefix), the reconnect loop that turns a
// vanished device into disconnected → reconnecting → ok, and the functions
// that list and diagnose scanners on this machine.
//
// Drivers live in sub-packages (serial, tcp, wedge) and register themselves
// with Add from init; import them for their side effect:
//
//	import _ "github.com/yizhan/yizhan/devices/scanner/serial"
//
// See README.md for the calls the agent's commands use.
package scanner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/barcode"
)

// Read is one accepted scan.
type Read struct {
	ScannerID string            `json:"scanner_id"`
	Raw       []byte            `json:"raw"`                 // the frame as received, AIM included, framing bytes not
	Text      string            `json:"text"`                // the data, without AIM identifier
	Symbology barcode.Symbology `json:"symbology,omitempty"` // from the AIM identifier; "" if none
	AIM       string            `json:"aim,omitempty"`       // e.g. "]C1"
	At        time.Time         `json:"at"`
}

// Sink receives reads, one at a time, on the driver's goroutine. It may
// block (e.g. until the scan is durably recorded); the device's own buffer
// holds what arrives meanwhile.
type Sink func(Read)

// Reject describes a frame that was dropped as noise or broken framing.
type Reject struct {
	ScannerID string
	Raw       []byte
	Err       error // a *barcode.Error
	At        time.Time
}

// Scanner is a running barcode scanner.
type Scanner interface {
	// Start begins reading in the background and returns at once. A device
	// that is absent is not an error: the driver keeps retrying and says so
	// in Status. Start fails only on bad configuration or a second Start.
	Start(ctx context.Context, sink Sink) error
	// Stop ends reading, closes the device and waits for the goroutines.
	Stop()
	// Status reports the device's health for status pages and doctor.
	Status() devices.Status
}

// Checker is implemented by scanners that can diagnose their device
// without starting: open it once, report, close it.
type Checker interface {
	Check(ctx context.Context) devices.Status
}

// Options are what the agent passes every driver.
type Options struct {
	Logger   *slog.Logger // nil discards logs
	OnReject func(Reject) // optional: see dropped frames (test-scan, metrics)
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// Creator builds a scanner named name from its driver's JSON config.
type Creator func(name string, config json.RawMessage, opts Options) (Scanner, error)

var (
	regMu    sync.RWMutex
	registry = map[string]Creator{}
)

// Add registers a driver. Drivers call it from init; a duplicate name is a
// programming error and panics.
func Add(driver string, c Creator) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[driver]; dup {
		panic("scanner: driver " + driver + " registered twice")
	}
	registry[driver] = c
}

// AddJSON registers a driver whose settings decode from JSON into C.
// Unknown fields are refused, so a misspelt setting is an error at start,
// not a silent default.
func AddJSON[C any](driver string, build func(name string, cfg C, opts Options) (Scanner, error)) {
	Add(driver, func(name string, raw json.RawMessage, opts Options) (Scanner, error) {
		var c C
		if len(raw) > 0 {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				return nil, fmt.Errorf("%s scanner %s: config: %w", driver, name, err)
			}
		}
		return build(name, c, opts)
	})
}

// Drivers lists the registered driver names, sorted.
func Drivers() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var out []string
	for d := range registry {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// New builds a scanner with a registered driver.
func New(driver, name string, config json.RawMessage, opts Options) (Scanner, error) {
	regMu.RLock()
	c, ok := registry[driver]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("scanner %s: unknown driver %q: use one of %s", name, driver, strings.Join(Drivers(), ", "))
	}
	return c(name, config, opts)
}

// Check diagnoses s: its Checker result if it has one, else its Status.
func Check(ctx context.Context, s Scanner) devices.Status {
	if c, ok := s.(Checker); ok {
		return c.Check(ctx)
	}
	return s.Status()
}

// Duration is a time.Duration that reads "500ms" or "2s" from JSON.
type Duration time.Duration

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration %s: want a string like \"500ms\"", b)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %v", s, err)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }
