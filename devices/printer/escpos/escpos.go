// Package escpos drives ESC/POS receipt printers (Epson and the many Chinese
// compatibles): it renders receipts in GB18030 with the printer in Chinese
// mode (FS &), cuts the paper, and reads the four DLE EOT status bytes.
package escpos

import (
	"fmt"

	"github.com/yizhan/yizhan/devices/printer"
)

// StatusQuery asks DLE EOT 1..4 in one go: printer, offline cause, error
// cause, paper roll sensor. Each is answered at once with one byte, even
// while the printer is offline or out of paper.
var StatusQuery = []byte{0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 3, 0x10, 0x04, 4}

// Driver is an ESC/POS printer on one transport.
type Driver struct {
	*printer.Device
	Layout
}

var _ printer.Driver = (*Driver)(nil)

func init() {
	printer.Add("escpos", func(cfg printer.Config, opts printer.Options) (printer.Driver, error) {
		return New(cfg, opts)
	})
}

// Defaults fills the unset paper width and columns (58 mm, 32 columns).
func Defaults(cfg printer.Config) printer.Config {
	if cfg.Driver == "" {
		cfg.Driver = "escpos"
	}
	if cfg.WidthMM <= 0 {
		cfg.WidthMM = 58
	}
	if cfg.Columns <= 0 {
		cfg.Columns = 32
		if cfg.WidthMM >= 76 {
			cfg.Columns = 48
		}
	}
	return cfg
}

// New builds a driver; it does not connect until asked to print or report.
func New(cfg printer.Config, opts printer.Options) (*Driver, error) {
	cfg = Defaults(cfg)
	dev, err := printer.NewDevice(cfg, printer.Protocol{Lang: "escpos", Query: StatusQuery, Parse: ParseReport}, opts)
	if err != nil {
		return nil, err
	}
	return &Driver{Device: dev, Layout: Layout{cfg: cfg}}, nil
}

// Config resolves the ambiguity between the embedded types.
func (d *Driver) Config() printer.Config { return d.Device.Config() }

// Status holds the answers to DLE EOT 1, 2, 3 and 4.
type Status struct{ Printer, Offline, Error, Paper byte }

// Bits, from the ESC/POS command reference. Every answer byte has bit 1 and
// bit 4 set and bits 0 and 7 clear, which is how garbage is told apart.
const (
	fixedMask = 0x93
	fixedBits = 0x12

	PrinterOffline   = 0x08 // n=1 bit 3
	OfflineCoverOpen = 0x04 // n=2 bit 2
	OfflineFeeding   = 0x08 // n=2 bit 3: paper fed by the FEED button
	OfflinePaperEnd  = 0x20 // n=2 bit 5: printing stopped at paper end
	OfflineError     = 0x40 // n=2 bit 6
	ErrorMechanical  = 0x04 // n=3 bit 2
	ErrorCutter      = 0x08 // n=3 bit 3
	ErrorFatal       = 0x20 // n=3 bit 5: unrecoverable
	ErrorAutoRecover = 0x40 // n=3 bit 6: e.g. head temperature
	PaperNearEnd     = 0x0c // n=4 bits 2,3
	PaperEnd         = 0x60 // n=4 bits 5,6
)

// ParseStatus reads the four answer bytes at the start of b.
func ParseStatus(b []byte) (Status, error) {
	for i := 0; i < len(b) && i < 4; i++ {
		if b[i]&fixedMask != fixedBits {
			return Status{}, fmt.Errorf("not an ESC/POS status byte: answer %d is 0x%02x (want bits xxx1xx10)", i+1, b[i])
		}
	}
	if len(b) < 4 {
		return Status{}, printer.ErrIncomplete
	}
	return Status{b[0], b[1], b[2], b[3]}, nil
}

// Report turns the status bytes into the shared status model.
func (s Status) Report() printer.Report {
	var r printer.Report
	add := func(on bool, c printer.Condition) {
		if on {
			r.Conditions = append(r.Conditions, c)
		}
	}
	cover := s.Offline&OfflineCoverOpen != 0
	paperOut := s.Offline&OfflinePaperEnd != 0 || s.Paper&PaperEnd != 0
	jam := s.Error&(ErrorMechanical|ErrorCutter) != 0
	fault := s.Error&(ErrorFatal|ErrorAutoRecover) != 0 || (s.Offline&OfflineError != 0 && !jam)
	add(cover, printer.HeadOpen)
	add(paperOut, printer.PaperOut)
	add(jam, printer.Jam)
	add(fault, printer.Fault)
	// Offline with no cause given: treat as paused (e.g. the FEED button held).
	add(s.Printer&PrinterOffline != 0 && len(r.Conditions) == 0, printer.Paused)
	if s.Paper&PaperNearEnd != 0 && !paperOut {
		r.Warnings = append(r.Warnings, printer.PaperLow)
	}
	if s.Error&ErrorCutter != 0 {
		r.Warnings = append(r.Warnings, printer.CutterError)
	}
	if len(r.Conditions) == 0 {
		r.Conditions = []printer.Condition{printer.OK}
	}
	return r
}

// ParseReport is the printer.Protocol parser for DLE EOT 1..4.
func ParseReport(b []byte) (printer.Report, error) {
	s, err := ParseStatus(b)
	if err != nil {
		return printer.Report{}, err
	}
	return s.Report(), nil
}
