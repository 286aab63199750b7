// Package ui is the counter screen: a single-page web app the agent serves at
// "/" for the clerks at an outlet. It works with no internet at all: every
// asset (HTML, native ES modules, one stylesheet, an icon) is embedded in the
// binary, nothing is loaded from a CDN, and the fonts are the PC's own.
//
// The modules need no build step: index.html loads app.js, which imports
// main.js and, through it, the dictionaries (i18n/zh.js, i18n/en.js), the API
// client, the helpers and one module per page (pages/*.js); main.js lists
// them all. Their pure functions are tested with node --test in jstest/.
//
// The screen talks only to the agent's HTTP API (docs/AGENT-API.md) from the
// same origin. It holds no business state of its own beyond the session token
// (sessionStorage) and a few conveniences in localStorage: the language, the
// last shelf and layer used for scan-in.
//
// Handler serves the app; mount it on the agent's mux below the API routes:
//
//	mux.Handle("GET /", ui.Handler())
//
// Paths under /api/ that reach this handler are API routes that do not exist
// (yet); they answer a JSON 404 in the API's error shape, so the screen shows
// a clear message instead of trying to parse a page.
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

// csp keeps the page to its own origin: no CDN, no inline script, no remote
// images. Photos chosen for an exception report are previewed from data: and
// blob: URLs.
const csp = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// contentTypes are the assets' types, set here rather than taken from the
// OS: mime.TypeByExtension reads the Windows registry, which on some PCs
// maps .js to text/plain, and browsers refuse a module script that is not
// served as JavaScript.
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

// Handler serves the counter screen: index.html at "/", its assets by name
// (modules in subfolders too), and a JSON 404 for anything under /api/.
// Folders other than "/" are not listed.
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
		// The assets change with the binary; revalidating is cheap on
		// localhost and avoids a stale screen after an upgrade.
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
