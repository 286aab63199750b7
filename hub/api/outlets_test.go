package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yizhan/yizhan/hub/api"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
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

// do sends method path with body (if any) and decodes the JSON answer.
func do(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer tok")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s %s: answer %q: %v", method, path, raw, err)
	}
	return resp.StatusCode, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func listIDs(m map[string]any, key, field string) []string {
	out := []string{}
	xs, _ := m[key].([]any)
	for _, x := range xs {
		out = append(out, fmt.Sprint(x.(map[string]any)[field]))
	}
	return out
}

// newOutletsAPI is the API over a fresh store whose broker holds the
// outlets in connected, at hub time now.
func newOutletsAPI(t *testing.T, now time.Time, connected map[string]bool) (*sqlite.Store, *httptest.Server, *clock.Manual) {
	t.Helper()
	wall := clock.NewManual(now)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{Clock: wall})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opt := api.Options{Store: st, Incarnations: st, Registrar: st, Token: "tok", Clock: wall,
		Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)}
	if connected != nil {
		opt.Connected = func() map[string]bool { return connected }
	}
	srv := httptest.NewServer(api.Handler(opt))
	t.Cleanup(srv.Close)
	return st, srv, wall
}

// Region and city are set at registration and changed by PATCH, checked;
// the list filters by them, by id prefix and by connection; regions
// group them; one outlet's view carries them and its health.
func TestOutletGroupsAndHealth(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	st, srv, _ := newOutletsAPI(t, now, map[string]bool{"SH-002": true})
	ctx := context.Background()
	for _, body := range []string{
		`{"id":"SH-001","region":" 华东 ","city":"上海"}`,
		`{"id":"SH-002","region":"华东","city":"上海"}`,
		`{"id":"HZ-001","region":"华东"}`,
		`{"id":"BJ-001"}`,
	} {
		if code, m := do(t, srv, "POST", "/api/v1/outlets", body); code != 201 {
			t.Fatalf("register %s: %d %v", body, code, m)
		}
	}
	if code, m := do(t, srv, "PATCH", "/api/v1/outlets/HZ-001", `{"city":"杭州"}`); code != 200 || m["region"] != "华东" || m["city"] != "杭州" {
		t.Fatalf("PATCH city: %d %v", code, m)
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"PATCH", "/api/v1/outlets/NOPE", `{"region":"华东"}`, 404, "outlet.not_found"},
		{"PATCH", "/api/v1/outlets/HZ-001", `{}`, 400, "outlet.no_change"},
		{"PATCH", "/api/v1/outlets/HZ-001", `{"region":"` + strings.Repeat("区", store.MaxPlaceLen+1) + `"}`, 400, "outlet.bad_region"},
		{"PATCH", "/api/v1/outlets/HZ-001", `{"city":"杭\u0007州"}`, 400, "outlet.bad_city"},
		{"PATCH", "/api/v1/outlets/HZ-001", `{"town":"x"}`, 400, "request.unknown_field"},
		{"POST", "/api/v1/outlets", `{"id":"XX-001","region":"a\nb"}`, 400, "outlet.bad_region"},
		{"GET", "/api/v1/outlets?region=华南", "", 404, "region.not_found"},
		{"GET", "/api/v1/outlets?connected=maybe", "", 400, "request.bad_flag"},
		{"GET", "/api/v1/outlets?town=x", "", 400, "request.unknown_filter"},
	} {
		if code, m := do(t, srv, tc.method, tc.path, tc.body); code != tc.status || errCode(m) != tc.code {
			t.Errorf("%s %s %s: %d %s, want %d %s", tc.method, tc.path, tc.body, code, errCode(m), tc.status, tc.code)
		}
	}
	if _, err := st.SecretHash(ctx, "XX-001"); err == nil {
		t.Error("a registration with a bad region stored the outlet")
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"BJ-001", "HZ-001", "SH-001", "SH-002"}},
		{"?region=华东", []string{"HZ-001", "SH-001", "SH-002"}},
		{"?region=华东&city=上海", []string{"SH-001", "SH-002"}},
		{"?q=SH", []string{"SH-001", "SH-002"}},
		{"?connected=1", []string{"SH-002"}},
		{"?connected=0&region=华东", []string{"HZ-001", "SH-001"}},
	} {
		code, m := do(t, srv, "GET", "/api/v1/outlets"+tc.query, "")
		if got := listIDs(m, "outlets", "id"); code != 200 || !slices.Equal(got, tc.want) {
			t.Errorf("GET /api/v1/outlets%s: %d %v, want %v", tc.query, code, got, tc.want)
		}
	}
	code, m := do(t, srv, "GET", "/api/v1/regions", "")
	if got := fmt.Sprint(m["regions"]); code != 200 || got != "[map[cities:[上海 杭州] outlets:3 region:华东]]" {
		t.Errorf("regions: %d %s", code, got)
	}
	// The outlet's own view: its place, its health from its agent's
	// pull, connected from the broker.
	head, oldest := uint64(9), now.Add(-time.Hour).UnixMilli()
	if _, err := st.Commit(ctx, []store.Unit{{Pull: &syncproto.Pull{Origin: "SH-002", Head: &head, OldestUnsynced: &oldest}}}); err != nil {
		t.Fatal(err)
	}
	code, m = do(t, srv, "GET", "/api/v1/outlets/SH-002", "")
	if code != 200 || m["region"] != "华东" || m["city"] != "上海" || m["connected"] != true || m["backlog"] != 9.0 ||
		m["oldest_unsynced_at"] != "2026-12-01T11:00:00Z" || m["rejects"] != 0.0 || m["recent_dead_letters"] == nil {
		t.Errorf("one outlet: %d %v", code, m)
	}
	code, m = do(t, srv, "GET", "/api/v1/outlets/SH-001", "")
	if code != 200 || m["connected"] != false || m["backlog"] != nil || m["oldest_unsynced_at"] != nil {
		t.Errorf("an outlet never heard from: %d %v", code, m)
	}
}

