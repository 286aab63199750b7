package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/gateway"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// smsGateway is a company gateway for tests: it records every message it
// is posted, by key.
type smsGateway struct {
	mu   sync.Mutex
	msgs []gateway.Message
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m gateway.Message
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.Key != r.Header.Get(gateway.IdempotencyHeader) {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.msgs = append(g.msgs, m)
	g.mu.Unlock()
}

func (g *smsGateway) got() []gateway.Message {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]gateway.Message(nil), g.msgs...)
}

// waitFor polls until at least n messages of kind arrived, then a little
// more for any extra one.
func (g *smsGateway) waitFor(t *testing.T, kind string, n int) []gateway.Message {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var of []gateway.Message
		for _, m := range g.got() {
			if m.Kind == kind {
				of = append(of, m)
			}
		}
		if len(of) >= n {
			// Another round of the sender for a message that should not come.
			time.Sleep(500 * time.Millisecond)
			of = of[:0]
			for _, m := range g.got() {
				if m.Kind == kind {
					of = append(of, m)
				}
			}
			return of
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s messages arrived, want %d: %+v", len(of), kind, n, g.got())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// byPhone counts messages per number, and checks each key came once.
func byPhone(t *testing.T, ms []gateway.Message) map[string]int {
	t.Helper()
	keys, out := map[string]bool{}, map[string]int{}
	for _, m := range ms {
		if keys[m.Key] {
			t.Errorf("key %s sent twice", m.Key)
		}
		keys[m.Key] = true
		out[m.To]++
	}
	return out
}

// messagingHub starts a hub with master key master that posts customer
// messages to gatewayURL, on storeURL ("" for SQLite in its own folder).
func messagingHub(t *testing.T, clk clock.Clock, master []byte, gatewayURL, storeURL string) *Server {
	t.Helper()
	return messagingHubCapped(t, clk, master, gatewayURL, storeURL, 0)
}

// messagingHubCapped is messagingHub with [gateway] max_per_outlet set.
func messagingHubCapped(t *testing.T, clk clock.Clock, master []byte, gatewayURL, storeURL string, maxPerOutlet int) *Server {
	t.Helper()
	s, err := Start(context.Background(), Config{DataDir: t.TempDir(), StoreURL: storeURL, HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard(),
		Clock: clk, SweepEvery: time.Hour, MasterKey: master, CustomerWindowDays: 90,
		Gateway: GatewayConfig{Webhook: gatewayURL, Timeout: 5 * time.Second, MaxAttempts: 3, Every: 20 * time.Millisecond, MaxPerOutlet: maxPerOutlet}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// inbound records at o a parcel taken in for phone, its number sealed
// under o's key from m, as an agent would, and returns its customer id.
func inbound(m *sealed.Master, o *fakeOutlet, waybill, phone string, at time.Time) string {
	rec := sealed.Record{Kind: lifecycle.KindParcel, ID: waybill}
	id := sealed.CustomerID(m.CustomerSecret(), phone)
	o.event(lifecycle.ParcelInbound, waybill, lifecycle.InboundV1{Waybill: waybill, Customer: id,
		PhoneSealed: m.Outlet(o.id).Seal(sealed.Phone, rec, phone), PhoneMasked: phone[:3] + "****0000", HoldDays: 3, At: ms(at)})
	return id
}

// messagingRig is a messaging hub on SQLite with outlets SH-A and SH-B,
// on a manual clock, posting to a recording gateway.
type messagingRig struct {
	clk  *clock.Manual
	sms  *smsGateway
	s    *Server
	m    *sealed.Master
	a, b *fakeOutlet
}

func newMessagingRig(t *testing.T, seed byte, maxPerOutlet int) *messagingRig {
	t.Helper()
	r := &messagingRig{clk: clock.NewManual(time.Date(2026, 7, 1, 1, 0, 0, 0, time.UTC)), sms: &smsGateway{}}
	master := bytes.Repeat([]byte{seed}, 32)
	gw := httptest.NewServer(r.sms)
	t.Cleanup(gw.Close)
	r.s = messagingHubCapped(t, r.clk, master, gw.URL, "", maxPerOutlet)
	r.m, _ = sealed.NewMaster(master)
	addOutlet(t, r.s, "SH-A")
	addOutlet(t, r.s, "SH-B")
	r.a, r.b = newOutlet("SH-A", r.clk), newOutlet("SH-B", r.clk)
	return r
}

// inbound is the package's inbound at the rig's clock.
func (r *messagingRig) inbound(o *fakeOutlet, waybill, phone string) string {
	return inbound(r.m, o, waybill, phone, r.clk.Now())
}

// TestNoticeMessagesCustomersAtScopedOutlet: a notice scoped to one outlet
// sends exactly one message to each customer with a parcel waiting there
// (two parcels: still one), none to a customer whose parcel was picked up
// or who waits at another outlet; ending it sends the recovery message to
// the same customers; the notice view counts them; a notice published
// without customer messages sends none.
func TestNoticeMessagesCustomersAtScopedOutlet(t *testing.T) {
	r := newMessagingRig(t, 7, 0)
	clk, sms, s, a, b := r.clk, r.sms, r.s, r.a, r.b
	start := clk.Now()
	const (
		waiting   = "13900000001" // two parcels waiting at SH-A
		shelved   = "13900000002" // one on SH-A's shelf
		pickedUp  = "13900000003" // collected at SH-A
		elsewhere = "13900000004" // waiting at SH-B
	)
	inbound := r.inbound
	inbound(a, "SF1", waiting)
	inbound(a, "SF2", waiting)
	inbound(a, "SF3", shelved)
	a.event(lifecycle.ParcelShelved, "SF3", lifecycle.ShelvedV1{Shelf: "1", Layer: "1", Code: "1-1-0001", At: ms(clk.Now())})
	inbound(a, "SF4", pickedUp)
	a.event(lifecycle.ParcelShelved, "SF4", lifecycle.ShelvedV1{Shelf: "1", Layer: "1", Code: "1-1-0002", At: ms(clk.Now())})
	a.event(lifecycle.ParcelPickedUp, "SF4", lifecycle.PickupV1{IDCheck: "code", Signer: "recipient", Staff: "c01", At: ms(clk.Now())})
	a.send(t, s, 1)
	inbound(b, "SF5", elsewhere)
	b.send(t, s, 1)

	em := loginAs(t, s, "zhao", "emergency")
	var n struct {
		ID       string                      `json:"id"`
		Messages map[string]map[string]int64 `json:"messages"`
	}
	until := start.Add(48 * time.Hour).Format(time.RFC3339)
	if code := em.do("POST", "/api/v1/notices", `{"title":"暴雨停运","text":"因暴雨，SH-A 暂停派送。","scope":["SH-A"],"valid_to":"`+until+`"}`, &n); code != 201 && code != 200 {
		t.Fatalf("publish: %d", code)
	}
	starts := sms.waitFor(t, store.NoticeStartMessage, 2)
	if got := byPhone(t, starts); len(got) != 2 || got[waiting] != 1 || got[shelved] != 1 {
		t.Fatalf("start messages by number %v, want one each to %s and %s only", got, waiting, shelved)
	}
	for _, msg := range starts {
		if !strings.Contains(msg.Text, "暴雨停运") || !strings.Contains(msg.Text, "因暴雨") || !strings.Contains(msg.Text, "预计恢复时间") {
			t.Errorf("start message %q: want the title, the reason and the expected recovery", msg.Text)
		}
	}
	if code := em.do("GET", "/api/v1/notices/"+n.ID, "", &n); code != 200 || n.Messages[store.NoticeStartMessage]["sent"] != 2 {
		t.Errorf("notice view: %d %+v, want 2 start messages sent", code, n.Messages)
	}
	if code := em.do("POST", "/api/v1/notices/"+n.ID+"/end", `{"text":"道路已恢复，今日恢复派送。"}`, nil); code != 200 {
		t.Fatalf("end: %d", code)
	}
	ends := sms.waitFor(t, store.NoticeEndMessage, 2)
	if got := byPhone(t, ends); len(got) != 2 || got[waiting] != 1 || got[shelved] != 1 {
		t.Fatalf("recovery messages by number %v, want one each to %s and %s only", got, waiting, shelved)
	}
	for _, msg := range ends {
		if !strings.Contains(msg.Text, "道路已恢复") {
			t.Errorf("recovery message %q", msg.Text)
		}
	}
	if got := byPhone(t, sms.got()); len(got) != 2 {
		t.Errorf("messages went to %v", got)
	}
	if code := em.do("GET", "/api/v1/notices/"+n.ID, "", &n); code != 200 || n.Messages[store.NoticeEndMessage]["sent"] != 2 || n.Messages[store.NoticeStartMessage]["sent"] != 2 {
		t.Errorf("notice view after the end: %+v", n.Messages)
	}

	// The company gateway's delivery receipt, with a token that may do
	// nothing else: a sent message becomes delivered, once; a message not
	// sent, or unknown, is refused.
	admin := loginAs(t, s, "han", "admin")
	var tok struct{ Token string }
	if code := admin.do("POST", "/api/v1/tokens", `{"name":"sms","scope":"gateway"}`, &tok); code != 201 {
		t.Fatalf("gateway token: %d", code)
	}
	gwc := &apiClient{t: t, base: admin.base, tok: tok.Token}
	key := starts[0].Key
	receipt := "/api/v1/messages/" + url.PathEscape(key) + "/delivered"
	for range 2 {
		var got struct{ Key, State string }
		if code := gwc.do("POST", receipt, `{}`, &got); code != 200 || got.State != store.MessageDelivered || got.Key != key {
			t.Errorf("receipt: %d %+v", code, got)
		}
	}
	if code := em.do("GET", "/api/v1/notices/"+n.ID, "", &n); code != 200 || n.Messages[store.NoticeStartMessage]["delivered"] != 1 || n.Messages[store.NoticeStartMessage]["sent"] != 1 {
		t.Errorf("notice view after a receipt: %+v", n.Messages)
	}
	if _, err := s.Store.Enqueue(context.Background(), []store.Message{{Key: "later", Kind: store.NoticeStartMessage, Customer: "nobody"}}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/api/v1/messages/later/delivered": problem.MessageNotSent.String(), "/api/v1/messages/nope/delivered": problem.MessageNotFound.String()} {
		if code, ecode := gwc.call("POST", path, `{}`, nil); ecode != want || code < 400 {
			t.Errorf("receipt %s: %d %s, want %s", path, code, ecode, want)
		}
	}
	if code, ecode := gwc.call("GET", "/api/v1/notices", "", nil); code != 403 || ecode != problem.AuthTokenScope.String() {
		t.Errorf("gateway token on the notices: %d %s", code, ecode)
	}
	if code, _ := em.call("POST", receipt, `{}`, nil); code != 403 {
		t.Errorf("the emergency team sending a receipt: %d, want 403", code)
	}

	// Opted out: nobody hears of it.
	before := len(sms.got())
	var quiet struct{ ID string }
	if code := em.do("POST", "/api/v1/notices", `{"title":"内部通知","text":"盘点","scope":["SH-A"],"customer_messages":false}`, &quiet); code != 201 && code != 200 {
		t.Fatalf("publish quiet: %d", code)
	}
	em.do("POST", "/api/v1/notices/"+quiet.ID+"/end", `{"text":"完成"}`, nil)
	time.Sleep(time.Second)
	if got := len(sms.got()); got != before {
		t.Errorf("a notice without customer messages sent %d", got-before)
	}
}

// TestNoticeMessagesTwoHubsOnPostgres: two hubs on one PostgreSQL
// database both send customer messages; a notice published on one and
// ended on the other reaches each of its customers once with its start
// and once with its recovery, by key, whichever hub claimed it.
func TestNoticeMessagesTwoHubsOnPostgres(t *testing.T) {
	pg := harness.StartPostgres(t, harness.PostgresOptions{})
	dsn := pg.NewDatabase(t)
	start := time.Date(2026, 7, 1, 1, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	master := bytes.Repeat([]byte{9}, 32)
	sms := &smsGateway{}
	gw := httptest.NewServer(sms)
	defer gw.Close()
	hubs := []*Server{messagingHub(t, clk, master, gw.URL, dsn), messagingHub(t, clk, master, gw.URL, dsn)}
	m, _ := sealed.NewMaster(master)
	addOutlet(t, hubs[0], "PG-A")
	a := newOutlet("PG-A", clk)
	const customers = 40
	phones := map[string]bool{}
	for i := range customers {
		phone := fmt.Sprintf("1370000%04d", i)
		phones[phone] = true
		inbound(m, a, fmt.Sprintf("SF9%04d", i), phone, clk.Now())
	}
	a.send(t, hubs[0], 1)
	one, other := loginAs(t, hubs[0], "zhao", "emergency"), &apiClient{t: t, base: "http://" + hubs[1].HTTPAddr()}
	other.cookie = one.cookie // sessions are kept in the store: any hub takes them
	var n struct{ ID string }
	if code := one.do("POST", "/api/v1/notices", `{"title":"系统升级","text":"今晚暂停服务。","scope":["PG-A"]}`, &n); code != 201 {
		t.Fatalf("publish: %d", code)
	}
	starts := sms.waitFor(t, store.NoticeStartMessage, customers)
	if code := other.do("POST", "/api/v1/notices/"+n.ID+"/end", `{"text":"已恢复。"}`, nil); code != 200 {
		t.Fatalf("end on the other hub: %d", code)
	}
	ends := sms.waitFor(t, store.NoticeEndMessage, customers)
	for name, ms := range map[string][]gateway.Message{"start": starts, "recovery": ends} {
		got := byPhone(t, ms)
		for p := range phones {
			if got[p] != 1 {
				t.Errorf("%s messages to %s: %d, want 1", name, p, got[p])
			}
		}
		if len(got) != customers {
			t.Errorf("%s messages went to %d numbers, want %d", name, len(got), customers)
		}
	}
	t.Logf("sent by hub: %v and %v", hubs[0].Messages.Count("sent"), hubs[1].Messages.Count("sent"))
	if total := hubs[0].Messages.Count("sent") + hubs[1].Messages.Count("sent"); total != 2*customers {
		t.Errorf("the hubs counted %v sent, want %d", total, 2*customers)
	}
}

// TestNoticeMessagesEveryOutletCappedInTheirLanguage: a notice to every
// outlet, valid in an hour, messages the customers waiting at each outlet
// once it takes effect and not before, at most the cap per outlet (the
// rest counted on the notice), each in the language customer service set
// for them; its recovery message too. Only customer service sets the
// language, and only to one the hub writes in.
func TestNoticeMessagesEveryOutletCappedInTheirLanguage(t *testing.T) {
	r := newMessagingRig(t, 5, 2)
	clk, sms, s, a, b := r.clk, r.sms, r.s, r.a, r.b
	start := clk.Now()
	inbound := r.inbound
	for i := range 3 {
		inbound(a, fmt.Sprintf("SF%d", i), fmt.Sprintf("1390000000%d", i))
	}
	a.send(t, s, 1)
	const english = "13900000009"
	en := inbound(b, "SF9", english)
	b.send(t, s, 1)

	cs, analyst := loginAs(t, s, "qian", "service"), loginAs(t, s, "sun", "analyst")
	var c struct{ Customer struct{ Lang string } }
	if code := cs.do("GET", "/api/v1/customers/"+en, "", &c); code != 200 || c.Customer.Lang != "zh" {
		t.Errorf("a customer's language before any is set: %d %q, want zh", code, c.Customer.Lang)
	}
	if code, ecode := cs.call("PUT", "/api/v1/customers/"+en+"/lang", `{"lang":"fr"}`, nil); code != 400 || ecode != problem.CustomerBadLang.String() {
		t.Errorf("a language the hub does not write: %d %s", code, ecode)
	}
	if code, _ := analyst.call("PUT", "/api/v1/customers/"+en+"/lang", `{"lang":"en"}`, nil); code != 403 {
		t.Errorf("an analyst setting the language: %d, want 403", code)
	}
	if code, ecode := cs.call("PUT", "/api/v1/customers/c0ffee/lang", `{"lang":"en"}`, nil); code != 404 || ecode != problem.CustomerNotFound.String() {
		t.Errorf("an unknown customer's language: %d %s", code, ecode)
	}
	if code := cs.do("PUT", "/api/v1/customers/"+en+"/lang", `{"lang":"en"}`, &c); code != 200 || c.Customer.Lang != "en" {
		t.Fatalf("set the language: %d %q", code, c.Customer.Lang)
	}
	// Everyone seen during the notice is invited when it ends.
	if code := analyst.do("PUT", "/api/v1/surveys/after-notice", `{"title_zh":"服务恢复满意度","title_en":"After the disruption",
		"questions":[{"key":"overall","zh":"您对我们的沟通满意吗","en":"How satisfied are you with how we kept you informed"}]}`, nil); code != 200 {
		t.Fatalf("survey definition: %d", code)
	}
	if code := analyst.do("PUT", "/api/v1/surveys/rules/notice_ended", `{"survey":"after-notice","share":100,"every_days":0,"expiry_minutes":10080}`, nil); code != 200 {
		t.Fatalf("survey rule: %d", code)
	}

	em := loginAs(t, s, "zhao", "emergency")
	var n struct {
		ID       string                      `json:"id"`
		Messages map[string]map[string]int64 `json:"messages"`
	}
	from := start.Add(time.Hour)
	body := `{"title":"全网系统升级","text":"今晚暂停服务。","valid_from":"` + from.Format(time.RFC3339) + `","valid_to":"` + from.Add(6*time.Hour).Format(time.RFC3339) + `"}`
	if code := em.do("POST", "/api/v1/notices", body, &n); code != 201 {
		t.Fatalf("publish to every outlet: %d", code)
	}
	// The sender's rounds work the notice through: 2 of SH-A's 3 and
	// SH-B's one wait for valid_from; one of SH-A's is over the cap.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if code := em.do("GET", "/api/v1/notices/"+n.ID, "", &n); code != 200 {
			t.Fatalf("notice view: %d", code)
		}
		if st := n.Messages[store.NoticeStartMessage]; st["pending"] == 3 && st["capped"] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notice view %+v, want 3 start messages waiting and 1 capped", n.Messages)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := sms.got(); len(got) != 0 {
		t.Fatalf("%d messages went out before valid_from: %+v", len(got), got)
	}
	clk.Set(from.Add(time.Second))
	inbound(b, "SF10", english)
	b.send(t, s, 2)
	starts := sms.waitFor(t, store.NoticeStartMessage, 3)
	if got := byPhone(t, starts); len(got) != 3 || got[english] != 1 {
		t.Fatalf("start messages by number %v, want 3, one to %s", got, english)
	}
	for _, msg := range starts {
		english := msg.To == english
		if english != (msg.Lang == "en") || english != strings.Contains(msg.Text, "Your parcel") || english == strings.Contains(msg.Text, "您在驿站") {
			t.Errorf("start message to %s in %q: %q", msg.To, msg.Lang, msg.Text)
		}
	}
	if code := em.do("POST", "/api/v1/notices/"+n.ID+"/end", `{"text":"已恢复。"}`, nil); code != 200 {
		t.Fatalf("end: %d", code)
	}
	ends := sms.waitFor(t, store.NoticeEndMessage, 3)
	for _, msg := range ends {
		if (msg.To == english) != strings.HasPrefix(msg.Text, "[Service resumed]") {
			t.Errorf("recovery message to %s: %q", msg.To, msg.Text)
		}
	}
	if got := byPhone(t, ends); len(got) != 3 {
		t.Errorf("recovery messages by number %v, want the 3 the start went to", got)
	}
	// Only the English customer came by while the notice was in force:
	// one invitation, in English, its link opening the English page.
	invites := sms.waitFor(t, store.SurveyMessageKind, 1)
	if len(invites) != 1 || invites[0].To != english || invites[0].Lang != "en" || !strings.Contains(invites[0].Text, "?lang=en") ||
		!strings.HasPrefix(invites[0].Text, "Thank you") {
		t.Errorf("invitations %+v, want one in English to %s", invites, english)
	}
}
