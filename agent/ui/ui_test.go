package ui

import (
	"encoding/json"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/problem"
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
		{"/app.js", "javascript", "import('./main.js')"},
		{"/main.js", "javascript", "renderScan"},
		// Browsers refuse a module that is not served as JavaScript.
		{"/pages/scan.js", "javascript", "function renderScan"},
		{"/i18n/zh.js", "javascript", "export default {"},
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
			if nosniff := resp.Header.Get("X-Content-Type-Options"); nosniff != "nosniff" {
				t.Errorf("GET %s: X-Content-Type-Options %q", tc.path, nosniff)
			}
		})
	}
}

// The types come from the package, not from the OS's MIME table, which on
// some Windows PCs calls .js text/plain.
func TestContentTypesDoNotDependOnTheOS(t *testing.T) {
	for name, want := range map[string]string{
		"/index.html":    "text/html; charset=utf-8",
		"/pages/scan.js": "text/javascript; charset=utf-8",
		"/i18n/en.js":    "text/javascript; charset=utf-8",
		"/app.css":       "text/css; charset=utf-8",
		"/icon.svg":      "image/svg+xml",
	} {
		if got := contentType(name); got != want {
			t.Errorf("contentType(%q) = %q, want %q", name, got, want)
		}
	}
}

// Every module the screen has is served as JavaScript, however deep.
func TestEveryModuleIsServedAsJavaScript(t *testing.T) {
	h := Handler()
	n := 0
	err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		n++
		resp := get(t, h, "GET", "/"+p)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("GET /%s: %d %q", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("only %d modules found; the pages are modules under pages/", n)
	}
}

func TestAPIPathsAnswerJSON404(t *testing.T) {
	resp := get(t, Handler(), "GET", "/api/v1/notices?active=1")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
	var body problem.Body
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if body.Error.Code != "api.no_route" || !strings.Contains(body.Error.Message, "/api/v1/notices") || body.Error.Params["path"] != "/api/v1/notices" {
		t.Errorf("body %+v", body)
	}
}

func TestUnknownAssetIs404(t *testing.T) {
	if resp := get(t, Handler(), "GET", "/nope.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
	if resp := get(t, Handler(), "GET", "/pages/nope.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /pages/nope.js: status %d, want 404", resp.StatusCode)
	}
	// A folder is not listed: the page names are no one's business.
	for _, p := range []string{"/pages/", "/i18n/"} {
		resp := get(t, Handler(), "GET", p)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(string(body), ".js") {
			t.Errorf("GET %s: status %d, body %q; want a 404 with no listing", p, resp.StatusCode, body)
		}
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

// dictionary reads the keys of one language's file, i18n/<lang>.js: a flat
// object, one 'key': 'text' a line.
func dictionary(t *testing.T, lang string) map[string]bool {
	t.Helper()
	name := "i18n/" + lang + ".js"
	b, err := fs.ReadFile(assets, name)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	start, end := strings.Index(src, "export default {"), strings.LastIndex(src, "\n};")
	if start < 0 || end < start {
		t.Fatalf("%s: no `export default { ... };` object", name)
	}
	keyRE := regexp.MustCompile(`(?m)^\s+'([a-zA-Z0-9_.]+)':`)
	m := map[string]bool{}
	for _, k := range keyRE.FindAllStringSubmatch(src[start:end], -1) {
		m[k[1]] = true
	}
	return m
}

// modules returns every JavaScript file of the screen by path.
func modules(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Both languages must have the same keys; a missing one shows as a raw key.
func TestDictionariesMatch(t *testing.T) {
	zh, en := dictionary(t, "zh"), dictionary(t, "en")
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
	// Every t('literal') call, in any module, names a key that exists.
	calls := 0
	for path, src := range modules(t) {
		for _, m := range regexp.MustCompile(`\bt\('([a-zA-Z0-9_.]+)'[,)]`).FindAllStringSubmatch(src, -1) {
			calls++
			if !zh[m[1]] {
				t.Errorf("%s: t(%q) names no key", path, m[1])
			}
		}
	}
	if calls < 100 {
		t.Errorf("only %d t('key') calls found in the modules; has the way pages call t changed?", calls)
	}
}

// Every value of the vocabularies the screen uses has a label in both
// dictionaries. kinds.js names, in USES, the kind and field of each
// vocabulary; the codes and their label keys come from the lifecycle table
// the agent serves.
func TestVocabulariesHaveLabels(t *testing.T) {
	zh, en := dictionary(t, "zh"), dictionary(t, "en")
	found := map[string]bool{}
	uses := screenUses(t)
	for _, u := range uses {
		k, ok := lifecycle.KindByName(u.kind)
		if !ok {
			t.Errorf("kinds.js: %s uses kind %q, which the lifecycle table does not have", u.fn, u.kind)
			continue
		}
		codes := k.Codes(u.field)
		if len(codes) == 0 {
			t.Errorf("kinds.js: %s.%s lists no codes", u.kind, u.field)
		}
		for _, c := range codes {
			label, _ := k.Label(u.field, c)
			prefix, _, _ := strings.Cut(label, ".")
			found[prefix+"."] = true
			if !zh[label] || !en[label] {
				t.Errorf("%s.%s value %q has no label %s in both languages", u.kind, u.field, c, label)
			}
		}
	}
	// The vocabularies the screen has always had (exception kinds, complaint
	// channels, types, categories and severities, identity checks, signers).
	for _, prefix := range []string{"kind.", "ch.", "ctype.", "cat.", "sev.", "idc.", "signer."} {
		if !found[prefix] {
			t.Errorf("kinds.js uses no vocabulary labelled %s", prefix)
		}
	}
}

type screenUse struct{ fn, kind, field string }

// screenUses reads the USES table of kinds.js: which kind and field each of
// its functions answers.
func screenUses(t *testing.T) []screenUse {
	t.Helper()
	b, err := fs.ReadFile(assets, "kinds.js")
	if err != nil {
		t.Fatal(err)
	}
	var out []screenUse
	for _, m := range regexp.MustCompile(`(?m)^  (\w+): \['(\w+)', '(\w+)'\],$`).FindAllStringSubmatch(string(b), -1) {
		out = append(out, screenUse{m[1], m[2], m[3]})
	}
	if len(out) < 10 {
		t.Fatalf("found %d uses in kinds.js; has its layout changed?", len(out))
	}
	return out
}
