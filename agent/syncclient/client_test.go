package syncclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// fakeHub is the smallest hub that honours the contract: it keeps the set of
// sequences it received and acknowledges the highest contiguous one. It can
// be told to ignore batches (as if lost) and to refuse a given seq.
type fakeHub struct {
	srv *mqtt.Server

	mu    sync.Mutex
	have  map[uint64]int // seq → times received
	acked uint64
	dropN int // ignore this many batches
	// dropPulls ignores this many pulls, as if no hub listened.
	dropPulls int
	pulls     int
	refuse    uint64 // dead-letter this seq
	down      []syncproto.Event
	batches   int
	// otherInc, if set, answers as a hub that adopted another data
	// directory of this outlet: an ack of that stream, then a refusal.
	otherInc string
	// hold takes batches without acknowledging them, as a busy hub
	// does, until release; sizes records each batch's event count.
	hold  bool
	sizes []int
	inc   string // the last batch's incarnation
}

// release acknowledges what the hub took while it held its acks.
func (h *fakeHub) release(outlet string) {
	h.mu.Lock()
	h.hold = false
	f, _ := syncproto.Encode(syncproto.KindAck, syncproto.Ack{Origin: outlet, Incarnation: h.inc, AckedSeq: h.acked}, -1)
	h.mu.Unlock()
	h.srv.Publish(syncproto.AckTopic(outlet), f, false, 1)
}

func (h *fakeHub) batchSizes() []int { h.mu.Lock(); defer h.mu.Unlock(); return slices.Clone(h.sizes) }

func startFakeHub(t *testing.T) (*fakeHub, string) {
	t.Helper()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	srv := mqtt.New(&mqtt.Options{InlineClient: true})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "t", Address: addr})); err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	h := &fakeHub{srv: srv, have: map[uint64]int{}}
	srv.Subscribe(syncproto.UplinkWildcard, 1, h.onUp)
	return h, "tcp://" + addr
}

func (h *fakeHub) onUp(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
	outlet, leaf, err := syncproto.ParseUplink(pk.TopicName)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if leaf == "pull" {
		h.pulls++
		if h.dropPulls > 0 {
			h.dropPulls--
			return
		}
		var p syncproto.Pull
		syncproto.Decode(pk.Payload, syncproto.KindPull, &p)
		d := syncproto.Down{Target: outlet, From: p.Since, HubTime: time.Now().UnixMilli()}
		for _, e := range h.down {
			if e.Seq > p.Since {
				d.Events = append(d.Events, e)
				d.Through = e.Seq
			}
		}
		if d.Through == 0 {
			d.Through = p.Since
		}
		f, _ := syncproto.Encode(syncproto.KindDown, d, 0)
		h.srv.Publish(syncproto.DownTopic(outlet), f, false, 1)
		return
	}
	var b syncproto.Batch
	if _, err := syncproto.Decode(pk.Payload, syncproto.KindBatch, &b); err != nil {
		return
	}
	h.batches++
	h.sizes, h.inc = append(h.sizes, len(b.Events)), b.Incarnation
	if h.dropN > 0 {
		h.dropN--
		return
	}
	if h.otherInc != "" {
		for _, a := range []syncproto.Ack{
			{Origin: outlet, Incarnation: h.otherInc, AckedSeq: b.Last},
			{Origin: outlet, Incarnation: b.Incarnation, Error: syncproto.IncarnationRefused(8)},
		} {
			f, _ := syncproto.Encode(syncproto.KindAck, a, -1)
			h.srv.Publish(syncproto.AckTopic(outlet), f, false, 1)
		}
		return
	}
	ack := syncproto.Ack{Origin: outlet, Incarnation: b.Incarnation, HubTime: time.Now().Add(time.Hour).UnixMilli()}
	for _, e := range b.Events {
		h.have[e.Seq]++
		if e.Seq == h.refuse && h.have[e.Seq] == 1 {
			ack.Rejected = append(ack.Rejected, syncproto.Rejection{Seq: e.Seq, Code: syncproto.CodeInvalidEvent, Reason: "test refusal"})
		}
	}
	for h.have[h.acked+1] > 0 {
		h.acked++
	}
	ack.AckedSeq = h.acked
	if h.hold {
		return
	}
	f, _ := syncproto.Encode(syncproto.KindAck, ack, -1)
	h.srv.Publish(syncproto.AckTopic(outlet), f, false, 1)
}

