// Package harness runs real processes for Yizhan's system tests: a Mosquitto
// broker with the production ACL shape, a TCP proxy that cuts, delays and
// throttles a link, the project's binaries built once per test run, and
// helpers to start, stop and wait for processes.
//
// Every helper takes a testing.TB, fails the test rather than skipping it
// when something it needs is missing, cleans up with t.Cleanup, and prints
// the tail of a process's log when the test fails. Tests wait with
// Eventually, never with a bare sleep.
package harness
