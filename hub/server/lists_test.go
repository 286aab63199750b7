package server

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	hubapi "github.com/yizhan/yizhan/hub/api"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// queueItem is the part of a queue's item these tests read.
type queueItem struct {
	ID      string  `json:"id"`
	Owner   string  `json:"owner"`
	DueAt   *string `json:"due_at"`
	Overdue bool    `json:"overdue"`
}

type queuePage struct {
	Complaints []queueItem `json:"complaints"`
	Exceptions []queueItem `json:"exceptions"`
	Next       *string     `json:"next"`
	Error      struct {
		Code string `json:"code"`
	} `json:"error"`
}

// queue reads every page of a queue and answers the ids and the items.
func (c *apiClient) queue(path string) (string, map[string]queueItem) {
	c.t.Helper()
	var order []string
	items := map[string]queueItem{}
	next := ""
	for range 100 {
		p := path
		if next != "" {
			p += "&cursor=" + url.QueryEscape(next)
		}
		var page queuePage
		if code := c.do("GET", p, "", &page); code != 200 {
			c.t.Fatalf("GET %s: %d %s", p, code, page.Error.Code)
		}
		for _, x := range append(page.Complaints, page.Exceptions...) {
			order = append(order, x.ID)
			items[x.ID] = x
		}
		if page.Next == nil {
			return fmt.Sprint(order), items
		}
		next = *page.Next
	}
	c.t.Fatal("the queue does not end")
	return "", nil
}

func complaint(o *fakeOutlet, id, typ, owner string, at time.Time) {
	o.event(lifecycle.ComplaintReceived, id, lifecycle.ComplaintReceivedV1{Ticket: "T-" + id, Channel: "counter", Type: typ,
		Category: "delay", Severity: "routine", Text: "late", Owner: owner, At: ms(at)})
}