func (h *fakeHub) ackedSeq() uint64 { h.mu.Lock(); defer h.mu.Unlock(); return h.acked }

// openLog opens an event log in a fresh data file until the test ends.
func openLog(t *testing.T) *eventlog.Log {
	t.Helper()
	f, err := datafile.Open(t.TempDir(), datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := eventlog.Open(f, eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); f.Close() })
	return l
}

func fill(t *testing.T, l *eventlog.Log, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				p, _ := json.Marshal(lifecycle.ScannedV1{Barcode: fmt.Sprint("SF", i), Action: "inbound"})
				if _, err := l.Append(context.Background(), eventlog.Draft{Actor: "c", Type: lifecycle.ParcelScanned, Subject: fmt.Sprint("SF", i), Payload: p}); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startClient(t *testing.T, broker string, l *eventlog.Log, mod func(*Config)) *Client {
	cfg := Config{Broker: broker, Outlet: "SH-001", Secret: "x", Events: l, BatchEvents: 100, Window: 4, AckTimeout: 500 * time.Millisecond, BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return c
}

func TestDrainsBacklogAndResendsLostBatches(t *testing.T) {
	hub, url := startFakeHub(t)
	hub.dropN = 3 // the first three batches vanish, as if the broker lost them
	hub.refuse = 250
	l := openLog(t)
	fill(t, l, 2000)
	c := startClient(t, url, l, nil)
	waitFor(t, 20*time.Second, "all events acknowledged", func() bool { return l.Counters().AckedSeq == 2000 })
	if c.Status().Resends == 0 {
		t.Fatal("lost batches were recovered without a resend?")
	}
	if hub.ackedSeq() != 2000 {
		t.Fatalf("hub holds %d", hub.ackedSeq())
	}
	if n := l.Counters().DeadLetter; n != 1 {
		t.Fatalf("dead letters = %d, want 1", n)
	}
	if c.Status().HubOffsetMS < 50*60*1000 {
		t.Fatalf("hub clock offset not learned: %d ms", c.Status().HubOffsetMS)
	}
	// New events after the drain flow too.
	fill(t, l, 10)
	waitFor(t, 10*time.Second, "new events acknowledged", func() bool { return l.Counters().AckedSeq == 2010 })
}

// TestWindowCountsBatchesNotEvents: scans that arrive one by one while the
// hub is slow to acknowledge each make a batch of their own; the client
// keeps at most Window of them in flight, however few events they carry,
// and sends what came meanwhile in one batch once the acks arrive. A
// window counted in events let hundreds of one-event batches pile up in
// the broker's queue for the hub.
func TestWindowCountsBatchesNotEvents(t *testing.T) {
	hub, url := startFakeHub(t)
	l := openLog(t)
	c := startClient(t, url, l, func(c *Config) { c.AckTimeout = time.Hour })
	waitFor(t, 10*time.Second, "connected", func() bool { return c.Status().Connected })
	fill(t, l, 1)
	waitFor(t, 10*time.Second, "the first event acknowledged", func() bool { return l.Counters().AckedSeq == 1 })
	hub.mu.Lock()
	hub.hold = true
	hub.mu.Unlock()
	const window, total = 4, 41 // startClient's Window
	for i := 2; i <= total; i++ {
		fill(t, l, 1)
		if i <= 1+window {
			waitFor(t, 10*time.Second, fmt.Sprintf("batch %d sent", i), func() bool { return len(hub.batchSizes()) == i })
		}
	}
	if n := len(hub.batchSizes()) - 1; n != window {
		t.Fatalf("%d batches in flight with none acknowledged, want the window's %d: %v", n, window, hub.batchSizes())
	}
	hub.release("SH-001")
	waitFor(t, 10*time.Second, "all acknowledged", func() bool { return l.Counters().AckedSeq == total })
	if got, want := hub.batchSizes(), []int{1, 1, 1, 1, 1, total - 1 - window}; !slices.Equal(got, want) {
		t.Fatalf("batch sizes %v, want %v: what came while the window was full goes in one batch", got, want)
	}
}

// TestOneBatchUntilTheFirstAck: a hub that has not yet taken a data
// directory's stream drops batches that do not start it, so a client with
// nothing acknowledged keeps one batch in flight; after the first ack, the
// whole window.
func TestOneBatchUntilTheFirstAck(t *testing.T) {
	hub, url := startFakeHub(t)
	hub.mu.Lock()
	hub.hold = true
	hub.mu.Unlock()
	l := openLog(t)
	fill(t, l, 1000)
	c := startClient(t, url, l, func(c *Config) { c.AckTimeout = time.Hour })
	waitFor(t, 10*time.Second, "the first batch sent", func() bool { return len(hub.batchSizes()) == 1 })
	// The client has had every wake-up it gets from the log; more scans
	// wake it again, and still it sends nothing more.
	fill(t, l, 10)
	waitFor(t, 10*time.Second, "connected", func() bool { return c.Status().Connected })
	if n := len(hub.batchSizes()); n != 1 {
		t.Fatalf("%d batches in flight before the first ack, want 1: %v", n, hub.batchSizes())
	}
	hub.release("SH-001")
	waitFor(t, 10*time.Second, "all acknowledged", func() bool { return l.Counters().AckedSeq == 1010 })
	if got := hub.batchSizes(); len(got) != 11 || got[0] != 100 {
		t.Fatalf("batch sizes %v, want one batch of 100, then the rest", got)
	}
}

func TestPullsDownlinkOnConnect(t *testing.T) {
	hub, url := startFakeHub(t)
	for i := uint64(1); i <= 3; i++ {
		hub.down = append(hub.down, syncproto.Event{ID: fmt.Sprint("h", i), Origin: syncproto.HubOrigin, Seq: i * 2, HLC: 1, Actor: "hq", Type: "notice.published", V: 1, Target: syncproto.TargetAll})
	}
	l := openLog(t)
	startClient(t, url, l, nil)
	waitFor(t, 10*time.Second, "downlink applied", func() bool { return l.Counters().DownCursor == 6 })
	evs, _ := l.DownEvents(10)
	if len(evs) != 3 {
		t.Fatalf("%d downlink events", len(evs))
	}
}

func TestReconnectsAfterBrokerComesBack(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	l := openLog(t)
	fill(t, l, 300)
	c := startClient(t, "tcp://"+addr, l, nil)
	waitFor(t, 5*time.Second, "a failed connect", func() bool { return c.Status().LastError != "" })
	// Now the broker appears on that address.
	srv := mqtt.New(&mqtt.Options{InlineClient: true})
	srv.AddHook(new(auth.AllowHook), nil)
	srv.AddListener(listeners.NewTCP(listeners.Config{ID: "t", Address: addr}))
	hub := &fakeHub{srv: srv, have: map[uint64]int{}}
	srv.Subscribe(syncproto.UplinkWildcard, 1, hub.onUp)
	go srv.Serve()
	defer srv.Close()
	waitFor(t, 10*time.Second, "drain after broker came back", func() bool { return l.Counters().AckedSeq == 300 })
}

// denyHook is a broker that answers every login with "not authorised".
type denyHook struct{ mqtt.HookBase }

func (denyHook) ID() string                                              { return "deny" }
func (denyHook) Provides(b byte) bool                                    { return b == mqtt.OnConnectAuthenticate }
func (denyHook) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return false }

// last_error says what actually went wrong: only a broker that refused the
// login points at the secret; a broker that is not there points at the broker.
func TestConnectErrorSaysWhatFailed(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := ln.Addr().String()
	ln.Close()
	c := startClient(t, "tcp://"+down, openLog(t), nil)
	waitFor(t, 5*time.Second, "a failed connect", func() bool { return c.Status().LastError != "" })
	if e := c.Status().LastError; !strings.Contains(e, "cannot reach the broker at tcp://"+down) || strings.Contains(e, "secret") {
		t.Errorf("broker down: last_error %q", e)
	}

	ln, _ = net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	srv := mqtt.New(&mqtt.Options{InlineClient: true})
	if err := srv.AddHook(new(denyHook), nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "t", Address: addr})); err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	c = startClient(t, "tcp://"+addr, openLog(t), nil)
	waitFor(t, 5*time.Second, "a refused connect", func() bool { return c.Status().LastError != "" })
	if e := c.Status().LastError; !strings.Contains(e, "refused outlet SH-001") || !strings.Contains(e, "secret") {
		t.Errorf("login refused: last_error %q", e)
	}

	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	if e := connectError("tcp://h:1", "SH-001", timeout).Error(); !strings.Contains(e, "no answer in time") || strings.Contains(e, "secret") {
		t.Errorf("silent broker: %q", e)
	}
}

