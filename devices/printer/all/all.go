// Package all registers every printer driver with devices/printer; import it
// for its side effect in programs that build printers from config.
package all

import (
	_ "github.com/yizhan/yizhan/devices/printer/escpos" // ESC/POS receipts
	_ "github.com/yizhan/yizhan/devices/printer/tspl"   // TSC, Gprinter, Xprinter labels
	_ "github.com/yizhan/yizhan/devices/printer/zpl"    // Zebra labels
)
