package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/channels"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// The waybill the test outlet holds; the mail and the webhook name it.
const chWaybill = "YT1234567890123"

// TestChannels: a complaint mailed (in Chinese, GB18030 and GBK, base64
// and quoted-printable, with an HTML part and an attachment) to a real
// IMAP server, and another posted to the webhook, each become one
// complaint, read twice, after a crash before \Seen and after a hub
// restart; each gets its category from the templates' keywords, the
// outlet holding the waybill and a proposed reply; the first-reply
// deadline counts from arrival; auto-send allowed for one category sends
// its reply, the other waits in review; a message without a waybill stays
// at head office. Hostile callers: a token of another scope, a channel
// token reading, an oversize body, a wrong content type, a mailbox name
// as webhook channel, a clock years ahead. The same body runs on SQLite
// and on PostgreSQL.
func TestChannels(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testChannels(t, "") })
	t.Run("postgres", func(t *testing.T) {
		testChannels(t, harness.StartPostgres(t, harness.PostgresOptions{}).NewDatabase(t))
	})
}

// testChannels is TestChannels on the store at storeURL ("" for SQLite in
// the data directory).
func testChannels(t *testing.T, storeURL string) {
	dove := harness.StartDovecot(t, map[string]string{"kefu": "Mail-pass-42"})
	clk := clock.NewManual(time.Now().Truncate(time.Second))
	master := make([]byte, sealed.KeySize)
	rand.Read(master)
	mbox := channels.IMAP{Addr: dove.Addr(), User: "kefu", Password: "Mail-pass-42", Mailbox: "INBOX", Poll: time.Hour}
	dir := t.TempDir()
	start := func() *Server {
		t.Helper()
		s, err := Start(context.Background(), Config{DataDir: dir, StoreURL: storeURL, HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard(),
			Clock: clk, SweepEvery: time.Hour, MasterKey: master, IMAP: mbox})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := start()
	defer func() { s.Close() }()
	addOutlet(t, s, "SH-001")
	o := newOutlet("SH-001", clk)
	o.event(lifecycle.ParcelInbound, chWaybill, lifecycle.InboundV1{Waybill: chWaybill, HoldDays: 3, At: ms(clk.Now())})
	o.send(t, s, 1)
	admin := newAPI(t, s)
	tpl := map[string]string{}
	for cat, body := range map[string]string{
		"delay":  `{"title":"延误致歉","text":"很抱歉您的快递延误了，我们已加急处理。","category":"delay","keywords":["延误","太慢"]}`,
		"damage": `{"title":"破损处理","text":"很抱歉包裹破损，请保留外包装，我们将为您理赔。","category":"damage","keywords":["破损","坏了"]}`,
	} {
		var m map[string]any
		if code := admin.do("POST", "/api/v1/reply-templates", body, &m); code != 201 {
			t.Fatalf("template %s: %d %v", cat, code, m)
		}
		tpl[cat] = m["id"].(string)
	}
	var auto struct{ Categories []string }
	if code := admin.do("PUT", "/api/v1/channels/autosend", `{"categories":["delay"]}`, &auto); code != 200 || !slices.Equal(auto.Categories, []string{"delay"}) {
		t.Fatalf("allow auto-send for delay: %d %v", code, auto)
	}
	if code := admin.do("PUT", "/api/v1/channels/autosend", `{"categories":["weather"]}`, nil); code != 400 {
		t.Errorf("auto-send for an unknown category: %d, want 400", code)
	}

	// The mail, two hours old by the server's INTERNALDATE.
	mailAt := clk.Now().Add(-2 * time.Hour)
	appendMail(t, dove.Addr(), chineseMail(t), mailAt)

	// Read twice: one complaint.
	for i := range 2 {
		if _, err := s.Channels.PollIMAP(context.Background(), mbox); err != nil {
			t.Fatalf("read %d of the mailbox: %v", i, err)
		}
	}
	if n := unseen(t, dove.Addr()); n != 0 {
		t.Errorf("%d mails unseen after they were recorded", n)
	}
	mail := onlyComplaint(t, admin, lifecycle.ChannelEmail)
	id := mail["id"].(string)
	checkComplaint(t, mail, "damage", "SH-001", tpl["damage"], mailAt, lifecycle.ComplaintStateReceived)
	// What the customer wrote, decoded, reaches the outlet sealed under
	// its key; the HTML part's script and the attachment are not in it.
	text := openText(t, master, "SH-001", id, mail["text_sealed"].(string))
	for _, want := range []string{"包裹破损", chWaybill, "附件未打开", "evil.exe"} {
		if !strings.Contains(text, want) {
			t.Errorf("the mail's complaint text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "alert") || strings.Contains(text, "MZ") {
		t.Errorf("the mail's complaint text holds its script or attachment:\n%s", text)
	}

	// The webhook: a token of scope channels, the same message twice.
	var tok map[string]string
	if code := admin.do("POST", "/api/v1/tokens", `{"name":"wechat","scope":"channels"}`, &tok); code != 201 {
		t.Fatalf("channel token: %d %v", code, tok)
	}
	var steps map[string]string
	admin.do("POST", "/api/v1/tokens", `{"name":"crm","scope":"steps"}`, &steps)
	hooks := &apiClient{t: t, base: admin.base, tok: tok["token"]}
	hookAt := clk.Now().Add(-time.Hour)
	msg := fmt.Sprintf(`{"message_id":"wx-1","arrived_at":%q,"contact":"13812345678","text":"我的快递延误三天了，太慢","waybill":%q}`, hookAt.Format(time.RFC3339), chWaybill)
	var first, again channels.Result
	if code := hooks.do("POST", "/api/v1/channels/wechat/messages", msg, &first); code != 201 {
		t.Fatalf("webhook: %d %+v", code, first)
	}
	if code := hooks.do("POST", "/api/v1/channels/wechat/messages", msg, &again); code != 200 || !again.Duplicate || again.ID != first.ID {
		t.Fatalf("webhook again: %d %+v, want 200 with the same complaint", code, again)
	}
	if first.Category != "delay" || first.Outlet != "SH-001" || first.Reply != tpl["delay"] || !first.Sent {
		t.Errorf("webhook complaint %+v: want delay at SH-001 with its reply sent", first)
	}
	hook := onlyComplaint(t, admin, lifecycle.ChannelWeChat)
	checkComplaint(t, hook, "delay", "SH-001", tpl["delay"], hookAt, lifecycle.ComplaintStateAcknowledged)
	if hook["customer"] == "" || strings.Contains(fmt.Sprint(hook), "13812345678") {
		t.Errorf("the sender's phone is not hashed and sealed: %v", hook)
	}
	// Customer service finds the customer and opens the phone the message
	// came from, sealed under the outlet's key.
	var shown map[string]any
	if code := loginAs(t, s, "kefu0", "service").do("POST", "/api/v1/customers/"+hook["customer"].(string)+"/reveal", `{}`, &shown); code != 200 ||
		shown["phone"] != "13812345678" || shown["outlet"] != "SH-001" {
		t.Errorf("reveal the webhook sender: %d %v", code, shown)
	}

	// No waybill, a clock far ahead: head office keeps it, its clock from now.
	var kept channels.Result
	if code := hooks.do("POST", "/api/v1/channels/chat/messages",
		`{"message_id":"chat-9","arrived_at":"2099-01-01T00:00:00Z","contact":"openid-xyz","text":"客服态度很差"}`, &kept); code != 201 || kept.Outlet != syncproto.HubOrigin || kept.Sent {
		t.Fatalf("chat message: %d %+v, want it kept at head office, not sent", code, kept)
	}
	chat := onlyComplaint(t, admin, lifecycle.ChannelChat)
	if at := chat["received_at"].(string); at != clk.Now().UTC().Format(time.RFC3339) {
		t.Errorf("a year-2099 arrival starts the clock at %s, want now %s", at, clk.Now().UTC().Format(time.RFC3339))
	}

	// The review queue: the mail (damage is not auto-sent) and the chat
	// message, not the webhook's answered one.
	var review struct {
		ChannelReview []map[string]any `json:"channel_review"`
	}
	kefu := loginAs(t, s, "kefu1", "service")
	if code := kefu.do("GET", "/api/v1/channels/review", "", &review); code != 200 {
		t.Fatalf("review queue: %d", code)
	}
	var inReview []string
	for _, c := range review.ChannelReview {
		inReview = append(inReview, c["channel"].(string))
	}
	if slices.Sort(inReview); !slices.Equal(inReview, []string{"chat", "email"}) {
		t.Errorf("review queue holds %v, want chat and email", inReview)
	}

	// The outlet pulls the two routed complaints (the webhook's with its
	// reply), not the one head office keeps.
	clk.Advance(time.Second)
	got := map[string][]string{}
	for _, e := range o.pull(t, s) {
		if strings.HasPrefix(e.Type, "complaint.") {
			got[e.Subject] = append(got[e.Subject], e.Type)
		}
	}
	if len(got[id]) != 1 || len(got[first.ID]) != 2 || got[kept.ID] != nil {
		t.Errorf("the outlet pulled %v; want the mail's complaint, the webhook's with its reply, not the chat's", got)
	}

	// A message recorded and not answered where that is allowed (a hub
	// stopped between the two; here the category was allowed since) is
	// answered when it comes again, once.
	msg2 := `{"message_id":"wx-2","contact":"13812345678","text":"包裹破损了"}`
	var waits, answered channels.Result
	if code := hooks.do("POST", "/api/v1/channels/wechat/messages", msg2, &waits); code != 201 || waits.Category != "damage" || waits.Sent {
		t.Fatalf("wx-2: %d %+v, want damage waiting for review", code, waits)
	}
	admin.do("PUT", "/api/v1/channels/autosend", `{"categories":["delay","damage"]}`, nil)
	for range 2 {
		if code := hooks.do("POST", "/api/v1/channels/wechat/messages", msg2, &answered); code != 200 || !answered.Sent || answered.ID != waits.ID {
			t.Fatalf("wx-2 again: %d %+v, want it answered now", code, answered)
		}
	}
	var wx2 map[string]any
	admin.do("GET", "/api/v1/complaints/"+waits.ID, "", &wx2)
	if h, _ := wx2["history"].([]any); len(h) != 2 {
		t.Errorf("wx-2's history %v: want its receipt and one reply", wx2["history"])
	}

	// Hostile callers.
	big := `{"message_id":"wx-big","text":"` + strings.Repeat("长", 2<<20) + `"}`
	for _, c := range []struct {
		name, token, path, ctype, body string
		want                           int
	}{
		{"a token of another scope", steps["token"], "/api/v1/channels/wechat/messages", "", msg, 403},
		{"no token", "", "/api/v1/channels/wechat/messages", "", msg, 401},
		{"an oversize body", tok["token"], "/api/v1/channels/wechat/messages", "", big, 413},
		{"a wrong content type", tok["token"], "/api/v1/channels/wechat/messages", "text/plain", msg, 400},
		{"the mailbox posing as a webhook", tok["token"], "/api/v1/channels/email/messages", "", msg, 404},
		{"an unknown channel", tok["token"], "/api/v1/channels/fax/messages", "", msg, 404},
		{"no message id", tok["token"], "/api/v1/channels/wechat/messages", "", `{"text":"x"}`, 400},
		{"a bad arrival", tok["token"], "/api/v1/channels/wechat/messages", "", `{"message_id":"m","text":"x","arrived_at":"yesterday"}`, 400},
		{"a channel token reading", tok["token"], "/api/v1/complaints", "", "", 403},
	} {
		method := "POST"
		if c.body == "" {
			method = "GET"
		}
		caller := &apiClient{t: t, base: admin.base, tok: c.token, ctype: c.ctype}
		if code := caller.do(method, c.path, c.body, nil); code != c.want {
			t.Errorf("%s: %d, want %d", c.name, code, c.want)
		}
	}

	// What /metrics says of them.
	resp, err := http.Get("http://" + s.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`yizhan_hub_channel_messages_total{channel="wechat",result="recorded"} 2`,
		`yizhan_hub_channel_messages_total{channel="wechat",result="duplicate"} 3`,
		`yizhan_hub_channel_messages_total{channel="wechat",result="refused"} 1`,
		`yizhan_hub_channel_messages_total{channel="email",result="recorded"} 1`,
		`yizhan_hub_mailbox_reads_total{result="failed"} 0`,
	} {
		if !strings.Contains(string(metrics), want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A hub stopped after it recorded the mail and before \Seen: the mail
	// is unseen again, and the restarted hub reads it on start.
	markUnseen(t, dove.Addr())
	s.Close()
	s = start()
	admin = newAPI(t, s)
	eventually(t, "the restarted hub reads the mailbox", func() bool { return unseen(t, dove.Addr()) == 0 })
	onlyComplaint(t, admin, lifecycle.ChannelEmail)
	hooks.base = "http://" + s.HTTPAddr()
	if code := hooks.do("POST", "/api/v1/channels/wechat/messages", msg, &again); code != 200 || again.ID != first.ID {
		t.Errorf("webhook after the restart: %d %+v", code, again)
	}
	if n := len(complaintsOf(t, admin, lifecycle.ChannelWeChat)); n != 2 {
		t.Errorf("%d WeChat complaints after the restart, want wx-1 and wx-2", n)
	}

	// A mail over the size limit: its header becomes the complaint, its
	// body is not read, and it is one complaint too.
	huge := crlf("From: li@example.com\nSubject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("投诉：快递延误")) +
		"?=\nMessage-ID: <huge-1@example.com>\nContent-Type: text/plain\n\n" + strings.Repeat("padding line\n", channels.MaxMail/12))
	appendMail(t, dove.Addr(), huge, clk.Now())
	for range 2 {
		if _, err := s.Channels.PollIMAP(context.Background(), mbox); err != nil {
			t.Fatal(err)
		}
	}
	var bigOne map[string]any
	mails := complaintsOf(t, admin, lifecycle.ChannelEmail)
	for _, c := range mails {
		if c["id"] != id {
			admin.do("GET", "/api/v1/complaints/"+c["id"].(string), "", &bigOne)
		}
	}
	if len(mails) != 2 || bigOne == nil {
		t.Fatalf("%d mail complaints after the oversize mail, want 2", len(mails))
	}
	if text := openText(t, master, "hub", bigOne["id"].(string), bigOne["text_sealed"].(string)); !strings.Contains(text, "快递延误") || strings.Contains(text, "padding") {
		t.Errorf("the oversize mail's complaint reads %.200q: want its subject, not its body", text)
	}
	if bigOne["category"] != "delay" {
		t.Errorf("the oversize mail's category is %v, want delay from its subject", bigOne["category"])
	}
}

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// checkComplaint checks a complaint's category, outlet, proposed reply and
// first-reply deadline (arrival + the 24 h SLA).
func checkComplaint(t *testing.T, c map[string]any, category, outlet, reply string, arrived time.Time, state string) {
	t.Helper()
	if c["category"] != category || c["outlet"] != outlet || c["reply_template"] != reply || c["state"] != state {
		t.Errorf("complaint %v: want category %s, outlet %s, reply %s, state %s", c["id"], category, outlet, reply, state)
	}
	if c["reply_text"] == "" {
		t.Errorf("complaint %v has no proposed reply text", c["id"])
	}
	want := arrived.Add(lifecycle.DefaultSLA.FirstReply).UTC().Format(time.RFC3339)
	if c["first_reply_by"] != want {
		t.Errorf("complaint %v: first reply by %v, want %s (arrival + 24h)", c["id"], c["first_reply_by"], want)
	}
}

// complaintsOf lists the complaints of channel.
func complaintsOf(t *testing.T, c *apiClient, channel string) []map[string]any {
	t.Helper()
	var list struct{ Complaints []map[string]any }
	if code := c.do("GET", "/api/v1/complaints?limit=500", "", &list); code != 200 {
		t.Fatalf("complaints: %d", code)
	}
	var mine []map[string]any
	for _, x := range list.Complaints {
		if x["channel"] == channel {
			mine = append(mine, x)
		}
	}
	return mine
}

// onlyComplaint is the one complaint of channel, folded with its fields.
func onlyComplaint(t *testing.T, c *apiClient, channel string) map[string]any {
	t.Helper()
	mine := complaintsOf(t, c, channel)
	if len(mine) != 1 {
		t.Fatalf("%d complaints from %s, want 1: %v", len(mine), channel, mine)
	}
	var full map[string]any
	c.do("GET", "/api/v1/complaints/"+mine[0]["id"].(string), "", &full)
	return full
}

func openText(t *testing.T, master []byte, outlet, id, s string) string {
	t.Helper()
	m, _ := sealed.NewMaster(master)
	text, err := m.Open(outlet, sealed.Text, sealed.Record{Kind: lifecycle.KindComplaint, ID: id}, s)
	if err != nil {
		t.Fatalf("the outlet's key does not open the complaint's text: %v", err)
	}
	return text
}

// chineseMail is a complaint as a customer's mail program sends it: a
// GB18030 base64 subject, a GBK quoted-printable text part naming the
// waybill, an HTML part with a script, and an executable attached.
func chineseMail(t *testing.T) []byte {
	t.Helper()
	gb := func(s string) []byte {
		b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write(gb("您好，我的包裹破损了，运单号 " + chWaybill + "，里面的东西坏了。"))
	w.Close()
	subject := "=?GB18030?B?" + base64.StdEncoding.EncodeToString(gb("投诉：包裹破损")) + "?="
	html := base64.StdEncoding.EncodeToString([]byte(`<html><body><p>包裹破损</p><script>alert(1)</script></body></html>`))
	exe := base64.StdEncoding.EncodeToString([]byte("MZ\x90\x00 not a program"))
	return []byte(strings.ReplaceAll(`From: =?UTF-8?B?`+base64.StdEncoding.EncodeToString([]byte("张三"))+`?= <zhangsan@example.com>
To: kefu@example.com
Subject: `+subject+`
Message-ID: <complaint-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=gbk
Content-Transfer-Encoding: quoted-printable

`+qp.String()+`
--alt
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

`+html+`
--alt--
--outer
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="evil.exe"
Content-Transfer-Encoding: base64

`+exe+`
--outer--
`, "\n", "\r\n"))
}

// mailbox logs in to the test mailbox; the caller logs out (Dovecot takes
// ten connections per user and address, and the checks poll).
func mailbox(t *testing.T, addr string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("kefu", "Mail-pass-42").Wait(); err != nil {
		c.Close()
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}

func logout(c *imapclient.Client) {
	_ = c.Logout().Wait()
	c.Close()
}

// appendMail puts raw into the mailbox with the server's receipt time at.
func appendMail(t *testing.T, addr string, raw []byte, at time.Time) {
	t.Helper()
	c := mailbox(t, addr)
	defer logout(c)
	cmd := c.Append("INBOX", int64(len(raw)), &imap.AppendOptions{Time: at})
	if _, err := cmd.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("APPEND: %v", err)
	}
}

func unseen(t *testing.T, addr string) int {
	t.Helper()
	c := mailbox(t, addr)
	defer logout(c)
	d, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return len(d.AllUIDs())
}

func markUnseen(t *testing.T, addr string) {
	t.Helper()
	c := mailbox(t, addr)
	defer logout(c)
	f := &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}, Silent: true}
	if err := c.Store(imap.SeqSetNum(1), f, nil).Close(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkChannelMessages records distinct webhook messages, each a new
// complaint (its waybill at no outlet, so head office keeps it), with two
// templates to rank (SQLite, one caller at a time).
func BenchmarkChannelMessages(b *testing.B) {
	master := make([]byte, sealed.KeySize)
	rand.Read(master)
	s, err := Start(context.Background(), Config{DataDir: b.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard(),
		SweepEvery: time.Hour, MasterKey: master})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	addOutletB(b, s, "SH-001")
	ctx := context.Background()
	for _, tpl := range []string{"delay", "damage"} {
		raw := fmt.Sprintf(`{"title":%q,"text":"抱歉","category":%q,"keywords":["延误","破损"]}`, tpl, tpl)
		if _, err := s.Hub.PublishDown(ctx, syncproto.TargetAll, lifecycle.TemplatePublished, "tpl-"+tpl, []byte(raw), "hq"); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		res, err := s.Channels.Receive(ctx, channels.Message{Channel: "wechat", ID: fmt.Sprint("bench-", i), Contact: "13812345678",
			Text: "我的快递延误三天了，太慢", Waybill: chWaybill})
		if err != nil || res.Duplicate {
			b.Fatal(res, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "messages/s")
}