// The queues list the soonest deadline first by default with open=1, each
// item with its deadline and whether it has passed on head office's
// clock; as the clock crosses a deadline the item turns overdue and
// ?overdue=1 lists it. The filters narrow the same order.
func TestQueuesByDeadline(t *testing.T) {
	base := time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewManual(base)
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-001")
	addOutlet(t, s, "SH-002")
	a, b := newOutlet("SH-001", clk), newOutlet("SH-002", clk)
	complaint(a, "C1", "complaint", "li", base.Add(-20*time.Hour)) // first reply due in 4 h
	complaint(a, "C2", "complaint", "li", base.Add(-2*time.Hour))  // in 22 h
	complaint(a, "C3", "praise", "li", base)
	a.event(lifecycle.ComplaintStep, "C3", lifecycle.ComplaintStepV1{Step: "acknowledge", At: ms(base)}) // no deadline left
	a.event(lifecycle.ExceptionReported, "X1", lifecycle.ExceptionReportedV1{Waybill: "SF1", Kind: "refused", Owner: "li", At: ms(base)})
	a.event(lifecycle.ExceptionReported, "X2", lifecycle.ExceptionReportedV1{Waybill: "SF2", Kind: "delayed", Owner: "li", At: ms(base)})
	a.send(t, s, 1)
	complaint(b, "C4", "complaint", "wu", base.Add(-23*time.Hour)) // in 1 h
	b.send(t, s, 1)
	api := newAPI(t, s)
	if code := api.do("PATCH", "/api/v1/outlets/SH-002", `{"region":"south"}`, nil); code != 200 {
		t.Fatalf("put SH-002 in a region: HTTP %d", code)
	}

	order, items := api.queue("/api/v1/complaints?open=1")
	if order != "[C4 C1 C2 C3]" {
		t.Errorf("open complaints in order %s, want the soonest deadline first and none last", order)
	}
	if due := items["C4"].DueAt; due == nil || *due != base.Add(time.Hour).Format(time.RFC3339Nano) || items["C3"].DueAt != nil {
		t.Errorf("due_at of C4 %v, of C3 %v", due, items["C3"].DueAt)
	}
	for _, limit := range []int{1, 3} {
		if got, _ := api.queue(fmt.Sprintf("/api/v1/complaints?open=1&limit=%d", limit)); got != order {
			t.Errorf("%d a page: %s", limit, got)
		}
	}
	for _, tc := range []struct{ path, want string }{
		{"/api/v1/complaints?open=1&sort=newest", "[C3 C2 C1 C4]"},
		{"/api/v1/complaints?sort=due", "[C4 C1 C2 C3]"},
		{"/api/v1/complaints?open=1&owner=wu", "[C4]"},
		{"/api/v1/complaints?open=1&outlet=SH-001", "[C1 C2 C3]"},
		{"/api/v1/complaints?label=praise", "[C3]"},
		{"/api/v1/complaints?state=acknowledged", "[C3]"},
		{"/api/v1/complaints?overdue=1", "[]"},
		{"/api/v1/exceptions?open=1", "[X1 X2]"},
		{"/api/v1/complaints?open=1&region=south", "[C4]"},
		{"/api/v1/complaints?region=south&outlet=SH-001", "[]"},
		{"/api/v1/exceptions?region=south", "[]"},
	} {
		if got, _ := api.queue(tc.path); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.path, got, tc.want)
		}
	}
	for _, tc := range []struct{ advance, overdue, exceptions string }{
		{"1h1s", "[C4]", "[]"},
		{"3h", "[C4 C1]", "[]"},
		{"20h", "[C4 C1 C2]", "[X1]"},
	} {
		d, _ := time.ParseDuration(tc.advance)
		clk.Advance(d)
		if got, items := api.queue("/api/v1/complaints?overdue=1"); got != tc.overdue {
			t.Errorf("+%s: overdue complaints %s, want %s", tc.advance, got, tc.overdue)
		} else {
			for id, x := range items {
				if !x.Overdue {
					t.Errorf("+%s: %s listed overdue without the flag", tc.advance, id)
				}
			}
		}
		_, all := api.queue("/api/v1/complaints?open=1")
		for id, x := range all {
			if x.Overdue != strings.Contains(tc.overdue, id) {
				t.Errorf("+%s: %s overdue %v", tc.advance, id, x.Overdue)
			}
		}
		if got, _ := api.queue("/api/v1/exceptions?overdue=1"); got != tc.exceptions {
			t.Errorf("+%s: overdue exceptions %s, want %s", tc.advance, got, tc.exceptions)
		}
	}
	for path, code := range map[string]string{
		"/api/v1/complaints?label=nope":        "request.bad_value",
		"/api/v1/exceptions?label=praise":      "request.bad_value",
		"/api/v1/complaints?sort=soonest":      "request.bad_sort",
		"/api/v1/complaints?overdue=maybe":     "request.bad_overdue",
		"/api/v1/complaints?outlet=SH-404":     "outlet.not_found",
		"/api/v1/complaints?region=north":      "region.not_found",
		"/api/v1/complaints?open=1&cursor=abc": "request.bad_cursor",
	} {
		var p queuePage
		if got := api.do("GET", path, "", &p); got < 400 || p.Error.Code != code {
			t.Errorf("%s: %d %s, want %s", path, got, p.Error.Code, code)
		}
	}
	// A cursor is bound to its filters: the next page of one owner's
	// queue is not the next page of another's.
	var p queuePage
	api.do("GET", "/api/v1/complaints?open=1&limit=1&owner=li", "", &p)
	if p.Next == nil {
		t.Fatal("no next page")
	}
	var q queuePage
	if got := api.do("GET", "/api/v1/complaints?open=1&limit=1&owner=wu&cursor="+url.QueryEscape(*p.Next), "", &q); got != 400 || q.Error.Code != "request.bad_cursor" {
		t.Errorf("a cursor under other filters: %d %s", got, q.Error.Code)
	}
}

