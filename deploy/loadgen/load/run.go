// Package load simulates many outlets against a hub, for load tests and
// benchmarks: each simulated outlet is the agent's own event log (on a
// throwaway bbolt file) and its own sync client, a real MQTT client with
// its own credentials, so batching, acknowledgement, backoff and jitter are
// the agent's, not a stand-in's. Scans follow a daily curve (Profile),
// optionally three times it (Double 11), and a Storm cuts every outlet's
// link at once and brings it back.
//
// Run reports every second: events acknowledged by the hub (each outlet's
// acknowledged cursor in its log), their latency from append to ack, the
// backlog, errors and connections; Report writes it as CSV and as an SVG
// plot. Register and WriteMosquittoFiles give the outlets credentials: at
// the hub's embedded broker through the head-office API, at Mosquitto in
// its password file.
package load

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/agent/syncclient"
)

// Outlet is one simulated outlet's identity.
type Outlet struct {
	ID     string
	Secret string
	// Index is the outlet's number in the whole run (across shards); its
	// waybill numbers carry it, so that no two outlets scan the same one.
	Index int
}

// Options configure Run.
type Options struct {
	// Broker is the MQTT broker the outlets connect to, as the agent's
	// --broker: tcp://127.0.0.1:1883 (the hub's embedded broker or
	// Mosquitto).
	Broker  string
	Outlets []Outlet
	// Dir holds the outlets' event logs, one data directory each; a new
	// temporary directory if empty. It is removed at the end unless Keep.
	Dir  string
	Keep bool

	Profile Profile
	// Duration is how long the curve runs, in simulated time.
	Duration time.Duration
	// Backlog is how many scans each outlet's log holds before its sync
	// client first starts, as an outage would have left them: appended
	// before the run starts, many to a commit. Their latency counts from
	// the run's start.
	Backlog int
	// Storm, if set, cuts every outlet's link during the run.
	Storm *Storm
	// Ramp spreads the outlets' first start evenly over this real time;
	// 0 starts them all at once.
	Ramp time.Duration
	// Drain is how long, in real time, Run waits after the curve for the
	// hub to acknowledge everything; DefaultDrain if 0.
	Drain time.Duration

	// BatchEvents and Window are the sync client's; 0 takes its defaults.
	BatchEvents, Window int

	// Logger gets the run's progress; ClientLogger the sync clients' own
	// logs (every reconnect of every outlet); both discard if nil.
	Logger, ClientLogger *slog.Logger
	// OnSecond, if set, is called with every second's row as it is made.
	OnSecond func(Second)
}

// DefaultDrain is how long Run waits for the last acknowledgements.
const DefaultDrain = 2 * time.Minute

// Timings of the generator's own loops.
const (
	tick     = 50 * time.Millisecond // how often the curve hands out scans
	ackPoll  = 20 * time.Millisecond // how often acked cursors are read: the latency's resolution
	interval = time.Second           // one report row
)

// Second is one row of the report: what happened in one second of real time.
type Second struct {
	// T is the end of the second, in seconds since the run started.
	T int
	// SimHour is the simulated time of day at T.
	SimHour float64
	// Appended and Acked count events scanned into the outlets' logs and
	// acknowledged by the hub in this second.
	Appended, Acked uint64
	// P50, P99 and Max are the latency, from append to acknowledgement, of
	// the events acknowledged in this second (to within ackPoll).
	P50, P99, Max time.Duration
	// Backlog is appended less acknowledged over all outlets at T.
	Backlog uint64
	// Owed is scans the curve asked for that the generator has not yet
	// appended: above zero, the generator is the bottleneck.
	Owed uint64
	// Connected is how many outlets had a session at T.
	Connected int
	// Connects is TCP connections opened to the broker in this second.
	Connects uint64
	// ConnectErrors is outlets whose sync client reported a new error in
	// this second (a failed connect, a lost connection, a refusal), the
	// simulated outage's own refusals left out.
	ConnectErrors uint64
	// Refused is how many outlets' streams the hub refuses at T.
	Refused int
	// OfflineDials is dials the simulated outage refused in this second.
	OfflineDials uint64
	// LinkDown is true while the simulated outage lasts.
	LinkDown bool
}

// OutletResult is one outlet's log at the end of the run.
type OutletResult struct {
	ID          string `json:"id"`
	LastSeq     uint64 `json:"last_seq"`
	AckedSeq    uint64 `json:"acked_seq"`
	DeadLetters uint64 `json:"dead_letters"`
}

