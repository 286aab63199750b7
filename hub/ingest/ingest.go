// Package ingest is the hub's transport-agnostic core: it turns uplink MQTT
// messages (batches, pulls) into store commits and reply messages (acks,
// downlink), and publishes hub-made downlink events. The embedded broker and
// the external-broker client both feed it through Dispatch or Handle.
//
// Many uplink batches are committed in one store transaction: handlers queue
// their work for a single writer goroutine, which takes everything waiting
// (up to a bound) and commits it at once. An ack leaves only after the
// transaction holding its batch committed.
package ingest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Message is one MQTT message to publish.
type Message struct {
	Topic   string
	Payload []byte
}

// Publisher sends messages through whichever broker the hub uses, at QoS 1.
type Publisher interface {
	Publish(ctx context.Context, topic string, payload []byte) error
}

// Options configure a Hub. Store and Logger are required.
type Options struct {
	Store  store.Store
	Logger *slog.Logger
	// Registerer receives the hub's metrics; nil means none.
	Registerer prometheus.Registerer
	// Clock is the wall clock; clock.System if nil.
	Clock clock.Clock
	// QueueLen bounds the work waiting for the writer; handlers block
	// (and so slow the broker's delivery) when it is full. Default 1024.
	QueueLen int
	// MaxGroupEvents bounds the events committed in one transaction.
	// Default 20000.
	MaxGroupEvents int
	// MaxHandlers bounds concurrent Dispatch handlers. Default 256.
	MaxHandlers int
	// MemoryBudget bounds the bytes Dispatch handlers hold for frames,
	// inflated bodies and decoded batches (syncproto.DecodeCost each).
	// Default DefaultMemoryBudget.
	MemoryBudget int64
	// OutletShare bounds one outlet's part of MemoryBudget; a message
	// costing more is refused as oversize. Default a quarter of the
	// budget; at least MinOutletShare.
	OutletShare int64
	// OutletHandlers bounds one outlet's concurrent handlers, so that one
	// outlet cannot hold every handler slot. Default
	// DefaultOutletHandlers.
	OutletHandlers int
	// Shared says one transport connection carries every outlet's uplink
	// (an external broker such as Mosquitto), so that Dispatch must not
	// wait for one outlet's handlers or share: the wait would hold up
	// every outlet's messages behind it, and the broker would queue, then
	// drop, them. Dispatch then waits only for the whole (MaxHandlers
	// messages waiting or handled at once); each outlet's messages wait
	// for its own handlers off the transport's goroutine, at most
	// OutletHandlers of them, and any more of that outlet's are shed:
	// dropped unhandled and counted (result "shed"), for its agent to
	// resend from its cursor. An agent keeps at most
	// syncproto.UplinkWindow batches in flight, so only a flooding or
	// misbehaving outlet loses messages.
	Shared bool
	// DownMaxEvents and DownMaxBytes bound one Down frame.
	// Defaults 500 and 256 KiB of event JSON.
	DownMaxEvents, DownMaxBytes int
	// RejectFlushEvery is how often the counters of refused messages,
	// gathered in memory, are committed (and also at Close); and the
	// interval over which each outlet and code get a few log lines and
	// then one line with how many more there were. Default
	// DefaultRejectFlushEvery.
	RejectFlushEvery time.Duration
	// MaxSkew bounds how far ahead of the hub's clock an outlet's HLC may
	// lie and still move the hub's HLC (hlc.Adoptable); the store folds
	// stamps beyond it at the bound. Default hlc.DefaultMaxSkew.
	MaxSkew time.Duration
	// CommitTimeout bounds one group commit. Default DefaultCommitTimeout.
	CommitTimeout time.Duration
	// Window bounds how far past an outlet's contiguous point its
	// out-of-order batches are held; beyond it they are refused.
	// Default syncproto.DefaultWindow.
	Window uint64
}