// A bulk step takes each id on its own through the single step's service
// call: the unknown id fails with the single route's error, the others
// are assigned and published to their outlets.
func TestBulkAssign(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC))
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-001")
	o := newOutlet("SH-001", clk)
	complaint(o, "C1", "complaint", "li", clk.Now())
	complaint(o, "C2", "complaint", "li", clk.Now())
	o.event(lifecycle.ExceptionReported, "X1", lifecycle.ExceptionReportedV1{Waybill: "SF1", Kind: "refused", Owner: "li", At: ms(clk.Now())})
	o.send(t, s, 1)
	api := newAPI(t, s)
	var res struct {
		Results []struct {
			ID    string `json:"id"`
			OK    bool   `json:"ok"`
			State string `json:"state"`
			Error *struct {
				Code string `json:"code"`
			} `json:"error"`
		} `json:"results"`
	}
	if code := api.do("POST", "/api/v1/complaints/steps", `{"ids":["C1","NOPE","C2"],"step":"assign","owner":"zhao"}`, &res); code != 200 {
		t.Fatalf("bulk assign: %d", code)
	}
	got := []string{}
	for _, r := range res.Results {
		e := ""
		if r.Error != nil {
			e = r.Error.Code
		}
		got = append(got, fmt.Sprintf("%s:%v:%s", r.ID, r.OK, e))
	}
	if fmt.Sprint(got) != "[C1:true: NOPE:false:complaint.not_found C2:true:]" {
		t.Errorf("results %v", got)
	}
	if order, _ := api.queue("/api/v1/complaints?owner=zhao"); order != "[C2 C1]" {
		t.Errorf("assigned to zhao: %s", order)
	}
	steps := 0
	for _, e := range o.pull(t, s) {
		if e.Type == lifecycle.ComplaintStep {
			steps++
		}
	}
	if steps != 2 {
		t.Errorf("%d complaint steps sent to the outlet, want one per assigned complaint", steps)
	}
	// A step the rules refuse answers, for that id, as the single route does.
	if code := api.do("POST", "/api/v1/exceptions/steps", `{"ids":["X1","X404"],"step":"decide_claim","approved":true}`, &res); code != 200 ||
		len(res.Results) != 2 || res.Results[0].OK || res.Results[0].State != "reported" || res.Results[0].Error == nil ||
		res.Results[1].Error == nil || res.Results[1].Error.Code != "exception.not_found" {
		t.Errorf("refused bulk step: %d %+v", code, res)
	}
	many := make([]string, 201)
	for i := range many {
		many[i] = fmt.Sprintf("%q", fmt.Sprint("C", i))
	}
	for _, body := range []string{`{"ids":[],"step":"assign","owner":"z"}`, `{"ids":["C1","C1"],"step":"assign","owner":"z"}`,
		`{"ids":[` + strings.Join(many, ",") + `],"step":"assign","owner":"z"}`} {
		var e queuePage
		if code := api.do("POST", "/api/v1/complaints/steps", body, &e); code != 400 || e.Error.Code != "request.bulk_ids" {
			t.Errorf("%.40s…: %d %s", body, code, e.Error.Code)
		}
	}
}

