package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/deploy/loadgen/load"
	"github.com/yizhan/yizhan/syncproto"
)

// The scale benchmarks drive many simulated outlets (the load generator's
// own sync clients, in this process) against real hub processes, a real
// Mosquitto and a real PostgreSQL with fsync on. Every run reports rates
// and CPU per event per process; nothing here is a threshold.

// scaleRig is Mosquitto with its own password file for n generated outlets
// (the load generator's), and optionally a PostgreSQL server.
type scaleRig struct {
	b       *testing.B
	bins    map[string]string
	dir     string
	outlets []load.Outlet
	mosq    *harness.Mosquitto
	pg      *harness.Postgres
}

func newScaleRig(b *testing.B, n int, withMosquitto, withPG bool) *scaleRig {
	b.Helper()
	if testing.Short() {
		b.Skip("system benchmark; run without -short")
	}
	r := &scaleRig{b: b, bins: harness.Build(b, hubPkg), dir: b.TempDir()}
	var err error
	if r.outlets, err = load.Outlets("LG", n, load.Shard{}); err != nil {
		b.Fatal(err)
	}
	if withMosquitto {
		mf, err := load.WriteMosquittoFiles(filepath.Join(r.dir, "mosquitto"), r.outlets, hubUser, hubPass)
		if err != nil {
			b.Fatal(err)
		}
		r.mosq = harness.StartMosquitto(b, harness.MosquittoOptions{PasswordFile: mf.PasswordFile, HubUser: hubUser,
			// deploy/mosquitto/mosquitto.conf's queue: the default 1,000
			// drops messages for a busy hub, which the outlets then resend.
			ExtraConfig: "max_queued_messages 10000\n"})
	} else {
		for i := range r.outlets {
			if r.outlets[i].Secret, err = load.NewSecret(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if withPG {
		r.pg = harness.StartPostgres(b, harness.PostgresOptions{Fsync: true})
	}
	return r
}

// benchHub is one hub process and its API address.
type benchHub struct {
	http string
	proc *harness.Proc
}

// startHubs starts k hubs on store behind the rig's Mosquitto, each with
// its own client id (a shared subscription needs one per member), and
// registers the outlets through the first.
func (r *scaleRig) startHubs(k int, store, tag string) []*benchHub {
	r.b.Helper()
	var hubs []*benchHub
	for i := range k {
		h := &benchHub{http: harness.FreeAddr(r.b)}
		h.proc = harness.Start(r.b, r.bins["yizhan-hub"], "run", "--data", filepath.Join(r.dir, fmt.Sprintf("hub-%s-%d", tag, i)),
			"--store", store, "--http", h.http, "--api-token", apiToken, "--log-format", "text", "--log-level", "warn",
			"--broker", fmt.Sprintf("tcp://%s:%s@%s", hubUser, hubPass, r.mosq.Addr()),
			"--mqtt-client-id", fmt.Sprintf("yizhan-hub-bench-%s-%d", tag, i))
		hubs = append(hubs, h)
	}
	for _, h := range hubs {
		harness.WaitHTTP(r.b, "http://"+h.http+"/healthz", 30*time.Second)
	}
	if err := load.Register(context.Background(), "http://"+hubs[0].http, apiToken, r.outlets); err != nil {
		r.b.Fatal(err)
	}
	return hubs
}

func stopHubs(hubs []*benchHub) {
	for _, h := range hubs {
		h.proc.Stop()
	}
}

// drainLoad runs the load generator with backlog events waiting in every
// outlet's log and no further scans, until everything is acknowledged or
// drain has passed since the last scan (and the outage, if any).
// batchEvents caps the events of one uplink batch (0: the sync client's
// 500).
func drainLoad(b *testing.B, broker string, outlets []load.Outlet, backlog, batchEvents int, drain time.Duration, storm *load.Storm, onSecond func(load.Second)) *load.Report {
	b.Helper()
	rep, err := load.Run(context.Background(), load.Options{
		Broker:   broker,
		Outlets:  outlets,
		Dir:      b.TempDir(),
		Profile:  load.Profile{Rate: 0, Speed: 60},
		Duration: time.Second,
		Backlog:  backlog,
		Storm:    storm,
		// A busy outlet's batch at peak rather than one week-long
		// backlog's: the broker then carries many messages, as it
		// does in the day.
		BatchEvents: batchEvents,
		Drain:       drain,
		OnSecond:    onSecond,
	})
	if err != nil {
		b.Fatal(err)
	}
	return rep
}

// mustDrain fails b unless every one of want events was acknowledged.
func mustDrain(b *testing.B, rep *load.Report, want uint64) {
	b.Helper()
	if !rep.Drained || rep.Acked != want {
		b.Fatalf("load generator: %d of %d events acknowledged (drained %v); errors %v", rep.Acked, want, rep.Drained, rep.Errors)
	}
}

// ackWindow is the real time from the first second with an acknowledgement
// to the end of the run: the connect phase before it is not ingest.
func ackWindow(rep *load.Report) time.Duration {
	for _, s := range rep.Seconds {
		if s.Acked > 0 {
			return rep.Elapsed - time.Duration(s.T-1)*time.Second
		}
	}
	return rep.Elapsed
}

// peakConnects is the most TCP connections the outlets opened in a second.
func peakConnects(rep *load.Report) uint64 {
	var m uint64
	for _, s := range rep.Seconds {
		m = max(m, s.Connects)
	}
	return m
}

// phaseCPU reads the CPU of processes over one phase of a benchmark: the
// named ones alone, and PostgreSQL's postmaster with all its backends.
type phaseCPU struct {
	b       *testing.B
	meter   *harness.CPUMeter
	pg      int
	pgStart time.Duration
}

func startPhaseCPU(b *testing.B, pids map[string]int, pg *harness.Postgres) *phaseCPU {
	b.Helper()
	m, err := harness.StartCPU(pids)
	if err != nil {
		b.Fatal(err)
	}
	p := &phaseCPU{b: b, meter: m}
	if pg != nil {
		p.pg = pg.Pid()
		if p.pgStart, err = harness.TreeCPUTime(p.pg); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// used is each process's CPU since the start, PostgreSQL's as "postgres".
func (p *phaseCPU) used() map[string]time.Duration {
	p.b.Helper()
	out, err := p.meter.Used()
	if err != nil {
		p.b.Fatal(err)
	}
	if p.pg != 0 {
		d, err := harness.TreeCPUTime(p.pg)
		if err != nil {
			p.b.Fatal(err)
		}
		out["postgres"] = d - p.pgStart
	}
	return out
}

// countingAckers are n members of the hubs' shared subscription that only
// count: for each batch they publish the Ack a hub would (the highest
// contiguous sequence seen from that outlet, batches above a gap held
// back, its incarnation, the clock), storing nothing. The agents' sync
// clients wait for acks (a window of batches in flight) and resend what a
// lost message left unacknowledged, so without the same acks this would
// not be the same workload.
type countingAckers struct {
	clients []paho.Client
	batches atomic.Uint64
	mu      sync.Mutex
	acked   map[string]uint64
	held    map[string]map[uint64]uint64 // first -> last, above a gap
}

func startCountingAckers(b *testing.B, broker string, n int) *countingAckers {
	b.Helper()
	c := &countingAckers{acked: map[string]uint64{}, held: map[string]map[uint64]uint64{}}
	for i := range n {
		opts := paho.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprintf("count-%d-%d", i, time.Now().UnixNano())).
			SetUsername(hubUser).SetPassword(hubPass).SetCleanSession(true).SetAutoReconnect(false).SetOrderMatters(false)
		cl := paho.NewClient(opts)
		if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			b.Fatalf("counting consumer connect: %v", tok.Error())
		}
		if tok := cl.Subscribe(syncproto.SharedUplink(), 1, c.onMessage); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			b.Fatalf("counting consumer subscribe: %v", tok.Error())
		}
		c.clients = append(c.clients, cl)
	}
	return c
}

func (c *countingAckers) onMessage(cl paho.Client, m paho.Message) {
	outlet, leaf, err := syncproto.ParseUplink(m.Topic())
	if err != nil || leaf != "batch" {
		return // pulls ask for the downlink, of which there is none
	}
	var head struct {
		Origin      string `json:"origin"`
		Incarnation string `json:"incarnation"`
		First       uint64 `json:"first"`
		Last        uint64 `json:"last"`
	}
	if _, err := syncproto.Decode(m.Payload(), syncproto.KindBatch, &head); err != nil || head.Origin != outlet {
		return
	}
	c.batches.Add(1)
	c.mu.Lock()
	a := c.acked[outlet]
	if head.First > a+1 {
		if c.held[outlet] == nil {
			c.held[outlet] = map[uint64]uint64{}
		}
		c.held[outlet][head.First] = head.Last
	} else if head.Last > a {
		a = head.Last
		for h := c.held[outlet]; h[a+1] != 0; {
			next := h[a+1]
			delete(h, a+1)
			a = max(a, next)
		}
	}
	c.acked[outlet] = a
	c.mu.Unlock()
	frame, err := syncproto.Encode(syncproto.KindAck, syncproto.Ack{Origin: outlet, Incarnation: head.Incarnation, AckedSeq: a,
		HubTime: time.Now().UnixMilli()}, 4096)
	if err == nil {
		cl.Publish(syncproto.AckTopic(outlet), 1, false, frame)
	}
}

// events is how many events the consumers acknowledged in all.
func (c *countingAckers) events() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n uint64
	for _, a := range c.acked {
		n += a
	}
	return n
}

func (c *countingAckers) close() {
	for _, cl := range c.clients {
		cl.Disconnect(100)
	}
}

// pgEventBytes is the on-disk size of the events partitions with their
// indexes and TOAST, the rows in them, and the whole database's size.
func pgEventBytes(b *testing.B, pg *harness.Postgres, store string) (eventBytes, rows, dbBytes int64) {
	b.Helper()
	db := store[strings.LastIndexByte(store, '/')+1:]
	db, _, _ = strings.Cut(db, "?")
	out, err := pg.SQL(db, `SELECT (SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'events'::regclass),
		(SELECT count(*) FROM events), pg_database_size(current_database())`)
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Split(out, "|")
	if len(f) != 3 {
		b.Fatalf("size query: %q", out)
	}
	eventBytes, _ = strconv.ParseInt(f[0], 10, 64)
	rows, _ = strconv.ParseInt(f[1], 10, 64)
	dbBytes, _ = strconv.ParseInt(f[2], 10, 64)
	return eventBytes, rows, dbBytes
}

func (r *scaleRig) dbSize(store string) int64 {
	_, _, s := pgEventBytes(r.b, r.pg, store)
	return s
}

const (
	fanInOutlets = 1000
	fanInBacklog = 200 // events waiting in each outlet's log: 200,000 in all
	fanInBatch   = 10  // events per uplink batch: 20 batches an outlet
)

// BenchmarkFanIn sends 1,000 outlets' backlogs through Mosquitto into
// PostgreSQL via one hub, then the same outlets and the same number of
// events through the same Mosquitto to one counting consumer that acks
// without storing (broker-only fan-in), and reports both rates, their
// ratio, CPU per event per process and PostgreSQL's bytes per event.
func BenchmarkFanIn(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r := newScaleRig(b, fanInOutlets, true, true)
		want := uint64(fanInOutlets * fanInBacklog)

		store := r.pg.NewDatabase(b)
		hubs := r.startHubs(1, store, "fanin")
		before := r.dbSize(store)
		m := startPhaseCPU(b, map[string]int{"hub": hubs[0].proc.Pid(), "mosquitto": r.mosq.Pid(), "loadgen": os.Getpid()}, r.pg)
		// Mosquitto's memory with every outlet connected, for the plan's
		// connection figures.
		rssBefore := rssAnon(r.mosq.Pid())
		var rssMax float64
		rep := drainLoad(b, r.mosq.URL(), r.outlets, fanInBacklog, fanInBatch, 10*time.Minute, nil, func(load.Second) {
			rssMax = max(rssMax, rssAnon(r.mosq.Pid()))
		})
		mustDrain(b, rep, want)
		hubRate := float64(want) / ackWindow(rep).Seconds()
		used := m.used()
		evBytes, rows, after := pgEventBytes(b, r.pg, store)
		if rows != int64(want) {
			b.Fatalf("PostgreSQL holds %d events, want %d", rows, want)
		}
		stopHubs(hubs)
		b.Logf("hub run: %d events in %v (ack window %v)", want, rep.Elapsed.Round(time.Millisecond), ackWindow(rep).Round(time.Millisecond))

		// The stopped hub's persistent session is still a member of the
		// shared subscription, and Mosquitto would queue its share for
		// it: a restart (no persistence) forgets it.
		r.mosq.Restart(b)
		ackers := startCountingAckers(b, r.mosq.URL(), 1)
		bm := startPhaseCPU(b, map[string]int{"mosquitto": r.mosq.Pid()}, nil)
		brep := drainLoad(b, r.mosq.URL(), r.outlets, fanInBacklog, fanInBatch, 10*time.Minute, nil, nil)
		mustDrain(b, brep, want)
		brokerRate := float64(want) / ackWindow(brep).Seconds()
		bused := bm.used()
		ackers.close()
		if got := ackers.events(); got != want {
			b.Fatalf("counting consumer saw %d events, want %d", got, want)
		}

		b.ReportMetric(hubRate, "events/s")
		b.ReportMetric(brokerRate, "broker_only_events/s")
		b.ReportMetric(hubRate/brokerRate, "x_broker_only")
		reportCPU(b, used, int(want))
		b.ReportMetric(float64(bused["mosquitto"].Microseconds())/float64(want), "broker_only_mosquitto_cpu_us/event")
		// A batch is four messages at the broker: the batch in and out,
		// its ack in and out (the outlets' connects are in it too).
		b.ReportMetric(float64(bused["mosquitto"].Microseconds())/float64(4*ackers.batches.Load()), "broker_only_mosquitto_cpu_us/msg")
		b.ReportMetric((rssMax-rssBefore)/1024/fanInOutlets, "mosquitto_rss_KB/outlet")
		b.ReportMetric(float64(evBytes)/float64(rows), "pg_event_bytes/event")
		b.ReportMetric(float64(after-before)/float64(rows), "pg_db_bytes/event")
		b.ReportMetric(0, "ns/op")
		b.Logf("hub run: %d events in %v (ack window %v); broker-only: %v (window %v); hub %v, mosquitto %v, postgres %v, loadgen %v CPU",
			want, rep.Elapsed.Round(time.Millisecond), ackWindow(rep).Round(time.Millisecond), brep.Elapsed.Round(time.Millisecond),
			ackWindow(brep).Round(time.Millisecond), used["hub"], used["mosquitto"], used["postgres"], used["loadgen"])
	}
}

