package workflow

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// The outlet counts an exception's deadline on hub-corrected time, not the
// PC's (six hours wrong here), by the configured deadline of its kind.
func TestExceptionDeadlineOnHubTime(t *testing.T) {
	f := newFixture(t, -6*time.Hour)
	var err error
	if f.svc.cfg.Deadlines, err = lifecycle.ParseExceptionDeadlines("refused=2h"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	delayed, err := f.svc.ReportException(ctx, f.clerk, ReportReq{Waybill: "SF1", Kind: "delayed"})
	if err != nil {
		t.Fatal(err)
	}
	refused, err := f.svc.ReportException(ctx, f.clerk, ReportReq{Waybill: "SF2", Kind: "refused"})
	if err != nil {
		t.Fatal(err)
	}
	if d := f.svc.ExceptionDeadline(delayed); !d.HandleBy.Equal(f.clk.Now().Add(48*time.Hour)) || d.HandleRemaining != 48*3600 {
		t.Fatalf("delayed at report: %+v", d)
	}
	f.clk.Advance(2*time.Hour + time.Second)
	if d := f.svc.ExceptionDeadline(refused); d.HandleRemaining != -1 || !slices.Equal(d.Breached, []string{lifecycle.ReasonHandleBreached}) {
		t.Errorf("refused after 2 h 1 s: %+v", d)
	}
	if d := f.svc.ExceptionDeadline(delayed); d.HandleRemaining != 46*3600-1 || d.Breached != nil {
		t.Errorf("delayed after 2 h 1 s: %+v", d)
	}
}
