package notices_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/downlink"
	"github.com/yizhan/yizhan/hub/ingest"
	"github.com/yizhan/yizhan/hub/notices"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
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
	svc := notices.New(down)
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
