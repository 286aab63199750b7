package api_test

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

type outletPage struct {
	Outlets []struct {
		ID string `json:"id"`
	} `json:"outlets"`
	Next  *string `json:"next"`
	Error struct {
		Code string `json:"code"`
	} `json:"error"`
}

func outletsPage(t *testing.T, srv *httptest.Server, path string) (int, outletPage) {
	t.Helper()
	resp, raw := get(t, srv, path)
	var p outletPage
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("GET %s: %q: %v", path, raw, err)
	}
	return resp.StatusCode, p
}

// Walking a list page by page sees every row exactly once and in order,
// while rows are added before and after the page being read; "next" is
// null on the last page.
func TestListPagesSeeEveryRowOnce(t *testing.T) {
	st, srv := newRegistry(t)
	ctx := context.Background()
	var want []string
	for i := range 57 {
		id := fmt.Sprintf("SH-%03d", i)
		want = append(want, id)
		if err := st.AddOutlet(ctx, id, "", false); err != nil {
			t.Fatal(err)
		}
	}
	for _, limit := range []int{1, 10, 57, 500} {
		var got []string
		path := fmt.Sprintf("/api/v1/outlets?limit=%d", limit)
		for pages := 0; ; pages++ {
			code, p := outletsPage(t, srv, path)
			if code != 200 || pages > 200 {
				t.Fatalf("GET %s: %d %+v", path, code, p.Error)
			}
			for _, o := range p.Outlets {
				got = append(got, o.ID)
			}
			if p.Next == nil {
				break
			}
			if len(p.Outlets) != limit {
				t.Errorf("a page of %d before the end, want %d", len(p.Outlets), limit)
			}
			// Rows arrive while the list is read: before the cursor and after it.
			if pages >= 5 {
				path = fmt.Sprintf("/api/v1/outlets?limit=%d&cursor=%s", limit, *p.Next)
				continue
			}
			for _, id := range []string{fmt.Sprintf("AA-%d-%d", limit, pages), fmt.Sprintf("ZZ-%d-%d", limit, pages)} {
				if err := st.AddOutlet(ctx, id, "", false); err != nil {
					t.Fatal(err)
				}
			}
			path = fmt.Sprintf("/api/v1/outlets?limit=%d&cursor=%s", limit, *p.Next)
		}
		seen := map[string]bool{}
		var old []string
		for _, id := range got {
			if seen[id] {
				t.Errorf("limit %d: %s listed twice", limit, id)
			}
			seen[id] = true
			if strings.HasPrefix(id, "SH-") {
				old = append(old, id)
			}
		}
		if !slices.Equal(old, want) {
			t.Errorf("limit %d: the rows there before the walk came as %v", limit, old)
		}
		if !slices.IsSorted(got) {
			t.Errorf("limit %d: not in order: %v", limit, got)
		}
	}
	if code, p := outletsPage(t, srv, "/api/v1/outlets"); code != 200 || len(p.Outlets) != 50 || p.Next == nil {
		t.Errorf("default page: %d, %d rows, next %v; want 50 and a next", code, len(p.Outlets), p.Next)
	}
	for _, bad := range []string{"0", "501", "x"} {
		if code, p := outletsPage(t, srv, "/api/v1/outlets?limit="+bad); code != 400 || p.Error.Code != "request.bad_limit" {
			t.Errorf("limit=%s: %d %s", bad, code, p.Error.Code)
		}
	}
}

