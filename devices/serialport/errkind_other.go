//go:build !windows

package serialport

// errorKind: errno values elsewhere say what they mean portably.
func errorKind(error) string { return "" }