// Hub handles uplink traffic and downlink publishing.
type Hub struct {
	opt    Options
	st     store.Store
	logger *slog.Logger
	clock  *hlc.Clock
	m      *metrics

	queue    chan *req
	mu       sync.RWMutex // guards stopping and closed against new work
	stopping bool         // Dispatch takes no more messages
	closed   bool         // queue is closed
	writerD  chan struct{}

	pubMu sync.RWMutex
	pub   Publisher

	onBatch atomic.Pointer[BatchFunc]

	sem      chan struct{}
	room     chan struct{} // with Shared: messages waiting for their outlet's handlers
	budget   *budget
	inflight sync.WaitGroup

	fetches fetchLimiter

	rejects   *rejectLog
	flushStop chan struct{}
	flushD    chan struct{}
	flushOnce sync.Once
}

type req struct {
	ctx    context.Context
	unit   store.Unit
	events int
	done   chan reply
}

type reply struct {
	res store.Result
	err error
}

// BatchFunc is told about an outlet's committed events before the batch is
// acknowledged. A batch the outlet sends again (no ack seen) is told again,
// so a BatchFunc must be idempotent; in exchange, work it does is never lost
// to a crash between the commit and the ack.
type BatchFunc func(ctx context.Context, outlet string, evs []syncproto.Event)

// SetBatchFunc sets the function told about committed batches.
func (h *Hub) SetBatchFunc(f BatchFunc) { h.onBatch.Store(&f) }

// DefaultCommitTimeout is far above any healthy commit (milliseconds) and
// below the agents' ack timeout, so they resend soon after.
const DefaultCommitTimeout = 15 * time.Second

// ErrClosed is returned for work submitted after Close.
var ErrClosed = errors.New("hub is shutting down")

// New starts a Hub's writer goroutine. Call Close to stop it.
func New(opt Options) (*Hub, error) {
	if opt.Store == nil || opt.Logger == nil {
		return nil, errors.New("ingest: Store and Logger are required")
	}
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	if opt.QueueLen <= 0 {
		opt.QueueLen = 1024
	}
	if opt.MaxGroupEvents <= 0 {
		opt.MaxGroupEvents = 20000
	}
	if opt.MaxHandlers <= 0 {
		opt.MaxHandlers = 256
	}
	if opt.MemoryBudget <= 0 {
		opt.MemoryBudget = DefaultMemoryBudget
	}
	if opt.OutletShare <= 0 {
		opt.OutletShare = max(opt.MemoryBudget/4, min(MinOutletShare, opt.MemoryBudget))
	}
	if opt.OutletShare < MinOutletShare || opt.OutletShare > opt.MemoryBudget {
		return nil, fmt.Errorf("ingest: an outlet's memory share (%d bytes) must be at least %d and at most the whole budget (%d)",
			opt.OutletShare, MinOutletShare, opt.MemoryBudget)
	}
	if opt.OutletHandlers <= 0 {
		opt.OutletHandlers = DefaultOutletHandlers
	}
	if opt.DownMaxEvents <= 0 {
		opt.DownMaxEvents = 500
	}
	if opt.DownMaxBytes <= 0 {
		opt.DownMaxBytes = 256 << 10
	}
	if opt.MaxSkew <= 0 {
		opt.MaxSkew = hlc.DefaultMaxSkew
	}
	if opt.CommitTimeout <= 0 {
		opt.CommitTimeout = DefaultCommitTimeout
	}
	if opt.RejectFlushEvery <= 0 {
		opt.RejectFlushEvery = DefaultRejectFlushEvery
	}
	h := &Hub{
		opt: opt, st: opt.Store, logger: opt.Logger,
		clock:   hlc.New(opt.Clock, 0),
		queue:   make(chan *req, opt.QueueLen),
		writerD: make(chan struct{}),
		sem:     make(chan struct{}, opt.MaxHandlers),
		room:    make(chan struct{}, opt.MaxHandlers),
		budget:  newBudget(opt.MemoryBudget, opt.OutletShare, opt.OutletHandlers),
		rejects: newRejectLog(), flushStop: make(chan struct{}), flushD: make(chan struct{}),
	}
	m, err := newMetrics(opt.Registerer, func() float64 { return float64(len(h.queue)) },
		func() float64 { return float64(h.budget.reserved.Load()) })
	if err != nil {
		return nil, err
	}
	h.m = m
	go h.writer()
	go h.rejectFlusher()
	return h, nil
}