// The overview counts a known store: outlets by sync health, open,
// overdue and soon-due cases, active notices.
func TestOverview(t *testing.T) {
	base := time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewManual(base)
	s := startHubClock(t, clk, time.Hour)
	for _, id := range []string{"SH-001", "SH-002", "SH-003"} {
		addOutlet(t, s, id) // SH-002 never syncs
	}
	old := newOutlet("SH-003", clk)
	complaint(old, "C9", "praise", "li", base)
	old.event(lifecycle.ComplaintStep, "C9", lifecycle.ComplaintStepV1{Step: "acknowledge", At: ms(base)})
	old.event(lifecycle.ComplaintStep, "C9", lifecycle.ComplaintStepV1{Step: "close", At: ms(base)})
	old.send(t, s, 1)
	clk.Advance(2 * time.Hour) // SH-003 is now stale
	now := clk.Now()
	o := newOutlet("SH-001", clk)
	complaint(o, "C1", "complaint", "li", now.Add(-25*time.Hour)) // overdue
	complaint(o, "C2", "complaint", "li", now.Add(-20*time.Hour)) // due in 4 h
	complaint(o, "C3", "complaint", "li", now)                    // answered: its result due in 7 days
	o.event(lifecycle.ComplaintStep, "C3", lifecycle.ComplaintStepV1{Step: "acknowledge", At: ms(now)})
	o.event(lifecycle.ExceptionReported, "X1", lifecycle.ExceptionReportedV1{Waybill: "SF1", Kind: "refused", Owner: "li", At: ms(now.Add(-25 * time.Hour))})
	o.event(lifecycle.ExceptionReported, "X2", lifecycle.ExceptionReportedV1{Waybill: "SF2", Kind: "delayed", Owner: "li", At: ms(now)})
	// Today's parcels: two taken in, one of them picked up.
	o.event(lifecycle.ParcelInbound, "SF4", lifecycle.InboundV1{Waybill: "SF4", At: ms(now)})
	o.event(lifecycle.ParcelInbound, "SF5", lifecycle.InboundV1{Waybill: "SF5", At: ms(now)})
	o.event(lifecycle.ParcelPickedUp, "SF4", lifecycle.PickupV1{IDCheck: "code_only", Signer: "recipient", Staff: "li", At: ms(now)})
	o.send(t, s, 1)
	// One refused event: SH-001 holds a dead letter.
	o.event(lifecycle.ParcelInbound, "SF3", lifecycle.InboundV1{Waybill: "SF3"})
	o.sent[len(o.sent)-1].Actor = ""
	s.Hub.Handle(context.Background(), syncproto.UplinkTopic(o.id), o.batch(t, o.seq))
	api := newAPI(t, s)
	var n struct {
		ID string `json:"id"`
	}
	if code := api.do("POST", "/api/v1/notices", `{"title":"台风","text":"派送延误"}`, &n); code != 201 {
		t.Fatalf("publish notice: %d", code)
	}
	var got map[string]map[string]int64
	if code := api.do("GET", "/api/v1/overview", "", &got); code != 200 {
		t.Fatalf("overview: %d", code)
	}
	want := map[string]map[string]int64{
		"outlets":    {"total": 3, "connected": 1, "stale": 2, "with_dead_letters": 1},
		"complaints": {"open": 3, "overdue": 1, "due_24h": 1},
		"exceptions": {"open": 2, "overdue": 1},
		"notices":    {"active": 1},
		"today":      {"inbound": 2, "picked_up": 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("overview %v\nwant     %v", got, want)
	}
	var e queuePage
	if code := api.do("GET", "/api/v1/overview?region=east", "", &e); code != 400 || e.Error.Code != "request.unknown_filter" {
		t.Errorf("overview with a filter: %d %s", code, e.Error.Code)
	}
}

// csv reads a list's CSV export, which must start with the UTF-8 BOM.
func (c *apiClient) csv(path string) [][]string {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: hubapi.SessionCookie, Value: c.cookie})
	} else {
		req.Header.Set("Authorization", "Bearer "+c.tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	body, ok := strings.CutPrefix(string(raw), "\ufeff")
	if resp.StatusCode != 200 || !ok || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		c.t.Fatalf("GET %s: %d %q", path, resp.StatusCode, raw)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		c.t.Fatal(err)
	}
	return recs
}

