package notices_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/downlink"
	"github.com/yizhan/yizhan/hub/ingest"
	"github.com/yizhan/yizhan/hub/notices"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// TestEndOrdersAfterAFutureAckWithoutTakingItsYear is the review's
// experiment at the hub: an outlet whose PC says 2500 acknowledges a notice
// and head office ends it. The end folds after the acknowledgement, yet
// neither it nor the stamps the hub gives out later carry the year 2500.
func TestEndOrdersAfterAFutureAckWithoutTakingItsYear(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	wall := clock.NewManual(now)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{Clock: wall})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := ingest.New(ingest.Options{Store: st, Clock: wall, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	down, err := downlink.New(downlink.Options{Store: st, Down: h, Clock: wall})
	if err != nil {
		t.Fatal(err)
	}
	svc := notices.New(down, st)
	n, err := svc.PublishNotice(ctx, notices.NoticeReq{Title: "暴雨预警", Text: "今日派送可能延误。", Actor: "hq-ops"})
	if err != nil {
		t.Fatal(err)
	}

	wall.Advance(time.Second)
	y2500 := hlc.Make(time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 0)
	ack, _ := json.Marshal(lifecycle.NoticeAckV1{Staff: "c01", At: y2500.WallMillis()})
	b := syncproto.Batch{Origin: "SH-A", First: 1, Last: 1, Events: []syncproto.Event{{ID: "a1", Origin: "SH-A", Seq: 1, HLC: y2500,
		Actor: "c01", Type: lifecycle.NoticeAcknowledged, V: 1, Subject: n.ID, Payload: ack}}}
	frame, err := syncproto.Encode(syncproto.KindBatch, b, -1)
	if err != nil {
		t.Fatal(err)
	}
	var a syncproto.Ack
	msgs := h.Handle(ctx, syncproto.UplinkTopic("SH-A"), frame)
	if len(msgs) != 1 {
		t.Fatalf("%d replies", len(msgs))
	}
	if _, err := syncproto.Decode(msgs[0].Payload, syncproto.KindAck, &a); err != nil || a.AckedSeq != 1 {
		t.Fatalf("ack %+v %v", a, err)
	}
	ceiling := hlc.Ceiling(wall.Now(), hlc.DefaultMaxSkew)
	if a.HubHLC > ceiling {
		t.Fatalf("the ack gives out %v, beyond hub time plus the bound", a.HubHLC)
	}

	wall.Advance(time.Second)
	ended, err := svc.EndNotice(ctx, n.ID, "hq-ops", "恢复正常")
	if err != nil {
		t.Fatal(err)
	}
	if !ended.Ended || len(ended.Acks) != 1 || ended.Acks[0].Outlet != "SH-A" {
		t.Fatalf("ended notice %+v", ended.Notice)
	}
	evs, err := down.Events(ctx, lifecycle.KindNotice, n.ID)
	if err != nil || len(evs) != 3 {
		t.Fatalf("notice events %+v %v", evs, err)
	}
	if evs[0].Type != lifecycle.NoticePublished || evs[1].Type != lifecycle.NoticeAcknowledged || evs[2].Type != lifecycle.NoticeEnded {
		t.Fatalf("fold order %s, %s, %s; want published, acknowledged, ended", evs[0].Type, evs[1].Type, evs[2].Type)
	}
	if evs[1].HLC != y2500 {
		t.Fatalf("the acknowledgement's own stamp changed to %v", evs[1].HLC)
	}
	if end := evs[2].HLC; end > hlc.Ceiling(wall.Now(), hlc.DefaultMaxSkew)+1 {
		t.Fatalf("the end step carries %v: it inherited the outlet's future", end)
	}
	// The hub's own clock was not moved either.
	later, err := svc.PublishNotice(ctx, notices.NoticeReq{Title: "恢复", Text: "一切正常。", Actor: "hq-ops"})
	if err != nil {
		t.Fatal(err)
	}
	evs, _ = down.Events(ctx, lifecycle.KindNotice, later.ID)
	if len(evs) != 1 || evs[0].HLC > hlc.Ceiling(wall.Now(), hlc.DefaultMaxSkew)+1 {
		t.Fatalf("a later notice carries %+v", evs)
	}
}

// A notice to a region reaches that region's outlets as they are when it
// is published, and no other; it lists the outlets it went to, and whose
// acknowledgement it still awaits. An unknown region is refused.
func TestNoticeToARegion(t *testing.T) {
	ctx := context.Background()
	wall := clock.NewManual(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{Clock: wall})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := ingest.New(ingest.Options{Store: st, Clock: wall, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	down, err := downlink.New(downlink.Options{Store: st, Down: h, Clock: wall})
	if err != nil {
		t.Fatal(err)
	}
	svc := notices.New(down, st)
	for id, region := range map[string]string{"SH-A": "华东", "SH-B": "华东", "BJ-A": "华北"} {
		if err := st.AddOutlet(ctx, id, "h", false); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetPlace(ctx, id, store.Place{Region: &region}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = svc.PublishNotice(ctx, notices.NoticeReq{Title: "台风", Text: "暂停派送。", Regions: []string{"华南"}})
	if problem.As(err) == nil || problem.As(err).Code() != problem.RegionNotFound {
		t.Fatalf("a notice to a region without outlets: %v, want region.not_found", err)
	}
	n, err := svc.PublishNotice(ctx, notices.NoticeReq{Title: "台风", Text: "暂停派送。", Regions: []string{"华东"}, Scope: []string{"SH-B"}, Actor: "em-lead"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(n.Scope, []string{"SH-B", "SH-A"}) || !slices.Equal(n.Regions, []string{"华东"}) {
		t.Fatalf("notice scope %v regions %v, want [SH-B SH-A] [华东]", n.Scope, n.Regions)
	}
	// An outlet that joins the region later is not in it.
	if _, err := st.SetPlace(ctx, "BJ-A", store.Place{Region: ptr("华东")}); err != nil {
		t.Fatal(err)
	}
	pull := func(outlet string) []string {
		t.Helper()
		frame, err := syncproto.Encode(syncproto.KindPull, syncproto.Pull{Origin: outlet}, -1)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range h.Handle(ctx, syncproto.PullTopic(outlet), frame) {
			var d syncproto.Down
			if _, err := syncproto.Decode(m.Payload, syncproto.KindDown, &d); err != nil {
				continue
			}
			for _, e := range d.Events {
				got = append(got, e.Subject)
			}
		}
		return got
	}
	if got := pull("SH-A"); !slices.Equal(got, []string{n.ID}) {
		t.Errorf("SH-A, in the region, pulled %v", got)
	}
	if got := pull("BJ-A"); len(got) != 0 {
		t.Errorf("BJ-A, outside the region when it was published, pulled %v", got)
	}
	ack, _ := json.Marshal(lifecycle.NoticeAckV1{Staff: "c01", At: wall.Now().UnixMilli()})
	frame, _ := syncproto.Encode(syncproto.KindBatch, syncproto.Batch{Origin: "SH-A", First: 1, Last: 1, Events: []syncproto.Event{{ID: "a1", Origin: "SH-A", Seq: 1,
		HLC: hlc.Make(wall.Now().UnixMilli(), 0), Actor: "c01", Type: lifecycle.NoticeAcknowledged, V: 1, Subject: n.ID, Payload: ack}}}, -1)
	h.Handle(ctx, syncproto.UplinkTopic("SH-A"), frame)
	got, err := svc.Notice(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Acks) != 1 || got.Acks[0].Outlet != "SH-A" || !slices.Equal(got.Awaiting, []string{"SH-B"}) {
		t.Fatalf("acknowledged by %+v, awaiting %v; want SH-A, and SH-B awaited", got.Acks, got.Awaiting)
	}
}

func ptr[T any](v T) *T { return &v }
