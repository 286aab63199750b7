package peripherals

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/sim"
	"github.com/yizhan/yizhan/devices/spool"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

func startPrinting(t *testing.T, lang string) (*Manager, *sim.Sim) {
	t.Helper()
	ps, err := sim.Start("127.0.0.1:0", lang)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	cfg := Config{Printers: []printer.Config{{Name: "shelf", Driver: lang, Address: ps.URL(), StatusTimeoutMS: 300}}, LabelPrinter: "shelf"}
	file, _ := openData(t, filepath.Join(t.TempDir(), "data"))
	m, err := Start(context.Background(), cfg, file.PrintSpool(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, ps
}

func problems(t *testing.T, m *Manager) []PrintJob {
	t.Helper()
	js, err := m.PrintJobs(true, 0)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// A shelf label whose waybill Code 128 cannot encode (a parcel recorded
// before waybills were checked) is not lost in a log line: it is a failed
// job the clerk sees, and printing it without its barcode prints it once.
func TestUnrenderableLabelWaitsForTheClerk(t *testing.T) {
	m, ps := startPrinting(t, "tspl")
	p := lifecycle.Parcel{Waybill: "顺丰456", PickupCode: "3-2-0001", PhoneMasked: "138****5678", InboundAt: time.Now()}
	id, err := m.ShelfLabel(p)
	if id == 0 || !problem.Is(err, problem.PrintRenderFailed) {
		t.Fatalf("ShelfLabel = %d, %v; want a failed job and %s", id, err, problem.PrintRenderFailed)
	}
	got := problems(t, m)
	if len(got) != 1 || got[0].ID != id || got[0].Problem != ProblemRenderFailed || got[0].LastError == "" || got[0].Doc != DocShelfLabel || got[0].Ref != "3-2-0001" ||
		!slices.Equal(got[0].Actions, []string{ActionWithoutBarcode, ActionRetry, ActionCancel}) {
		t.Fatalf("problems = %+v", got)
	}
	if _, err := m.PrintAction(id, ActionRetry, "c01"); !problem.Is(err, problem.PrintRenderFailed) {
		t.Fatalf("retry of an unencodable label = %v, want it still failing", err)
	}
	if j, _ := m.PrintJob(id); j.State != spool.Failed || j.Attempts != 1 {
		t.Fatalf("after a failed retry: %+v", j)
	}
	if _, err := m.PrintAction(id, ActionConfirm, "c01"); !problem.Is(err, problem.PrintWrongState) {
		t.Fatalf("confirm of a failed job = %v", err)
	}
	if _, err := m.PrintAction(id, "burn", "c01"); !problem.Is(err, problem.PrintUnknownAction) {
		t.Fatalf("unknown action = %v", err)
	}
	if _, err := m.PrintAction(99, ActionCancel, "c01"); !problem.Is(err, problem.PrintJobNotFound) {
		t.Fatalf("unknown job = %v", err)
	}
	re, err := m.PrintAction(id, ActionWithoutBarcode, "c01")
	if err != nil {
		t.Fatal(err)
	}
	if re.ID == id || re.ReprintOf != id || re.Doc != DocShelfLabel || re.Ref != "3-2-0001" {
		t.Fatalf("without barcode gave %+v", re)
	}
	waitFor(t, "the label without barcode printed", func() bool { return len(ps.Jobs()) == 1 })
	if job := ps.Jobs()[0]; !bytes.Contains(job.Data, []byte("3-2-0001")) || !bytes.Contains(job.Data, []byte("456\"")) || bytes.Contains(job.Data, []byte("BARCODE")) {
		t.Fatalf("printed job lacks the code or the waybill in clear (GB18030), or has a barcode:\n%s", job.Data)
	}
	waitFor(t, "no problems left", func() bool { return len(problems(t, m)) == 0 })
	if j, _ := m.PrintJob(re.ID); j.State != spool.Printed || !slices.Equal(j.Actions, []string{ActionReprint}) {
		t.Fatalf("replacement %+v", j)
	}
}

// A printer out of paper holds its jobs: they are problems naming the
// printer's state, and retry after loading paper prints them once.
func TestHeldJobIsAProblemUntilRetried(t *testing.T) {
	m, ps := startPrinting(t, "tspl")
	ps.SetFaults(printer.PaperOut)
	id, err := m.ShelfLabel(lifecycle.Parcel{Waybill: "SF1234567890123", PickupCode: "3-2-0002", PhoneMasked: "138****5678", InboundAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the job held as a problem", func() bool {
		got := problems(t, m)
		return len(got) == 1 && got[0].ID == id && got[0].Problem == ProblemHeld && got[0].Device != nil && slices.Contains(got[0].Actions, ActionRetry)
	})
	ps.SetFaults()
	if _, err := m.PrintAction(id, ActionRetry, "c01"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "printed after retry", func() bool { j, _ := m.PrintJob(id); return j.State == spool.Printed })
	if n := ps.Count([]byte("3-2-0002")); n != 1 {
		t.Fatalf("printed %d times", n)
	}
	// A reprint is the same document to the screen, behind the spool's prefix.
	re, err := m.PrintAction(id, ActionReprint, "c01")
	if err != nil {
		t.Fatal(err)
	}
	if re.Doc != DocShelfLabel || re.Ref != "3-2-0002" || re.ReprintOf != id {
		t.Fatalf("reprint %+v", re)
	}
}

// A complaint receipt prints head office's progress page with its ticket,
// as the agent's settings name it.
func TestComplaintReceiptPrintsTheProgressLink(t *testing.T) {
	m, ps := startPrinting(t, "zpl")
	m.ProgressURL = "https://kefu.example.com/p"
	c := lifecycle.Complaint{Ticket: "T260701-SH-001-3F9A0C", Outlet: "SH-001", ReceivedAt: time.Now(), Text: "late"}
	if _, err := m.ComplaintReceipt(c, time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the receipt printed", func() bool { return len(ps.Jobs()) == 1 })
	// The address may wrap: the label's fields joined.
	joined := regexp.MustCompile(`\^FS\n\^FO\d+,\d+\^A@N,\d+,\d+,[^^]*\^FD`).ReplaceAll(ps.Jobs()[0].Data, nil)
	if job := ps.Jobs()[0]; !bytes.Contains(joined, []byte("https://kefu.example.com/p?t=T260701-SH-001-3F9A0C")) {
		t.Fatalf("the receipt lacks its progress link:\n%s", job.Data)
	}
	if got := ProgressLink("", c.Ticket); got != "" {
		t.Errorf("a link without a page: %q", got)
	}
}
