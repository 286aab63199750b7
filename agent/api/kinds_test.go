package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

func TestKinds(t *testing.T) {
	// With the counter workflows mounted: the table, like them, needs a
	// session (the screen loads it once logged in).
	sessions, _, token := testStaff(t, nil)
	h := (&Server{Sessions: sessions}).Handler()
	get := func(path, token string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, localReq("GET", path, "", token))
		return rec
	}
	if rec := get("/api/v1/notices", ""); rec.Code != http.StatusUnauthorized {
		t.Fatalf("a workflow route without a session: %d, want 401", rec.Code)
	}
	if rec := get("/api/v1/kinds", ""); rec.Code != http.StatusUnauthorized {
		t.Fatalf("the kind table without a session: %d, want 401", rec.Code)
	}
	rec := get("/api/v1/kinds", token)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	type subkind struct{ Field, Code, Label string }
	var body struct {
		Kinds []struct {
			Name     string
			Prefixes []string
			Subkinds []subkind
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	table := lifecycle.Kinds()
	if len(body.Kinds) != len(table) {
		t.Fatalf("%d kinds, the table has %d", len(body.Kinds), len(table))
	}
	for i, k := range table {
		got := body.Kinds[i]
		want := []subkind{}
		for _, s := range k.SubKinds {
			want = append(want, subkind{s.Field, s.Code, s.Label})
		}
		if got.Name != k.Name || !reflect.DeepEqual(got.Prefixes, k.Prefixes) || !reflect.DeepEqual(got.Subkinds, want) {
			t.Errorf("kind %d: %+v, want %s %v %v", i, got, k.Name, k.Prefixes, want)
		}
	}
	var raw struct {
		Kinds []map[string]json.RawMessage `json:"kinds"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &raw)
	for _, k := range raw.Kinds {
		if len(k) != 3 {
			t.Errorf("kind with fields %v: want name, prefixes, subkinds only", keys(k))
		}
		if string(k["subkinds"]) == "null" {
			t.Errorf("kind %s: subkinds is null, want a list", k["name"])
		}
	}
	if want := `{"field":"kind","code":"damaged","label":"kind.damaged"}`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("body lacks %s", want)
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