// BenchmarkScaling sends the same outlet load through Mosquitto to 1, 2
// and 3 hubs on one PostgreSQL (a fresh database each), and reports the
// rate and the events per hub CPU-second for each.
func BenchmarkScaling(b *testing.B) {
	r := newScaleRig(b, fanInOutlets, true, true)
	want := uint64(fanInOutlets * fanInBacklog)
	for _, k := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("hubs=%d", k), func(b *testing.B) {
			r.b = b
			for i := 0; i < b.N; i++ {
				// Forget the previous hubs' sessions, members of the
				// shared subscription that Mosquitto would queue for.
				r.mosq.Restart(b)
				store := r.pg.NewDatabase(b)
				hubs := r.startHubs(k, store, fmt.Sprintf("scale%d-%d", k, i))
				pids := map[string]int{"mosquitto": r.mosq.Pid()}
				for j, h := range hubs {
					pids[fmt.Sprintf("hub%d", j)] = h.proc.Pid()
				}
				m := startPhaseCPU(b, pids, r.pg)
				rep := drainLoad(b, r.mosq.URL(), r.outlets, fanInBacklog, fanInBatch, 10*time.Minute, nil, nil)
				mustDrain(b, rep, want)
				rate := float64(want) / ackWindow(rep).Seconds()
				used := m.used()
				var hubCPU time.Duration
				for j := range hubs {
					hubCPU += used[fmt.Sprintf("hub%d", j)]
				}
				stopHubs(hubs)
				b.ReportMetric(rate, "events/s")
				b.ReportMetric(float64(want)/hubCPU.Seconds(), "events/hub_cpu_s")
				b.ReportMetric(float64(used["mosquitto"].Microseconds())/float64(want), "mosquitto_cpu_us/event")
				b.ReportMetric(float64(used["postgres"].Microseconds())/float64(want), "postgres_cpu_us/event")
				b.ReportMetric(0, "ns/op")
			}
		})
	}
}

