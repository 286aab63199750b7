package tcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/scanner"
)

type recorder struct {
	mu       sync.Mutex
	texts    []string
	rejects  int
	statuses []devices.State
}

func (r *recorder) sink(rd scanner.Read) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.texts = append(r.texts, rd.AIM+rd.Text)
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.texts...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var fast = scanner.Reconnect{Min: scanner.Duration(10 * time.Millisecond), Max: scanner.Duration(50 * time.Millisecond)}

func start(t *testing.T, addr string, f scanner.Framing) (*Scanner, *recorder) {
	t.Helper()
	rec := &recorder{}
	sc, err := New("line-1", Config{Address: addr, Framing: f, Reconnect: fast}, scanner.Options{
		OnReject: func(scanner.Reject) { rec.mu.Lock(); rec.rejects++; rec.mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	sc.OnStatus = func(s devices.Status) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if n := len(rec.statuses); n == 0 || rec.statuses[n-1] != s.State {
			rec.statuses = append(rec.statuses, s.State)
		}
	}
	if err := sc.Start(context.Background(), rec.sink); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.Stop)
	return sc, rec
}

func TestReadsAndReconnect(t *testing.T) {
	f := scanner.Framing{Suffix: scanner.SuffixCRLF, STXETX: true, AIM: true}
	sim, err := NewSimulator("127.0.0.1:0", f)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sc, rec := start(t, sim.Addr(), f)
	waitFor(t, "client connected", func() bool { return sim.Clients() == 1 })

	if err := sim.Run(context.Background(), []string{"]C1|00106141411234567897", "]C0|YT1234567890123"}, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two reads", func() bool { return len(rec.got()) == 2 })

	sim.DropClients()
	waitFor(t, "reconnected", func() bool { return sim.Clients() == 1 && sc.Status().State == devices.StateOK })
	if err := sim.Scan("]C0", "JT1234567890123"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "third read", func() bool { return len(rec.got()) == 3 })
	want := "[]C100106141411234567897 ]C0YT1234567890123 ]C0JT1234567890123]"
	if got := fmt.Sprint(rec.got()); got != want {
		t.Fatalf("reads %s, want %s", got, want)
	}
}

func TestScannerDown(t *testing.T) {
	// A port with nothing listening: connection refused.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()

	f := scanner.Framing{Suffix: scanner.SuffixCR}
	sc, rec := start(t, addr, f)
	waitFor(t, "reconnecting", func() bool { return sc.Status().State == devices.StateReconnecting })
	if st := sc.Status(); !strings.Contains(st.Detail, "connection refused") || st.Fix == "" {
		t.Fatalf("status %+v", st)
	}
	sim, err := NewSimulator(addr, f)
	if err != nil {
		t.Fatalf("port %s taken by another process meanwhile: %v", addr, err)
	}
	defer sim.Close()
	waitFor(t, "ok", func() bool { return sc.Status().State == devices.StateOK && sim.Clients() == 1 })
	sim.Scan("", "A1")
	waitFor(t, "read", func() bool { return len(rec.got()) == 1 })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := fmt.Sprint(rec.statuses); got != "[disconnected reconnecting ok]" {
		t.Fatalf("statuses %s", got)
	}
}

func TestGarbageAndLineRate(t *testing.T) {
	f := scanner.Framing{Suffix: scanner.SuffixCR}
	sim, err := NewSimulator("127.0.0.1:0", f)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	_, rec := start(t, sim.Addr(), f)
	waitFor(t, "client connected", func() bool { return sim.Clients() == 1 })
	sim.WriteRaw([]byte("\x00\x01\x02\xff\r"))
	var codes []string
	for i := range 500 {
		codes = append(codes, fmt.Sprintf("7812345678%04d", i))
	}
	if err := sim.Run(context.Background(), codes, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "all codes", func() bool { return len(rec.got()) == len(codes) })
	if fmt.Sprint(rec.got()) != fmt.Sprint(codes) {
		t.Fatal("codes altered or out of order")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.rejects != 1 {
		t.Fatalf("%d rejects, want 1", rec.rejects)
	}
}

func TestCheckAndConfig(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	sc, err := New("x", Config{Address: addr}, scanner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st := sc.Check(context.Background()); st.State != devices.StateOK {
		t.Fatalf("Check: %+v", st)
	}
	ln.Close()
	if st := sc.Check(context.Background()); st.State != devices.StateDisconnected || !strings.Contains(st.Fix, "port") {
		t.Fatalf("Check refused: %+v", st)
	}
	if _, err := New("x", Config{Address: "nohost"}, scanner.Options{}); err == nil || !strings.Contains(err.Error(), "host:port") {
		t.Fatalf("bad address: %v", err)
	}

	raw, err := os.ReadFile("sample.json")
	if err != nil {
		t.Fatal(err)
	}
	var sample struct {
		Driver, Name string
		Config       json.RawMessage
	}
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	if _, err := scanner.New(sample.Driver, sample.Name, sample.Config, scanner.Options{}); err != nil {
		t.Fatalf("sample.json: %v", err)
	}
}
