// Package ci holds checks that CI runs over the source tree itself, next to
// deploy/ci/install-deps.sh: rules a reviewer would otherwise have to
// remember. It has no code of its own; the checks are its tests.
//
// source_test.go keeps words out of Go errors: in agent/, hub/ and
// syncproto/, an error a person may see is a code from
// syncproto/problem/catalog.go, whose words the screens' dictionaries hold,
// and every call that makes one names exactly the parameters its message
// uses.
//
// layout_test.go keeps the README's layout table true to the tree.
//
// windows_test.go cross-compiles both programs and every package's tests
// for Windows (amd64), where most outlet PCs run.
package ci