// Report is the whole run.
type Report struct {
	Seconds []Second
	Outlets []OutletResult
	// Appended and Acked are the totals over the run; AppendErrors counts
	// scans the event log refused.
	Appended, Acked, AppendErrors uint64
	// AllConnected is when every outlet first had a session at once,
	// since the start, to the second; 0 if that never happened.
	AllConnected time.Duration
	// Drained is true when every appended event was acknowledged.
	Drained bool
	// Elapsed is the run's real duration.
	Elapsed time.Duration
	// Errors counts the sync clients' errors of ConnectErrors by kind
	// (the message with its numbers blotted out), to say what went wrong.
	Errors map[string]int
	// StormStart and StormEnd are when the outage began and ended, since
	// the start; both -1 without one.
	StormStart, StormEnd time.Duration
}

// sim is one simulated outlet.
type sim struct {
	Outlet
	file   *datafile.File
	log    *eventlog.Log
	scans  ingest.Service
	client *syncclient.Client

	credit float64 // the scheduler's only

	mu      sync.Mutex
	owed    int
	queued  bool
	pending []stamp // appended, not yet seen acknowledged, in seq order
	scanned int

	acked               uint64    // the ack poller's only
	lastErrAt, lastSeen time.Time // the sampler's only
}

type stamp struct {
	seq uint64
	at  time.Duration // since the run started
}

// run is one Run's shared state.
type run struct {
	opt   Options
	log   *slog.Logger
	gate  *gate
	sims  []*sim
	start time.Time
	jobs  chan *sim

	appended, acked, appendErrs, owed atomic.Uint64

	latMu sync.Mutex
	lat   []time.Duration

	errKinds map[string]int // the sampler's only
}

// Run simulates the outlets until the curve is done and the hub has
// acknowledged everything (or Drain has passed, or ctx ends), and reports.
// It refuses more outlets than this process can hold open (MaxOutlets).
func Run(ctx context.Context, opt Options) (*Report, error) {
	if err := checkOptions(&opt); err != nil {
		return nil, err
	}
	r := &run{opt: opt, log: opt.Logger, gate: newGate(), errKinds: map[string]int{}}
	if opt.Dir == "" {
		d, err := os.MkdirTemp("", "yizhan-loadgen-")
		if err != nil {
			return nil, err
		}
		opt.Dir = d
		r.opt.Dir = d
	}
	if !opt.Keep {
		defer os.RemoveAll(opt.Dir)
	}
	if err := r.open(); err != nil {
		r.close()
		return nil, err
	}
	defer r.close()
	r.log.Info("outlets' event logs open", "outlets", len(r.sims), "dir", opt.Dir)
	if opt.Backlog > 0 {
		start := time.Now()
		if err := r.fill(ctx, opt.Backlog); err != nil {
			return nil, err
		}
		r.log.Info("backlog written", "events_per_outlet", opt.Backlog, "events", r.appended.Load(), "took", time.Since(start).Round(time.Millisecond))
	}
	return r.run(ctx)
}