// SetPublisher sets where Dispatch replies and downlink pokes go.
func (h *Hub) SetPublisher(p Publisher) {
	h.pubMu.Lock()
	h.pub = p
	h.pubMu.Unlock()
}

func (h *Hub) publisher() Publisher {
	h.pubMu.RLock()
	defer h.pubMu.RUnlock()
	return h.pub
}

// Close waits for running handlers, commits the reject counters, then
// stops the writer after it has committed what was queued.
func (h *Hub) Close() {
	h.mu.Lock()
	h.stopping = true
	h.mu.Unlock()
	h.inflight.Wait()
	h.flushOnce.Do(func() {
		close(h.flushStop)
		<-h.flushD
		h.flushRejects(context.Background())
	})
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.queue)
	}
	h.mu.Unlock()
	<-h.writerD
}

// Dispatch handles one received message on its own goroutine and publishes
// the replies. It first waits for the message's outlet to have a handler
// and the memory its decoding costs (see budget), then for one of
// MaxHandlers; waiting blocks the caller, which pushes back on the
// transport. payload must not be modified afterwards.
func (h *Hub) Dispatch(ctx context.Context, topic string, payload []byte) {
	h.mu.RLock()
	if h.stopping {
		h.mu.RUnlock()
		return
	}
	h.inflight.Add(1)
	h.mu.RUnlock()
	outlet, leaf, perr := syncproto.ParseUplink(topic) // "" for a topic that names no outlet
	if perr != nil {
		outlet = ""
	}
	cost, frame := syncproto.DecodeCost(payload), int64(len(payload))
	if h.opt.Shared {
		h.dispatchShared(ctx, topic, payload, outlet, leaf, perr, cost, frame)
		return
	}
	g, tooBig, err := h.budget.acquire(ctx, outlet, cost, frame)
	if err != nil {
		h.inflight.Done()
		return
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		g.release()
		h.inflight.Done()
		return
	}
	go h.serve(ctx, g, tooBig, topic, payload, outlet, leaf, perr)
}

// dispatchShared is Dispatch for a connection that carries every outlet
// (Options.Shared): it waits for room among all outlets' waiting messages,
// sheds the message if its outlet already has OutletHandlers waiting
// beside as many handled, and leaves the wait for the outlet's handler and
// share to a goroutine of its own. A message waiting holds nothing but its frame, the transport's
// already, and its place in the room; a frame over syncproto.MaxFrameBytes
// (no agent sends one; a broker's max_packet_size should stop it) is
// refused unread, so the frames waiting hold at most MaxHandlers times
// that beyond the budget.
func (h *Hub) dispatchShared(ctx context.Context, topic string, payload []byte, outlet, leaf string, perr error, cost, frame int64) {
	if frame > syncproto.MaxFrameBytes {
		h.reject(ctx, outlet, leaf, &syncproto.DecodeError{Code: syncproto.CodeOversize,
			Reason: fmt.Sprintf("frame of %d bytes is over the %d a frame may have", frame, syncproto.MaxFrameBytes)})
		h.inflight.Done()
		return
	}
	select {
	case h.room <- struct{}{}:
	case <-ctx.Done():
		h.inflight.Done()
		return
	}
	g := h.budget.enter(outlet, 2*h.opt.OutletHandlers)
	if g == nil {
		<-h.room
		h.inflight.Done()
		h.m.frames.WithLabelValues(leaf, "shed").Inc()
		if h.rejects.logged(rejectKey{outlet, "shed"}) {
			h.logger.Warn("uplink message shed: its outlet already has as many waiting as handled; its agent resends from its cursor",
				"outlet", outlet, "kind", leaf, "handlers", h.opt.OutletHandlers)
		}
		return
	}
	go func() {
		g, tooBig, err := h.budget.take(ctx, g, cost, frame)
		if err == nil {
			select {
			case h.sem <- struct{}{}:
			case <-ctx.Done():
				g.release()
				err = ctx.Err()
			}
		}
		<-h.room
		if err != nil {
			h.inflight.Done()
			return
		}
		h.serve(ctx, g, tooBig, topic, payload, outlet, leaf, perr)
	}()
}

