package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yizhan/yizhan/hub/api"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
)

func newRegistry(t *testing.T) (*sqlite.Store, *httptest.Server) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(api.Handler(api.Options{Store: st, Incarnations: st, Registrar: st, Token: "tok",
		Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return st, srv
}

type answer struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
	Error  struct {
		Code   string         `json:"code"`
		Params map[string]any `json:"params"`
	} `json:"error"`
}

func post(t *testing.T, srv *httptest.Server, token, body string) (int, answer) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/outlets", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer %q: %v", raw, err)
	}
	return resp.StatusCode, a
}

// POST /api/v1/outlets registers an outlet the broker then lets in with the
// secret head office answered, or with the caller's own; a taken id is 409
// outlet.exists and keeps its secret.
func TestRegisterOutlet(t *testing.T) {
	st, srv := newRegistry(t)
	ctx := context.Background()

	code, a := post(t, srv, "tok", `{"id":"LG-00001"}`)
	if code != 201 || a.ID != "LG-00001" || len(a.Secret) < store.MinSecretLen {
		t.Fatalf("register with a generated secret: %d %+v", code, a)
	}
	hash, err := st.SecretHash(ctx, "LG-00001")
	if err != nil || !store.CheckSecret(hash, a.Secret) {
		t.Fatalf("the store does not hold the answered secret: %v", err)
	}
	first := a.Secret

	own := "Qx7-pLm2Zr9_vKt4Wn8sYb3Hd6"
	if code, a := post(t, srv, "tok", `{"id":"LG-00002","secret":"`+own+`"}`); code != 201 || a.Secret != "" {
		t.Fatalf("register with a hand-set secret: %d %+v (a secret the caller chose is not echoed)", code, a)
	}
	if hash, err := st.SecretHash(ctx, "LG-00002"); err != nil || !store.CheckSecret(hash, own) {
		t.Fatalf("the store does not hold the hand-set secret: %v", err)
	}

	code, a = post(t, srv, "tok", `{"id":"LG-00001"}`)
	if code != 409 || a.Error.Code != "outlet.exists" || a.Error.Params["outlet"] != "LG-00001" {
		t.Fatalf("a taken id: %d %+v", code, a)
	}
	if hash, _ := st.SecretHash(ctx, "LG-00001"); !store.CheckSecret(hash, first) {
		t.Fatal("registering a taken id again changed its secret")
	}

	for _, tc := range []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"no token", "", `{"id":"LG-00003"}`, 401, "auth.token_required"},
		{"wrong token", "nope", `{"id":"LG-00003"}`, 401, "auth.token_required"},
		{"bad id", "tok", `{"id":"LG 3"}`, 400, "outlet.id_chars"},
		{"head office's id", "tok", `{"id":"hub"}`, 400, "outlet.id_reserved"},
		{"weak secret", "tok", `{"id":"LG-00003","secret":"password-password-password"}`, 400, "outlet.weak_secret"},
		{"unknown field", "tok", `{"id":"LG-00003","name":"x"}`, 400, "request.unknown_field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, a := post(t, srv, tc.token, tc.body)
			if code != tc.status || a.Error.Code != tc.code {
				t.Fatalf("%d %s, want %d %s", code, a.Error.Code, tc.status, tc.code)
			}
		})
	}
	if _, err := st.SecretHash(ctx, "LG-00003"); err == nil {
		t.Fatal("a refused registration stored the outlet")
	}
}