func checkOptions(opt *Options) error {
	if opt.Broker == "" || len(opt.Outlets) == 0 {
		return errors.New("load generator needs a broker URL and at least one outlet")
	}
	if err := opt.Profile.Check(); err != nil {
		return err
	}
	if opt.Duration <= 0 {
		return errors.New("duration must be above zero")
	}
	if opt.Backlog < 0 {
		return errors.New("backlog must not be negative")
	}
	if max := MaxOutlets(); len(opt.Outlets) > max {
		return &TooManyError{Asked: len(opt.Outlets), Max: max}
	}
	if opt.Drain <= 0 {
		opt.Drain = DefaultDrain
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.ClientLogger == nil {
		opt.ClientLogger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// open makes every outlet's data directory, log and sync client.
func (r *run) open() error {
	r.sims = make([]*sim, len(r.opt.Outlets))
	var backoffMax time.Duration
	if r.opt.Storm != nil {
		backoffMax = r.opt.Storm.backoffMax()
	}
	var g errgroup.Group
	g.SetLimit(8)
	for i, o := range r.opt.Outlets {
		g.Go(func() error {
			f, err := datafile.Open(filepath.Join(r.opt.Dir, o.ID), datafile.Options{Outlet: o.ID, NoSync: true})
			if err != nil {
				return fmt.Errorf("outlet %s: %w", o.ID, err)
			}
			l, err := eventlog.Open(f, eventlog.Options{})
			if err != nil {
				f.Close()
				return fmt.Errorf("outlet %s: %w", o.ID, err)
			}
			s := &sim{Outlet: o, file: f, log: l, scans: ingest.Service{Events: l}, credit: rand.Float64()}
			r.sims[i] = s
			s.client, err = syncclient.New(syncclient.Config{
				Broker: r.opt.Broker, AllowPlain: true, Outlet: o.ID, Secret: o.Secret, Events: l,
				Logger: r.opt.ClientLogger.With("outlet", o.ID), BatchEvents: r.opt.BatchEvents, Window: r.opt.Window,
				BackoffMax: backoffMax, Dialer: r.gate,
			})
			if err != nil {
				return fmt.Errorf("outlet %s: %w", o.ID, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// close closes every log and file that open opened.
func (r *run) close() {
	for _, s := range r.sims {
		if s == nil {
			continue
		}
		s.log.Close()
		s.file.Close()
	}
	r.sims = nil
}

func (r *run) since() time.Duration { return time.Since(r.start) }

func (r *run) run(ctx context.Context) (*Report, error) {
	rep := &Report{StormStart: -1, StormEnd: -1}
	r.start = time.Now()
	r.jobs = make(chan *sim, len(r.sims))

	cctx, stopClients := context.WithCancel(context.Background())
	var clients sync.WaitGroup
	startClients := make(chan struct{})
	go func() { // the ramp: the generator's choice, only at the first start
		defer close(startClients)
		for i, s := range r.sims {
			if r.opt.Ramp > 0 {
				at := time.Duration(float64(r.opt.Ramp) * float64(i) / float64(len(r.sims)))
				if !sleepCtx(ctx, at-r.since()) {
					return
				}
			}
			clients.Add(1)
			go func() { defer clients.Done(); s.client.Run(cctx) }()
		}
	}()

	wctx, stopWorkers := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	for range appendWorkers() {
		workers.Add(1)
		go func() { defer workers.Done(); r.appender(wctx) }()
	}
	pctx, stopPoll := context.WithCancel(context.Background())
	polled := make(chan struct{})
	go func() { defer close(polled); r.pollAcks(pctx) }()

	curveEnd := r.opt.Profile.Real(r.opt.Duration)
	var stormStart, stormEnd, cutAt, restoredAt time.Duration = -1, -1, -1, -1
	if s := r.opt.Storm; s != nil && s.Offline > 0 {
		stormStart, stormEnd = r.opt.Profile.Real(s.At), r.opt.Profile.Real(s.At+s.Offline)
	}
	r.log.Info("run started", "outlets", len(r.sims), "curve_s", curveEnd.Seconds(), "storm_from_s", stormStart.Seconds(), "storm_to_s", stormEnd.Seconds())

	t := time.NewTicker(tick)
	defer t.Stop()
	nextRow := interval
	var prevSim time.Duration
	var last rowState
	drainBy := time.Duration(-1)
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-t.C:
		}
		now := r.since()
		if stormStart >= 0 {
			switch {
			case cutAt < 0 && now >= stormStart:
				r.log.Info("storm: every outlet's link cut", "at_s", now.Seconds())
				r.gate.Cut()
				// A late cut (a busy machine) still lasts the whole outage.
				cutAt, stormEnd = now, max(stormEnd, now+stormEnd-stormStart)
			case cutAt >= 0 && r.gate.Down() && now >= stormEnd:
				r.log.Info("storm: links back; the outlets reconnect by their own backoff", "at_s", now.Seconds())
				r.gate.Restore()
				restoredAt = now
			}
		}
		if prevSim < r.opt.Duration {
			sim := min(r.opt.Profile.Sim(now), r.opt.Duration)
			r.scan(r.opt.Profile.Events(prevSim, sim))
			prevSim = sim
		}
		for now >= nextRow {
			row := r.row(int(nextRow/time.Second), &last)
			if rep.AllConnected == 0 && row.Connected == len(r.sims) {
				rep.AllConnected = now
			}
			rep.Seconds = append(rep.Seconds, row)
			if r.opt.OnSecond != nil {
				r.opt.OnSecond(row)
			}
			nextRow += interval
		}
		if now >= curveEnd && !r.gate.Down() && now >= stormEnd {
			if drainBy < 0 {
				drainBy = now + r.opt.Drain
				r.log.Info("curve done; waiting for the last acknowledgements", "appended", r.appended.Load(), "acked", r.acked.Load())
			}
			if r.owed.Load() == 0 && r.acked.Load()+r.appendErrs.Load() >= r.appended.Load() && r.allAcked() {
				rep.Drained = true
				break loop
			}
			if now >= drainBy {
				r.log.Warn("drain time over with events unacknowledged", "appended", r.appended.Load(), "acked", r.acked.Load())
				break loop
			}
		}
	}
	if cutAt >= 0 {
		rep.StormStart, rep.StormEnd = cutAt, restoredAt
	}
	stopWorkers()
	workers.Wait()
	stopPoll()
	<-polled
	r.pollOnce()
	rep.Elapsed = r.since()
	// The last row, partial, while the clients still run.
	end := int((rep.Elapsed + time.Second - 1) / time.Second)
	if n := len(rep.Seconds); n > 0 {
		end = max(end, rep.Seconds[n-1].T+1)
	}
	rep.Seconds = append(rep.Seconds, r.row(end, &last))
	<-startClients
	stopClients()
	clients.Wait()
	rep.Appended, rep.Acked, rep.AppendErrors = r.appended.Load(), r.acked.Load(), r.appendErrs.Load()
	rep.Errors = r.errKinds
	for _, s := range r.sims {
		c := s.log.Counters()
		rep.Outlets = append(rep.Outlets, OutletResult{ID: s.ID, LastSeq: c.LastSeq, AckedSeq: c.AckedSeq, DeadLetters: c.DeadLetter})
	}
	rep.Drained = rep.Drained || (rep.Acked == rep.Appended && r.allAcked())
	return rep, ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// appendWorkers is how many goroutines append scans: enough to keep the
// logs' committers busy, few enough not to crowd the sync clients.
func appendWorkers() int { return 16 }

// scan hands every outlet its share of e events (each outlet's share is
// the same; its credit starts at a random phase so that outlets do not
// scan in step).
func (r *run) scan(e float64) {
	if e <= 0 {
		return
	}
	for _, s := range r.sims {
		s.credit += e
		n := int(s.credit)
		if n == 0 {
			continue
		}
		s.credit -= float64(n)
		r.owed.Add(uint64(n))
		s.mu.Lock()
		s.owed += n
		queue := !s.queued
		s.queued = true
		s.mu.Unlock()
		if queue {
			r.jobs <- s
		}
	}
}

// appender scans what outlets owe, one outlet at a time, as its counter
// would: through the agent's ingest, into its log.
func (r *run) appender(ctx context.Context) {
	for {
		var s *sim
		select {
		case <-ctx.Done():
			return
		case s = <-r.jobs:
		}
		for {
			s.mu.Lock()
			n := s.owed
			s.owed = 0
			if n == 0 {
				s.queued = false
				s.mu.Unlock()
				break
			}
			s.mu.Unlock()
			for n > 0 {
				if ctx.Err() != nil {
					return
				}
				k := min(n, maxTogether)
				r.scanTogether(ctx, s, k)
				n -= k
			}
		}
	}
}

// fill appends n scans to every outlet's log before the run, a few outlets
// at a time, maxTogether scans to a commit. Their stamps are the run's
// start (r.start is still zero: since() is not yet meaningful).
func (r *run) fill(ctx context.Context, n int) error {
	r.owed.Add(uint64(n * len(r.sims))) // scanTogether counts them off
	var g errgroup.Group
	g.SetLimit(4)
	for _, s := range r.sims {
		g.Go(func() error {
			for left := n; left > 0; left -= maxTogether {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r.scanTogether(ctx, s, min(left, maxTogether))
			}
			return nil
		})
	}
	err := g.Wait()
	for _, s := range r.sims {
		for i := range s.pending {
			s.pending[i].at = 0
		}
	}
	return err
}

// maxTogether is how many of one outlet's scans are appended at once: a
// compressed day makes one simulated outlet as busy as many counters, and
// the agent's log commits concurrent scans together (group commit), as
// it would for several clerks.
const maxTogether = 64

// scanTogether appends k scans of s concurrently, as k clerks would, and
// records when each committed.
func (r *run) scanTogether(ctx context.Context, s *sim, k int) {
	got := make([]stamp, k)
	var wg sync.WaitGroup
	for i := range k {
		s.scanned++
		wb := fmt.Sprintf("SF%05d%08d", s.Index%100000, s.scanned)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev, err := s.scans.Scan(ctx, ingest.Scan{Barcode: wb, Action: "inbound", Actor: "clerk-01", Scanner: "counter-1"})
			r.owed.Add(^uint64(0))
			if err != nil && ctx.Err() != nil {
				return // the run is stopping: not a refusal
			}
			if err != nil {
				r.appendErrs.Add(1)
				r.log.Warn("scan refused by the event log", "outlet", s.ID, "err", err)
				return
			}
			got[i] = stamp{seq: ev.Seq, at: r.since()}
		}()
	}
	wg.Wait()
	got = slices.DeleteFunc(got, func(st stamp) bool { return st.seq == 0 })
	slices.SortFunc(got, func(a, b stamp) int { return cmp.Compare(a.seq, b.seq) })
	s.mu.Lock()
	s.pending = append(s.pending, got...)
	s.mu.Unlock()
	r.appended.Add(uint64(len(got)))
}

func (r *run) pollAcks(ctx context.Context) {
	t := time.NewTicker(ackPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.pollOnce()
		}
	}
}

// pollOnce reads every outlet's acknowledged cursor and times the events
// it passed.
func (r *run) pollOnce() {
	now := r.since()
	var lat []time.Duration
	for _, s := range r.sims {
		acked := s.log.Counters().AckedSeq
		if acked <= s.acked {
			continue
		}
		s.acked = acked
		s.mu.Lock()
		i := 0
		for ; i < len(s.pending) && s.pending[i].seq <= acked; i++ {
			lat = append(lat, now-s.pending[i].at)
		}
		s.pending = append(s.pending[:0], s.pending[i:]...)
		s.mu.Unlock()
		r.acked.Add(uint64(i))
	}
	if len(lat) > 0 {
		r.latMu.Lock()
		r.lat = append(r.lat, lat...)
		r.latMu.Unlock()
	}
}

// allAcked is true when no outlet has an unacknowledged event.
func (r *run) allAcked() bool {
	for _, s := range r.sims {
		if c := s.log.Counters(); c.AckedSeq < c.LastSeq {
			return false
		}
	}
	return true
}

// rowState is what the previous row counted, for differences.
type rowState struct {
	appended, acked, dials, refused uint64
}

// row makes the report row for the second that ends at t.
func (r *run) row(t int, prev *rowState) Second {
	row := Second{T: t, SimHour: r.opt.Profile.Hour(r.opt.Profile.Sim(time.Duration(t) * time.Second)), LinkDown: r.gate.Down()}
	appended, acked, dials, refused := r.appended.Load(), r.acked.Load(), r.gate.dials.Load(), r.gate.refused.Load()
	row.Appended, row.Acked = appended-prev.appended, acked-prev.acked
	row.Connects, row.OfflineDials = dials-prev.dials, refused-prev.refused
	*prev = rowState{appended, acked, dials, refused}
	row.Owed = r.owed.Load()

	r.latMu.Lock()
	lat := r.lat
	r.lat = nil
	r.latMu.Unlock()
	if len(lat) > 0 {
		slices.Sort(lat)
		row.P50, row.P99, row.Max = quantile(lat, 0.50), quantile(lat, 0.99), lat[len(lat)-1]
	}
	for _, s := range r.sims {
		c := s.log.Counters()
		row.Backlog += c.LastSeq - min(c.AckedSeq, c.LastSeq)
		st := s.client.Status()
		if st.Connected {
			row.Connected++
		}
		if st.Refused != nil {
			row.Refused++
		}
		if st.LastErrorAt.After(s.lastErrAt) {
			s.lastErrAt = st.LastErrorAt
			if !strings.Contains(st.LastError, errLinkCut.Error()) {
				row.ConnectErrors++
				r.errKinds[errorKind(st.LastError)]++
			}
		}
	}
	return row
}

// errorKind is an error message with its digits blotted out, so that the
// same failure at other addresses and times counts as one kind.
func errorKind(msg string) string {
	b := []byte(msg)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = '#'
		}
	}
	if len(b) > 160 {
		b = append(b[:157], "..."...)
	}
	return string(b)
}

// quantile is the q-quantile of sorted values (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
