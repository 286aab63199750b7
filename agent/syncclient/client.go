// Package syncclient moves the outlet's events to the hub and the hub's
// downlink events to the outlet over MQTT.
//
// It keeps its own cursors in the event log and never trusts the broker or
// the MQTT library to remember anything: after every (re)connect it resends
// from the hub-acknowledged cursor and pulls the downlink from its own
// cursor. Batches are pipelined, several in flight, and the cursor moves
// only when the hub acknowledges what it has committed.
package syncclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Config for a Client. Zero values take the defaults noted.
type Config struct {
	Broker string // tls://host:8883, or tcp://127.0.0.1:1883 on this machine (see ParseBroker)
	// TLS names the CA file the hub's certificate must be signed by, and
	// an optional client certificate; required with a TLS broker.
	TLS TLSFiles
	// AllowPlain permits a plain tcp:// broker that is not on this machine.
	AllowPlain bool
	Outlet     string
	Secret     string
	Events     *eventlog.Log
	Logger     *slog.Logger

	BatchEvents int           // events per batch; 500
	BatchBytes  int           // stored JSON bytes per batch before compression; 256 KiB
	Window      int           // batches in flight, whatever their size; syncproto.UplinkWindow
	AckTimeout  time.Duration // no ack progress for this long → resend from cursor; DefaultAckTimeout
	StableAfter time.Duration // a connection this old resets the backoff; 30 s
	BackoffMin  time.Duration // first reconnect delay; 1 s
	BackoffMax  time.Duration // reconnect delay cap; 2 min
	// DownAppliers fold downlink events into local state.
	DownAppliers []eventlog.DownApplier
	// Clock is the outlet PC's clock; clock.System if nil.
	Clock clock.Clock
	// Dialer opens the TCP connection to the broker; a net.Dialer if nil.
	// A load generator passes one that can cut every outlet's link at
	// once, so an outage costs it no proxy and no extra file descriptors.
	Dialer Dialer
}

// Dialer opens network connections; *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// DefaultAckTimeout is how long the client waits for the hub to
// acknowledge progress before it resends from its cursor.
const DefaultAckTimeout = 20 * time.Second

// KeepAlive and PingTimeout bound how long a link that dies silently (no
// reset, no close) goes unnoticed: the MQTT client pings after KeepAlive
// without hearing from the broker and drops the connection when no answer
// comes within PingTimeout. With paho's check every KeepAlive/4 that is at
// most about 10 s; the counter must say offline within 15 s. An idle
// outlet costs the broker one ping every 4 s.
const (
	KeepAlive   = 4 * time.Second
	PingTimeout = 4 * time.Second
)

