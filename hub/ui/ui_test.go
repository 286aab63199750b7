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
		{"/main.js", "javascript", "overview"},
		// Browsers refuse a module that is not served as JavaScript.
		{"/pages/overview.js", "javascript", "export const page"},
		{"/i18n/zh.js", "javascript", "export default {"},
		{"/app.css", "text/css", ".nav"},
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
			csp := resp.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self';", "style-src 'self';", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("GET %s: CSP %q lacks %q", tc.path, csp, want)
				}
			}
			if nosniff := resp.Header.Get("X-Content-Type-Options"); nosniff != "nosniff" {
				t.Errorf("GET %s: X-Content-Type-Options %q", tc.path, nosniff)
			}
		})
	}
}

// The types come from the package, not from the OS's MIME table.
func TestContentTypesDoNotDependOnTheOS(t *testing.T) {
	for name, want := range map[string]string{
		"/index.html":        "text/html; charset=utf-8",
		"/pages/overview.js": "text/javascript; charset=utf-8",
		"/i18n/en.js":        "text/javascript; charset=utf-8",
		"/app.css":           "text/css; charset=utf-8",
		"/icon.svg":          "image/svg+xml",
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
	resp := get(t, Handler(), "GET", "/api/v1/nope?x=1")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
	var body problem.Body
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if body.Error.Code != "api.no_route" || body.Error.Params["path"] != "/api/v1/nope" {
		t.Errorf("body %+v", body)
	}
}

func TestUnknownAssetIs404(t *testing.T) {
	for _, p := range []string{"/nope.js", "/pages/nope.js"} {
		if resp := get(t, Handler(), "GET", p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
	}
	// A folder is not listed.
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

// Nothing may point off the machine. The SVG namespace is an identifier,
// not a fetch.
func TestNoExternalReferences(t *testing.T) {
	ext := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err := fs.WalkDir(assets, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || vendored(path) {
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

// The strict CSP refuses inline script and style: the markup must have
// none, or the browser drops it silently.
func TestNoInlineScriptOrStyle(t *testing.T) {
	b, err := fs.ReadFile(assets, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if regexp.MustCompile(`(?i)<script(\s[^>]*)?>[^<\s]`).MatchString(html) {
		t.Error("index.html has an inline script")
	}
	if regexp.MustCompile(`(?i)\sstyle=|<style|\son[a-z]+=`).MatchString(html) {
		t.Error("index.html has an inline style or event handler")
	}
	for p, src := range modules(t) {
		if regexp.MustCompile(`\.innerHTML\s*=|style:\s*'|setAttribute\('style'`).MatchString(src) {
			t.Errorf("%s sets markup or an inline style", p)
		}
	}
}

// modules returns every JavaScript file of the screen's own by path, not
// the vendored ones (see vendored).
func modules(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") || vendored(p) {
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

// Every t('literal') call, in any module, names a key of both dictionaries.
func TestEveryWordCalledExists(t *testing.T) {
	zh, en := readDictionary(t, "static/i18n/zh.js"), readDictionary(t, "static/i18n/en.js")
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("key %q has no English text", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("key %q has no Chinese text", k)
		}
	}
	calls := 0
	for path, src := range modules(t) {
		for _, m := range regexp.MustCompile(`\bt\('([a-zA-Z0-9_.]+)'[,)]`).FindAllStringSubmatch(src, -1) {
			calls++
			if _, ok := zh[m[1]]; !ok {
				t.Errorf("%s: t(%q) names no key", path, m[1])
			}
		}
	}
	if calls < 30 {
		t.Errorf("only %d t('key') calls found in the modules; has the way pages call t changed?", calls)
	}
}
