package lifecycle

import (
	"slices"
	"testing"

	"github.com/yizhan/yizhan/syncproto"
)

func TestClassifyUsesTheRanking(t *testing.T) {
	ts := []Template{
		{ID: "t1", TemplateV1: TemplateV1{Title: "延误致歉", Category: "delay", Keywords: []string{"延误", "慢"}}},
		{ID: "t2", TemplateV1: TemplateV1{Title: "破损处理", Category: "damage", Keywords: []string{"破损", "坏了"}}},
		{ID: "t3", TemplateV1: TemplateV1{Title: "通用", Keywords: []string{"投诉"}}},
		{ID: "t4", TemplateV1: TemplateV1{Title: "旧的", Category: "loss", Keywords: []string{"丢"}, Withdrawn: true}},
		{ID: "t5", TemplateV1: TemplateV1{Title: "不在表里", Category: "nonsense", Keywords: []string{"奇怪"}}},
	}
	for _, c := range []struct{ text, want string }{
		{"我的快递延误了三天，太慢", "delay"},
		{"箱子破损，东西坏了，还有点慢", "damage"}, // 4 against 2
		{"我要投诉", CategoryOther},      // only a template without a category
		{"包裹丢了", CategoryOther},      // the withdrawn one does not count
		{"很奇怪", CategoryOther},       // a category outside the vocabulary is not taken
		{"", CategoryOther},
	} {
		if got := Classify(ts, c.text); got != c.want {
			t.Errorf("Classify(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	p, ok := Propose(ts, "damage", "箱子破损")
	if !ok || p.ID != "t2" || p.Score != 5 {
		t.Errorf("Propose = %+v %v, want t2 scoring 5", p, ok)
	}
	if _, ok := Propose(ts, "fees", "你好"); ok {
		t.Error("Propose found a template for text nothing matches")
	}
}

func TestHeadOfficeChannels(t *testing.T) {
	if want := []string{ChannelWeChat, ChannelChat, ChannelCallCenter, ChannelEmail}; !slices.Equal(HeadOfficeChannels, want) {
		t.Errorf("HeadOfficeChannels = %v, want %v", HeadOfficeChannels, want)
	}
	for _, c := range HeadOfficeChannels {
		if !slices.Contains(ComplaintChannels, c) {
			t.Errorf("head-office channel %s is not a complaint channel", c)
		}
	}
}

func TestHubComplaintRoutedToOutlet(t *testing.T) {
	mk := func(origin string, r ComplaintReceivedV1) Complaint {
		m := &evMaker{seq: map[string]uint64{}}
		ev := m.ev(origin, 0, ComplaintReceived, "c1", r)
		return FoldComplaint("c1", []syncproto.Event{ev})
	}
	r := ComplaintReceivedV1{Ticket: "T1", Channel: ChannelWeChat, Type: "complaint", Category: "delay", Severity: "routine",
		Text: "x", Outlet: "SH-001", ReplyTemplate: "t1", ReplyText: "抱歉", At: 1000}
	if c := mk("hub", r); c.Outlet != "SH-001" || c.ReplyTemplate != "t1" || c.ReplyText != "抱歉" {
		t.Errorf("hub's routed complaint folds to %+v", c)
	}
	// An outlet cannot route its complaint to another outlet.
	if c := mk("SH-002", r); c.Outlet != "SH-002" {
		t.Errorf("outlet's complaint naming another outlet folds to outlet %q", c.Outlet)
	}
	r.Outlet = ""
	if c := mk("hub", r); c.Outlet != "hub" {
		t.Errorf("hub's unrouted complaint folds to outlet %q, want hub", c.Outlet)
	}
}