// serve handles one message holding its grant and a handler slot, publishes
// the replies, and gives both back.
func (h *Hub) serve(ctx context.Context, g *grant, tooBig error, topic string, payload []byte, outlet, leaf string, perr error) {
	defer func() { <-h.sem; g.release(); h.inflight.Done() }()
	var out []Message
	if tooBig != nil && perr == nil {
		out = h.refuse(ctx, outlet, leaf, tooBig)
	} else {
		out = h.Handle(ctx, topic, payload)
	}
	for _, m := range out {
		p := h.publisher()
		if p == nil {
			h.logger.Error("no publisher set; reply dropped", "topic", m.Topic)
			continue
		}
		if err := p.Publish(ctx, m.Topic, m.Payload); err != nil {
			// The agent resends or pulls again; nothing is lost.
			h.logger.Warn("publish reply failed", "topic", m.Topic, "err", err)
		}
	}
}

// Handle processes one uplink message and returns the replies to publish.
// It takes no part of the memory budget: Dispatch does that before calling
// it.
// It never panics on any input; bad input is counted, logged and, where the
// topic names an outlet, answered with an Ack carrying the problem.
func (h *Hub) Handle(ctx context.Context, topic string, payload []byte) (out []Message) {
	defer func() {
		if r := recover(); r != nil {
			h.logger.Error("handler panic; message dropped", "topic", topic, "panic", fmt.Sprint(r))
			h.m.frames.WithLabelValues("unknown", "error").Inc()
			out = nil
		}
	}()
	outlet, leaf, err := syncproto.ParseUplink(topic)
	if err != nil {
		h.reject(ctx, "", "unknown", &syncproto.DecodeError{Code: syncproto.CodeMalformed, Reason: err.Error()})
		return nil
	}
	switch leaf {
	case "batch":
		return h.handleBatch(ctx, outlet, payload)
	case "pull":
		return h.handlePull(ctx, outlet, payload)
	case "fetch":
		return h.handleFetch(ctx, outlet, payload)
	}
	err = &syncproto.DecodeError{Code: syncproto.CodeMalformed, Reason: fmt.Sprintf("unknown uplink topic %q", topic)}
	return h.refuse(ctx, outlet, "unknown", err)
}

func (h *Hub) handleBatch(ctx context.Context, outlet string, payload []byte) []Message {
	var b syncproto.Batch
	_, err := syncproto.Decode(payload, syncproto.KindBatch, &b)
	if err == nil {
		err = syncproto.CheckBatch(&b, outlet)
	}
	if err == nil && b.Last > math.MaxInt64 {
		err = &syncproto.DecodeError{Code: syncproto.CodeMalformed, Reason: fmt.Sprintf("batch sequence %d is out of range", b.Last)}
	}
	if err != nil {
		return h.refuse(ctx, outlet, "batch", err)
	}
	res, err := h.submit(ctx, store.Unit{Batch: &b, Window: h.opt.Window}, len(b.Events))
	if err != nil {
		// No ack: the agent resends from its cursor.
		h.logger.Error("commit batch failed", "outlet", outlet, "first", b.First, "last", b.Last, "err", err)
		h.m.frames.WithLabelValues("batch", "error").Inc()
		return nil
	}
	if res.Refused != nil {
		// Nothing of it was taken; the ack names the refused stream so
		// that its agent keeps its backlog and shows the reason.
		h.m.frames.WithLabelValues("batch", "refused").Inc()
		h.m.rejects.WithLabelValues(res.Refused.Code).Inc()
		// Counted in the commit that decided it; logged as other refusals are.
		if h.rejects.logged(rejectKey{outlet, res.Refused.Code}) {
			h.logger.Warn("batch refused", "outlet", outlet, "incarnation", b.Incarnation, "first", b.First, "last", b.Last,
				"code", res.Refused.Code, "reason", res.Refused.Reason)
		}
		return h.ack(outlet, syncproto.Ack{Origin: outlet, Incarnation: res.Incarnation, AckedSeq: res.AckedSeq,
			HubHLC: h.clock.Now(), Error: res.Refused})
	}
	var top hlc.Timestamp
	for i := range b.Events {
		top = max(top, b.Events[i].HLC)
	}
	result := "ok"
	if res.Replayed {
		result = "replayed"
	} else {
		h.m.events.Add(float64(len(b.Events) - len(res.Rejected)))
	}
	h.m.frames.WithLabelValues("batch", result).Inc()
	for _, r := range res.Rejected {
		h.m.rejects.WithLabelValues(r.Code).Inc()
	}
	if len(res.Rejected) > 0 && !res.Replayed && h.rejects.logged(rejectKey{outlet, res.Rejected[0].Code}) {
		h.logger.Warn("events dead-lettered", "outlet", outlet, "count", len(res.Rejected),
			"first_seq", res.Rejected[0].Seq, "code", res.Rejected[0].Code, "reason", res.Rejected[0].Reason)
	}
	if f := h.onBatch.Load(); f != nil && *f != nil {
		// Events beyond a gap are told when the gap closes, with the batch
		// that closes it: no part of the hub acts on them before.
		var evs []syncproto.Event
		if !res.Held {
			evs = append(accepted(b.Events, res.Rejected), res.Released...)
		}
		if len(evs) > 0 {
			(*f)(ctx, outlet, evs)
		}
	}
	return h.ack(outlet, syncproto.Ack{Origin: outlet, Incarnation: res.Incarnation, AckedSeq: res.AckedSeq,
		HubHLC: h.observe(top), Rejected: res.Rejected})
}

