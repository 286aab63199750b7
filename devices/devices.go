// Package devices holds what every scanner, printer and scale driver shares:
// the health a driver reports and how a clerk is told to fix it.
//
// Drivers live one per folder below this one (see README.md). Each folder has
// the driver, its simulator, a README, a sample config and tests.
package devices

import "time"

// State is a device's health as the counter screen shows it.
type State string

const (
	StateOK           State = "ok"
	StateDisconnected State = "disconnected" // path gone, socket refused
	StateReconnecting State = "reconnecting" // retrying with backoff
	StateFault        State = "fault"        // present but not usable: paper out, head open, silent
)

// Status is a snapshot of one device for status pages, metrics and `doctor`.
type Status struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // "scanner", "printer", "scale"
	Driver string `json:"driver"`
	State  State  `json:"state"`
	Detail string `json:"detail,omitempty"` // what is wrong, in the clerk's terms
	Fix    string `json:"fix,omitempty"`    // what to do about it
	// Code and Params say Detail and Fix for a screen that words them
	// itself (see Advice); Also is the codes of lesser conditions at the
	// same time, separated by spaces (a printer's pause behind its open
	// head), a string so that a Status stays comparable.
	Code    string    `json:"code,omitempty"`
	Params  Params    `json:"params,omitzero"`
	Also    string    `json:"also,omitempty"`
	Since   time.Time `json:"since"`
	LastErr string    `json:"last_error,omitempty"`
}
