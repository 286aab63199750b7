package zpl

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/yizhan/yizhan/devices/printer"
)

// HostStatus is what ~HS reports. Field positions follow the ZPL II
// programming guide: string 1 is "aaa,b,c,dddd,eee,f,g,h,iii,j,k,l",
// string 2 "mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www", string 3 "xxxx,y".
type HostStatus struct {
	PaperOut        bool // 1b
	Paused          bool // 1c
	LabelLength     int  // 1d, in dots
	FormatsInBuffer int  // 1e
	BufferFull      bool // 1f
	PartialFormat   bool // 1h
	CorruptRAM      bool // 1j
	UnderTemp       bool // 1k
	OverTemp        bool // 1l
	HeadOpen        bool // 2o, head up
	RibbonOut       bool // 2p
	ThermalTransfer bool // 2q
	LabelsRemaining int  // 2u
}

const (
	stx = 0x02
	etx = 0x03
)

// ParseHostStatus reads a ~HS answer from the start of b. It skips noise
// before and between the three framed strings, returns printer.ErrIncomplete
// until all three have arrived, and how many bytes it used.
func ParseHostStatus(b []byte) (HostStatus, int, error) {
	var frames [3][]byte
	pos := 0
	for i := 0; i < 3; i++ {
		s := bytes.IndexByte(b[pos:], stx)
		if s < 0 {
			return HostStatus{}, 0, printer.ErrIncomplete
		}
		start := pos + s + 1
		for {
			e := bytes.IndexByte(b[start:], etx)
			if e < 0 {
				return HostStatus{}, 0, printer.ErrIncomplete
			}
			// A new STX before the ETX means the earlier frame was cut off.
			if again := bytes.LastIndexByte(b[start:start+e], stx); again >= 0 {
				start += again + 1
				continue
			}
			frames[i] = b[start : start+e]
			pos = start + e + 1
			break
		}
	}
	// Include the CR LF that follows the last frame when it is there.
	for k := 0; k < 2 && pos < len(b) && (b[pos] == '\r' || b[pos] == '\n'); k++ {
		pos++
	}
	var h HostStatus
	s1 := bytes.Split(frames[0], []byte(","))
	s2 := bytes.Split(frames[1], []byte(","))
	if len(s1) < 12 || len(s2) < 11 {
		return HostStatus{}, pos, fmt.Errorf("not a ~HS answer: strings have %d and %d fields, want 12 and 11", len(s1), len(s2))
	}
	var err error
	flag := func(f []byte, name string) bool {
		f = bytes.TrimSpace(f)
		switch string(f) {
		case "0":
			return false
		case "1":
			return true
		}
		if err == nil {
			err = fmt.Errorf("not a ~HS answer: %s flag is %q, want 0 or 1", name, f)
		}
		return false
	}
	num := func(f []byte, name string) int {
		n, e := strconv.Atoi(string(bytes.TrimSpace(f)))
		if e != nil && err == nil {
			err = fmt.Errorf("not a ~HS answer: %s is %q, want a number", name, f)
		}
		return n
	}
	h.PaperOut = flag(s1[1], "paper out")
	h.Paused = flag(s1[2], "pause")
	h.LabelLength = num(s1[3], "label length")
	h.FormatsInBuffer = num(s1[4], "formats in buffer")
	h.BufferFull = flag(s1[5], "buffer full")
	h.PartialFormat = flag(s1[7], "partial format")
	h.CorruptRAM = flag(s1[9], "corrupt RAM")
	h.UnderTemp = flag(s1[10], "under temperature")
	h.OverTemp = flag(s1[11], "over temperature")
	h.HeadOpen = flag(s2[2], "head up")
	h.RibbonOut = flag(s2[3], "ribbon out")
	h.ThermalTransfer = flag(s2[4], "thermal transfer")
	h.LabelsRemaining = num(s2[8], "labels remaining")
	if err != nil {
		return HostStatus{}, pos, err
	}
	return h, pos, nil
}

// Report turns the host status into the shared status model.
func (h HostStatus) Report() printer.Report {
	var r printer.Report
	add := func(on bool, c printer.Condition) {
		if on {
			r.Conditions = append(r.Conditions, c)
		}
	}
	add(h.HeadOpen, printer.HeadOpen)
	add(h.PaperOut, printer.PaperOut)
	add(h.RibbonOut, printer.RibbonOut)
	add(h.Paused, printer.Paused)
	add(h.CorruptRAM || h.UnderTemp || h.OverTemp, printer.Fault)
	if h.UnderTemp {
		r.Warnings = append(r.Warnings, printer.HeadCold)
	}
	if h.OverTemp {
		r.Warnings = append(r.Warnings, printer.HeadHot)
	}
	if h.CorruptRAM {
		r.Warnings = append(r.Warnings, printer.MemoryCorrupt)
	}
	if h.BufferFull {
		r.Warnings = append(r.Warnings, printer.BufferFull)
	}
	if len(r.Conditions) == 0 {
		r.Conditions = []printer.Condition{printer.OK}
	}
	return r
}

// ParseReport is the printer.Protocol parser for ~HS.
func ParseReport(b []byte) (printer.Report, error) {
	h, _, err := ParseHostStatus(b)
	if err != nil {
		return printer.Report{}, err
	}
	return h.Report(), nil
}
