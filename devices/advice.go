package devices

import (
	"slices"
	"strings"
)

// Advice is what a device's status tells the clerk. Code and Params are for
// a screen that words the advice itself, in its own language: the counter
// screen shows its dictionaries' dev.detail.<code> and dev.fix.<code>,
// filled from Params. Detail and Fix are the same advice in Chinese and
// English, for logs and `yizhan-agent doctor`.
type Advice struct {
	Code   string
	Params Params
	Detail string
	Fix    string
}

// Params are the values a code's words name. A struct rather than a map, so
// that a Status stays comparable (drivers compare the last one to notice a
// change).
type Params struct {
	Where string `json:"where,omitempty"` // the device's path or network address
	Group string `json:"group,omitempty"` // the Unix group that grants access to it
	Grams int64  `json:"grams,omitempty"` // a scale's reading
}

// Set puts the advice on st.
func (a Advice) Set(st *Status) {
	st.Code, st.Params, st.Detail, st.Fix = a.Code, a.Params, a.Detail, a.Fix
}

// Codes are every code a driver puts on a status, so a screen's dictionaries
// can be checked against them (agent/ui's tests do). A driver's tests check
// each code it sets is here.
var Codes = []string{
	// A printer's conditions (printer.Condition), its warnings, and why it
	// cannot be reached.
	"printer.ok", "printer.paper_out", "printer.head_open", "printer.ribbon_out", "printer.paused",
	"printer.jam", "printer.fault", "printer.silent", "printer.offline", "printer.unknown",
	"printer.head_cold", "printer.head_hot", "printer.memory_corrupt", "printer.buffer_full",
	"printer.printing", "printer.paper_low", "printer.cutter_error",
	"printer.permission", "printer.not_found", "printer.busy", "printer.refused", "printer.unreachable",
	"printer.timeout", "printer.config", "printer.not_asked",
	// Scanners on a device file or the network.
	"scanner.not_started", "scanner.not_found", "scanner.permission", "scanner.busy", "scanner.grabbed",
	"scanner.unplugged", "scanner.not_device", "scanner.unusable",
	"scanner.refused", "scanner.host_unknown", "scanner.unreachable", "scanner.timeout", "scanner.closed",
	"scanner.cannot_connect", "scanner.error", "scanner.connected", "scanner.ready", "scanner.port_open",
	// Counter scales.
	"scale.not_started", "scale.silent", "scale.unreadable", "scale.not_found", "scale.unplugged",
	"scale.unusable", "scale.answers", "scale.overload",
}

// Known reports whether code is one of Codes.
func Known(code string) bool { return slices.Contains(Codes, code) }

// AlsoCodes splits a status's Also into its codes.
func AlsoCodes(also string) []string { return strings.Fields(also) }
