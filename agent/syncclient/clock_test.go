package syncclient

import (
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// An ack's hub stamp beyond the hub time it came with plus the bound never
// moves the outlet's clock; a PC clock centuries ahead of the hub's shows
// as a clock problem with its true size, and one within the bound shows none.
func TestAckStampBoundAndClockProblem(t *testing.T) {
	hub := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		pc      time.Time
		code    string
		aheadMS int64
	}{
		{"in step", hub.Add(20 * time.Second), "", 20_000},
		{"2500", time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC), "sync.clock_ahead", time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - hub.UnixMilli()},
		{"behind", hub.Add(-6 * time.Hour), "sync.clock_behind", -6 * 3600_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc := clock.NewManual(tc.pc)
			f, err := datafile.Open(t.TempDir(), datafile.Options{Outlet: "SH-001"})
			if err != nil {
				t.Fatal(err)
			}
			l, err := eventlog.Open(f, eventlog.Options{Clock: pc})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { l.Close(); f.Close() }()
			c, err := New(Config{Broker: "tcp://127.0.0.1:1", Outlet: "SH-001", Events: l, Clock: pc})
			if err != nil {
				t.Fatal(err)
			}
			stamp := hlc.Make(time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 9)
			c.observeHub(hub.UnixMilli(), syncproto.Ack{HubHLC: stamp})
			if top := l.Clock().Last(); top >= stamp {
				t.Fatalf("clock adopted the ack's stamp beyond hub time: %v", top)
			}
			s := c.Status()
			got := ""
			if s.ClockProblem != nil {
				got = s.ClockProblem.Code
				if s.ClockProblem.OffsetMS != tc.aheadMS || s.ClockProblem.Message == "" {
					t.Errorf("clock problem %+v, want offset %d", s.ClockProblem, tc.aheadMS)
				}
			}
			if got != tc.code {
				t.Fatalf("clock problem %q, want %q", got, tc.code)
			}
			if s.HubOffsetMS != -tc.aheadMS {
				t.Errorf("hub offset %d ms, want %d", s.HubOffsetMS, -tc.aheadMS)
			}
			// A restart starts from the saved offset, centuries included.
			c2, _ := New(Config{Broker: "tcp://127.0.0.1:1", Outlet: "SH-001", Events: l, Clock: pc})
			if s2 := c2.Status(); s2.HubOffsetMS != -tc.aheadMS {
				t.Errorf("offset after restart %d ms, want %d", s2.HubOffsetMS, -tc.aheadMS)
			}
		})
	}
}