// accepted is evs without the rejected ones.
func accepted(evs []syncproto.Event, rej []syncproto.Rejection) []syncproto.Event {
	if len(rej) == 0 {
		return evs
	}
	out := make([]syncproto.Event, 0, len(evs))
	for _, e := range evs {
		if !slices.ContainsFunc(rej, func(r syncproto.Rejection) bool { return r.Seq == e.Seq }) {
			out = append(out, e)
		}
	}
	return out
}

func (h *Hub) handlePull(ctx context.Context, outlet string, payload []byte) []Message {
	var p syncproto.Pull
	_, err := syncproto.Decode(payload, syncproto.KindPull, &p)
	if err == nil && p.Origin != outlet {
		err = &syncproto.DecodeError{Code: syncproto.CodeOriginMismatch,
			Reason: fmt.Sprintf("pull claims origin %q but was sent by outlet %q", p.Origin, outlet)}
	}
	if err == nil {
		err = syncproto.CheckIncarnation(p.Incarnation)
	}
	if err != nil {
		return h.refuse(ctx, outlet, "pull", err)
	}
	var out []Message
	res, err := h.submit(ctx, store.Unit{Pull: &p}, 0)
	if err != nil {
		h.logger.Error("record pull cursor failed", "outlet", outlet, "since", p.Since, "err", err)
	} else if res.Refused != nil {
		// The downlink still flows (notices, rules); the refusal tells a
		// replaced PC why its events will not be taken, before it sends any.
		h.m.rejects.WithLabelValues(res.Refused.Code).Inc()
		out = h.ack(outlet, syncproto.Ack{Origin: outlet, Incarnation: p.Incarnation, HubHLC: h.clock.Now(), Error: res.Refused})
	}
	evs, through, more, err := h.st.Down(ctx, outlet, p.Since, h.opt.DownMaxEvents, h.opt.DownMaxBytes)
	if err != nil {
		h.logger.Error("read downlink failed", "outlet", outlet, "since", p.Since, "err", err)
		h.m.frames.WithLabelValues("pull", "error").Inc()
		return nil
	}
	if evs == nil {
		evs = []syncproto.Event{}
	}
	d := syncproto.Down{Target: outlet, From: p.Since, Through: through, Events: evs, More: more, HubTime: h.opt.Clock.Now().UnixMilli()}
	frame, err := syncproto.Encode(syncproto.KindDown, d, 1024)
	if err != nil {
		h.logger.Error("encode downlink failed", "outlet", outlet, "since", p.Since, "err", err)
		h.m.frames.WithLabelValues("pull", "error").Inc()
		return nil
	}
	h.m.frames.WithLabelValues("pull", "ok").Inc()
	h.m.downSent.Add(float64(len(evs)))
	return append(out, Message{Topic: syncproto.DownTopic(outlet), Payload: frame})
}

