package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The hub serves head office's screen at "/" with no token, while every
// /api route, known or not, still asks for one.
func TestServesTheScreen(t *testing.T) {
	_, srv := newRegistry(t)
	for _, p := range []string{"/", "/main.js", "/pages/login.js"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("GET %s: %d, CSP %q", p, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
		if p == "/" && !strings.Contains(string(body), `src="app.js"`) {
			t.Errorf("GET /: %q", body)
		}
	}
	resp, err := http.Get(srv.URL + "/api/v1/nope")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized || a.Error.Code == "" {
		t.Errorf("GET /api/v1/nope without a token: %d %+v", resp.StatusCode, a.Error)
	}
	resp, err = http.Post(srv.URL+"/", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", resp.StatusCode)
	}
}
