package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

const sig = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100"><path d="M10 10 L50 60 L90 20"/></svg>`

type labels struct {
	mu              sync.Mutex
	shelf, receipts int
	receiptText     string // the last receipt's complaint text
}

func (l *labels) ShelfLabel(lifecycle.Parcel) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shelf++
	return uint64(l.shelf), nil
}

func (l *labels) ComplaintReceipt(c lifecycle.Complaint, _ time.Time) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.receipts++
	l.receiptText = c.Text
	return uint64(100 + l.receipts), nil
}

type fixture struct {
	svc    *Service
	events *eventlog.Log
	file   *datafile.File
	dir    string
	clk    *clock.Manual
	lbl    *labels
	clerk  Actor
	boss   Actor
}

// installation is head office's master key in these tests.
var installation = bytes.Repeat([]byte{7}, 32)

// outletKeys are the keys head office issues to outlet: its own key, no
// master.
func outletKeys(t *testing.T, outlet string) *pii.Keys {
	t.Helper()
	raw, err := sealed.IssueKeyFile(installation, outlet, false)
	if err != nil {
		t.Fatal(err)
	}
	kf, err := sealed.ParseKeyFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pii.FromKeyFile(kf)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func newFixture(t *testing.T, pcSkew time.Duration) *fixture {
	t.Helper()
	dir := t.TempDir()
	keys := outletKeys(t, "SH-001")
	clk := clock.NewManual(time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC))
	// The PC clock is off by pcSkew; the hub-corrected clock is right.
	file, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := eventlog.Open(file, eventlog.Options{Projectors: []eventlog.Projector{Projector()},
		Clock: clock.Offset(clk, pcSkew)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); file.Close() })
	lbl := &labels{}
	svc, err := New(file, l, Config{Keys: keys, HubClock: clk, Labels: lbl})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, events: l, file: file, dir: dir, clk: clk, lbl: lbl, clerk: Actor{ID: "c01", Name: "张三", Role: "clerk"}, boss: Actor{ID: "s01", Name: "李主管", Role: "supervisor"}}
}

func isKind[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// isClass reports whether err is a catalog error of class c.
func isClass(err error, c problem.Class) bool {
	return problem.As(err) != nil && problem.CodeOf(err).Class() == c
}

func TestParcelInAndOut(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	p, job, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "RB123456785GB", Phone: "138 1234 5678", Name: "王小明", Shelf: "3", Layer: "2"})
	if err != nil {
		t.Fatal(err)
	}
	if p.State != lifecycle.ParcelStateInStock || !strings.HasPrefix(p.PickupCode, "3-2-") || p.PhoneMasked != "138****5678" || job != 1 || p.Notified != 1 {
		t.Fatalf("after inbound: %+v job %d", p, job)
	}
	if _, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "RB123456785GB", Phone: "13812345678"}); !problem.Is(err, problem.ParcelInStock) {
		t.Fatalf("second inbound: %v", err)
	}
	if _, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "RB123456784GB", Phone: "13812345678"}); !isClass(err, problem.Invalid) {
		t.Fatalf("misread waybill: %v", err)
	}
	if _, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "SF100", Phone: "12345"}); !isClass(err, problem.Invalid) {
		t.Fatalf("bad phone: %v", err)
	}
	found, _ := f.svc.Find("", "", "5678")
	if len(found) != 1 || found[0].Waybill != "RB123456785GB" {
		t.Fatalf("find by last 4: %+v", found)
	}
	found, _ = f.svc.Find(p.PickupCode, "", "")
	if len(found) != 1 {
		t.Fatalf("find by code: %+v", found)
	}
	for name, tc := range map[string]struct {
		req  PickupReq
		want string
	}{
		"wrong code":        {PickupReq{Code: "9-9-9999", IDCheck: "code_only", Signer: "recipient", SignatureSVG: sig}, "does not match"},
		"staff signs":       {PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "staff", SignatureSVG: sig}, "never sign"},
		"staff as agent":    {PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "agent", AgentName: "张三", SignatureSVG: sig}, "never sign"},
		"no signature":      {PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "recipient"}, "signature or an explicit confirmation"},
		"script in svg":     {PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "recipient", SignatureSVG: `<svg><script>alert(1)</script></svg>`}, "strokes only"},
		"empty svg":         {PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "recipient", SignatureSVG: `<svg></svg>`}, "empty"},
		"no identity check": {PickupReq{Code: p.PickupCode, Signer: "recipient", SignatureSVG: sig}, "identity"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := f.svc.Pickup(ctx, f.clerk, "RB123456785GB", tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	p, err = f.svc.Pickup(ctx, f.clerk, "RB123456785GB", PickupReq{Code: p.PickupCode, IDCheck: "id_card", Signer: "agent", AgentName: "邻居赵六", SignatureSVG: sig})
	if err != nil || p.State != lifecycle.ParcelStatePickedUp || len(p.Pickup.SignatureSHA256) != 64 || p.Pickup.Staff != "c01" {
		t.Fatalf("pickup: %+v %v", p, err)
	}
	if _, err := f.svc.Pickup(ctx, f.clerk, "RB123456785GB", PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "recipient", SignatureSVG: sig}); !problem.Is(err, problem.ParcelPickedUp) {
		t.Fatalf("second pickup: %v", err)
	}
	if found, _ := f.svc.Find(p.PickupCode, "", ""); len(found) != 0 {
		t.Fatal("a picked-up parcel still holds its pickup code")
	}
	// Refuse another one: it leaves stock and enters the return flow.
	q, _, _ := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "73123456789012", Phone: "13900001111", Shelf: "1", Layer: "1"})
	q, err = f.svc.Refuse(ctx, f.clerk, q.Waybill, "外包装破损 / box crushed")
	if err != nil || q.State != lifecycle.ParcelStateReturning {
		t.Fatalf("refuse: %+v %v", q, err)
	}
}