// refuse counts and logs a message that could not be taken and answers the
// outlet with an Ack carrying the problem and its current acked sequence.
func (h *Hub) refuse(ctx context.Context, outlet, leaf string, err error) []Message {
	prob := h.reject(ctx, outlet, leaf, err)
	var acked uint64
	var inc string
	if o, err := h.st.Outlet(ctx, outlet); err == nil {
		acked, inc = o.AckedSeq, o.Incarnation
	}
	return h.ack(outlet, syncproto.Ack{Origin: outlet, Incarnation: inc, AckedSeq: acked, HubHLC: h.clock.Now(), Error: prob})
}

func (h *Hub) reject(ctx context.Context, outlet, leaf string, err error) *syncproto.Problem {
	prob := &syncproto.Problem{Code: syncproto.ErrorCode(err), Reason: err.Error()}
	var de *syncproto.DecodeError
	if errors.As(err, &de) {
		prob = de.Problem()
	}
	h.m.frames.WithLabelValues(leaf, "rejected").Inc()
	h.m.rejects.WithLabelValues(prob.Code).Inc()
	lvl := slog.LevelWarn
	if prob.Code == syncproto.CodeOriginMismatch {
		// A spoofed origin is a client that tried to write as another outlet.
		lvl = slog.LevelError
	}
	// Counted in memory and committed every RejectFlushEvery; logged a
	// few times per outlet and code in that interval, then summed up.
	h.rejects.count(store.CounterRejectPrefix + prob.Code)
	if h.rejects.logged(rejectKey{outlet, prob.Code}) {
		h.logger.Log(ctx, lvl, "uplink message rejected", "outlet", outlet, "kind", leaf, "code", prob.Code, "reason", prob.Reason)
	}
	return prob
}

func (h *Hub) ack(outlet string, a syncproto.Ack) []Message {
	a.HubTime = h.opt.Clock.Now().UnixMilli()
	frame, err := syncproto.Encode(syncproto.KindAck, a, 4096)
	if err != nil {
		h.logger.Error("encode ack failed", "outlet", outlet, "err", err)
		return nil
	}
	return []Message{{Topic: syncproto.AckTopic(outlet), Payload: frame}}
}

// observe merges an outlet's newest stamp into the hub clock, unless it is
// further ahead of the hub's wall clock than MaxSkew: one PC set a day ahead
// must not drag every later hub stamp with it.
func (h *Hub) observe(top hlc.Timestamp) hlc.Timestamp {
	ts, _ := h.clock.ObserveWithin(top, h.opt.Clock.Now(), h.opt.MaxSkew)
	return ts
}

// submit queues a unit for the writer and waits for its commit.
func (h *Hub) submit(ctx context.Context, u store.Unit, events int) (store.Result, error) {
	r := &req{ctx: ctx, unit: u, events: events, done: make(chan reply, 1)}
	h.mu.RLock()
	if h.closed {
		h.mu.RUnlock()
		return store.Result{}, ErrClosed
	}
	select {
	case h.queue <- r:
	case <-ctx.Done():
		h.mu.RUnlock()
		return store.Result{}, ctx.Err()
	}
	h.mu.RUnlock()
	select {
	case rep := <-r.done:
		return rep.res, rep.err
	case <-ctx.Done():
		return store.Result{}, ctx.Err()
	}
}

