// Package peripherals runs the outlet's scanners, printers and scales for the agent:
// it reads the device section of the agent's config file, turns every good
// scanner read into a durable scan through the ingest path, keeps the print
// spool in the agent's data file, and reports each device's health.
package peripherals

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/yizhan/yizhan/devices/printer"
	_ "github.com/yizhan/yizhan/devices/printer/all" // zpl, tspl, escpos
	"github.com/yizhan/yizhan/devices/scale"
	"github.com/yizhan/yizhan/devices/scanner"
	_ "github.com/yizhan/yizhan/devices/scanner/serial" // serial scanners
	_ "github.com/yizhan/yizhan/devices/scanner/tcp"    // fixed-mount line scanners
	_ "github.com/yizhan/yizhan/devices/scanner/wedge"  // keyboard-wedge scanners
)

// Config is the "devices" part of the agent's config file: the
// [devices] section of the TOML file (see deploy/agent.sample.toml), or
// the "devices" object of the older JSON file, which LoadConfig reads:
//
//	{
//	  "scanners": [{"name": "counter", "driver": "serial", "action": "inbound",
//	                "debounce": "2s", "config": {"path": "/dev/ttyUSB0", "baud": 9600}}],
//	  "printers": [{"name": "shelf", "driver": "tspl", "address": "tcp://192.168.1.50:9100"}],
//	  "scales": [{"name": "counter-scale", "driver": "serial-scale",
//	              "config": {"path": "/dev/ttyUSB1", "protocol": "st-gs"}}],
//	  "label_printer": "shelf"
//	}
type Config struct {
	Scanners       []ScannerConfig  `json:"scanners"`
	Printers       []printer.Config `json:"printers"`
	Scales         []ScaleConfig    `json:"scales,omitempty"`
	LabelPrinter   string           `json:"label_printer,omitempty"`   // printer for shelf labels
	ReceiptPrinter string           `json:"receipt_printer,omitempty"` // printer for complaint receipts
	WaybillPrinter string           `json:"waybill_printer,omitempty"` // printer for waybills (≥ 70×100 mm stock)
}

// ScannerConfig names a scanner, its driver and the driver's own settings.
type ScannerConfig struct {
	Name     string          `json:"name"`
	Driver   string          `json:"driver"`             // serial, wedge, tcp
	Action   string          `json:"action,omitempty"`   // what a read means; default inbound
	Debounce Duration        `json:"debounce,omitempty"` // same code again within this is ignored; default 2s
	Config   json.RawMessage `json:"config"`             // the driver's settings (see devices/scanner/<driver>/sample.json)
}

// ScaleConfig names a counter scale, its driver and the driver's own
// settings (see devices/scale/sample.json).
type ScaleConfig struct {
	Name   string          `json:"name"`
	Driver string          `json:"driver"` // serial-scale
	Config json.RawMessage `json:"config"`
}

// Duration is a time.Duration written as "2s" in JSON.
type Duration time.Duration

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"2s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalText reads "2s", as the TOML file writes it.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration must be a string like \"2s\": %w", err)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// LoadConfig reads the device section from the agent config file at path.
// An empty path means no devices. Unknown fields, duplicate names and
// unknown drivers are errors that say where and what to do.
func LoadConfig(path string) (Config, error) {
	if path == "" {
		return Config{}, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config %s: %w", path, err)
	}
	c, err := DecodeJSON(raw)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w (fix the file; the sample is in deploy/agent.sample.json)", path, err)
	}
	if err := c.Check(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// DecodeJSON reads the devices section of a JSON config file as written,
// refusing unknown fields, without checking or filling in defaults.
func DecodeJSON(raw []byte) (Config, error) {
	var file struct {
		Devices Config `json:"devices"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return Config{}, err
	}
	return file.Devices, nil
}

// EntryError is a problem with one entry of the devices section. Key names
// the entry as the file does, e.g. "scanners[1]" or "label_printer", so the
// loader can say on which line it is.
type EntryError struct {
	Key string
	Err error
}

func (e *EntryError) Error() string { return e.Err.Error() }
func (e *EntryError) Unwrap() error { return e.Err }

// Check checks every device's driver and settings without opening it,
// the names and the printer roles, and fills in the defaults (action
// inbound, debounce 2s). Each problem is an *EntryError; all are joined.
func (c *Config) Check() error {
	names := map[string]bool{}
	var errs []error
	at := func(list string, i int, err error) {
		errs = append(errs, &EntryError{Key: fmt.Sprintf("%s[%d]", list, i), Err: err})
	}
	// named says whether a device of kind at position i has a usable,
	// unique name; the device's own settings are checked only then.
	named := func(kind string, i int, name string) bool {
		switch {
		case name == "":
			at(kind+"s", i, fmt.Errorf("%s %d has no name", kind, i+1))
			return false
		case names[name]:
			at(kind+"s", i, fmt.Errorf("device name %q is used twice", name))
		}
		names[name] = true
		return true
	}
	for i := range c.Scanners {
		s := &c.Scanners[i]
		if !named("scanner", i, s.Name) {
			continue
		}
		// Building a device checks its driver and settings without opening it.
		if _, err := scanner.New(s.Driver, s.Name, s.Config, scanner.Options{}); err != nil {
			at("scanners", i, err)
		}
		if s.Action == "" {
			s.Action = "inbound"
		}
		if s.Debounce == 0 {
			s.Debounce = Duration(2 * time.Second)
		}
	}
	for i, p := range c.Printers {
		if !named("printer", i, p.Name) {
			continue
		}
		if _, err := printer.New(p, printer.Options{}); err != nil {
			at("printers", i, err)
		}
	}
	for i, sc := range c.Scales {
		if !named("scale", i, sc.Name) {
			continue
		}
		if _, err := scale.Build(sc.Driver, sc.Name, sc.Config, scale.Options{}); err != nil {
			at("scales", i, err)
		}
	}
	for _, r := range [][2]string{{"label_printer", c.LabelPrinter}, {"waybill_printer", c.WaybillPrinter}, {"receipt_printer", c.ReceiptPrinter}} {
		if r[1] != "" && !c.hasPrinter(r[1]) {
			errs = append(errs, &EntryError{Key: r[0], Err: fmt.Errorf("%s %q is not one of the printers", r[0], r[1])})
		}
	}
	return errors.Join(errs...)
}

func (c *Config) hasPrinter(name string) bool {
	for _, p := range c.Printers {
		if p.Name == name {
			return true
		}
	}
	return false
}

// Printer returns the named printer's config.
func (c *Config) Printer(name string) (printer.Config, bool) {
	for _, p := range c.Printers {
		if p.Name == name {
			return p, true
		}
	}
	return printer.Config{}, false
}

// Scanner returns the named scanner's config.
func (c *Config) Scanner(name string) (ScannerConfig, bool) {
	for _, s := range c.Scanners {
		if s.Name == name {
			return s, true
		}
	}
	return ScannerConfig{}, false
}

// Scale returns the named scale's config.
func (c *Config) Scale(name string) (ScaleConfig, bool) {
	for _, s := range c.Scales {
		if s.Name == name {
			return s, true
		}
	}
	return ScaleConfig{}, false
}
