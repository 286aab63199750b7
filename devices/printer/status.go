package printer

import (
	"errors"
	"strings"
	"time"

	"github.com/yizhan/yizhan/devices"
)

// Condition is one thing a printer reports about itself, or one thing we
// learned by failing to talk to it.
type Condition string

const (
	OK        Condition = "ok"
	PaperOut  Condition = "paper_out"
	HeadOpen  Condition = "head_open" // print head up or cover open
	RibbonOut Condition = "ribbon_out"
	Paused    Condition = "paused"
	Jam       Condition = "jam"     // paper jam, cutter jammed
	Fault     Condition = "fault"   // other hardware error the printer flags (temperature, RAM, cutter)
	Silent    Condition = "silent"  // connected, but no answer to a status query
	Offline   Condition = "offline" // cannot connect at all
	Unknown   Condition = "unknown" // the transport cannot carry status (a plain file, a write-only port)
)

type advice struct{ detail, fix string }

var advices = map[Condition]advice{
	OK:        {"打印机正常 / ready", ""},
	PaperOut:  {"打印机缺纸 / paper out", "装入标签纸并合上盖子 / load labels (or the paper roll) and close the cover"},
	HeadOpen:  {"打印头或上盖未合 / print head or cover open", "合上打印头和上盖直到听到咔哒声 / close the print head and cover until they click"},
	RibbonOut: {"碳带用完 / ribbon out", "更换碳带；热敏纸请在设置中关闭碳带模式 / replace the ribbon; for direct-thermal labels switch the printer to thermal mode"},
	Paused:    {"打印机已暂停 / printer paused", "按一下暂停(PAUSE)键恢复打印 / press the PAUSE button to resume"},
	Jam:       {"卡纸 / paper jam", "打开盖子取出卡住的纸，重新装纸后合上 / open the cover, remove the jammed paper, reload and close"},
	Fault:     {"打印机报告故障 / printer reports an error", "关机十秒后重新开机；仍有问题请联系维修 / power the printer off for ten seconds and on again; call service if it persists"},
	Silent:    {"打印机无响应 / printer does not answer", "检查是否缺纸或上盖未合（此时斑马打印机不回应），再检查电源和连线 / check for paper out or an open cover (a Zebra stays silent then), then power and cable"},
	Offline:   {"无法连接打印机 / cannot connect to printer", "检查打印机电源、网线或USB线和IP地址 / check printer power, the network or USB cable and the address in the config"},
	Unknown:   {"无法读取打印机状态 / printer status not available", "此连接不支持状态查询，请目视检查 / this connection cannot report status; check the printer by eye"},
}

// Detail says what is wrong in the clerk's terms (Chinese / English).
func (c Condition) Detail() string {
	if a, ok := advices[c]; ok {
		return a.detail
	}
	return string(c)
}

// Fix says what the clerk should do (Chinese / English); empty when OK.
func (c Condition) Fix() string { return advices[c].fix }

// Code is the condition's key in a screen's dictionaries (devices.Advice).
func (c Condition) Code() string { return "printer." + string(c) }

// Advice is the condition's code with its words.
func (c Condition) Advice() devices.Advice {
	return devices.Advice{Code: c.Code(), Detail: c.Detail(), Fix: c.Fix()}
}

// Warning is something a printer reports that does not hold its jobs.
type Warning string

const (
	HeadCold      Warning = "head_cold"
	HeadHot       Warning = "head_hot"
	MemoryCorrupt Warning = "memory_corrupt"
	BufferFull    Warning = "buffer_full"
	Printing      Warning = "printing"
	PaperLow      Warning = "paper_low" // the roll is nearly empty
	CutterError   Warning = "cutter_error"
)

var warningWords = map[Warning]string{
	HeadCold:      "打印头温度过低 / head too cold",
	HeadHot:       "打印头过热 / head too hot",
	MemoryCorrupt: "打印机内存损坏 / printer memory corrupt",
	BufferFull:    "接收缓冲区已满 / receive buffer full",
	Printing:      "正在打印 / printing",
	PaperLow:      "纸卷将尽 / paper roll nearly empty",
	CutterError:   "切刀故障 / cutter error",
}

// Detail says the warning in the clerk's terms (Chinese / English).
func (w Warning) Detail() string {
	if s, ok := warningWords[w]; ok {
		return s
	}
	return string(w)
}

// Code is the warning's key in a screen's dictionaries.
func (w Warning) Code() string { return "printer." + string(w) }

// Holds reports whether jobs must wait while the printer is in c.
func (c Condition) Holds() bool { return c != OK && c != Unknown }

// severity orders conditions so the most blocking one is shown first:
// a clerk fixes a closed-head before noticing the pause it caused.
var severity = map[Condition]int{
	Offline: 9, Silent: 8, HeadOpen: 7, Jam: 6, PaperOut: 5, RibbonOut: 4, Fault: 3, Paused: 2, Unknown: 1, OK: 0,
}

// Report is the answer to one status query.
type Report struct {
	Conditions []Condition `json:"conditions"`         // empty means OK
	Warnings   []Warning   `json:"warnings,omitempty"` // not blocking, e.g. paper roll nearly empty
	Raw        []byte      `json:"raw,omitempty"`      // the printer's answer, for support
	Err        error       `json:"-"`                  // why we could not talk to it (Offline, Silent)
	At         time.Time   `json:"at"`
}

// Primary is the condition to show first.
func (r Report) Primary() Condition {
	best := OK
	for _, c := range r.Conditions {
		if severity[c] > severity[best] {
			best = c
		}
	}
	return best
}

// Has reports whether c is among the conditions.
func (r Report) Has(c Condition) bool {
	for _, x := range r.Conditions {
		if x == c {
			return true
		}
	}
	return false
}

// Ready reports whether a job may be sent now.
func (r Report) Ready() bool {
	for _, c := range r.Conditions {
		if c.Holds() {
			return false
		}
	}
	return true
}

// DeviceStatus turns the report into the shared device status.
func (r Report) DeviceStatus(name, driver string) devices.Status {
	p := r.Primary()
	st := devices.Status{Name: name, Kind: "printer", Driver: driver, Since: r.At}
	switch {
	case p == Offline:
		st.State = devices.StateDisconnected
	case p.Holds():
		st.State = devices.StateFault
	default:
		st.State = devices.StateOK
	}
	p.Advice().Set(&st)
	details, also := []string{p.Detail()}, []string{}
	for _, c := range r.Conditions {
		if c != p {
			details, also = append(details, c.Detail()), append(also, c.Code())
		}
	}
	for _, w := range r.Warnings {
		details, also = append(details, w.Detail()), append(also, w.Code())
	}
	st.Detail, st.Also = strings.Join(details, "; "), strings.Join(also, " ")
	if r.Err != nil {
		st.LastErr = r.Err.Error()
		if a, ok := Diagnose(r.Err); ok {
			a.Set(&st)
		}
	}
	return st
}

// ErrIncomplete is returned by status parsers while the answer is still
// arriving; read more and parse again.
var ErrIncomplete = errors.New("status answer incomplete")