func TestPickupCodesUniqueUnderConcurrency(t *testing.T) {
	f := newFixture(t, 0)
	var wg sync.WaitGroup
	codes := make(chan string, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, _, err := f.svc.Inbound(context.Background(), f.clerk, InboundReq{Barcode: "X" + strings.Repeat("0", 3) + string(rune('A'+i%26)) + time.Duration(i).String(), Phone: "13800000000", Shelf: "A", Layer: "1"})
			if err != nil {
				t.Error(err)
				return
			}
			codes <- p.PickupCode
		}(i)
	}
	wg.Wait()
	close(codes)
	seen := map[string]bool{}
	for c := range codes {
		if seen[c] {
			t.Fatalf("pickup code %s issued twice", c)
		}
		seen[c] = true
	}
	if len(seen) != 200 {
		t.Fatalf("%d codes", len(seen))
	}
}

func TestNoPhoneInClearOnDisk(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "SF1000000000001", Phone: "13987654321", Name: "欧阳娜娜", Shelf: "2", Layer: "1"})
	c, _, err := f.svc.NewComplaint(ctx, f.clerk, ComplaintReq{Channel: "counter", Type: "complaint", Category: "delay", Severity: "routine", Phone: "13987654321", Name: "欧阳娜娜", Text: "太慢，快递员把包裹扔在楼下"})
	if err != nil || c.Text != "太慢，快递员把包裹扔在楼下" || c.TextSealed == "" {
		t.Fatalf("the counter sees the complaint as %+v, %v", c.Complaint, err)
	}
	if got, _ := f.svc.Complaints(false, 10); len(got) != 1 || got[0].Text != c.Text {
		t.Fatalf("complaint list: %+v", got)
	}
	if f.lbl.receipts != 1 || f.lbl.receiptText != c.Text {
		t.Fatalf("%d complaint receipts, the last with %q", f.lbl.receipts, f.lbl.receiptText)
	}
	// A pickup by an agent, and one confirmed in words: both name people.
	p, _ := f.svc.Parcel("SF1000000000001")
	p, err = f.svc.Pickup(ctx, f.clerk, p.Waybill, PickupReq{Code: p.PickupCode, IDCheck: "id_card", Signer: "agent", AgentName: "邻居司马懿", Confirmation: "司马懿代欧阳娜娜签收"})
	if err != nil || p.Pickup.AgentNameMasked != "邻****" || p.Pickup.AgentNameSealed == "" || p.Pickup.ConfirmationSealed == "" || p.Pickup.Confirmation != "" || p.Pickup.AgentName != "" {
		t.Fatalf("pickup: %+v %v", p.Pickup, err)
	}
	// A supervisor sees who took it, and that view is recorded.
	for field, want := range map[string]string{"agent_name": "邻居司马懿", "confirmation": "司马懿代欧阳娜娜签收"} {
		if rv, err := f.svc.Reveal(ctx, f.boss, lifecycle.KindParcel, p.Waybill, field); err != nil || rv.Value != want || rv.Audit.Type != lifecycle.PersonalViewed {
			t.Fatalf("reveal %s: %q %v", field, rv.Value, err)
		}
	}
	q, _, _ := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "SF1000000000003", Phone: "13987654321", Shelf: "2", Layer: "1"})
	if _, err := f.svc.Pickup(ctx, f.clerk, q.Waybill, PickupReq{Code: q.PickupCode, IDCheck: "code_only", Signer: "recipient", Confirmation: "欧阳娜娜本人签收"}); err != nil {
		t.Fatal(err)
	}
	f.events.Close()
	f.file.Close()
	raw, err := os.ReadFile(filepath.Join(f.dir, datafile.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{"13987654321", "987654321", "欧阳娜娜", "司马懿", "扔在楼下"} {
		if bytes.Contains(raw, []byte(clear)) {
			t.Fatalf("%q is in the data file in clear", clear)
		}
	}
	if !bytes.Contains(raw, []byte("139****4321")) {
		t.Fatal("masked phone missing: is the check looking at the right file?")
	}
}

func TestRevealNeedsSupervisorAndIsAudited(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	p, _, _ := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "SF1000000000002", Phone: "13700001234", Shelf: "2", Layer: "1"})
	if _, err := f.svc.Reveal(ctx, f.clerk, lifecycle.KindParcel, p.Waybill, "phone"); !isClass(err, problem.Forbidden) {
		t.Fatalf("clerk reveal: %v", err)
	}
	before := f.events.Counters().LastSeq
	rv, err := f.svc.Reveal(ctx, f.boss, lifecycle.KindParcel, p.Waybill, "phone")
	if got := rv.Value; err != nil || got != "13700001234" {
		t.Fatalf("reveal: %q %v", got, err)
	}
	if rv.Audit.Type != lifecycle.PersonalViewed || rv.Audit.Actor != "s01" || rv.Audit.Seq != before+1 {
		t.Fatalf("reveal names audit event %+v, want the %s by s01 at seq %d", rv.Audit, lifecycle.PersonalViewed, before+1)
	}
	raws, _ := f.events.ReadRaw(before+1, 10, 1<<20)
	if len(raws) != 1 || !bytes.Contains(raws[0], []byte(lifecycle.PersonalViewed)) || !bytes.Contains(raws[0], []byte(`"actor":"s01"`)) {
		t.Fatalf("no audit event: %s", raws)
	}
}

