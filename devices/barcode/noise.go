package barcode

import (
	"strings"
	"unicode/utf8"
)

// DefaultMaxLen bounds a read. Waybills are under 40 characters and the
// biggest labels we expect (GS1 DataMatrix, QR with a URL) stay well under
// this; anything longer is two reads run together or garbage.
const DefaultMaxLen = 512

// CheckNoise rejects reads that cannot be a barcode: empty, longer than
// maxLen (0 means DefaultMaxLen), not valid UTF-8, C0/C1 control
// characters, or stray STX/ETX framing bytes. GS, RS and EOT are allowed
// (GS1 and ISO/IEC 15434 data use them); TAB, CR and LF only in 2D codes.
func CheckNoise(data []byte, sym Symbology, maxLen int) error {
	if maxLen <= 0 {
		maxLen = DefaultMaxLen
	}
	if len(data) > maxLen {
		return ErrOverlong.with("%d bytes, at most %d", len(data), maxLen)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return ErrEmpty
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return ErrBinary.with("byte 0x%02x at offset %d is not UTF-8 text", data[i], i)
		}
		switch {
		case r == 0x02 || r == 0x03:
			return ErrFraming.with("STX/ETX byte 0x%02x inside the data at offset %d", r, i)
		case r == GS || r == 0x1e || r == 0x04:
		case r == '\t' || r == '\r' || r == '\n':
			if !sym.Is2D() {
				return ErrControl.with("line break or tab at offset %d in a %s read", i, symName(sym))
			}
		case r < 0x20 || r == 0x7f:
			return ErrControl.with("control byte 0x%02x at offset %d", r, i)
		case r >= 0x80 && r <= 0x9f:
			return ErrBinary.with("C1 control U+%04X at offset %d", r, i)
		}
		i += size
	}
	return nil
}

func symName(s Symbology) string {
	if s == SymUnknown {
		return "1D"
	}
	return string(s)
}