const (
	stormOutlets = 2000
	stormBacklog = 500 // 1,000,000 events waiting
)

// BenchmarkReconnectStorm gives 2,000 outlets of the default deployment
// (the hub's embedded broker, SQLite) 500 events each while their links
// are cut, then brings every link back at once: each sync client returns
// by its own backoff and jitter. It reports the time to drain everything
// after the links return, the head-office API's latency meanwhile (GET
// /api/v1/outlets and a case list every 100 ms) against the same calls on
// the idle hub before, and the peak connections a second.
func BenchmarkReconnectStorm(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r := newScaleRig(b, stormOutlets, false, false)
		hubHTTP, mqttAddr := harness.FreeAddr(b), harness.FreeAddr(b)
		hub := harness.Start(b, r.bins["yizhan-hub"], "run", "--data", filepath.Join(r.dir, "hub"), "--http", hubHTTP,
			"--api-token", apiToken, "--log-format", "text", "--log-level", "warn", "--mqtt-listen", mqttAddr)
		harness.WaitHTTP(b, "http://"+hubHTTP+"/healthz", 30*time.Second)
		if err := load.Register(context.Background(), "http://"+hubHTTP, apiToken, r.outlets); err != nil {
			b.Fatal(err)
		}

		probe := newAPIProbe(b, "http://"+hubHTTP)
		idle := probe.sample(20)

		var restored atomic.Bool
		stop := make(chan struct{})
		var during []time.Duration
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				if restored.Load() {
					during = append(during, probe.once()...)
				}
			}
		}()
		m := startPhaseCPU(b, map[string]int{"hub": hub.Pid(), "loadgen": os.Getpid()}, nil)
		var sawDown bool
		// The links are cut as the clients first start and come back after
		// 10 real seconds (10 simulated minutes at 60x); the clients are
		// back within a minute by their own backoff.
		rep := drainLoad(b, "tcp://"+mqttAddr, r.outlets, stormBacklog, 0, 5*time.Minute,
			&load.Storm{At: 0, Offline: 10 * time.Minute, ReturnWithin: time.Minute},
			func(s load.Second) {
				if s.LinkDown {
					sawDown = true
				} else if sawDown {
					restored.Store(true)
				}
			})
		close(stop)
		wg.Wait()
		used := m.used()
		hub.Stop()
		if rep.StormEnd < 0 || len(during) == 0 {
			b.Fatalf("no storm: links back at %v, %d API calls during it", rep.StormEnd, len(during))
		}
		want := uint64(stormOutlets * stormBacklog)
		// A storm on a shared 2-core machine may leave an outlet or two
		// still reconnecting when the drain time is over: that is a
		// result to report, not a reason to report nothing.
		var undrained int
		for _, o := range rep.Outlets {
			if o.AckedSeq < o.LastSeq {
				undrained++
			}
		}
		last, at99 := drainTimes(rep, want)
		b.ReportMetric(last.Seconds(), "drain_s")
		b.ReportMetric(at99.Seconds(), "drain99_s")
		b.ReportMetric(float64(rep.Acked)/last.Seconds(), "events/s")
		b.ReportMetric(float64(rep.Acked)/float64(want), "acked_fraction")
		b.ReportMetric(float64(undrained), "undrained_outlets")
		b.ReportMetric(float64(percentile(during, 0.99).Microseconds())/1000, "api_p99_ms")
		b.ReportMetric(float64(slices.Max(during).Microseconds())/1000, "api_max_ms")
		b.ReportMetric(float64(percentile(idle, 0.99).Microseconds())/1000, "idle_api_p99_ms")
		b.ReportMetric(float64(peakConnects(rep)), "peak_connects/s")
		if rep.AllConnected > rep.StormEnd {
			b.ReportMetric((rep.AllConnected - rep.StormEnd).Seconds(), "all_back_s")
		}
		reportCPU(b, used, int(max(rep.Acked, 1)))
		b.ReportMetric(0, "ns/op")
		b.Logf("storm: links cut %v to %v, all connected at %v, drained at %v; %d API calls during it, %d failed",
			rep.StormStart.Round(time.Millisecond), rep.StormEnd.Round(time.Millisecond), rep.AllConnected, rep.Elapsed.Round(time.Millisecond),
			len(during), probe.failed.Load())
	}
}