// The accounts and the API tokens page by id and by name through the one
// list mechanism: every row once across pages of any size, a cursor only
// for its own list, and the same rows as CSV in either language.
func TestAccountAndTokenLists(t *testing.T) {
	s := startHub(t)
	han := loginAs(t, s, "han", "admin")
	var accountIDs, tokenNames []string
	accountIDs = append(accountIDs, "han")
	for i, role := range []string{"service", "emergency", "analyst", "auditor", "service"} {
		id := fmt.Sprintf("u%d-%s", 5-i, role)
		body := fmt.Sprintf(`{"id":%q,"name":"用户 %d","role":%q,"password":"Secret-pass-42"}`, id, i, role)
		if code := han.do("POST", "/api/v1/accounts", body, nil); code != 201 {
			t.Fatalf("add %s: %d", id, code)
		}
		accountIDs = append(accountIDs, id)
	}
	for _, name := range []string{"erp", "bi", "wms", "crm", "audit-feed", "tms", "oa"} {
		if code := han.do("POST", "/api/v1/tokens", `{"name":"`+name+`","scope":"read"}`, nil); code != 201 {
			t.Fatalf("token %s: %d", name, code)
		}
		tokenNames = append(tokenNames, name)
	}
	slices.Sort(accountIDs)
	slices.Sort(tokenNames)
	type page struct {
		Accounts []struct {
			ID string `json:"id"`
		} `json:"accounts"`
		Tokens []struct {
			Name  string `json:"name"`
			Token string `json:"token"`
		} `json:"tokens"`
		Next  *string `json:"next"`
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	all := func(list string, limit int) (keys []string, firstNext string) {
		t.Helper()
		cursor := ""
		for range 50 {
			path := fmt.Sprintf("/api/v1/%s?limit=%d", list, limit)
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			var p page
			if code := han.do("GET", path, "", &p); code != 200 {
				t.Fatalf("GET %s: %d %s", path, code, p.Error.Code)
			}
			if n := len(p.Accounts) + len(p.Tokens); n > limit || (p.Next != nil && n != limit) {
				t.Errorf("GET %s: %d rows, next %v", path, n, p.Next != nil)
			}
			for _, a := range p.Accounts {
				keys = append(keys, a.ID)
			}
			for _, x := range p.Tokens {
				if x.Token != "" {
					t.Errorf("token %s listed with its secret", x.Name)
				}
				keys = append(keys, x.Name)
			}
			if p.Next == nil {
				return keys, firstNext
			}
			if firstNext == "" {
				firstNext = *p.Next
			}
			cursor = *p.Next
		}
		t.Fatalf("%s does not end", list)
		return nil, ""
	}
	var accountsCursor, tokensCursor string
	for _, limit := range []int{1, 2, 4, 500} {
		got, next := all("accounts", limit)
		if !slices.Equal(got, accountIDs) {
			t.Errorf("accounts %d a page: %v, want %v", limit, got, accountIDs)
		}
		if limit == 2 {
			accountsCursor = next
		}
		if got, next = all("tokens", limit); !slices.Equal(got, tokenNames) {
			t.Errorf("tokens %d a page: %v, want %v", limit, got, tokenNames)
		}
		if limit == 2 {
			tokensCursor = next
		}
	}
	// A cursor made by hand, or another list's, is refused.
	for _, path := range []string{
		"/api/v1/accounts?cursor=abc",
		"/api/v1/tokens?cursor=" + url.QueryEscape(accountsCursor),
		"/api/v1/accounts?limit=2&cursor=" + url.QueryEscape(tokensCursor),
		"/api/v1/accounts?limit=0",
		"/api/v1/tokens?role=admin",
	} {
		var p page
		if code := han.do("GET", path, "", &p); code != 400 || !strings.HasPrefix(p.Error.Code, "request.") {
			t.Errorf("GET %s: %d %s, want a 400 request error", path, code, p.Error.Code)
		}
	}
	// CSV: a header in the asked language, then every row in key order.
	for _, tc := range []struct {
		path, head string
		want       []string
	}{
		{"/api/v1/accounts?format=csv", "账号,姓名,角色,已停用,创建时间,最后登录,锁定至", accountIDs},
		{"/api/v1/accounts?format=csv&lang=en&limit=2", "Account,Name,Role,Disabled,Created at,Last login,Locked until", accountIDs},
		{"/api/v1/tokens?format=csv&lang=zh", "名称,范围,创建时间,创建人", tokenNames},
		{"/api/v1/tokens?format=csv&lang=en", "Name,Scope,Created at,Created by", tokenNames},
	} {
		recs := han.csv(tc.path)
		var keys []string
		for _, r := range recs[1:] {
			keys = append(keys, r[0])
		}
		if strings.Join(recs[0], ",") != tc.head || !slices.Equal(keys, tc.want) {
			t.Errorf("%s: header %q, rows %v; want %q, %v", tc.path, recs[0], keys, tc.head, tc.want)
		}
	}
	if recs := han.csv("/api/v1/accounts?format=csv"); recs[1+slices.Index(accountIDs, "u1-service")][1] != "用户 4" {
		t.Errorf("accounts CSV row %q", recs[1+slices.Index(accountIDs, "u1-service")])
	}
}

// A queue exports as CSV in either language, every row; a reply template
// titled as a formula is exported neutralised.
func TestQueueCSV(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC))
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-001")
	o := newOutlet("SH-001", clk)
	for i := range 7 {
		complaint(o, fmt.Sprintf("C%d", i), "complaint", "li", clk.Now().Add(-time.Duration(i)*time.Hour))
	}
	o.send(t, s, 1)
	api := newAPI(t, s)
	if code := api.do("POST", "/api/v1/reply-templates", `{"title":"=HYPERLINK(\"http://x\")","text":"@SUM(1)"}`, nil); code != 201 {
		t.Fatalf("template: %d", code)
	}
	zh, en := api.csv("/api/v1/complaints?open=1&format=csv&limit=2"), api.csv("/api/v1/complaints?open=1&format=csv&lang=en")
	if len(zh) != 8 || len(en) != 8 || zh[0][0] != "编号" || en[0][0] != "ID" || !slices.Contains(en[0], "Due at") {
		t.Errorf("complaints CSV: zh %d rows %v, en %d rows %v", len(zh), zh[0], len(en), en[0])
	}
	// Soonest deadline first: C6 came in six hours ago.
	if zh[1][0] != "C6" || en[7][0] != "C0" {
		t.Errorf("CSV order: %v … %v", zh[1], en[7])
	}
	ts := api.csv("/api/v1/reply-templates?format=csv")
	if len(ts) != 2 || ts[1][1] != `'=HYPERLINK("http://x")` || ts[1][4] != "'@SUM(1)" {
		t.Errorf("template CSV %q", ts)
	}
}

