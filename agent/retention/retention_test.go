package retention

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/agent/workflow"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

type outlet struct {
	file *datafile.File
	log  *eventlog.Log
	svc  *workflow.Service
	clk  *clock.Manual
}

func open(t *testing.T) *outlet {
	t.Helper()
	return openAt(t, t.TempDir(), clock.NewManual(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)))
}

func openAt(t *testing.T, dir string, clk *clock.Manual) *outlet {
	t.Helper()
	raw, err := sealed.IssueKeyFile(bytes.Repeat([]byte{7}, 32), "SH-001", false)
	if err != nil {
		t.Fatal(err)
	}
	kf, _ := sealed.ParseKeyFile(raw)
	keys, err := pii.FromKeyFile(kf)
	if err != nil {
		t.Fatal(err)
	}
	f, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := eventlog.Open(f, eventlog.Options{Clock: clk, Projectors: []eventlog.Projector{workflow.Projector()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); f.Close() })
	svc, err := workflow.New(f, l, workflow.Config{Keys: keys, HubClock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return &outlet{f, l, svc, clk}
}

var clerk = workflow.Actor{ID: "c01", Name: "张三", Role: "clerk"}

const sig = `<svg xmlns="http://www.w3.org/2000/svg"><path d="M1 1 L9 9"/></svg>`

// business records events of many kinds: parcels in, shelved, scanned,
// picked up, refused; complaints and exceptions with steps; a notice from
// head office.
func (o *outlet) business(t *testing.T, from, n int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i < from+n; i++ {
		o.clk.Advance(7 * time.Hour)
		wb := fmt.Sprintf("SF%013d", 1000+i)
		p, _, err := o.svc.Inbound(ctx, clerk, workflow.InboundReq{Barcode: wb, Phone: fmt.Sprintf("139%08d", i), Name: "王小明", Shelf: "A", Layer: "1"})
		if err != nil {
			t.Fatal(err)
		}
		scan, _ := json.Marshal(lifecycle.ScannedV1{Barcode: wb, Action: "inbound"})
		if _, err := o.log.Append(ctx, eventlog.Draft{Actor: "scanner-1", Type: lifecycle.ParcelScanned, Subject: wb, Payload: scan}); err != nil {
			t.Fatal(err)
		}
		switch i % 4 {
		case 0:
			if _, err := o.svc.Pickup(ctx, clerk, wb, workflow.PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "recipient", SignatureSVG: sig}); err != nil {
				t.Fatal(err)
			}
		case 1:
			if _, err := o.svc.Refuse(ctx, clerk, wb, "破损"); err != nil {
				t.Fatal(err)
			}
		case 2:
			x, err := o.svc.ReportException(ctx, clerk, workflow.ReportReq{Waybill: wb, Kind: "damaged", Note: "角压坏",
				Photos: [][]byte{append([]byte("\x89PNG\r\n\x1a\n"), byte(i))}})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range []string{"start_handling", "inform_customer", "close"} {
				if _, err := o.svc.ExceptionStep(ctx, clerk, x.ID, lifecycle.ExceptionStepV1{Step: st}); err != nil {
					t.Fatal(err)
				}
			}
		case 3:
			if _, _, err := o.svc.NewComplaint(ctx, clerk, workflow.ComplaintReq{Channel: "counter", Type: "complaint", Category: "delay", Severity: "routine",
				Phone: fmt.Sprintf("138%08d", i), Text: "太慢了"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	raw, _ := json.Marshal(lifecycle.NoticePublishedV1{Title: "春节", Text: "春节期间暂停派送", Severity: "info", ValidFrom: o.clk.Now().UnixMilli(), ValidTo: o.clk.Now().Add(24 * time.Hour).UnixMilli()})
	hub := syncproto.Event{ID: "hub-n1", Origin: syncproto.HubOrigin, Seq: o.log.Counters().DownCursor + 1, HLC: hlc.Make(o.clk.Now().UnixMilli(), 0),
		Actor: "hq", Type: lifecycle.NoticePublished, V: 1, Subject: fmt.Sprintf("N%d", o.log.Counters().DownCursor+1), Target: syncproto.TargetAll, Payload: raw}
	if _, err := o.log.ApplyDown(&syncproto.Down{From: hub.Seq - 1, Through: hub.Seq, HubTime: o.clk.Now().UnixMilli(), Events: []syncproto.Event{hub}}, workflow.Projector()); err != nil {
		t.Fatal(err)
	}
}

// views is the JSON of the counter's lists and every entity's detail, as
// the API answers them.
func (o *outlet) views(t *testing.T) string {
	t.Helper()
	var out []any
	add := func(v any, err error) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	ps, err := o.svc.Parcels("", 1000)
	add(ps, err)
	for _, p := range ps {
		add(o.svc.Parcel(p.Waybill))
	}
	cs, err := o.svc.Complaints(false, 1000)
	add(cs, err)
	for _, c := range cs {
		add(o.svc.Complaint(c.ID))
	}
	xs, err := o.svc.Exceptions(false, 1000)
	add(xs, err)
	for _, x := range xs {
		add(o.svc.Exception(x.ID))
	}
	add(o.svc.Notices(false))
	add(o.svc.Find("", "", "0001"))
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// The counter's views are byte for byte what they were after pruning the
// log, old events of every kind included; the run is an event, and the
// outbox is untouched.
func TestPruneKeepsViews(t *testing.T) {
	o := open(t)
	o.business(t, 0, 24)
	old := o.log.Counters().LastSeq
	if err := o.log.Acknowledge(old, nil); err != nil {
		t.Fatal(err)
	}
	o.clk.Advance(120 * 24 * time.Hour)
	o.business(t, 100, 4) // recent, not acknowledged
	before := o.views(t)
	last := o.log.Counters().LastSeq
	dry, err := Run(context.Background(), o.f(), o.log, o.clk, Config{PersonalDays: -1, Batch: 7}, true)
	if err != nil || dry.Events.Events != old || o.log.Counters().LastSeq != last {
		t.Fatalf("dry run %+v %v", dry.Events, err)
	}
	rep, err := Run(context.Background(), o.f(), o.log, o.clk, Config{PersonalDays: -1, Batch: 7}, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events.Events != old || rep.Events.First != 1 || rep.Events.Last != old || rep.Events.Txs < int(old)/7 {
		t.Fatalf("pruned %+v, want 1..%d", rep.Events, old)
	}
	if after := o.views(t); after != before {
		t.Fatalf("views changed after pruning:\n%s\n%s", before, after)
	}
	// The outbox: the recent events and the run's own event, in order.
	raws, err := o.log.ReadRaw(old+1, 1000, 1<<30)
	if err != nil || uint64(len(raws)) != last-old+1 {
		t.Fatalf("outbox %d events, want %d: %v", len(raws), last-old+1, err)
	}
	var ev syncproto.Event
	if err := json.Unmarshal(raws[len(raws)-1], &ev); err != nil || ev.Type != lifecycle.RetentionRan || ev.Subject != "retention/events" {
		t.Fatalf("last event %+v %v", ev, err)
	}
	var p lifecycle.RetentionV1
	if err := json.Unmarshal(ev.Payload, &p); err != nil || p.Removed["events"] != int64(old) || p.Days != DefaultEventsDays || p.Cutoff != o.clk.Now().Add(-90*24*time.Hour).UnixMilli() {
		t.Fatalf("retention event %s %v", ev.Payload, err)
	}
	if lr, ok, err := Last(o.f()); err != nil || !ok || lr.Events.Events != old {
		t.Fatalf("last report %+v %v %v", lr, ok, err)
	}
	var text strings.Builder
	rep.Print(&text)
	if !strings.Contains(text.String(), fmt.Sprintf("removed %d, seq 1..%d", old, old)) || !strings.Contains(text.String(), "已删除") {
		t.Fatalf("report says:\n%s", text.String())
	}
}

func (o *outlet) f() *datafile.File { return o.file }

// An agent whose hub was never reached keeps everything, however old.
func TestUnreachableHubKeepsAll(t *testing.T) {
	o := open(t)
	o.business(t, 0, 8)
	n := o.log.Counters().LastSeq
	o.clk.Advance(400 * 24 * time.Hour)
	rep, err := Run(context.Background(), o.f(), o.log, o.clk, Config{}, false)
	if err != nil || rep.Events.Events != 0 || rep.Personal.Values != 0 || o.log.Counters().PrunedSeq != 0 {
		t.Fatalf("run %+v %v", rep, err)
	}
	raws, _ := o.log.ReadRaw(1, 1000, 1<<30)
	if uint64(len(raws)) != n+2 {
		t.Fatalf("log holds %d, want %d and the two retention events", len(raws), n)
	}
}

// The daily run is due at its time of day on the runner's clock, once.
func TestRunnerDaily(t *testing.T) {
	o := open(t)
	o.clk.Set(time.Date(2026, 3, 1, 1, 0, 0, 0, time.Local))
	r := &Runner{File: o.f(), Log: o.log, Clock: o.clk, Config: Config{At: "03:30"}}
	if _, ran, _ := r.Tick(context.Background()); ran {
		t.Fatal("ran before its time")
	}
	o.clk.Set(time.Date(2026, 3, 1, 3, 30, 0, 0, time.Local))
	if _, ran, err := r.Tick(context.Background()); !ran || err != nil {
		t.Fatalf("not run at its time: %v", err)
	}
	o.clk.Advance(time.Hour)
	if _, ran, _ := r.Tick(context.Background()); ran {
		t.Fatal("ran twice in a day")
	}
	o.clk.Advance(23 * time.Hour)
	if _, ran, _ := r.Tick(context.Background()); !ran {
		t.Fatal("not run the next day")
	}
	if err := (Config{At: "25:00"}).Check(); err == nil {
		t.Fatal("a time of day 25:00 passed")
	}
}
