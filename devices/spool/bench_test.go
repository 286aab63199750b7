package spool

import (
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/zpl"
)

// BenchmarkSpool sends bursts of shelf labels through Enqueue to the ZPL
// printer simulator on TCP and waits until the last is marked printed. The
// spool commits each job three times (enqueue, sending, printed), asks the
// printer's state before each job and follows each job with a status query
// on its connection. The baseline, in the same run and alternating with it,
// writes the same bytes straight to a second simulator, one connection a
// job, with the same ~HS query after each, and no spool.
func BenchmarkSpool(b *testing.B) {
	const burst = 50
	labels := make([][]byte, burst)
	for i := range labels {
		l, err := zpl.NewLayout(printer.Config{}).ShelfLabel(printer.ShelfLabel{
			PickupCode: fmt.Sprintf("3-2-%04d", i), Phone: "13812345678", Waybill: fmt.Sprintf("SF%013d", i), Date: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		labels[i] = l
	}

	simS, simB := startSim(b), startSim(b)
	db := openDB(b, filepath.Join(b.TempDir(), "agent.db"))
	defer db.Close()
	sp, err := Open(db, map[string]Printer{"shelf": zebra(b, simS.URL(), 2000)}, Options{KeepFinished: 100 * burst})
	if err != nil {
		b.Fatal(err)
	}
	run(b, sp)

	var tb, ts time.Duration
	iters := 0
	for b.Loop() {
		t0 := time.Now()
		for _, l := range labels {
			if err := direct(simB.Addr(), l); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		var last uint64
		for i, l := range labels {
			if last, err = sp.Enqueue("shelf", fmt.Sprintf("label %d", i), l); err != nil {
				b.Fatal(err)
			}
		}
		for {
			st := stateOf(b, sp, last)
			if st == Printed {
				break
			}
			if st == NeedsConfirmation {
				b.Fatalf("job %d needs confirmation", last)
			}
			time.Sleep(time.Millisecond)
		}
		tb += t1.Sub(t0)
		ts += time.Since(t1)
		iters++
	}
	if got, want := len(simS.Jobs()), iters*burst; got != want {
		b.Fatalf("simulator got %d jobs through the spool, want %d", got, want)
	}
	jobs := float64(iters * burst)
	b.ReportMetric(jobs/ts.Seconds(), "jobs/s")
	b.ReportMetric(jobs/tb.Seconds(), "direct_jobs/s")
	b.ReportMetric(tb.Seconds()/ts.Seconds(), "x_direct")
	b.ReportMetric(0, "ns/op")
}

// direct sends one job on its own connection and waits for the answer to
// ~HS on it, as a driver's receipt check does, with nothing in between.
func direct(addr string, job []byte) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(append(job[:len(job):len(job)], zpl.StatusQuery...)); err != nil {
		return err
	}
	var ans []byte
	buf := make([]byte, 256)
	for bytes.Count(ans, []byte{3}) < 3 { // three STX…ETX lines
		n, err := c.Read(buf)
		ans = append(ans, buf[:n]...)
		if err != nil {
			return fmt.Errorf("status answer %q: %w", ans, err)
		}
	}
	return nil
}
