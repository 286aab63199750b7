package ui

import (
	"bufio"
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"io/fs"
	"strings"
	"testing"
)

// vendorDir holds the third-party files the screen embeds, each with the
// note deploy/ci/vendor-echarts.sh writes.
const vendorDir = "vendor/echarts"

// vendored reports whether an asset is a third-party file, exactly the
// bytes its registry published (TestEChartsMatchesRecordedHash). The rules
// for the screen's own sources (no markup from strings, no address off the
// machine) do not read it: ECharts' build carries its licence's web
// addresses and an HTML tooltip the screen never turns on. Whether it
// keeps to the CSP is checked where that is decided, in the browser
// (deploy/e2e/charts_ui_test.go watches for violations).
func vendored(path string) bool { return strings.HasPrefix(path, "vendor/") }

// vendorNote reads VERSION's "key value" lines.
func vendorNote(t *testing.T, files fs.FS) map[string]string {
	t.Helper()
	b, err := fs.ReadFile(files, vendorDir+"/VERSION")
	if err != nil {
		t.Fatalf("read %s/VERSION: %v (run deploy/ci/vendor-echarts.sh)", vendorDir, err)
	}
	note := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		note[k] = v
	}
	return note
}

// The ECharts file the screen loads is the one the registry's tarball
// holds: its sha512 is the one the vendoring script recorded after checking
// the tarball against the registry's integrity. A hand edit, a truncated
// copy or another version fails here.
func TestEChartsMatchesRecordedHash(t *testing.T) {
	files := vendorFS()
	note := vendorNote(t, files)
	for _, k := range []string{"version", "integrity", "file", "sha512"} {
		if note[k] == "" {
			t.Fatalf("%s/VERSION has no %q line: %v", vendorDir, k, note)
		}
	}
	if note["version"] != "6.1.0" {
		t.Errorf("VERSION says echarts %s, the screen is written for 6.1.0", note["version"])
	}
	if !strings.HasPrefix(note["integrity"], "sha512-") {
		t.Errorf("integrity %q is not the registry's sha512 form", note["integrity"])
	}
	b, err := fs.ReadFile(files, vendorDir+"/"+note["file"])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(b)
	if got := hex.EncodeToString(sum[:]); got != note["sha512"] {
		t.Errorf("%s has sha512 %s, VERSION records %s; run deploy/ci/vendor-echarts.sh", note["file"], got, note["sha512"])
	}
	// The licences travel with the code.
	for _, f := range []string{"LICENSE", "NOTICE", "LICENSE-d3", "LICENSE-zrender"} {
		if b, err := fs.ReadFile(files, vendorDir+"/"+f); err != nil || len(b) == 0 {
			t.Errorf("%s/%s missing or empty: %v", vendorDir, f, err)
		}
	}
}

// vendorFS is the screen's static folder as the hub embeds it.
func vendorFS() fs.FS { return assets }
