package lifecycle

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
)

// s10ByString computes the S10 check digit from the digit string, the way
// the standard writes it out.
func s10ByString(digits string) byte {
	w := []int{8, 6, 4, 2, 3, 5, 9, 7}
	sum := 0
	for i, c := range digits {
		sum += int(c-'0') * w[i]
	}
	c := 11 - sum%11
	switch c {
	case 10:
		c = 0
	case 11:
		c = 5
	}
	return byte('0' + c)
}

func TestS10(t *testing.T) {
	if got := S10Number("RB", 12345678, "GB"); got != "RB123456785GB" { // the standard's example
		t.Fatalf("S10Number = %s", got)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for range 5000 {
		n := rng.Uint32N(100000000)
		if got, want := S10CheckDigit(n), s10ByString(fmt.Sprintf("%08d", n)); got != want {
			t.Fatalf("%08d: %c, want %c", n, got, want)
		}
	}
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"RB123456785GB", true},
		{"YZ000000005CN", true},
		{"RB123456784GB", false},
		{"rb123456785GB", false},
		{"RB12345678GB", false},
		{"RB1234567850GB", false},
		{"RB12345A785GB", false},
		{"", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, n, c, err := ParseS10(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
			if err == nil && S10Number(p, n, c) != tc.in {
				t.Fatalf("round trip %s %d %s", p, n, c)
			}
		})
	}
}

func FuzzParseS10(f *testing.F) {
	for _, s := range []string{"RB123456785GB", "YZ000000005CN", "RB123456784GB", "", "ZZ999999990ZZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, n, c, err := ParseS10(s)
		if err != nil {
			return
		}
		if S10Number(p, n, c) != s {
			t.Fatalf("%q parses to %s %d %s", s, p, n, c)
		}
	})
}

// block and issue take at in seconds after t0.
func block(m *evMaker, origin, outlet string, at time.Duration, first, last uint32) syncproto.Event {
	return m.ev(origin, at*time.Second, WaybillBlockAllocated, outlet, WaybillBlockV1{Prefix: "YZ", First: first, Last: last, Country: "CN"})
}

func issue(m *evMaker, outlet string, at time.Duration, number string) syncproto.Event {
	return m.ev(outlet, at*time.Second, WaybillIssued, outlet, WaybillIssuedV1{Number: number})
}