// last_heard is when the broker last said anything, by the outlet's clock,
// and it stays put while nothing more is heard, so the counter can say how
// long head office has been silent.
func TestLastHeardIsWhenTheBrokerLastSpoke(t *testing.T) {
	_, url := startFakeHub(t)
	l := openLog(t)
	fill(t, l, 50)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0)
	c, err := New(Config{Broker: url, Outlet: "SH-001", Secret: "x", Events: l, Clock: clk, BackoffMin: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Status(); !s.LastHeard.IsZero() || s.LastHeardAgoS != nil {
		t.Fatalf("heard before connecting: %v, %v", s.LastHeard, s.LastHeardAgoS)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	stop := sync.OnceFunc(func() { cancel(); <-done })
	defer stop()
	waitFor(t, 10*time.Second, "events acknowledged", func() bool { return l.Counters().AckedSeq == 50 })
	s := c.Status()
	if !s.LastHeard.Equal(t0) || s.LastHeardAgoS == nil || *s.LastHeardAgoS != 0 {
		t.Fatalf("after acks: last heard %v ago %v, want %v ago 0", s.LastHeard, s.LastHeardAgoS, t0)
	}
	stop() // nothing more is heard
	clk.Set(t0.Add(90 * time.Second))
	s = c.Status()
	if !s.LastHeard.Equal(t0) || s.LastHeardAgoS == nil || *s.LastHeardAgoS != 90 {
		t.Fatalf("after 90 s of silence: last heard %v ago %v, want %v ago 90", s.LastHeard, s.LastHeardAgoS, t0)
	}
}

// A hub that holds another data directory's stream of this outlet: its
// acked sequence is not applied here, the backlog stays, and the refusal
// shows in the status in the screens' error shape.
func TestAckOfAnotherIncarnationIgnored(t *testing.T) {
	h, url := startFakeHub(t)
	h.otherInc = "0000000000000000000000000000ffff"
	l := openLog(t)
	fill(t, l, 8)
	c := startClient(t, url, l, nil)
	waitFor(t, 10*time.Second, "the refusal", func() bool { return c.Status().Refused != nil })
	s := c.Status()
	if s.Refused.Code != "sync.incarnation" || s.Refused.Params["held"] != float64(8) || s.Incarnation != l.Incarnation() || len(s.Incarnation) != 32 {
		t.Fatalf("status %+v refused %+v", s, s.Refused)
	}
	if cnt := l.Counters(); cnt.AckedSeq != 0 || cnt.Backlog != 8 {
		t.Fatalf("another incarnation's ack applied: %+v", cnt)
	}
}

// switchDialer refuses while down and counts every dial it is asked for.
type switchDialer struct {
	mu    sync.Mutex
	down  bool
	dials int
}

func (d *switchDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.dials++
	down := d.down
	d.mu.Unlock()
	if down {
		return nil, fmt.Errorf("dial %s: link cut", addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func (d *switchDialer) set(down bool) { d.mu.Lock(); d.down = down; d.mu.Unlock() }

func (d *switchDialer) count() int { d.mu.Lock(); defer d.mu.Unlock(); return d.dials }

// A configured Dialer carries every connection: while it refuses the client
// backs off and retries through it, and once it lets through the backlog
// drains.
func TestDialerCarriesTheConnection(t *testing.T) {
	hub, url := startFakeHub(t)
	l := openLog(t)
	fill(t, l, 300)
	d := &switchDialer{down: true}
	c := startClient(t, url, l, func(cfg *Config) { cfg.Dialer = d })
	waitFor(t, 10*time.Second, "two refused dials", func() bool { return d.count() >= 2 })
	if st := c.Status(); st.Connected || !strings.Contains(st.LastError, "link cut") {
		t.Fatalf("status while the dialer refuses: %+v", st)
	}
	if l.Counters().AckedSeq != 0 || hub.ackedSeq() != 0 {
		t.Fatal("events reached the hub past a dialer that refused")
	}
	d.set(false)
	waitFor(t, 20*time.Second, "all events acknowledged", func() bool { return l.Counters().AckedSeq == 300 })
	if n := d.count(); n < 3 {
		t.Fatalf("%d dials: the connection did not go through the dialer", n)
	}
}

// A pull tells head office the agent's head and the stamp of its oldest
// event not yet acknowledged, and no stamp once all are.
func TestPullReportsBacklog(t *testing.T) {
	l := openLog(t)
	c, err := New(Config{Broker: "tcp://127.0.0.1:1", Outlet: "SH-001", Secret: "x", Events: l})
	if err != nil {
		t.Fatal(err)
	}
	if p := c.pullFrame(); p.Head == nil || *p.Head != 0 || p.OldestUnsynced != nil {
		t.Fatalf("empty log: pull %+v, want head 0 and no oldest", p)
	}
	fill(t, l, 5)
	if err := l.Acknowledge(2, nil); err != nil {
		t.Fatal(err)
	}
	raws, err := l.ReadRaw(3, 1, 1<<20)
	if err != nil || len(raws) != 1 {
		t.Fatal(raws, err)
	}
	var third syncproto.Event
	if err := json.Unmarshal(raws[0], &third); err != nil {
		t.Fatal(err)
	}
	p := c.pullFrame()
	if p.Head == nil || *p.Head != 5 || p.OldestUnsynced == nil || *p.OldestUnsynced != third.HLC.WallMillis() {
		t.Fatalf("pull %+v, want head 5 and the stamp of event 3 (%d)", p, third.HLC.WallMillis())
	}
	if err := l.Acknowledge(5, nil); err != nil {
		t.Fatal(err)
	}
	if p := c.pullFrame(); p.Head == nil || *p.Head != 5 || p.OldestUnsynced != nil {
		t.Fatalf("all acknowledged: pull %+v, want head 5 and no oldest", p)
	}
}

// A pull that no hub answered (sent to an external broker while the hub
// was down) is sent again, so the downlink and head office's view of the
// backlog do not wait for the next connect.
func TestUnansweredPullSentAgain(t *testing.T) {
	hub, url := startFakeHub(t)
	hub.dropPulls = 1
	hub.down = []syncproto.Event{{ID: "h1", Origin: syncproto.HubOrigin, Seq: 4, HLC: 1, Actor: "hq", Type: "notice.published", V: 1, Target: syncproto.TargetAll}}
	l := openLog(t)
	startClient(t, url, l, nil)
	waitFor(t, 10*time.Second, "downlink applied after a lost pull", func() bool { return l.Counters().DownCursor == 4 })
	hub.mu.Lock()
	defer hub.mu.Unlock()
	if hub.pulls < 2 {
		t.Errorf("%d pulls, want the lost one and another", hub.pulls)
	}
}