// A cursor the hub did not give for this list and these filters is refused
// with a catalog error: edited, made up, another list's, or too long.
func TestForgedCursorRefused(t *testing.T) {
	st, srv := newRegistry(t)
	for i := range 3 {
		if err := st.AddOutlet(context.Background(), fmt.Sprintf("SH-%d", i), "", false); err != nil {
			t.Fatal(err)
		}
	}
	_, p := outletsPage(t, srv, "/api/v1/outlets?limit=1")
	if p.Next == nil {
		t.Fatal("no next")
	}
	good := *p.Next
	payload, mac, _ := strings.Cut(good, ".")
	// The same MAC over another key: "SH-0" becomes "SH-1".
	forged := base64.RawURLEncoding.EncodeToString([]byte(`"SH-1"`)) + "." + mac
	if forged == good {
		t.Fatalf("cursor %q is not the key SH-0 it should be", good)
	}
	flip := []byte(good)
	flip[len(flip)-1] ^= 1
	if flip[len(flip)-1] == '.' {
		flip[len(flip)-1] = 'A'
	}
	for name, c := range map[string]string{
		"edited key":  forged,
		"edited MAC":  string(flip),
		"made up":     "eyJpZCI6IlNILTEifQ.AAAAAAAAAAAAAAAAAAAAAA",
		"no MAC":      payload,
		"not base64":  "%%%",
		"too long":    strings.Repeat("A", 600) + "." + mac,
		"empty parts": ".",
	} {
		code, p := outletsPage(t, srv, "/api/v1/outlets?limit=1&cursor="+url.QueryEscape(c))
		if code != 400 || p.Error.Code != "request.bad_cursor" {
			t.Errorf("%s cursor %q: %d %q, want 400 request.bad_cursor", name, c, code, p.Error.Code)
		}
	}
	// Another list's cursor: an outlet's dead letters.
	resp, raw := get(t, srv, "/api/v1/outlets/SH-0/dead-letters?cursor="+good)
	if resp.StatusCode != 400 || !strings.Contains(string(raw), "request.bad_cursor") {
		t.Errorf("outlets' cursor on dead letters: %d %s", resp.StatusCode, raw)
	}
	if code, p := outletsPage(t, srv, "/api/v1/outlets?limit=1&cursor="+good); code != 200 || len(p.Outlets) != 1 || p.Outlets[0].ID != "SH-1" {
		t.Errorf("the cursor given: %d %+v", code, p)
	}
}

// ?format=csv answers every row, page after page from the store, as UTF-8
// with a BOM, a header in the asked language, and cells a spreadsheet
// would run as formulas neutralised.
func TestListCSV(t *testing.T) {
	st, srv := newRegistry(t)
	ctx := context.Background()
	ids := []string{"=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "中文网点"}
	for i := range 1203 { // three store pages
		ids = append(ids, fmt.Sprintf("SH-%04d", i))
	}
	for _, id := range ids {
		if err := st.AddOutlet(ctx, id, "", false); err != nil {
			t.Fatal(err)
		}
	}
	for lang, head := range map[string][]string{"": {"网点", "最后联系"}, "zh": {"网点", "最后联系"}, "en": {"Outlet", "Last seen"}} {
		resp, raw := get(t, srv, "/api/v1/outlets?format=csv&limit=3&lang="+lang)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("lang %q: %d %s", lang, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="outlets-`) || !strings.HasSuffix(cd, `.csv"`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		if !strings.HasPrefix(string(raw), "\ufeff") {
			t.Fatalf("no UTF-8 BOM: %q", raw[:8])
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(recs[0][:2], head) {
			t.Errorf("lang %q: header %v, want %v first", lang, recs[0], head)
		}
		if len(recs)-1 != len(ids) {
			t.Errorf("lang %q: %d rows, want all %d (not one page)", lang, len(recs)-1, len(ids))
		}
		got := map[string]bool{}
		for _, r := range recs[1:] {
			got[r[0]] = true
		}
		for _, want := range []string{"'=cmd|' /C calc'!A0", "'+1+1", "'-2", "'@SUM(A1)", "中文网点", "SH-0000", "SH-1202"} {
			if !got[want] {
				t.Errorf("lang %q: no row %q", lang, want)
			}
		}
		for id := range got {
			if strings.ContainsAny(id[:1], "=+-@") {
				t.Errorf("cell %q would run as a formula", id)
			}
		}
	}
	for _, bad := range []string{"format=xml", "lang=fr"} {
		resp, raw := get(t, srv, "/api/v1/outlets?"+bad)
		if resp.StatusCode != 400 || !strings.Contains(string(raw), "request.bad_") {
			t.Errorf("%s: %d %s", bad, resp.StatusCode, raw)
		}
	}
}