// writer commits everything waiting in the queue in one transaction, then
// answers each request.
func (h *Hub) writer() {
	defer close(h.writerD)
	var group []*req
	units := make([]store.Unit, 0, 64)
	for first := range h.queue {
		group = append(group[:0], first)
		n := first.events
	drain:
		for n < h.opt.MaxGroupEvents {
			select {
			case r, ok := <-h.queue:
				if !ok {
					break drain
				}
				group = append(group, r)
				n += r.events
			default:
				break drain
			}
		}
		inSeqOrder(group)
		units = units[:0]
		for _, r := range group {
			units = append(units, r.unit)
		}
		start := time.Now()
		// The commit must not be cut short by one caller's context: the
		// others' work is in the same transaction.
		res, err := h.commit(units)
		h.m.commitSeconds.Observe(time.Since(start).Seconds())
		h.m.commitUnits.Observe(float64(len(units)))
		if err != nil && len(group) > 1 {
			// Retry one by one so that a unit the store cannot take fails
			// alone instead of taking its neighbours down with it.
			h.logger.Warn("group commit failed; retrying each message alone", "messages", len(group), "err", err)
			for _, r := range group {
				res, err := h.commit([]store.Unit{r.unit})
				if err != nil {
					r.done <- reply{err: err}
				} else {
					r.done <- reply{res: res[0]}
				}
			}
			continue
		}
		for i, r := range group {
			if err != nil {
				r.done <- reply{err: err}
			} else {
				r.done <- reply{res: res[i]}
			}
		}
	}
}

// inSeqOrder puts each outlet's batches in a group in sequence order, each
// in a place one of them held. Handlers decode a pipeline's batches in
// parallel and queue them in whatever order they finish; committed in
// that order, a batch that overtook its predecessor would be held beyond
// a gap and moved again when the gap closes in the same transaction.
// Pulls and other outlets' batches keep their places.
func inSeqOrder(group []*req) {
	var places map[string][]int
	for i, r := range group {
		if b := r.unit.Batch; b != nil {
			if places == nil {
				places = map[string][]int{}
			}
			places[b.Origin] = append(places[b.Origin], i)
		}
	}
	var reqs []*req
	for _, at := range places {
		if len(at) < 2 {
			continue
		}
		reqs = reqs[:0]
		for _, i := range at {
			reqs = append(reqs, group[i])
		}
		slices.SortStableFunc(reqs, func(a, b *req) int { return cmp.Compare(a.unit.Batch.First, b.unit.Batch.First) })
		for k, i := range at {
			group[i] = reqs[k]
		}
	}
}

// commit commits one group within CommitTimeout. No caller's context
// cuts it short (the others' work is in the same transaction), but a store
// that stopped answering without closing the connection (a half-open link
// to PostgreSQL) must not hold the writer for good: the group fails, no
// ack leaves, and the agents resend.
func (h *Hub) commit(units []store.Unit) ([]store.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), h.opt.CommitTimeout)
	defer cancel()
	return h.st.Commit(ctx, units)
}

// PublishDown creates a hub event for target (an outlet id or
// syncproto.TargetAll), commits it to the downlink log, then pokes all
// agents so they pull. It returns the event's hub sequence. A failed poke is
// logged, not returned: the event is committed and agents fetch it on their
// next pull. A target, payload or event the contract refuses is a catalog
// error of class invalid (downlink.*), and nothing was stored.
func (h *Hub) PublishDown(ctx context.Context, target, typ, subject string, payload json.RawMessage, actor string) (uint64, error) {
	if target == syncproto.HubOrigin {
		return 0, problem.Wrap(syncproto.ValidOutletID(target), problem.DownlinkBadTarget, "target", target)
	}
	return h.PublishDownAfter(ctx, 0, target, typ, subject, payload, actor)
}

// PublishDownAfter is PublishDown for an event that must order after the
// stamp after: the newest event of the entity head office acted on. Every
// side then folds the step after what head office saw, even if that outlet's
// clock runs further ahead than MaxSkew lets the hub clock follow. Its
// target may also be syncproto.HubOrigin: a step on a case head office
// keeps (a channel complaint with no outlet), stored and sent to nobody;
// PublishDown, which the API's raw downlink route calls, refuses that.
func (h *Hub) PublishDownAfter(ctx context.Context, after hlc.Timestamp, target, typ, subject string, payload json.RawMessage, actor string) (uint64, error) {
	return h.publishDown(ctx, after, target, typ, subject, payload, actor, store.SerialAlloc{})
}