func TestFoldWaybills(t *testing.T) {
	n := func(serial uint32) string { return S10Number("YZ", serial, "CN") }
	cases := []struct {
		name      string
		evs       func(m *evMaker) []syncproto.Event
		issued    int
		remaining int
		next      string
		conflicts int
	}{
		{"no block", func(m *evMaker) []syncproto.Event { return nil }, 0, 0, "", 0},
		{"fresh block", func(m *evMaker) []syncproto.Event { return []syncproto.Event{block(m, "hub", "SH-001", 0, 100, 109)} }, 0, 10, n(100), 0},
		{"issued in order", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{block(m, "hub", "SH-001", 0, 100, 109), issue(m, "SH-001", 1, n(100)), issue(m, "SH-001", 2, n(101))}
		}, 2, 8, n(102), 0},
		{"a skipped number is never reissued", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{block(m, "hub", "SH-001", 0, 100, 109), issue(m, "SH-001", 1, n(103)), issue(m, "SH-001", 2, n(101))}
		}, 1, 6, n(104), 1},
		{"reuse refused", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{block(m, "hub", "SH-001", 0, 100, 109), issue(m, "SH-001", 1, n(100)), issue(m, "SH-001", 2, n(100))}
		}, 1, 9, n(101), 1},
		{"old block first, then the new one", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{block(m, "hub", "SH-001", 0, 100, 101), block(m, "hub", "SH-001", 1, 500, 509),
				issue(m, "SH-001", 2, n(100)), issue(m, "SH-001", 3, n(101))}
		}, 2, 10, n(500), 0},
		{"used up", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{block(m, "hub", "SH-001", 0, 100, 100), issue(m, "SH-001", 1, n(100))}
		}, 1, 0, "", 0},
		{"outlet cannot allocate", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{block(m, "SH-001", "SH-001", 0, 100, 109)}
		}, 0, 0, "", 1},
		{"overlapping block refused", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{block(m, "hub", "SH-001", 0, 100, 109), block(m, "hub", "SH-001", 1, 109, 200)}
		}, 0, 10, n(100), 1},
		{"bad block refused", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{block(m, "hub", "SH-001", 0, 10, 9), block(m, "hub", "SH-001", 0, 1, 100000000)}
		}, 0, 0, "", 2},
		{"number outside the blocks", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{block(m, "hub", "SH-001", 0, 100, 109), issue(m, "SH-001", 1, n(110)), issue(m, "SH-001", 2, "YZ000001002CN")}
		}, 0, 10, n(100), 2},
		{"another outlet's issue", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{block(m, "hub", "SH-001", 0, 100, 109), m.ev("SH-002", time.Second, WaybillIssued, "SH-001", WaybillIssuedV1{Number: n(100)})}
		}, 0, 10, n(100), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m evMaker
			s := FoldWaybills("SH-001", tc.evs(&m))
			if s.Issued != tc.issued || s.Remaining != tc.remaining || s.Next != tc.next || len(s.Conflicts) != tc.conflicts {
				t.Fatalf("issued %d remaining %d next %q conflicts %+v", s.Issued, s.Remaining, s.Next, s.Conflicts)
			}
			num, err := s.NextNumber()
			if (tc.next == "") != errors.Is(err, ErrWaybillsExhausted) || num != tc.next {
				t.Fatalf("NextNumber = %q, %v", num, err)
			}
		})
	}
	if msg := ErrWaybillsExhausted.Error(); !strings.Contains(msg, "用完") || !strings.Contains(msg, "used up") {
		t.Fatalf("exhausted message: %s", msg)
	}
}

func TestRefillDue(t *testing.T) {
	stock := func(size, used int) WaybillStock {
		var m evMaker
		evs := []syncproto.Event{block(&m, "hub", "SH-001", 0, 1000, uint32(1000+size-1))}
		for i := 0; i < used; i++ {
			evs = append(evs, issue(&m, "SH-001", time.Duration(i+1), S10Number("YZ", uint32(1000+i), "CN")))
		}
		return FoldWaybills("SH-001", evs)
	}
	for _, tc := range []struct {
		name       string
		size, used int
		r          Refill
		want       bool
	}{
		{"no block", 0, 0, DefaultRefill, true},
		{"full", 100, 0, DefaultRefill, false},
		{"exactly 20% left", 100, 80, DefaultRefill, false},
		{"below 20%", 100, 81, DefaultRefill, true},
		{"used up", 100, 100, DefaultRefill, true},
		{"min count wins", 1000, 500, Refill{Percent: 20, Min: 600}, true},
		{"percent wins", 1000, 900, Refill{Percent: 20, Min: 5}, true},
		{"neither", 1000, 500, Refill{Percent: 20, Min: 5}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s WaybillStock
			if tc.size > 0 {
				s = stock(tc.size, tc.used)
			}
			if got := s.RefillDue(tc.r); got != tc.want {
				t.Fatalf("RefillDue = %v with %d left", got, s.Remaining)
			}
		})
	}
}

