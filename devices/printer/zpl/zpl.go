// Package zpl drives Zebra label printers in ZPL II: it renders the outlet's
// labels with Chinese text (^CI28 UTF-8 and a CJK font), asks the printer's
// state with ~HS and parses the three-line host status answer.
//
// The CJK font is a config value (cjk_font) because Zebras ship without one:
// DefaultCJKFont must be resident or downloaded once (Zebra Setup Utilities or
// a ~DY download) before Chinese prints; ASCII prints either way.
package zpl

import (
	"github.com/yizhan/yizhan/devices/printer"
)

// DefaultCJKFont is the printer-resident font used for every text field.
// SimSun is what Chinese Zebra resellers usually install; Zebra's own
// Andale font for simplified Chinese is "E:ANMDS.TTF".
const DefaultCJKFont = "E:SIMSUN.FNT"

// StatusQuery asks for the host status (three STX...ETX lines).
var StatusQuery = []byte("~HS")

// Driver is a ZPL printer on one transport.
type Driver struct {
	*printer.Device
	Layout
}

var _ printer.Driver = (*Driver)(nil)

func init() {
	printer.Add("zpl", func(cfg printer.Config, opts printer.Options) (printer.Driver, error) {
		return New(cfg, opts)
	})
}

// Defaults fills the unset label geometry and font.
func Defaults(cfg printer.Config) printer.Config {
	if cfg.Driver == "" {
		cfg.Driver = "zpl"
	}
	if cfg.WidthMM <= 0 {
		cfg.WidthMM = 60
	}
	if cfg.HeightMM <= 0 {
		cfg.HeightMM = 40
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
	dev, err := printer.NewDevice(cfg, printer.Protocol{Lang: "zpl", Query: StatusQuery, Parse: ParseReport}, opts)
	if err != nil {
		return nil, err
	}
	return &Driver{Device: dev, Layout: Layout{cfg: cfg}}, nil
}

// Config resolves the ambiguity between the embedded types.
func (d *Driver) Config() printer.Config { return d.Device.Config() }