func TestExceptionLifecycle(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	x, err := f.svc.ReportException(ctx, f.clerk, ReportReq{Waybill: "SF1", Kind: "damaged", Note: "角压坏", Photos: [][]byte{png}})
	if err != nil || x.State != lifecycle.ExceptionStateReported || x.Owner != "c01" || len(x.Photos) != 1 {
		t.Fatalf("report: %+v %v", x, err)
	}
	if b, err := f.svc.Photo(x.Photos[0].SHA256); err != nil || !bytes.Equal(b, png) {
		t.Fatalf("photo: %v", err)
	}
	if _, err := f.svc.ReportException(ctx, f.clerk, ReportReq{Waybill: "SF1", Kind: "exploded"}); !problem.Is(err, problem.ExceptionBadKind) {
		t.Fatalf("bad kind: %v", err)
	}
	if _, err := f.svc.ReportException(ctx, f.clerk, ReportReq{Waybill: "快递123", Kind: "damaged"}); !problem.Is(err, problem.BarcodeWaybillChars) {
		t.Fatalf("exception on a waybill no parcel can have: %v", err)
	}
	if _, err := f.svc.ExceptionStep(ctx, f.clerk, x.ID, lifecycle.ExceptionStepV1{Step: "close"}); !isKind[*lifecycle.StepError](err) {
		t.Fatalf("close from reported: %v", err)
	}
	for _, st := range []string{"start_handling", "inform_customer", "open_claim"} {
		if x, err = f.svc.ExceptionStep(ctx, f.clerk, x.ID, lifecycle.ExceptionStepV1{Step: st}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.ExceptionStep(ctx, f.clerk, x.ID, lifecycle.ExceptionStepV1{Step: "decide_claim"}); err == nil || !strings.Contains(err.Error(), "head office") {
		t.Fatalf("outlet deciding a claim: %v", err)
	}
	// Head office decides while the outlet looks on: it arrives by downlink.
	yes := true
	hubEv := hubEvent(t, 1, lifecycle.ExceptionStep, x.ID, lifecycle.ExceptionStepV1{Step: "decide_claim", Approved: &yes, AmountCents: 12000, At: f.clk.Now().UnixMilli()})
	if _, err := f.events.ApplyDown(&syncproto.Down{From: 0, Through: 1, HubTime: hubMillis(), Events: []syncproto.Event{hubEv}}, Projector()); err != nil {
		t.Fatal(err)
	}
	x, _ = f.svc.Exception(x.ID)
	if x.State != lifecycle.ExceptionStateClaimDecided || !x.Claim.Approved || x.Claim.AmountCents != 12000 {
		t.Fatalf("after hub decision: %+v", x)
	}
	if x, err = f.svc.ExceptionStep(ctx, f.clerk, x.ID, lifecycle.ExceptionStepV1{Step: "close"}); err != nil || x.State != lifecycle.ExceptionStateClosed {
		t.Fatalf("close: %+v %v", x, err)
	}
}

// hubMillis is head office's time in these tests: hubEvent stamps with it,
// and the Downs carry it, as the hub's do, so the agent adopts the stamps.
func hubMillis() int64 { return time.Now().Add(time.Hour).UnixMilli() }

func hubEvent(t *testing.T, seq uint64, typ, subject string, payload any) syncproto.Event {
	raw, _ := json.Marshal(payload)
	return syncproto.Event{ID: "hub-" + subject + string(rune('0'+seq)), Origin: syncproto.HubOrigin, Seq: seq, HLC: hlc.Make(hubMillis(), 0),
		Actor: "hq", Type: typ, V: 1, Subject: subject, Target: "SH-001", Payload: raw}
}

// With the PC clock six hours off either way, deadlines come from the
// hub-corrected clock, and the sweep escalates exactly when the hub would.
func TestComplaintSLAWithSkewedPCClock(t *testing.T) {
	for _, skew := range []time.Duration{-6 * time.Hour, 6 * time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			f := newFixture(t, skew)
			ctx := context.Background()
			received := f.clk.Now()
			v, job, err := f.svc.NewComplaint(ctx, f.clerk, ComplaintReq{Channel: "counter", Type: "complaint", Category: "delay", Severity: "major", Phone: "13812345678", Text: "三天没到"})
			if err != nil || job == 0 {
				t.Fatalf("new complaint: %v job %d", err, job)
			}
			if !v.FirstReplyBy.Equal(received.Add(24*time.Hour)) || v.FirstReplyRemaining != 24*3600 || !strings.HasPrefix(v.Ticket, "T261111-SH-001-") {
				t.Fatalf("deadlines: %+v", v)
			}
			f.clk.Advance(23 * time.Hour)
			if n, _ := f.svc.Sweep(ctx); n != 0 {
				t.Fatalf("escalated %d before the deadline", n)
			}
			f.clk.Advance(2 * time.Hour)
			if n, _ := f.svc.Sweep(ctx); n != 1 {
				t.Fatalf("sweep after breach recorded %d events", n)
			}
			if n, _ := f.svc.Sweep(ctx); n != 0 {
				t.Fatalf("escalated twice: %d", n)
			}
			v, _ = f.svc.Complaint(v.ID)
			if len(v.Escalations) != 1 || v.FirstReplyRemaining != -3600 || len(v.Breached) != 1 {
				t.Fatalf("after breach: %+v", v)
			}
			if _, err := f.svc.ComplaintStep(ctx, f.clerk, v.ID, lifecycle.ComplaintStepV1{Step: "close"}); !isKind[*lifecycle.StepError](err) {
				t.Fatalf("close from received: %v", err)
			}
			for _, st := range []lifecycle.ComplaintStepV1{{Step: "acknowledge"}, {Step: "investigate"}, {Step: "decide_responsibility"},
				{Step: "propose_solution"}, {Step: "customer_agrees"}, {Step: "carry_out"}, {Step: "follow_up", Satisfaction: 4}, {Step: "close"}} {
				if v, err = f.svc.ComplaintStep(ctx, f.clerk, v.ID, st); err != nil {
					t.Fatalf("%s: %v", st.Step, err)
				}
			}
			if v.State != lifecycle.ComplaintStateClosed || v.Satisfaction != 4 {
				t.Fatalf("closed: %+v", v)
			}
		})
	}
}

