package ui

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func TestServesAssets(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html", `<script type="module" src="app.js">`},
		{"/app.js", "javascript", "function renderScan"},
		{"/app.css", "text/css", ".sign-pad"},
		{"/icon.svg", "image/svg+xml", "<svg"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp := get(t, h, "GET", tc.path)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", tc.path, resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, tc.ctype) {
				t.Errorf("GET %s: Content-Type %q, want %q", tc.path, ct, tc.ctype)
			}
			if !strings.Contains(string(body), tc.contains) {
				t.Errorf("GET %s: body lacks %q", tc.path, tc.contains)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("GET %s: CSP %q", tc.path, csp)
			}
		})
	}
}

func TestAPIPathsAnswerJSON404(t *testing.T) {
	resp := get(t, Handler(), "GET", "/api/v1/notices?active=1")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
	var body struct{ Error, Code string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if body.Code != "no_route" || !strings.Contains(body.Error, "/api/v1/notices") {
		t.Errorf("body %+v", body)
	}
}

func TestUnknownAssetIs404(t *testing.T) {
	if resp := get(t, Handler(), "GET", "/nope.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
	if resp := get(t, Handler(), "POST", "/"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", resp.StatusCode)
	}
}

// The screen must work with no internet: nothing may point off the machine.
// The SVG namespace is an identifier, not a fetch.
func TestNoExternalReferences(t *testing.T) {
	ext := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err := fs.WalkDir(assets, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, path)
		if err != nil {
			return err
		}
		for _, m := range ext.FindAllString(string(b), -1) {
			if m == "http://www.w3.org" {
				continue
			}
			t.Errorf("%s refers to %s", path, m)
		}
		if regexp.MustCompile(`@import|url\(\s*['"]?https?:`).Match(b) {
			t.Errorf("%s imports a remote resource", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Both languages must have the same keys; a missing one shows as a raw key.
func TestDictionariesMatch(t *testing.T) {
	b, err := fs.ReadFile(assets, "app.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	start := strings.Index(src, "const I18N = {")
	end := strings.Index(src[start:], "\n};\n")
	if start < 0 || end < 0 {
		t.Fatal("I18N object not found in app.js")
	}
	block := src[start : start+end]
	zhAt, enAt := strings.Index(block, "\n  zh: {"), strings.Index(block, "\n  en: {")
	if zhAt < 0 || enAt < 0 {
		t.Fatal("zh or en dictionary not found")
	}
	keyRE := regexp.MustCompile(`(?m)^\s+'([a-zA-Z0-9_.]+)':`)
	keys := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, k := range keyRE.FindAllStringSubmatch(s, -1) {
			m[k[1]] = true
		}
		return m
	}
	zh, en := keys(block[zhAt:enAt]), keys(block[enAt:])
	if len(zh) < 100 {
		t.Fatalf("only %d zh keys parsed; has the dictionary's layout changed?", len(zh))
	}
	for k := range zh {
		if !en[k] {
			t.Errorf("key %q has no English text", k)
		}
	}
	for k := range en {
		if !zh[k] {
			t.Errorf("key %q has no Chinese text", k)
		}
	}
	// Every t('literal') call names a key that exists.
	for _, m := range regexp.MustCompile(`\bt\('([a-zA-Z0-9_.]+)'[,)]`).FindAllStringSubmatch(src, -1) {
		if !zh[m[1]] {
			t.Errorf("t(%q) names no key", m[1])
		}
	}
}

// Every value of the API's vocabularies has a label in the dictionary.
func TestVocabulariesHaveLabels(t *testing.T) {
	b, err := fs.ReadFile(assets, "app.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	prefixes := map[string]string{"KINDS": "kind.", "CHANNELS": "ch.", "CTYPES": "ctype.", "CATEGORIES": "cat.",
		"SEVERITIES": "sev.", "ID_CHECKS": "idc.", "SIGNERS": "signer."}
	for name, prefix := range prefixes {
		m := regexp.MustCompile(`const ` + name + ` = \[([^\]]*)\]`).FindStringSubmatch(src)
		if m == nil {
			t.Errorf("%s not found in app.js", name)
			continue
		}
		for _, v := range regexp.MustCompile(`'([a-z_]+)'`).FindAllStringSubmatch(m[1], -1) {
			if !strings.Contains(src, "'"+prefix+v[1]+"':") {
				t.Errorf("%s value %q has no label %s%s", name, v[1], prefix, v[1])
			}
		}
	}
}
