//go:build !windows

package config

// programData: only Windows has one; elsewhere data.dir stays required.
func programData() string { return "" }