func TestOverdueAndReminder(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	p, _, _ := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "SF1000000000003", Phone: "13700001234", Shelf: "2", Layer: "1"})
	f.clk.Advance(6*24*time.Hour + time.Hour)
	if n, _ := f.svc.Sweep(ctx); n != 1 {
		t.Fatalf("reminder sweep: %d", n)
	}
	f.clk.Advance(24 * time.Hour)
	f.svc.Sweep(ctx)
	p, _ = f.svc.Parcel(p.Waybill)
	if p.State != lifecycle.ParcelStateOverdue || p.Notified != 2 {
		t.Fatalf("after holding period: %+v", p)
	}
	if found, _ := f.svc.Find(p.PickupCode, "", ""); len(found) != 1 {
		t.Fatal("an overdue parcel can still be collected until it is sent back")
	}
	if p, err := f.svc.Return(ctx, f.clerk, p.Waybill, "超期退回"); err != nil || p.State != lifecycle.ParcelStateReturning {
		t.Fatalf("return: %+v %v", p, err)
	}
	if found, _ := f.svc.Find(p.PickupCode, "", ""); len(found) != 0 {
		t.Fatal("a returned parcel still holds its pickup code")
	}
}

// The counter's notices are the active ones and those head office ended
// within lifecycle.RecoveryShown, with their recovery text; one ended
// longer ago, one merely expired, and the ended ones' effects are left out.
func TestCurrentNoticesKeepRecentlyEnded(t *testing.T) {
	f := newFixture(t, 0)
	now := f.clk.Now()
	valid := func(title string, from, to time.Duration) lifecycle.NoticePublishedV1 {
		return lifecycle.NoticePublishedV1{Title: title, Severity: "warning", ValidFrom: now.Add(from).UnixMilli(), ValidTo: now.Add(to).UnixMilli(),
			Effects: &lifecycle.NoticeEffects{HoldDays: 10}}
	}
	evs := []syncproto.Event{
		hubEvent(t, 1, lifecycle.NoticePublished, "live", valid("在效", -time.Hour, 30*24*time.Hour)),
		hubEvent(t, 2, lifecycle.NoticePublished, "recent", valid("刚结束", -48*time.Hour, 48*time.Hour)),
		hubEvent(t, 3, lifecycle.NoticeEnded, "recent", lifecycle.NoticeEndedV1{Text: "已恢复正常派送", At: now.Add(-time.Hour).UnixMilli()}),
		hubEvent(t, 4, lifecycle.NoticePublished, "old", valid("早已结束", -30*24*time.Hour, 48*time.Hour)),
		hubEvent(t, 5, lifecycle.NoticeEnded, "old", lifecycle.NoticeEndedV1{Text: "上月已恢复", At: now.Add(-lifecycle.RecoveryShown - time.Minute).UnixMilli()}),
		hubEvent(t, 6, lifecycle.NoticePublished, "expired", valid("已过期", -72*time.Hour, -time.Hour)),
	}
	if _, err := f.events.ApplyDown(&syncproto.Down{From: 0, Through: 6, HubTime: hubMillis(), Events: evs}, Projector()); err != nil {
		t.Fatal(err)
	}
	ns, err := f.svc.CurrentNotices()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]lifecycle.Notice{}
	for _, n := range ns {
		got[n.ID] = n
	}
	if len(ns) != 2 || got["live"].Ended || !got["recent"].Ended || got["recent"].RecoveryText != "已恢复正常派送" ||
		got["recent"].EndedAt != now.Add(-time.Hour).UnixMilli() {
		t.Fatalf("current notices %+v, want live and recent (ended, with its recovery text)", ns)
	}
	if active, _ := f.svc.Notices(true); len(active) != 1 || active[0].ID != "live" {
		t.Fatalf("active notices %+v, want live only", active)
	}
	if e, _ := f.svc.Effects(); e == nil || e.HoldDays != 10 {
		t.Fatalf("effects %+v, want the live notice's", e)
	}
	// A week after the end the recovery text leaves the counter.
	f.clk.Advance(lifecycle.RecoveryShown)
	if ns, _ := f.svc.CurrentNotices(); len(ns) != 1 || ns[0].ID != "live" {
		t.Fatalf("a week on: %+v, want live only", ns)
	}
}

