package lifecycle

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// Every kind has a default, and nothing outside the vocabulary has one.
func TestExceptionDeadlineDefaultsCoverEveryKind(t *testing.T) {
	for _, k := range ExceptionKinds {
		if DefaultExceptionDeadlines[k] <= 0 {
			t.Errorf("kind %q has no default deadline", k)
		}
	}
	for k := range DefaultExceptionDeadlines {
		if !slices.Contains(ExceptionKinds, k) {
			t.Errorf("default deadline for %q, which is not an exception kind", k)
		}
	}
}

// Per kind, a stepping clock walks the deadline down to its breach; a
// handled exception's remaining time stops where it was handled.
func TestExceptionDeadlinesPerKind(t *testing.T) {
	limits, err := ParseExceptionDeadlines("refused=12h")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind string
		want time.Duration
	}{
		{"damaged", 7 * 24 * time.Hour}, {"lost", 7 * 24 * time.Hour}, {"delayed", 48 * time.Hour},
		{"refused", 12 * time.Hour}, // configured
		{"address_problem", 24 * time.Hour}, {"wrong_phone", 24 * time.Hour}, {"prohibited", 24 * time.Hour},
		{"mis_sorted", 24 * time.Hour}, {"overdue", 72 * time.Hour}, {"other", 7 * 24 * time.Hour},
		{"unheard_of", 7 * 24 * time.Hour}, // an old event's kind: the fallback
	} {
		t.Run(tc.kind, func(t *testing.T) {
			clk := clock.NewManual(t0)
			x := Exception{ID: "x1", Kind: tc.kind, State: ExceptionStateReported, ReportedAt: t0}
			d := x.Deadline(limits, clk.Now())
			if !d.HandleBy.Equal(t0.Add(tc.want)) || d.HandleRemaining != int64(tc.want/time.Second) || d.Breached != nil {
				t.Fatalf("at report: %+v, want by %v with %v left", d, t0.Add(tc.want), tc.want)
			}
			clk.Advance(tc.want - time.Second)
			if d := x.Deadline(limits, clk.Now()); d.HandleRemaining != 1 || d.Breached != nil || x.Overdue(limits, clk.Now()) {
				t.Fatalf("a second before: %+v", d)
			}
			clk.Advance(2 * time.Second)
			d = x.Deadline(limits, clk.Now())
			if d.HandleRemaining != -1 || !reflect.DeepEqual(d.Breached, []string{ReasonHandleBreached}) || !x.Overdue(limits, clk.Now()) {
				t.Fatalf("a second after: %+v, overdue %v", d, x.Overdue(limits, clk.Now()))
			}
		})
	}
}

// Handling in time freezes the countdown and is never overdue; handling
// late keeps the breach on record but is no longer overdue.
func TestExceptionDeadlineHandled(t *testing.T) {
	var m evMaker
	yes := true
	evs := FoldException("x1", []syncproto.Event{
		m.ev("SH-001", 0, ExceptionReported, "x1", ExceptionReportedV1{Waybill: "SF1", Kind: "damaged", Owner: "c01", At: t0.UnixMilli()}),
		m.ev("SH-001", time.Hour, ExceptionStep, "x1", ExceptionStepV1{Step: "start_handling", At: t0.Add(time.Hour).UnixMilli()}),
		m.ev("SH-001", 2*time.Hour, ExceptionStep, "x1", ExceptionStepV1{Step: "inform_customer", At: t0.Add(2 * time.Hour).UnixMilli()}),
		m.ev("SH-001", 3*time.Hour, ExceptionStep, "x1", ExceptionStepV1{Step: "open_claim", At: t0.Add(3 * time.Hour).UnixMilli()}),
		m.ev("hub", 24*time.Hour, ExceptionStep, "x1", ExceptionStepV1{Step: "decide_claim", Approved: &yes, At: t0.Add(24 * time.Hour).UnixMilli()}),
		m.ev("SH-001", 30*24*time.Hour, ExceptionStep, "x1", ExceptionStepV1{Step: "close", At: t0.Add(30 * 24 * time.Hour).UnixMilli()}),
	})
	clk := clock.NewManual(t0.Add(60 * 24 * time.Hour))
	if h := evs.HandledAt(); !h.Equal(t0.Add(24 * time.Hour)) {
		t.Fatalf("handled at %v, want the claim decision", h)
	}
	d := evs.Deadline(DefaultExceptionDeadlines, clk.Now())
	if want := int64(6 * 24 * 3600); d.HandleRemaining != want || d.Breached != nil || !d.HandledAt.Equal(t0.Add(24*time.Hour)) || evs.Overdue(DefaultExceptionDeadlines, clk.Now()) {
		t.Fatalf("handled in time: %+v, want %d s frozen", d, want)
	}

	late := Exception{ID: "x2", Kind: "delayed", State: ExceptionStateClosed, ReportedAt: t0,
		History: []HistoryItem{{Step: "report", State: ExceptionStateReported, At: t0.UnixMilli()},
			{Step: "close", State: ExceptionStateClosed, At: t0.Add(50 * time.Hour).UnixMilli()}}}
	d = late.Deadline(DefaultExceptionDeadlines, clk.Now())
	if d.HandleRemaining != -2*3600 || len(d.Breached) != 1 || late.Overdue(DefaultExceptionDeadlines, clk.Now()) {
		t.Fatalf("closed 2 h late: %+v, overdue %v", d, late.Overdue(DefaultExceptionDeadlines, clk.Now()))
	}
	if d := (&Exception{}).Deadline(DefaultExceptionDeadlines, clk.Now()); d.HandleRemaining != 0 || !d.HandleBy.IsZero() || d.Breached != nil || !d.HandledAt.IsZero() {
		t.Errorf("no exception: %+v", d)
	}
}

