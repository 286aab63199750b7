// Package printer holds what every label and receipt printer driver shares:
// the Printer interface the print spool drives, the transports that carry
// bytes to a printer (raw TCP 9100, serial, the USB printer device file, a
// plain file), the status model shown to clerks, the template data models,
// and a registry of drivers by name.
//
// Language drivers live in sub-packages (zpl, tspl, escpos) and register
// themselves in init(); import devices/printer/all to get all of them.
//
// Clerk-facing text (Condition.Detail, Condition.Fix, diagnosis from Check)
// is written Chinese first, then " / ", then English, so the counter screen
// reads naturally for staff and logs stay searchable for head-office support.
package printer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// Printer is what a print spool needs from a printer: ask its state, send it
// one job. Print sends one complete job on its own connection.
type Printer interface {
	Status(ctx context.Context) Report
	Print(ctx context.Context, data []byte) error
}

// Templates renders the outlet's documents into one printer language.
type Templates interface {
	ShelfLabel(l ShelfLabel) ([]byte, error)
	ExceptionTag(t ExceptionTag) ([]byte, error)
	ComplaintReceipt(r ComplaintReceipt) ([]byte, error)
	// WaybillLabel needs label stock of at least 70×100 mm; receipt
	// printers return ErrLabelOnly.
	WaybillLabel(w WaybillLabel) ([]byte, error)
}

// Driver is a configured printer: it prints and knows its language.
type Driver interface {
	Printer
	Templates
	Config() Config
}

// Config is one configured printer, as written in the agent's config file.
// Fields a driver does not use are ignored by it; drivers fill defaults.
type Config struct {
	Name    string `json:"name"`    // how clerks and the spool refer to it, e.g. "shelf-1"
	Driver  string `json:"driver"`  // "zpl", "tspl" or "escpos"
	Address string `json:"address"` // tcp://10.0.0.5:9100, serial:///dev/ttyUSB0?baud=9600, usb:///dev/usb/lp0, file:///tmp/out.prn

	WidthMM  float64 `json:"width_mm,omitempty"`  // label or paper width; default 60 (labels), 58 (receipts)
	HeightMM float64 `json:"height_mm,omitempty"` // label height; default 40
	GapMM    float64 `json:"gap_mm,omitempty"`    // tspl: gap between labels; default 2
	DPI      int     `json:"dpi,omitempty"`       // default 203
	CJKFont  string  `json:"cjk_font,omitempty"`  // zpl: E:SIMSUN.FNT, tspl: TSS24.BF2
	Columns  int     `json:"columns,omitempty"`   // escpos: characters per line in font A; default 32 (58 mm)

	// StatusTimeoutMS bounds how long a status query waits for an answer
	// before the printer is called silent. Default 2000.
	StatusTimeoutMS int `json:"status_timeout_ms,omitempty"`
	// NoReceiptCheck turns off the status query sent after each job. That
	// query is how a raw transport learns the printer took the whole job.
	NoReceiptCheck bool `json:"no_receipt_check,omitempty"`
}

// StatusTimeout returns the configured status timeout or its default.
func (c Config) StatusTimeout() time.Duration {
	if c.StatusTimeoutMS > 0 {
		return time.Duration(c.StatusTimeoutMS) * time.Millisecond
	}
	return 2 * time.Second
}

// Options carries what a driver gets from its host program.
type Options struct {
	Logger *slog.Logger // nil means discard
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Creator builds a driver from its config.
type Creator func(cfg Config, opts Options) (Driver, error)

var (
	regMu   sync.RWMutex
	drivers = map[string]Creator{}
)

// Add registers a driver under name. Drivers call it from init().
func Add(name string, c Creator) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := drivers[name]; dup {
		panic("printer: driver " + name + " registered twice")
	}
	drivers[name] = c
}

// Names lists the registered drivers, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(drivers))
	for n := range drivers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// New builds the driver cfg names.
func New(cfg Config, opts Options) (Driver, error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("printer config: name is empty: give every printer a name such as \"shelf-1\"")
	}
	regMu.RLock()
	c, ok := drivers[cfg.Driver]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("printer %q: unknown driver %q: use one of %s (is devices/printer/all imported?)",
			cfg.Name, cfg.Driver, strings.Join(Names(), ", "))
	}
	return c(cfg, opts)
}

// ParseConfigs reads a JSON array of printer configs (or a single object),
// rejecting unknown fields so a typo does not silently fall back to a default.
func ParseConfigs(r io.Reader) ([]Config, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read printer config: %w", err)
	}
	trimmed := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(trimmed, "[") {
		trimmed = "[" + trimmed + "]"
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.DisallowUnknownFields()
	var cfgs []Config
	if err := dec.Decode(&cfgs); err != nil {
		return nil, fmt.Errorf("parse printer config: %w: fix the JSON (see devices/printer/*/sample.json)", err)
	}
	seen := map[string]bool{}
	for _, c := range cfgs {
		if c.Name == "" {
			return nil, fmt.Errorf("parse printer config: a printer has no name")
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("parse printer config: printer name %q used twice", c.Name)
		}
		seen[c.Name] = true
	}
	return cfgs, nil
}
