package sim_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/printer"
	_ "github.com/yizhan/yizhan/devices/printer/all"
	"github.com/yizhan/yizhan/devices/printer/sim"
	"github.com/yizhan/yizhan/devices/printer/zpl"
)

func start(t *testing.T, lang string) (*sim.Sim, printer.Driver) {
	t.Helper()
	s, err := sim.Start("127.0.0.1:0", lang)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	d, err := printer.New(printer.Config{Name: "p-" + lang, Driver: lang, Address: s.URL(), StatusTimeoutMS: 300}, printer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, d
}

func label(t *testing.T, d printer.Driver, code string) []byte {
	t.Helper()
	sl := printer.TestLabel(time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC))
	sl.PickupCode = code
	b, err := d.ShelfLabel(sl)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStatusPerFault(t *testing.T) {
	faults := []printer.Condition{printer.OK, printer.PaperOut, printer.HeadOpen, printer.RibbonOut, printer.Paused, printer.Jam, printer.Fault, printer.Silent}
	for _, lang := range []string{"zpl", "tspl", "escpos"} {
		s, d := start(t, lang)
		for _, f := range faults {
			t.Run(lang+"/"+string(f), func(t *testing.T) {
				s.SetFaults(f)
				r := d.Status(context.Background())
				want := f
				if lang == "zpl" && f == printer.Jam {
					want = printer.PaperOut // ~HS has no jam flag
				}
				if lang == "escpos" && f == printer.RibbonOut {
					want = printer.Paused // receipt printers have no ribbon; offline with no cause
				}
				if got := r.Primary(); got != want {
					t.Errorf("primary condition = %s, want %s (report %+v)", got, want, r)
				}
				if r.Ready() != (f == printer.OK) {
					t.Errorf("ready = %v in %s", r.Ready(), f)
				}
				st := r.DeviceStatus("p", lang)
				if f != printer.OK && (st.State != devices.StateFault || st.Fix == "" || !strings.Contains(st.Detail, " / ")) {
					t.Errorf("device status %+v lacks a fault with Chinese / English detail and a fix", st)
				}
			})
		}
	}
}

func TestZebraSilence(t *testing.T) {
	s, d := start(t, "zpl")
	s.SetZebraSilence(true)
	s.SetFaults(printer.PaperOut)
	r := d.Status(context.Background())
	if r.Primary() != printer.Silent || !errors.Is(r.Err, printer.ErrSilent) {
		t.Fatalf("a mute Zebra must be reported silent, got %+v", r)
	}
	st := r.DeviceStatus("p", "zpl")
	if st.State != devices.StateFault || !strings.Contains(st.Fix, "缺纸") {
		t.Errorf("silence must be a fault that suggests paper out: %+v", st)
	}
}

func TestPrintRecordsOnce(t *testing.T) {
	for _, lang := range []string{"zpl", "tspl", "escpos"} {
		t.Run(lang, func(t *testing.T) {
			s, d := start(t, lang)
			if err := d.Print(context.Background(), label(t, d, "7-7-0001")); err != nil {
				t.Fatal(err)
			}
			jobs := s.Jobs()
			if len(jobs) != 1 || !jobs[0].Complete {
				t.Fatalf("want one complete job, got %d: %+v", len(jobs), jobs)
			}
			if s.Count([]byte("7-7-0001")) != 1 {
				t.Errorf("pickup code not found once in %q", jobs[0].Data)
			}
		})
	}
}

func TestPrintUnconfirmed(t *testing.T) {
	s, d := start(t, "tspl")
	s.HoldReceiptAfter(1)
	err := d.Print(context.Background(), label(t, d, "1-1-0001"))
	var pe *printer.PrintError
	if !errors.As(err, &pe) || printer.Resendable(err) {
		t.Fatalf("an unconfirmed job must not be resendable, got %v", err)
	}
	if s.Count([]byte("1-1-0001")) != 1 {
		t.Fatalf("the job did arrive once")
	}
}

func TestOffline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := printer.Config{Name: "gone", Driver: "zpl", Address: "tcp://" + addr, StatusTimeoutMS: 300}
	st := printer.Check(context.Background(), cfg, printer.Options{})
	if st.State != devices.StateDisconnected || !strings.Contains(st.Fix, "9100") {
		t.Errorf("refused connection: got %+v", st)
	}
	d, _ := printer.New(cfg, printer.Options{})
	err = d.Print(context.Background(), []byte("^XA^XZ"))
	if !printer.Resendable(err) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("a refused connection sent nothing and may be retried, got %v", err)
	}
}

func TestCheckAndTestPrint(t *testing.T) {
	s, err := sim.Start("127.0.0.1:0", "escpos")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfgs := []printer.Config{
		{Name: "receipt", Driver: "escpos", Address: s.URL()},
		{Name: "typo", Driver: "zlp", Address: s.URL()},
	}
	sts := printer.CheckAll(context.Background(), cfgs, printer.Options{})
	if sts[0].State != devices.StateOK || sts[1].State != devices.StateFault || !strings.Contains(sts[1].Fix, "unknown driver") {
		t.Errorf("CheckAll = %+v", sts)
	}
	if err := printer.TestPrint(context.Background(), cfgs[0], printer.Options{}); err != nil {
		t.Fatal(err)
	}
	s.SetFaults(printer.PaperOut)
	if err := printer.TestPrint(context.Background(), cfgs[0], printer.Options{}); err == nil || !strings.Contains(err.Error(), "paper out") {
		t.Errorf("test print on paper out: %v", err)
	}
	if n := len(s.Jobs()); n != 1 {
		t.Errorf("%d jobs printed, want 1", n)
	}
}

// TestSplitQuery sends a status query one byte at a time.
func TestSplitQuery(t *testing.T) {
	s, _ := start(t, "zpl")
	s.SetFaults(printer.HeadOpen)
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, b := range []byte("^XA^FDx^XZ~HS") {
		if _, err := c.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	buf := make([]byte, 256)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if _, _, perr := zpl.ParseHostStatus(got); perr == nil {
			break
		}
		if err != nil {
			t.Fatalf("read answer: %v (got %q)", err, got)
		}
	}
	if jobs := s.Jobs(); len(jobs) != 1 || string(jobs[0].Data) != "^XA^FDx^XZ" {
		t.Errorf("jobs = %+v", jobs)
	}
}
