package tcp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yizhan/yizhan/devices/barcode"
	"github.com/yizhan/yizhan/devices/scanner"
)

// BenchmarkReadPath pushes bursts of framed codes from the line-scanner
// simulator through the driver, the framer and barcode.Validate, and
// reports accepted reads a second. The baseline, in the same run and
// alternating with it, is a bare TCP client reading the same bytes from a
// second simulator and splitting them into lines.
func BenchmarkReadPath(b *testing.B) {
	const burst = 2000
	fr := scanner.Framing{Suffix: scanner.SuffixCRLF, AIM: true}
	var data []byte
	for i := range burst {
		data = append(data, scanner.Encode(fr, "]C0", fmt.Sprintf("SF%013d", i))...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The driver under test.
	simD := newSim(b, fr)
	var accepted, rejected, target atomic.Int64
	done := make(chan struct{}, 1)
	d, err := New("line-1", Config{Address: simD.Addr(), Framing: fr}, scanner.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Start(ctx, func(r scanner.Read) {
		if barcode.Validate(r.Text, r.AIM).OK() {
			if accepted.Add(1) == target.Load() {
				done <- struct{}{}
			}
		} else {
			rejected.Add(1)
		}
	}); err != nil {
		b.Fatal(err)
	}
	defer d.Stop()

	// The baseline: a plain client.
	simB := newSim(b, fr)
	c, err := net.Dial("tcp", simB.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	lines := bufio.NewScanner(c)
	waitClients(b, simD)
	waitClients(b, simB)

	var tb, td time.Duration
	iters := 0
	for b.Loop() {
		t0 := time.Now()
		go simB.WriteRaw(data)
		for range burst {
			if !lines.Scan() {
				b.Fatalf("baseline client: %v", lines.Err())
			}
		}
		t1 := time.Now()
		target.Store(accepted.Load() + burst)
		go simD.WriteRaw(data)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			b.Fatalf("driver delivered %d reads, %d rejected", accepted.Load(), rejected.Load())
		}
		tb += t1.Sub(t0)
		td += time.Since(t1)
		iters++
	}
	reads := float64(iters * burst)
	b.ReportMetric(reads/td.Seconds(), "reads/s")
	b.ReportMetric(reads/tb.Seconds(), "baseline_reads/s")
	b.ReportMetric(tb.Seconds()/td.Seconds(), "x_baseline")
	b.ReportMetric(0, "ns/op")
}

func newSim(b *testing.B, fr scanner.Framing) *Simulator {
	b.Helper()
	s, err := NewSimulator("127.0.0.1:0", fr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func waitClients(b *testing.B, s *Simulator) {
	b.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Clients() == 0 {
		if time.Now().After(deadline) {
			b.Fatal("no client connected to the simulator")
		}
		time.Sleep(time.Millisecond)
	}
}