// The versioned lists page their versions newest first, the newest
// current; an outlet's waybill blocks page in allocation order.
func TestVersionAndBlockLists(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC))
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-001")
	api := newAPI(t, s)
	for _, v := range []string{"p1", "p2", "p3"} {
		clk.Advance(time.Minute)
		if code := api.do("POST", "/api/v1/prohibited-lists", `{"version":"`+v+`","items":[{"code":"B01","name":"易燃液体","rule":"forbidden"}]}`, nil); code != 201 {
			t.Fatalf("publish %s: %d", v, code)
		}
	}
	var got []string
	path := "/api/v1/prohibited-lists/versions?limit=2"
	for range 5 {
		var p struct {
			Lists []struct {
				Version string `json:"version"`
				Current bool   `json:"current"`
			} `json:"prohibited_lists"`
			Next *string `json:"next"`
		}
		if code := api.do("GET", path, "", &p); code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		for _, l := range p.Lists {
			got = append(got, fmt.Sprintf("%s:%v", l.Version, l.Current))
		}
		if p.Next == nil {
			break
		}
		path = "/api/v1/prohibited-lists/versions?limit=2&cursor=" + url.QueryEscape(*p.Next)
	}
	if fmt.Sprint(got) != "[p3:true p2:false p1:false]" {
		t.Errorf("versions %v", got)
	}
	for _, n := range []int{10, 20} {
		if code := api.do("POST", "/api/v1/outlets/SH-001/waybill-blocks", fmt.Sprintf(`{"count":%d}`, n), nil); code != 201 {
			t.Fatalf("allocate: %d", code)
		}
	}
	var first, second struct {
		Blocks []struct {
			First, Last uint32
		} `json:"blocks"`
		Next *string `json:"next"`
	}
	if code := api.do("GET", "/api/v1/outlets/SH-001/waybill-blocks?limit=1", "", &first); code != 200 || len(first.Blocks) != 1 || first.Next == nil {
		t.Fatalf("first page of blocks: %d %+v", code, first)
	}
	api.do("GET", "/api/v1/outlets/SH-001/waybill-blocks?limit=1&cursor="+url.QueryEscape(*first.Next), "", &second)
	if len(second.Blocks) != 1 || second.Next != nil || second.Blocks[0].First != first.Blocks[0].Last+1 || second.Blocks[0].Last-second.Blocks[0].First != 19 {
		t.Errorf("blocks: %+v then %+v", first, second)
	}
	var e queuePage
	if code := api.do("GET", "/api/v1/outlets/SH-404/waybill-blocks", "", &e); code != 404 || e.Error.Code != "outlet.not_found" {
		t.Errorf("blocks of an unknown outlet: %d %s", code, e.Error.Code)
	}
}