// drainTimes is, from the links' return, the time to the last second
// with an acknowledgement and to the second when 99% of want were acked.
func drainTimes(rep *load.Report, want uint64) (last, at99 time.Duration) {
	var acked uint64
	for _, s := range rep.Seconds {
		acked += s.Acked
		at := time.Duration(s.T)*time.Second - rep.StormEnd
		if s.Acked > 0 {
			last = at
		}
		if at99 == 0 && acked*100 >= want*99 {
			at99 = at
		}
	}
	return last, at99
}

// apiProbe times head office's reads: the outlet list and a case list.
type apiProbe struct {
	tb     testing.TB
	base   string
	failed atomic.Int64
}

func newAPIProbe(tb testing.TB, base string) *apiProbe { return &apiProbe{tb: tb, base: base} }

// once calls each read once and returns their latencies; a failed call
// counts as failed and as the time it took.
func (p *apiProbe) once() []time.Duration {
	var out []time.Duration
	for _, path := range []string{"/api/v1/outlets", "/api/v1/exceptions"} {
		start := time.Now()
		var v any
		if code := getJSON(p.tb, p.base+path, true, &v); code != 200 {
			p.failed.Add(1)
		}
		out = append(out, time.Since(start))
	}
	return out
}

func (p *apiProbe) sample(n int) []time.Duration {
	var out []time.Duration
	for range n {
		out = append(out, p.once()...)
		time.Sleep(100 * time.Millisecond)
	}
	return out
}

func percentile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(int(q*float64(len(s))), len(s)-1)]
}