// Without the embedded broker an outlet is connected while its last batch
// or pull is recent.
func TestConnectedByLastSeenWithAnExternalBroker(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	st, srv, wall := newOutletsAPI(t, now, nil)
	ctx := context.Background()
	if _, err := st.Commit(ctx, []store.Unit{{Pull: &syncproto.Pull{Origin: "SH-002"}}}); err != nil {
		t.Fatal(err)
	}
	wall.Advance(api.ConnectedWithin + time.Second)
	if _, err := st.Commit(ctx, []store.Unit{{Pull: &syncproto.Pull{Origin: "SH-001"}}}); err != nil {
		t.Fatal(err)
	}
	code, m := do(t, srv, "GET", "/api/v1/outlets?connected=1", "")
	if got := listIDs(m, "outlets", "id"); code != 200 || !slices.Equal(got, []string{"SH-001"}) {
		t.Errorf("connected: %d %v, want only SH-001 (SH-002 last seen beyond %v)", code, got, api.ConnectedWithin)
	}
}

// GET /api/v1/parcels finds waybills by prefix across outlets, pages with
// the cursor it answers, filters by outlet and region.
func TestParcelSearch(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	st, srv, _ := newOutletsAPI(t, now, nil)
	ctx := context.Background()
	for id, region := range map[string]string{"SH-1": "华东", "BJ-1": "华北"} {
		if err := st.AddOutlet(ctx, id, "h", false); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetPlace(ctx, id, store.Place{Region: &region}); err != nil {
			t.Fatal(err)
		}
	}
	batch := func(origin string, wbs ...string) *syncproto.Batch {
		b := &syncproto.Batch{Origin: origin, First: 1, Last: uint64(len(wbs))}
		for i, wb := range wbs {
			b.Events = append(b.Events, syncproto.Event{ID: origin + wb, Origin: origin, Seq: uint64(i + 1), HLC: hlc.Make(now.UnixMilli(), 0),
				Actor: "c01", Type: "parcel.inbound", V: 1, Subject: wb,
				Payload: []byte(fmt.Sprintf(`{"waybill":%q,"hold_days":3,"at":%d}`, wb, now.UnixMilli()))})
		}
		return b
	}
	if _, err := st.Commit(ctx, []store.Unit{{Batch: batch("SH-1", "SF1000001", "SF1000002", "SF1000003")}, {Batch: batch("BJ-1", "SF1000002")}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	path := "/api/v1/parcels?q=SF1000&limit=3"
	for pages := 0; path != ""; pages++ {
		code, m := do(t, srv, "GET", path, "")
		if code != 200 || pages > 3 {
			t.Fatalf("GET %s: %d %v", path, code, m)
		}
		for _, p := range m["parcels"].([]any) {
			p := p.(map[string]any)
			got = append(got, fmt.Sprint(p["waybill"], " ", p["outlet"], " ", p["state"], " ", p["since"]))
		}
		path = ""
		if next, ok := m["next"].(string); ok {
			path = "/api/v1/parcels?q=SF1000&limit=3&cursor=" + next
		}
	}
	want := []string{"SF1000001 SH-1 inbound 2026-12-01T12:00:00Z", "SF1000002 BJ-1 inbound 2026-12-01T12:00:00Z",
		"SF1000002 SH-1 inbound 2026-12-01T12:00:00Z", "SF1000003 SH-1 inbound 2026-12-01T12:00:00Z"}
	if !slices.Equal(got, want) {
		t.Errorf("pages of SF1000: %q, want %q", got, want)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"q=SF1000002", []string{"BJ-1", "SH-1"}},
		{"q=SF1000&region=华北", []string{"BJ-1"}},
		{"q=SF1000&outlet=SH-1&limit=1", []string{"SH-1"}},
	} {
		code, m := do(t, srv, "GET", "/api/v1/parcels?"+tc.query, "")
		if got := listIDs(m, "parcels", "outlet"); code != 200 || !slices.Equal(got, tc.want) {
			t.Errorf("?%s: %d %v, want %v", tc.query, code, got, tc.want)
		}
	}
	for _, tc := range []struct {
		query  string
		status int
		code   string
	}{
		{"q=SF100", 400, "parcel.short_query"},
		{"", 400, "parcel.short_query"},
		{"q=SF1000&cursor=bm90LWEtY3Vyc29y", 400, "request.bad_cursor"},
		{"q=SF1000&cursor=!", 400, "request.bad_cursor"},
		{"q=SF1000&region=华南", 404, "region.not_found"},
		{"q=SF1000&outlet=NOPE", 404, "outlet.not_found"},
		{"q=SF1000&limit=501", 400, "request.bad_limit"},
		{"q=SF1000&state=x", 400, "request.unknown_filter"},
	} {
		if code, m := do(t, srv, "GET", "/api/v1/parcels?"+tc.query, ""); code != tc.status || errCode(m) != tc.code {
			t.Errorf("?%s: %d %s, want %d %s", tc.query, code, errCode(m), tc.status, tc.code)
		}
	}
}
