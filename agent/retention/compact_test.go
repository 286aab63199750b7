package retention

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/workflow"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/purge"
)

// twin opens a copy of o's data file, at o's time.
func (o *outlet) twin(t *testing.T) *outlet {
	t.Helper()
	dir := t.TempDir()
	if err := o.file.View(func(tx *bolt.Tx) error { return tx.CopyFile(filepath.Join(dir, datafile.FileName), 0o600) }); err != nil {
		t.Fatal(err)
	}
	return openAt(t, dir, clock.NewManual(o.clk.Now()))
}

// keys counts the keys of top-level buckets.
func (o *outlet) keys(t *testing.T, buckets ...[]byte) int {
	t.Helper()
	n := 0
	err := o.file.View(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			n += tx.Bucket(b).Stats().KeyN
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// down applies head office's events to o, as the sync client would.
func (o *outlet) down(t *testing.T, evs ...syncproto.Event) {
	t.Helper()
	cur := o.log.Counters().DownCursor
	for i := range evs {
		evs[i].Origin, evs[i].Seq, evs[i].V, evs[i].Actor = syncproto.HubOrigin, cur+1+uint64(i), 1, "hq"
		evs[i].ID, evs[i].HLC = fmt.Sprintf("hub-%d", evs[i].Seq), hlc.Make(o.clk.Now().UnixMilli(), uint16(i))
		if evs[i].Target == "" {
			evs[i].Target = syncproto.TargetAll
		}
	}
	if _, err := o.log.ApplyDown(&syncproto.Down{From: cur, Through: cur + uint64(len(evs)), HubTime: o.clk.Now().UnixMilli(), Events: evs}, workflow.Projector()); err != nil {
		t.Fatal(err)
	}
}

// since returns o's own events after seq.
func (o *outlet) since(t *testing.T, seq uint64) []syncproto.Event {
	t.Helper()
	raws, err := o.log.ReadRaw(seq+1, 1000, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]syncproto.Event, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// project folds o's own events into the twin's counter work, as its log
// would have on recording them.
func (o *outlet) project(t *testing.T, evs []syncproto.Event) {
	t.Helper()
	err := o.file.Update(func(tx *bolt.Tx) error {
		for i := range evs {
			raw, _ := json.Marshal(evs[i])
			if err := workflow.Projector().Project(tx, &evs[i], raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func payload(v any) json.RawMessage { raw, _ := json.Marshal(v); return raw }

// Retention folds the history of finished business into its state: the
// counter's views do not change, and steps that come later — head
// office's on an old notice and an old exception, a parcel of an old
// waybill taken in again, a scan of a picked-up one — fold exactly as on a
// copy of the file that kept every event. The personal purge reaches the
// kept base too.
func TestCompactedHistoryFoldsLateSteps(t *testing.T) {
	ctx := context.Background()
	o := open(t)
	o.business(t, 0, 24)
	if err := o.log.Acknowledge(o.log.Counters().LastSeq, nil); err != nil {
		t.Fatal(err)
	}
	o.clk.Advance(120 * 24 * time.Hour)
	kept := o.twin(t)
	before, history := o.views(t), o.keys(t, datafile.WorkflowEvents)

	rep, err := Run(ctx, o.f(), o.log, o.clk, Config{PersonalDays: -1}, false)
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Compacted
	// 24 parcels: picked up, refused (going back) or with a closed
	// exception are finished; the 6 with an open complaint are still in
	// stock and keep theirs, as do the 6 open complaints.
	if c.Entities[lifecycle.KindParcel] != 12 || c.Entities[lifecycle.KindException] != 6 || c.Entities[lifecycle.KindNotice] != 1 || c.Entities[lifecycle.KindComplaint] != 0 {
		t.Fatalf("compacted %+v", c)
	}
	if after := o.keys(t, datafile.WorkflowEvents); after != history-c.Events || c.Events == 0 {
		t.Fatalf("wf_events/ holds %d of %d after compacting %d", after, history, c.Events)
	}
	if v := o.views(t); v != before {
		t.Fatalf("views changed by compaction:\n%s\n%s", before, v)
	}
	if v := kept.views(t); v != before {
		t.Fatal("the copy's views differ before anything happened")
	}

	// Later steps, on both files alike.
	var notice, exception, picked string
	xs, _ := o.svc.Exceptions(false, 100)
	for _, x := range xs {
		exception = x.ID
	}
	ns, _ := o.svc.Notices(false)
	for _, n := range ns {
		notice = n.ID
	}
	ps, _ := o.svc.Parcels(lifecycle.ParcelStatePickedUp, 100)
	for _, p := range ps {
		picked = p.Waybill
	}
	if notice == "" || exception == "" || picked == "" {
		t.Fatalf("no old notice %q, exception %q or picked-up parcel %q", notice, exception, picked)
	}
	late := []syncproto.Event{
		{Type: lifecycle.NoticeEnded, Subject: notice, Payload: payload(lifecycle.NoticeEndedV1{Text: "已恢复", At: o.clk.Now().UnixMilli()})},
		{Type: lifecycle.ExceptionStep, Subject: exception, Payload: payload(lifecycle.ExceptionStepV1{Step: "assign", Owner: "hq-07", At: o.clk.Now().UnixMilli()})},
	}
	o.down(t, late...)
	kept.down(t, late...)
	seq := o.log.Counters().LastSeq
	again, _, err := o.svc.Inbound(ctx, clerk, workflow.InboundReq{Barcode: picked, Phone: "13900000000", Shelf: "B", Layer: "2"})
	if err != nil {
		t.Fatalf("take in the old waybill %s again: %v", picked, err)
	}
	if _, err := o.log.Append(ctx, eventlog.Draft{Actor: "scanner-1", Type: lifecycle.ParcelScanned, Subject: ps[0].Waybill, Payload: payload(lifecycle.ScannedV1{Barcode: ps[0].Waybill, Action: "inbound"})}); err != nil {
		t.Fatal(err)
	}
	kept.project(t, o.since(t, seq))
	got, want := o.views(t), kept.views(t)
	if got != want {
		t.Fatalf("after late steps, the compacted file shows\n%s\nand the full one\n%s", got, want)
	}
	if got == before {
		t.Fatal("the late steps changed nothing")
	}
	x, err := o.svc.Exception(exception)
	if err != nil || len(x.History) < 4 || len(x.Conflicts) != 1 {
		t.Fatalf("old exception after head office's late step: %+v %v", x, err)
	}

	// Once the parcel is picked up again and the personal period has
	// passed, the base its new steps left is scrubbed as its state is.
	if _, err := o.svc.Pickup(ctx, clerk, picked, workflow.PickupReq{Code: again.PickupCode, IDCheck: "code_only", Signer: "recipient", SignatureSVG: sig}); err != nil {
		t.Fatal(err)
	}
	if err := o.log.Acknowledge(o.log.Counters().LastSeq, nil); err != nil {
		t.Fatal(err)
	}
	// Event pruning off, so the base keeps its own state for the purge.
	o.clk.Advance(400 * 24 * time.Hour)
	if _, err := Run(ctx, o.f(), o.log, o.clk, Config{EventsDays: -1}, false); err != nil {
		t.Fatal(err)
	}
	bases := 0
	err = o.file.View(func(tx *bolt.Tx) error {
		return tx.Bucket(datafile.WorkflowBase).ForEach(func(k, v []byte) error {
			var b struct {
				State json.RawMessage `json:"state"`
			}
			if err := json.Unmarshal(v, &b); err != nil {
				return err
			}
			if b.State != nil {
				bases++
			}
			for _, m := range purge.Markers() {
				if bytes.Contains(v, []byte(m)) {
					return fmt.Errorf("%q keeps %s after the purge: %s", k, m, v)
				}
			}
			return nil
		})
	})
	if err != nil || bases == 0 {
		t.Fatalf("bases with their own state: %d; %v", bases, err)
	}
}

// finishedMonth is a month of an outlet whose business all ends: parcels
// taken in and picked up, a complaint closed, a notice from head office
// published and ended, and one event the hub refused.
func (o *outlet) finishedMonth(t *testing.T, month int) {
	t.Helper()
	ctx := context.Background()
	for i := range 8 {
		o.clk.Advance(20 * time.Hour)
		wb := fmt.Sprintf("SF%013d", month*100+i)
		p, _, err := o.svc.Inbound(ctx, clerk, workflow.InboundReq{Barcode: wb, Phone: fmt.Sprintf("139%08d", i), Name: "王小明", Shelf: "A", Layer: "1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.svc.Pickup(ctx, clerk, wb, workflow.PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "recipient", SignatureSVG: sig}); err != nil {
			t.Fatal(err)
		}
	}
	cv, _, err := o.svc.NewComplaint(ctx, clerk, workflow.ComplaintReq{Channel: "counter", Type: "suggestion", Category: "other", Severity: "routine", Phone: "13800000000", Text: "多开一个窗口"})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range lifecycle.ComplaintSteps()[:8] {
		if _, err := o.svc.ComplaintStep(ctx, clerk, cv.ID, lifecycle.ComplaintStepV1{Step: st, Satisfaction: 5, Note: "好"}); err != nil {
			t.Fatalf("complaint step %s: %v", st, err)
		}
	}
	id := fmt.Sprintf("N-%d", month)
	o.down(t, syncproto.Event{Type: lifecycle.NoticePublished, Subject: id, Payload: payload(lifecycle.NoticePublishedV1{Title: "暴雨", Text: "延误", Severity: "info", ValidFrom: o.clk.Now().UnixMilli()})})
	o.clk.Advance(24 * time.Hour)
	o.down(t, syncproto.Event{Type: lifecycle.NoticeEnded, Subject: id, Payload: payload(lifecycle.NoticeEndedV1{Text: "恢复", At: o.clk.Now().UnixMilli()})})
	last := o.log.Counters().LastSeq
	if err := o.log.Acknowledge(last, []syncproto.Rejection{{Seq: last, Code: "event.invalid", Reason: "test"}}); err != nil {
		t.Fatal(err)
	}
}

// Month after month of the same business, with retention's defaults, what
// the outlet holds of the past stops growing once the window has passed:
// the event log, head office's events, the dead letters and the counter's
// per-entity history. The states (the projections) stay.
func TestHistoryStopsGrowing(t *testing.T) {
	o := open(t)
	history := [][]byte{datafile.Events, datafile.Down, datafile.Dead, datafile.WorkflowEvents}
	var held, states []int
	for month := range 10 {
		start := o.clk.Now()
		o.finishedMonth(t, month)
		o.clk.Set(start.Add(30 * 24 * time.Hour))
		if _, err := Run(context.Background(), o.f(), o.log, o.clk, Config{}, false); err != nil {
			t.Fatal(err)
		}
		held = append(held, o.keys(t, history...))
		states = append(states, o.keys(t, datafile.WorkflowState))
	}
	t.Logf("history keys by month %v; states %v", held, states)
	steady := held[4]
	for m := 5; m < len(held); m++ {
		if held[m] > steady {
			t.Errorf("month %d holds %d keys of history, more than month 4's %d: %v", m, held[m], steady, held)
		}
	}
	if held[len(held)-1] == 0 || states[len(states)-1] <= states[4] {
		t.Fatalf("nothing kept, or states lost: %v %v", held, states)
	}
}
