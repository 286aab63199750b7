// Package tspl drives TSC-compatible label printers (TSC, Gprinter, Xprinter
// and most label printers sold at Chinese outlets) in TSPL: it renders the
// outlet's labels with a Chinese bitmap font in GB18030 bytes, asks the
// printer's state with ESC !? and decodes the one status byte it returns.
package tspl

import (
	"fmt"

	"github.com/yizhan/yizhan/devices/printer"
)

// DefaultCJKFont is the simplified-Chinese 24-dot font resident in TSC and
// Gprinter firmware. It takes GB2312/GBK bytes, which GB18030 extends.
const DefaultCJKFont = "TSS24.BF2"

// StatusQuery is ESC ! ?, answered immediately with one status byte.
var StatusQuery = []byte{0x1b, '!', '?'}

// Driver is a TSPL printer on one transport.
type Driver struct {
	*printer.Device
	Layout
}

var _ printer.Driver = (*Driver)(nil)

func init() {
	printer.Add("tspl", func(cfg printer.Config, opts printer.Options) (printer.Driver, error) {
		return New(cfg, opts)
	})
}

// Defaults fills the unset label geometry and font.
func Defaults(cfg printer.Config) printer.Config {
	if cfg.Driver == "" {
		cfg.Driver = "tspl"
	}
	if cfg.WidthMM <= 0 {
		cfg.WidthMM = 60
	}
	if cfg.HeightMM <= 0 {
		cfg.HeightMM = 40
	}
	if cfg.GapMM <= 0 {
		cfg.GapMM = 2
	}
	if cfg.DPI <= 0 {
		cfg.DPI = 203
	}
	if cfg.CJKFont == "" {
		cfg.CJKFont = DefaultCJKFont
	}
	return cfg
}

// New builds a driver; it does not connect until asked to print or report.
func New(cfg printer.Config, opts printer.Options) (*Driver, error) {
	cfg = Defaults(cfg)
	dev, err := printer.NewDevice(cfg, printer.Protocol{Lang: "tspl", Query: StatusQuery, Parse: ParseReport}, opts)
	if err != nil {
		return nil, err
	}
	return &Driver{Device: dev, Layout: Layout{cfg: cfg}}, nil
}

// Config resolves the ambiguity between the embedded types.
func (d *Driver) Config() printer.Config { return d.Device.Config() }

// Status is the byte ESC !? returns.
type Status byte

// Bits of the status byte, from the TSPL/TSPL2 programming manual.
const (
	BitHeadOpen  Status = 0x01
	BitPaperJam  Status = 0x02
	BitPaperOut  Status = 0x04
	BitRibbonOut Status = 0x08
	BitPause     Status = 0x10
	BitPrinting  Status = 0x20
	BitCoverOpen Status = 0x40 // on models with a cover sensor
	BitOtherErr  Status = 0x80 // e.g. temperature out of range, on some models
)

// ParseStatus reads the status byte at the start of b.
func ParseStatus(b []byte) (Status, error) {
	if len(b) == 0 {
		return 0, printer.ErrIncomplete
	}
	return Status(b[0]), nil
}

// Report turns the status byte into the shared status model.
func (s Status) Report() printer.Report {
	var r printer.Report
	add := func(bit Status, c printer.Condition) {
		if s&bit != 0 {
			r.Conditions = append(r.Conditions, c)
		}
	}
	add(BitHeadOpen|BitCoverOpen, printer.HeadOpen)
	add(BitPaperJam, printer.Jam)
	add(BitPaperOut, printer.PaperOut)
	add(BitRibbonOut, printer.RibbonOut)
	add(BitPause, printer.Paused)
	add(BitOtherErr, printer.Fault)
	if s&BitPrinting != 0 {
		r.Warnings = append(r.Warnings, printer.Printing)
	}
	if len(r.Conditions) == 0 {
		r.Conditions = []printer.Condition{printer.OK}
	}
	return r
}

func (s Status) String() string { return fmt.Sprintf("0x%02x", byte(s)) }

// ParseReport is the printer.Protocol parser for ESC !?.
func ParseReport(b []byte) (printer.Report, error) {
	s, err := ParseStatus(b)
	if err != nil {
		return printer.Report{}, err
	}
	return s.Report(), nil
}