func TestParseExceptionDeadlines(t *testing.T) {
	got, err := ParseExceptionDeadlines(" delayed = 36h , lost=240h,")
	if err != nil {
		t.Fatal(err)
	}
	if got["delayed"] != 36*time.Hour || got["lost"] != 240*time.Hour || got["damaged"] != DefaultResult {
		t.Errorf("parsed %v", got)
	}
	if DefaultExceptionDeadlines["delayed"] != 48*time.Hour {
		t.Errorf("parsing changed the defaults: %v", DefaultExceptionDeadlines)
	}
	if d, err := ParseExceptionDeadlines(""); err != nil || !reflect.DeepEqual(d, DefaultExceptionDeadlines) {
		t.Errorf("empty: %v, %v", d, err)
	}
	for _, bad := range []string{"delayd=36h", "delayed", "delayed=soon", "delayed=-1h", "delayed=0s"} {
		if _, err := ParseExceptionDeadlines(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// NextDue is the deadline still to meet: a complaint's first reply, then
// its result (none for praise once answered); an exception's handling
// deadline until it is handled; nothing once closed.
func TestNextDue(t *testing.T) {
	at := time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)
	sla := SLA{FirstReply: time.Hour, Result: 10 * time.Hour}
	c := Complaint{State: ComplaintStateReceived, Type: "complaint", ReceivedAt: at}
	if got := c.NextDue(sla); !got.Equal(at.Add(time.Hour)) {
		t.Errorf("received: due %v", got)
	}
	c.FirstReplyAt, c.State = at.Add(time.Minute), ComplaintStateAcknowledged
	if got := c.NextDue(sla); !got.Equal(at.Add(10 * time.Hour)) {
		t.Errorf("answered: due %v, want the result deadline", got)
	}
	c.ResultAt = at.Add(2 * time.Hour)
	if got := c.NextDue(sla); !got.IsZero() {
		t.Errorf("result given: due %v", got)
	}
	praise := Complaint{State: ComplaintStateAcknowledged, Type: "praise", ReceivedAt: at, FirstReplyAt: at}
	if got := praise.NextDue(sla); !got.IsZero() {
		t.Errorf("answered praise: due %v", got)
	}
	if got := (&Complaint{State: ComplaintStateClosed, Type: "complaint", ReceivedAt: at}).NextDue(sla); !got.IsZero() {
		t.Errorf("closed: due %v", got)
	}
	if got := (&Complaint{State: ComplaintStateReceived, Type: "complaint", ReceivedAt: at}).NextDue(SLA{}); !got.Equal(at.Add(DefaultFirstReply)) {
		t.Errorf("default SLA: due %v", got)
	}
	x := Exception{State: ExceptionStateReported, Kind: "refused", ReportedAt: at}
	limits := ExceptionDeadlines{"refused": 12 * time.Hour}
	if got := x.NextDue(limits); !got.Equal(at.Add(12 * time.Hour)) {
		t.Errorf("exception: due %v", got)
	}
	if got := x.NextDue(nil); !got.Equal(at.Add(DefaultExceptionDeadlines["refused"])) {
		t.Errorf("exception, default limits: due %v", got)
	}
	x.History = []HistoryItem{{State: ExceptionStateClosed, At: at.UnixMilli()}}
	x.State = ExceptionStateClosed
	if got := x.NextDue(limits); !got.IsZero() {
		t.Errorf("closed exception: due %v", got)
	}
}

// From the deadline's instant on, an exception and a complaint are breached
// and overdue, as head office's queue says by NextDue (due at or before
// now), even while the remaining whole seconds still read 0.
func TestBreachedFromTheDeadlineOn(t *testing.T) {
	limits := ExceptionDeadlines{"refused": time.Hour}
	x := Exception{ID: "x1", Kind: "refused", State: ExceptionStateReported, ReportedAt: t0}
	c := Complaint{ID: "c1", Type: "complaint", State: "received", ReceivedAt: t0}
	first := t0.Add(DefaultSLA.FirstReply)
	for _, tc := range []struct {
		name       string
		at         time.Time
		breached   bool
		complaintB bool
	}{
		{"a millisecond before", t0.Add(time.Hour - time.Millisecond), false, false},
		{"at the deadline", t0.Add(time.Hour), true, false},
		{"half a second after", t0.Add(time.Hour + 500*time.Millisecond), true, false},
		{"at the first-reply deadline", first, true, true},
		{"half a second after it", first.Add(500 * time.Millisecond), true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			due := !x.NextDue(limits).After(tc.at)
			d := x.Deadline(limits, tc.at)
			if got := len(d.Breached) > 0; got != tc.breached || x.Overdue(limits, tc.at) != tc.breached || due != tc.breached {
				t.Errorf("exception: breached %v overdue %v due %v (%+v), want %v", got, x.Overdue(limits, tc.at), due, d, tc.breached)
			}
			cd := c.Deadlines(DefaultSLA, tc.at)
			cdue := !c.NextDue(DefaultSLA).After(tc.at)
			if got := slices.Contains(cd.Breached, ReasonFirstReplyBreached); got != tc.complaintB || cdue != tc.complaintB {
				t.Errorf("complaint: first reply breached %v due %v (%+v), want %v", got, cdue, cd, tc.complaintB)
			}
		})
	}
}