// Status is what the sync page shows.
type Status struct {
	Outlet      string    `json:"outlet"`
	Broker      string    `json:"broker"`
	Connected   bool      `json:"connected"`
	Since       time.Time `json:"since,omitzero"`
	LastAck     time.Time `json:"last_ack,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// LastProblem is LastError as a catalog code with its parameters when
	// it is one (a refused certificate), for the screen to word.
	LastProblem *problem.Detail `json:"last_problem,omitempty"`
	HubOffsetMS int64           `json:"hub_clock_offset_ms"`
	HubTimeKnow bool            `json:"hub_clock_known"`
	Reconnects  uint64          `json:"reconnects"`
	Batches     uint64          `json:"batches_sent"`
	Resends     uint64          `json:"resends"`
	NextRetry   time.Time       `json:"next_retry,omitzero"`
	// LastHeard is when the broker last sent anything at all, pings
	// answered included; LastHeardAgoS is how long ago that was by the
	// outlet's clock. Both are absent until the hub has been heard from
	// since the agent started.
	LastHeard     time.Time `json:"last_heard,omitzero"`
	LastHeardAgoS *int64    `json:"last_heard_ago_s,omitempty"`
	// Incarnation is this data directory's identity; head office may
	// name it when it starts a new incarnation of the outlet.
	Incarnation string `json:"incarnation"`
	// Refused is why the hub does not take this outlet's events, in the
	// screens' error shape, until an ack without a problem arrives.
	Refused *problem.Detail `json:"refused,omitempty"`
	// ClockProblem is set while this PC's clock is further from the hub's
	// than the skew bound: its events are kept but flagged at head office,
	// and the clerk is told how to fix it.
	ClockProblem *ClockProblem `json:"clock_problem,omitempty"`
	// RefusedDown counts downlink events refused since start (a stamp no
	// clock reads); the log has each with its reason.
	RefusedDown uint64 `json:"refused_downlink,omitempty"`
}

// ClockProblem is a catalog problem (sync.clock_ahead or
// sync.clock_behind) with how far this PC's clock is off.
type ClockProblem struct {
	Code    string         `json:"code"`
	Params  map[string]any `json:"params"`
	Message string         `json:"message"`
	// OffsetMS is how far this PC's clock is ahead of the hub's (negative:
	// behind), in milliseconds.
	OffsetMS int64 `json:"offset_ms"`
}

// ClockOff is the problem with this PC's clock when the hub's clock less
// this PC's is hubOffsetMS, nil within bound: what the status says, for
// yizhan-agent doctor from the offset the data file keeps.
func ClockOff(hubOffsetMS int64, bound time.Duration) *ClockProblem {
	return clockProblem(-hubOffsetMS, bound)
}

// Span is how the status words a clock offset of ms (its absolute value):
// "01:02:03", or "2d 01:02:03".
func Span(ms int64) string { return span(abs(ms)) }

// clockProblem is the problem with a PC clock aheadMS ahead of the hub's,
// nil within bound.
func clockProblem(aheadMS int64, bound time.Duration) *ClockProblem {
	if abs(aheadMS) <= bound.Milliseconds() {
		return nil
	}
	code, param := problem.SyncClockAhead, "ahead"
	if aheadMS < 0 {
		code, param = problem.SyncClockBehind, "behind"
	}
	e := problem.New(code, param, span(abs(aheadMS)))
	return &ClockProblem{Code: code.String(), Params: e.Params(), Message: e.Error(), OffsetMS: aheadMS}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// span writes milliseconds as "2d 03:04:05", as the screen's fmtDuration
// does; the screen formats the same from offset_ms in its own language.
func span(ms int64) string {
	s := ms / 1000
	out := fmt.Sprintf("%02d:%02d:%02d", s%86400/3600, s%3600/60, s%60)
	if d := s / 86400; d > 0 {
		out = fmt.Sprintf("%dd %s", d, out)
	}
	return out
}

// Client runs the sync loops. Create with New, then Run.
type Client struct {
	cfg    Config
	logger *slog.Logger
	broker Broker
	files  TLSFiles
	tls    *tls.Config // nil for a plain broker

	mu       sync.Mutex
	st       Status
	offsetMS int64 // hub time less this PC's, in ms: centuries fit, unlike a Duration
	savedMS  int64 // offsetMS as last saved
	known    bool

	batches, resends, reconnects atomic.Uint64
	heard                        atomic.Int64 // Clock's unix nanoseconds of the last byte from the broker; 0 never
	// pulledAt is the Clock's unix nanoseconds of the last pull; answered
	// says a Down came since the session began. A pull sent while no hub
	// listened (an external broker with the hub down) is sent again.
	pulledAt atomic.Int64
	answered atomic.Bool

	pendMu   sync.Mutex
	pendAck  uint64
	pendRej  []syncproto.Rejection
	pendDown []*syncproto.Down
	pendOwn  []*syncproto.Own
	// fetchedAt is the Clock's unix nanoseconds of the last Fetch sent
	// while catching up (pump goroutine only).
	fetchedAt int64
	pokeSeq   uint64
	wake      chan struct{}
}

// New checks cfg and fills defaults.
func New(cfg Config) (*Client, error) {
	if cfg.Events == nil || cfg.Broker == "" || cfg.Outlet == "" {
		return nil, errors.New("sync client needs an event log, a broker URL and an outlet id")
	}
	broker, err := ParseBroker(cfg.Broker, cfg.AllowPlain)
	if err != nil {
		return nil, err
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.BatchEvents, 500)
	def(&cfg.BatchBytes, 256<<10)
	def(&cfg.Window, syncproto.UplinkWindow)
	defD(&cfg.AckTimeout, DefaultAckTimeout)
	defD(&cfg.StableAfter, 30*time.Second)
	defD(&cfg.BackoffMin, time.Second)
	defD(&cfg.BackoffMax, 2*time.Minute)
	if cfg.BatchEvents > syncproto.MaxEventsPerBatch {
		cfg.BatchEvents = syncproto.MaxEventsPerBatch
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	tlsCfg, err := tlsConfig(broker, cfg.TLS, cfg.Clock.Now)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, logger: cfg.Logger.With("broker", cfg.Broker), wake: make(chan struct{}, 1),
		broker: broker, files: cfg.TLS, tls: tlsCfg}
	c.st.Outlet, c.st.Broker, c.st.Incarnation = cfg.Outlet, cfg.Broker, cfg.Events.Incarnation()
	c.offsetMS, c.known = cfg.Events.HubOffset()
	c.savedMS = c.offsetMS
	return c, nil
}

// Status returns a snapshot.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.st
	s.HubOffsetMS, s.HubTimeKnow = c.offsetMS, c.known
	if ev := c.cfg.Events; ev != nil {
		if c.known {
			s.ClockProblem = clockProblem(-c.offsetMS, ev.MaxSkew())
		}
		s.RefusedDown = ev.RefusedDown()
	}
	s.Batches, s.Resends, s.Reconnects = c.batches.Load(), c.resends.Load(), c.reconnects.Load()
	if n := c.heard.Load(); n != 0 {
		s.LastHeard = time.Unix(0, n)
		ago := int64(max(c.cfg.Clock.Now().Sub(s.LastHeard), 0) / time.Second)
		s.LastHeardAgoS = &ago
	}
	return s
}

// HubNow is the current time corrected to the hub's clock, for deadlines.
// Until the hub has been heard from, it is the local clock.
func (c *Client) HubNow() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.UnixMilli(c.cfg.Clock.Now().UnixMilli() + c.offsetMS)
}

// markHeard records that the broker just said something.
func (c *Client) markHeard() { c.heard.Store(c.cfg.Clock.Now().UnixNano()) }

// heardConn marks every read that brings bytes, so ping answers count as
// hearing from head office and not only acks and downlink.
type heardConn struct {
	net.Conn
	heard func()
}

func (h heardConn) Read(p []byte) (int, error) {
	n, err := h.Conn.Read(p)
	if n > 0 {
		h.heard()
	}
	return n, err
}

// dial opens the connection to the broker New checked, over TLS when its
// URL says so, and wraps it in a heardConn. paho's URL is ignored: the
// agent has one broker.
func (c *Client) dial(_ *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
	var d Dialer = &net.Dialer{}
	if c.cfg.Dialer != nil {
		d = c.cfg.Dialer
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.ConnectTimeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", c.broker.HostPort)
	if err != nil {
		return nil, err
	}
	if c.tls != nil {
		if conn, err = c.handshake(conn, o.ConnectTimeout); err != nil {
			return nil, err
		}
	}
	return heardConn{Conn: conn, heard: c.markHeard}, nil
}

func (c *Client) setErr(err error) {
	var p *problem.Detail
	if e := problem.As(err); e != nil {
		p = &problem.Detail{Code: e.Code().String(), Params: e.Params(), Message: e.Error()}
	}
	c.mu.Lock()
	c.st.LastError, c.st.LastErrorAt, c.st.LastProblem = err.Error(), c.cfg.Clock.Now(), p
	c.mu.Unlock()
}

func (c *Client) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run connects and syncs until ctx ends, reconnecting with jittered
// exponential backoff that resets only after a stable connection.
func (c *Client) Run(ctx context.Context) error {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = c.cfg.BackoffMin
	bo.MaxInterval = c.cfg.BackoffMax
	bo.RandomizationFactor = 0.5
	bo.Multiplier = 2
	bo.MaxElapsedTime = 0
	bo.Reset()
	for {
		up, err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if up >= c.cfg.StableAfter {
			bo.Reset()
		}
		wait := bo.NextBackOff()
		if err != nil {
			c.setErr(err)
			c.logger.Warn("sync connection down; will retry", "err", err, "retry_in", wait.Round(time.Millisecond))
		}
		c.mu.Lock()
		c.st.NextRetry = c.cfg.Clock.Now().Add(wait)
		c.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		c.reconnects.Add(1)
	}
}

// session runs one connection. It returns how long the connection was up.
func (c *Client) session(ctx context.Context) (time.Duration, error) {
	lost := make(chan error, 1)
	opts := mqtt.NewClientOptions().
		AddBroker(c.cfg.Broker).
		SetClientID("yz-agent-" + c.cfg.Outlet).
		SetUsername(c.cfg.Outlet).
		SetPassword(c.cfg.Secret).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetKeepAlive(KeepAlive).
		SetPingTimeout(PingTimeout).
		SetCustomOpenConnectionFn(c.dial).
		SetConnectTimeout(10 * time.Second).
		SetWriteTimeout(15 * time.Second).
		SetOrderMatters(false).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			select {
			case lost <- err:
			default:
			}
		})
	cl := mqtt.NewClient(opts)
	tok := cl.Connect()
	if !tok.WaitTimeout(15 * time.Second) {
		cl.Disconnect(0)
		return 0, fmt.Errorf("connect to %s: no answer within 15s (is the hub or broker running there?)", c.cfg.Broker)
	}
	if err := tok.Error(); err != nil {
		return 0, c.loginError(err)
	}
	start := c.cfg.Clock.Now()
	defer cl.Disconnect(250)
	c.mu.Lock()
	c.st.Connected, c.st.Since, c.st.NextRetry = true, start, time.Time{}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.st.Connected = false
		c.mu.Unlock()
	}()
	c.logger.Info("sync connected")

	subs := map[string]byte{syncproto.OutletDownTree(c.cfg.Outlet): 1, syncproto.BroadcastPoke: 1}
	stok := cl.SubscribeMultiple(subs, c.onMessage)
	if !stok.WaitTimeout(15*time.Second) || stok.Error() != nil {
		return c.cfg.Clock.Now().Sub(start), fmt.Errorf("subscribe to downlink: %v", stok.Error())
	}
	c.answered.Store(false)
	c.fetchedAt = 0 // a restored file asks at once on every connection
	c.pull(cl)
	err := c.pump(ctx, cl, lost)
	return c.cfg.Clock.Now().Sub(start), err
}

// loginError is a failed connect's error as connectError words it, with
// the client certificate named when one is configured: a hub that takes
// client certificates refuses one naming another outlet the same way as a
// wrong secret.
func (c *Client) loginError(err error) error {
	err = connectError(c.cfg.Broker, c.cfg.Outlet, err)
	if c.files.CertFile != "" && (errors.Is(err, packets.ErrorRefusedNotAuthorised) || errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword)) {
		err = fmt.Errorf("%w; or the client certificate %s (sync.cert_file) is not this outlet's", err, c.files.CertFile)
	}
	return err
}

// connectError says what went wrong with a connect: only a broker that
// answered and refused the login points at the outlet's id or secret; an
// unreachable or silent broker points at the broker. An operator reads this
// in last_error and the log, and must not rotate a secret over an outage.
func connectError(broker, outlet string, err error) error {
	var ne net.Error
	if p := problem.As(err); p != nil { // a refused certificate, worded in tls.go
		return fmt.Errorf("connect to %s: %w", broker, p)
	}
	if p := clientCertError(err); p != nil {
		return fmt.Errorf("connect to %s: %w", broker, p)
	}
	switch {
	case errors.Is(err, packets.ErrorRefusedNotAuthorised), errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword):
		return fmt.Errorf("the broker at %s refused outlet %s: %w (check this outlet's id and secret, and that the hub has registered it)", broker, outlet, err)
	case errors.Is(err, packets.ErrorRefusedIDRejected), errors.Is(err, packets.ErrorRefusedServerUnavailable),
		errors.Is(err, packets.ErrorRefusedBadProtocolVersion):
		return fmt.Errorf("the broker at %s refused the connection: %w", broker, err)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("cannot reach the broker at %s: no answer in time: %w (is the hub or broker running, and is the address right?)", broker, err)
	case errors.Is(err, packets.ErrorNetworkError):
		return fmt.Errorf("cannot reach the broker at %s: %w (is the hub or broker running, and is the address right?)", broker, err)
	}
	return fmt.Errorf("connect to %s as outlet %s: %w", broker, outlet, err)
}

// pump sends batches within the window and applies acks and downlink until
// the connection is lost or ctx ends.
func (c *Client) pump(ctx context.Context, cl mqtt.Client, lost <-chan error) error {
	events := c.cfg.Events
	sent := events.Counters().AckedSeq // resend everything not acknowledged
	lastAcked, lastProgress := sent, c.cfg.Clock.Now()
	// flight holds the last sequence of each batch sent and not yet
	// acknowledged, oldest first. The window counts batches, not events:
	// scans arriving one by one while batches are in flight each make a
	// batch of their own, and an event count would let hundreds of them
	// pile up in the broker's queue for the hub (see syncproto.UplinkWindow).
	// A full window makes the next batch wait and so carry more events.
	var flight []uint64
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if err := c.applyPending(cl); err != nil {
			c.logger.Error("could not save sync progress", "err", err)
			c.setErr(err)
		}
		cnt := events.Counters()
		if cnt.AckedSeq != lastAcked {
			lastAcked, lastProgress = cnt.AckedSeq, c.cfg.Clock.Now()
		}
		if cnt.AckedSeq > sent {
			sent = cnt.AckedSeq
		}
		for len(flight) > 0 && flight[0] <= cnt.AckedSeq {
			flight = flight[1:]
		}
		if !c.answered.Load() && c.cfg.Clock.Now().UnixNano()-c.pulledAt.Load() > int64(c.cfg.AckTimeout) {
			c.logger.Info("no answer to the pull from the hub; pulling again")
			c.pull(cl)
		}
		if _, ok := events.CatchingUp(); ok && c.cfg.Clock.Now().UnixNano()-c.fetchedAt > int64(c.cfg.AckTimeout) {
			// No answer in time (or none asked yet): ask again.
			c.fetch(cl)
		}
		if sent > cnt.AckedSeq && c.cfg.Clock.Now().Sub(lastProgress) > c.cfg.AckTimeout {
			c.logger.Warn("no acknowledgement from the hub; resending from the cursor", "acked", cnt.AckedSeq, "sent", sent)
			c.resends.Add(1)
			sent, lastProgress, flight = cnt.AckedSeq, c.cfg.Clock.Now(), flight[:0]
		}
		window := c.cfg.Window
		if cnt.AckedSeq == 0 {
			// A hub that has not yet taken this data directory's stream
			// drops batches that do not start it (the agent sends them
			// again): until the first ack, one batch at a time, or every
			// batch after the first waits for the ack timeout.
			window = 1
		}
		for sent < cnt.LastSeq && len(flight) < window {
			raws, err := events.ReadRaw(sent+1, c.cfg.BatchEvents, c.cfg.BatchBytes)
			if err != nil || len(raws) == 0 {
				return fmt.Errorf("read outbox at %d: %v", sent+1, err)
			}
			frame, err := syncproto.EncodeBatchRaw(c.cfg.Outlet, events.Incarnation(), sent+1, raws, 512)
			if err != nil {
				return fmt.Errorf("encode batch at %d: %w", sent+1, err)
			}
			if sent == cnt.AckedSeq {
				lastProgress = c.cfg.Clock.Now() // the ack clock starts with the first batch in flight
			}
			cl.Publish(syncproto.UplinkTopic(c.cfg.Outlet), 1, false, frame)
			c.batches.Add(1)
			sent += uint64(len(raws))
			flight = append(flight, sent)
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-lost:
			return fmt.Errorf("connection lost: %w", err)
		case <-events.Appended():
		case <-c.wake:
		case <-tick.C:
		}
	}
}

// fetch asks the hub for this outlet's own events after the log's end,
// a page at most: the hub answers with what it holds of them and how far
// it holds the stream (eventlog.AdoptOwn).
func (c *Client) fetch(cl mqtt.Client) {
	from, ok := c.cfg.Events.CatchingUp()
	if !ok {
		return
	}
	f := syncproto.Fetch{Origin: c.cfg.Outlet, Incarnation: c.cfg.Events.Incarnation(), From: from, Through: from + syncproto.MaxOwnEvents - 1}
	frame, err := syncproto.Encode(syncproto.KindFetch, f, -1)
	if err != nil {
		c.logger.Error("encode fetch", "err", err)
		return
	}
	c.fetchedAt = c.cfg.Clock.Now().UnixNano()
	cl.Publish(syncproto.FetchTopic(c.cfg.Outlet), 1, false, frame)
}

func (c *Client) pull(cl mqtt.Client) {
	frame, err := syncproto.Encode(syncproto.KindPull, c.pullFrame(), -1)
	if err != nil {
		c.logger.Error("encode pull", "err", err)
		return
	}
	c.pulledAt.Store(c.cfg.Clock.Now().UnixNano())
	cl.Publish(syncproto.PullTopic(c.cfg.Outlet), 1, false, frame)
}

// pullFrame is the pull this agent sends now: its downlink cursor, and
// its head and oldest unacknowledged stamp for head office's view of its
// backlog (left out if the log cannot say).
func (c *Client) pullFrame() syncproto.Pull {
	cnt := c.cfg.Events.Counters()
	p := syncproto.Pull{Origin: c.cfg.Outlet, Since: cnt.DownCursor, Incarnation: c.cfg.Events.Incarnation(), Head: &cnt.LastSeq}
	ms, ok, err := c.cfg.Events.OldestUnacked()
	if err != nil {
		c.logger.Warn("read oldest unacknowledged event", "err", err)
		p.Head = nil
	} else if ok {
		p.OldestUnsynced = &ms
	}
	return p
}

// onMessage runs on paho's goroutines: it only decodes and queues; the pump
// goroutine does the disk writes, one at a time.
func (c *Client) onMessage(_ mqtt.Client, m mqtt.Message) {
	switch m.Topic() {
	case syncproto.AckTopic(c.cfg.Outlet):
		var a syncproto.Ack
		h, err := syncproto.Decode(m.Payload(), syncproto.KindAck, &a)
		if err != nil {
			c.logger.Warn("unreadable ack from hub", "err", err)
			c.setErr(fmt.Errorf("unreadable ack from hub: %w", err))
			return
		}
		c.observeHub(a.HubTime, a)
		if a.Error != nil {
			err := fmt.Errorf("hub refused a message: %s: %s", a.Error.Code, a.Error.Reason)
			c.logger.Error("hub refused a message", "code", a.Error.Code, "reason", a.Error.Reason)
			c.setErr(err)
		}
		// From minor 1 the hub names the stream an ack counts. Another
		// incarnation's acked sequence (the replaced PC's) says nothing
		// about this directory's events: applying it would drop them.
		mine := h.Minor < 1 || a.Incarnation == c.cfg.Events.Incarnation()
		c.mu.Lock()
		if d, ok := refusal(a.Error); ok && mine {
			c.st.Refused = &d
		} else if a.Error == nil && mine {
			c.st.Refused = nil
		}
		c.st.LastAck = c.cfg.Clock.Now()
		c.mu.Unlock()
		if !mine {
			c.logger.Warn("ack for another incarnation of this outlet ignored", "incarnation", a.Incarnation, "acked_seq", a.AckedSeq)
			return
		}
		for _, r := range a.Rejected {
			c.logger.Error("hub refused an event; kept as dead letter", "seq", r.Seq, "code", r.Code, "reason", r.Reason)
		}
		c.pendMu.Lock()
		if a.AckedSeq > c.pendAck {
			c.pendAck = a.AckedSeq
		}
		c.pendRej = append(c.pendRej, a.Rejected...)
		c.pendMu.Unlock()
	case syncproto.DownTopic(c.cfg.Outlet):
		var d syncproto.Down
		if _, err := syncproto.Decode(m.Payload(), syncproto.KindDown, &d); err != nil {
			c.logger.Warn("unreadable downlink from hub", "err", err)
			c.setErr(fmt.Errorf("unreadable downlink from hub: %w", err))
			return
		}
		c.answered.Store(true)
		c.observeHub(d.HubTime, syncproto.Ack{})
		c.pendMu.Lock()
		c.pendDown = append(c.pendDown, &d)
		c.pendMu.Unlock()
	case syncproto.OwnTopic(c.cfg.Outlet):
		var o syncproto.Own
		if _, err := syncproto.Decode(m.Payload(), syncproto.KindOwn, &o); err != nil {
			c.logger.Warn("unreadable answer to a fetch from hub", "err", err)
			c.setErr(fmt.Errorf("unreadable answer to a fetch from hub: %w", err))
			return
		}
		c.observeHub(o.HubTime, syncproto.Ack{})
		c.pendMu.Lock()
		c.pendOwn = append(c.pendOwn, &o)
		c.pendMu.Unlock()
	case syncproto.BroadcastPoke:
		var p syncproto.Poke
		if _, err := syncproto.Decode(m.Payload(), syncproto.KindPoke, &p); err != nil {
			c.logger.Warn("unreadable poke from hub", "err", err)
			return
		}
		c.pendMu.Lock()
		if p.Seq > c.pokeSeq {
			c.pokeSeq = p.Seq
		}
		c.pendMu.Unlock()
	default:
		return
	}
	c.signal()
}

// refusal is p in the screens' error shape when it is one of the stream
// refusals the catalog words (sync.<code>).
func refusal(p *syncproto.Problem) (problem.Detail, bool) {
	if p == nil {
		return problem.Detail{}, false
	}
	return p.Detail()
}

func (c *Client) observeHub(hubMillis int64, a syncproto.Ack) {
	if a.HubHLC != 0 {
		c.cfg.Events.AdoptHub(a.HubHLC, hubMillis)
	}
	if hubMillis <= 0 {
		return
	}
	off := hubMillis - c.cfg.Clock.Now().UnixMilli()
	c.mu.Lock()
	// Saved when first known and when it moves by more than a second, so
	// a restart starts from today's offset, not the first one ever seen.
	save := !c.known || abs(off-c.savedMS) > 1000
	c.offsetMS, c.known = off, true
	if save {
		c.savedMS = off
	}
	c.mu.Unlock()
	if save {
		if err := c.cfg.Events.SaveHubOffset(off); err != nil {
			c.logger.Warn("save hub clock offset", "err", err)
		}
	}
}

// applyPending writes queued acks and downlink to the log and pulls again
// when the downlink is behind.
func (c *Client) applyPending(cl mqtt.Client) error {
	c.pendMu.Lock()
	acked, rej, downs, poke, owns := c.pendAck, c.pendRej, c.pendDown, c.pokeSeq, c.pendOwn
	c.pendRej, c.pendDown, c.pendOwn = nil, nil, nil
	c.pendMu.Unlock()
	events := c.cfg.Events
	for _, o := range owns {
		if d, ok := refusal(o.Error); ok && o.Incarnation == events.Incarnation() {
			// Head office holds another data directory's stream now: this
			// restored file cannot catch up, and the status says why.
			c.mu.Lock()
			c.st.Refused = &d
			c.mu.Unlock()
		}
		n, err := events.AdoptOwn(o, c.cfg.DownAppliers...)
		if err != nil {
			c.logger.Error("could not take this outlet's events back from head office; fetching again", "from", o.From, "err", err)
			c.setErr(err)
			c.fetchedAt = 0
			continue
		}
		if n > 0 || o.Rejected != nil {
			c.logger.Info("fetched this outlet's events back from head office", "events", n, "through", o.Through, "hub_acked", o.AckedSeq)
		}
		if _, more := events.CatchingUp(); more {
			c.fetch(cl) // the next page at once
		}
	}
	if acked > events.Counters().AckedSeq || len(rej) > 0 {
		if err := events.Acknowledge(acked, rej); err != nil {
			return err
		}
	}
	needPull := false
	for _, d := range downs {
		n, err := events.ApplyDown(d, c.cfg.DownAppliers...)
		if err != nil {
			c.logger.Warn("downlink out of step; pulling again", "err", err)
			needPull = true
			continue
		}
		if n > 0 {
			c.logger.Info("downlink applied", "events", n, "cursor", d.Through)
		}
		if d.More {
			needPull = true
		}
	}
	if len(downs) == 0 && poke > events.Counters().DownCursor {
		needPull = true
		c.pendMu.Lock()
		c.pokeSeq = 0 // one pull per poke; the Down answer re-arms if still behind
		c.pendMu.Unlock()
	}
	if needPull {
		c.pull(cl)
	}
	return nil
}