func TestNoticesAndTemplatesFromHub(t *testing.T) {
	f := newFixture(t, 0)
	now := f.clk.Now()
	evs := []syncproto.Event{
		hubEvent(t, 1, lifecycle.NoticePublished, "n1", lifecycle.NoticePublishedV1{Title: "台风停运", Text: "暂停派送", Severity: "critical", ValidFrom: now.Add(-time.Hour).UnixMilli(), ValidTo: now.Add(48 * time.Hour).UnixMilli()}),
		hubEvent(t, 2, lifecycle.TemplatePublished, "t1", lifecycle.TemplateV1{Title: "延误致歉", Text: "非常抱歉……", Category: "delay", Keywords: []string{"慢"}}),
	}
	if _, err := f.events.ApplyDown(&syncproto.Down{From: 0, Through: 2, HubTime: hubMillis(), Events: evs}, Projector()); err != nil {
		t.Fatal(err)
	}
	ns, _ := f.svc.Notices(true)
	if len(ns) != 1 || ns[0].Title != "台风停运" {
		t.Fatalf("notices %+v", ns)
	}
	if _, err := f.svc.AckNotice(context.Background(), f.clerk, "n1"); err != nil {
		t.Fatal(err)
	}
	ns, _ = f.svc.Notices(true)
	if len(ns[0].Acks) != 1 {
		t.Fatalf("ack not folded: %+v", ns[0])
	}
	ts, _ := f.svc.ReplyTemplates("delay", "太慢了")
	if len(ts) != 1 || ts[0].ID != "t1" {
		t.Fatalf("templates %+v", ts)
	}
}

// A clerk-typed waybill that could never print as Code 128 is refused at
// check-in with the character, and nothing is recorded.
func TestInboundRefusesWaybillsLabelsCannotHold(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	for _, wb := range []string{"顺丰456", "快递123", "SF123 456"} {
		before := f.events.Counters().LastSeq
		_, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: wb, Phone: "13700001234", Shelf: "2", Layer: "1"})
		if !problem.Is(err, problem.BarcodeWaybillChars) {
			t.Fatalf("Inbound(%q) = %v, want %s", wb, err, problem.BarcodeWaybillChars)
		}
		if after := f.events.Counters().LastSeq; after != before {
			t.Fatalf("Inbound(%q) recorded %d events", wb, after-before)
		}
	}
}
