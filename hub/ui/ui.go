// Package ui is head office's screen: a single-page web app the hub serves
// at "/" for the customer-service agents, the emergency team, analysts,
// auditors and administrators. Every asset (HTML, native ES modules, one
// stylesheet, an icon) is embedded in the binary; nothing is loaded from a
// CDN and the fonts are the PC's own, so the screen works on a head-office
// network with no internet.
//
// The modules need no build step, laid out as the counter screen's
// (agent/ui): index.html loads app.js, which imports main.js and, through
// it, the dictionaries (i18n/zh.js, i18n/en.js), the API client (api.js),
// the helpers (dom.js, format.js, router.js, roles.js, list.js, layout.js,
// cases.js, vocab.js) and one module per page (pages/*.js), each exporting
// the one page interface main.js lists. Their pure functions are tested
// with node --test in jstest/; the Go tests hold the dictionaries to the
// error catalog, vocab.js to the lifecycle's codes and each page's roles to
// the hub's route table (hub/accounts).
//
// The screen talks only to the hub's HTTP API from the same origin, with the
// session cookie the hub sets at login (POST /api/v1/session); it holds no
// state of its own beyond the language, in localStorage.
//
// Handler serves the app; the hub's API mounts it at "GET /" below its
// routes. Paths under /api/ that reach this handler are API routes that do
// not exist; they answer a JSON 404 in the API's error shape.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/yizhan/yizhan/syncproto/problem"
)

//go:embed static
var static embed.FS

// assets is the static folder with its prefix stripped.
var assets = mustSub(static, "static")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("ui: embedded assets missing: " + err.Error())
	}
	return sub
}

// csp keeps the page to its own origin: no CDN, no inline script or style,
// no remote images. Charts draw on canvas and may export data: images.
const csp = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// contentTypes are the assets' types, set here rather than taken from the
// OS, whose MIME table may call .js text/plain (browsers then refuse a
// module).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// contentType is the type an asset is served with, "" for one the screen
// does not have, which the file server then guesses.
func contentType(name string) string {
	return contentTypes[path.Ext(name)]
}

// Handler serves the screen: index.html at "/", its assets by name (modules
// in subfolders too), and a JSON 404 for anything under /api/. Folders other
// than "/" are not listed.
func Handler() http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			notFoundAPI(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// The assets change with the binary; revalidating is cheap and
		// avoids a stale screen after an upgrade.
		h.Set("Cache-Control", "no-cache")
		name := r.URL.Path
		if name == "/" {
			name = "/index.html"
		} else if strings.HasSuffix(name, "/") {
			http.NotFound(w, r)
			return
		}
		if ct := contentType(name); ct != "" {
			h.Set("Content-Type", ct)
		}
		files.ServeHTTP(w, r)
	})
}

func notFoundAPI(w http.ResponseWriter, r *http.Request) {
	status, body := problem.Response(problem.New(problem.APINoRoute, "method", r.Method, "path", r.URL.Path))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = problem.Encode(w, body)
}