// Two outlets issue offline in random interleavings, crash and re-fold at
// random, and get refills from head office's one counter. No number is ever
// issued twice, every number checks, and a used-up outlet stops with
// ErrWaybillsExhausted until a refill arrives.
func TestWaybillsNeverCollide(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var exhausted, refills, crashes int
	for round := range 200 {
		var m evMaker
		next := uint32(rng.IntN(1000))
		alloc := func(outlet string, at time.Duration) syncproto.Event {
			size := uint32(1 + rng.IntN(30))
			ev := block(&m, "hub", outlet, at, next, next+size-1)
			next += size + uint32(rng.IntN(3)) // gaps between blocks are allowed
			return ev
		}
		outlets := []string{"SH-001", "SH-002"}
		logs := map[string][]syncproto.Event{}
		stocks := map[string]*WaybillStock{}
		for i, o := range outlets {
			logs[o] = append(logs[o], alloc(o, time.Duration(i-10)))
			s := FoldWaybills(o, logs[o])
			stocks[o] = &s
		}
		seen := map[string]string{}
		for step := 1; step <= 300; step++ {
			o := outlets[rng.IntN(2)]
			s := stocks[o]
			at := time.Duration(step)
			switch r := rng.IntN(20); {
			case r == 0: // crash: the state is rebuilt from the log
				crashes++
				re := FoldWaybills(o, append([]syncproto.Event{}, logs[o]...))
				stocks[o] = &re
			case r == 1 && s.RefillDue(DefaultRefill): // head office answers a refill request
				refills++
				ev := alloc(o, at)
				logs[o] = append(logs[o], ev)
				s.Apply(&ev)
			default:
				num, err := s.NextNumber()
				if err != nil {
					if !errors.Is(err, ErrWaybillsExhausted) || s.Remaining != 0 {
						t.Fatalf("round %d: %v with %d left", round, err, s.Remaining)
					}
					exhausted++
					continue
				}
				if _, _, _, err := ParseS10(num); err != nil {
					t.Fatalf("round %d: issued %s: %v", round, num, err)
				}
				if prev, dup := seen[num]; dup {
					t.Fatalf("round %d: %s issued by %s and %s", round, num, prev, o)
				}
				seen[num] = o
				ev := issue(&m, o, at, num)
				logs[o] = append(logs[o], ev)
				before := s.Remaining
				s.Apply(&ev)
				if s.Remaining != before-1 || len(s.Conflicts) != 0 {
					t.Fatalf("round %d: issuing %s left %d (was %d), conflicts %+v", round, num, s.Remaining, before, s.Conflicts)
				}
			}
		}
		for _, o := range outlets {
			if got := FoldWaybills(o, append([]syncproto.Event{}, logs[o]...)); got.Remaining != stocks[o].Remaining || got.Next != stocks[o].Next {
				t.Fatalf("round %d: re-fold of %s differs", round, o)
			}
		}
	}
	if exhausted == 0 || refills == 0 || crashes == 0 {
		t.Fatalf("the walk never hit a used-up stock (%d), a refill (%d) or a crash (%d)", exhausted, refills, crashes)
	}
}

func TestWaybillBlockRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  WaybillBlockRequestV1
		ok   bool
	}{
		{"default size", WaybillBlockRequestV1{Remaining: 10}, true},
		{"one", WaybillBlockRequestV1{Count: 1}, true},
		{"largest", WaybillBlockRequestV1{Count: MaxBlockSize}, true},
		{"too large", WaybillBlockRequestV1{Count: MaxBlockSize + 1}, false},
		{"negative count", WaybillBlockRequestV1{Count: -1}, false},
		{"negative remaining", WaybillBlockRequestV1{Remaining: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.req.Check(); (err == nil) != tc.ok {
				t.Errorf("Check() = %v, want ok %v", err, tc.ok)
			}
		})
	}
	// A request changes nothing in the stock.
	blk, _ := json.Marshal(WaybillBlockV1{Prefix: "YZ", First: 0, Last: 9, Country: "CN"})
	req, _ := json.Marshal(WaybillBlockRequestV1{Remaining: 2})
	evs := []syncproto.Event{
		{Origin: syncproto.HubOrigin, Seq: 1, HLC: 1, Type: WaybillBlockAllocated, Subject: "SH-001", Payload: blk},
		{Origin: "SH-001", Seq: 1, HLC: 2, Type: WaybillBlockRequested, Subject: "SH-001", Payload: req},
	}
	if s := FoldWaybills("SH-001", evs); s.Remaining != 10 || len(s.Conflicts) != 0 {
		t.Errorf("stock after a request = %+v", s)
	}
}