// PublishDownAlloc is PublishDown for an event that hands out a block of a
// hub-wide serial counter (store.Store.AppendDownAlloc): a.Fill writes the
// block into the event's payload inside the store's transaction.
func (h *Hub) PublishDownAlloc(ctx context.Context, target, typ, subject, actor string, a store.SerialAlloc) (uint64, error) {
	if a.Fill == nil {
		return 0, fmt.Errorf("publish down: no Fill for serial counter %q", a.Counter)
	}
	return h.publishDown(ctx, 0, target, typ, subject, nil, actor, a)
}

// PublishHubEvent records a hub event no outlet pulls (target
// syncproto.HubOrigin), such as a customer's survey answer, if check,
// run first in the store's transaction, lets it.
func (h *Hub) PublishHubEvent(ctx context.Context, typ, subject string, payload json.RawMessage, actor string, check func(ctx context.Context, tx store.Tx) error) (uint64, error) {
	return h.publishDown(ctx, 0, syncproto.HubOrigin, typ, subject, payload, actor, store.SerialAlloc{Check: check})
}

func (h *Hub) publishDown(ctx context.Context, after hlc.Timestamp, target, typ, subject string, payload json.RawMessage, actor string, a store.SerialAlloc) (uint64, error) {
	// Target HubOrigin keeps the event at head office: no outlet pulls it
	// (a complaint from head office's own channels with no outlet to go to).
	if target != syncproto.TargetAll && target != syncproto.HubOrigin {
		if err := syncproto.ValidOutletID(target); err != nil {
			return 0, problem.Wrap(err, problem.DownlinkBadTarget, "target", target)
		}
	}
	if len(payload) > 0 && !json.Valid(payload) {
		return 0, problem.New(problem.DownlinkBadPayload)
	}
	// after is what the step was checked against, folded as the store
	// folds it; capping it again here keeps any caller's stamp from
	// giving the step a wrong clock's future.
	now := h.opt.Clock.Now()
	after = min(after, hlc.Ceiling(now, h.opt.MaxSkew))
	stamp, _ := h.clock.ObserveWithin(after, now, h.opt.MaxSkew)
	if stamp <= after {
		stamp = after + 1
	}
	e := syncproto.Event{
		ID: syncproto.NewID(), Origin: syncproto.HubOrigin, Seq: 1, HLC: stamp,
		Actor: actor, Type: typ, V: 1, Subject: subject, Target: target, Payload: payload,
	}
	var (
		seq uint64
		err error
	)
	if a.Fill == nil {
		if err := checkDown(&e); err != nil {
			return 0, err
		}
		seq, err = h.st.AppendDownAlloc(ctx, &e, a)
	} else {
		fill := a.Fill
		a.Fill = func(e *syncproto.Event, first, last uint64) error {
			if err := fill(e, first, last); err != nil {
				return err
			}
			return checkDown(e)
		}
		seq, err = h.st.AppendDownAlloc(ctx, &e, a)
	}
	if err != nil {
		return 0, err
	}
	h.m.downPublished.Inc()
	h.logger.Info("downlink event committed", "seq", seq, "target", target, "type", typ, "subject", subject)
	if target != syncproto.HubOrigin {
		h.Poke(ctx, seq)
	}
	return seq, nil
}

// checkDown refuses an event the wire contract would refuse; the reason is
// the contract's, in English, as in the outlets' dead letters.
func checkDown(e *syncproto.Event) error {
	if err := syncproto.CheckEvent(e); err != nil {
		reason := err.Error()
		var de *syncproto.DecodeError
		if errors.As(err, &de) {
			reason = de.Reason
		}
		return problem.Wrap(err, problem.DownlinkInvalidEvent, "detail", reason)
	}
	return nil
}

// Poke broadcasts that the downlink log has reached seq.
func (h *Hub) Poke(ctx context.Context, seq uint64) {
	frame, err := syncproto.Encode(syncproto.KindPoke, syncproto.Poke{Seq: seq}, -1)
	if err != nil {
		h.logger.Error("encode poke failed", "err", err)
		return
	}
	p := h.publisher()
	if p == nil {
		return
	}
	if err := p.Publish(ctx, syncproto.BroadcastPoke, frame); err != nil {
		h.logger.Warn("poke failed; agents get the event on their next pull", "seq", seq, "err", err)
	}
}
