package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/workflow"
	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// fillBacklog writes n scan events into an agent data directory without the
// agent running, as a week offline would have left it. Returns the stored
// size of one event.
func fillBacklog(tb testing.TB, dir, outlet string, n int) int {
	f, err := datafile.Open(dir, datafile.Options{Outlet: outlet, NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	l, err := eventlog.Open(f, eventlog.Options{Projectors: []eventlog.Projector{workflow.Projector()}})
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	const workers = 64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				wb := fmt.Sprintf("SF%013d", i)
				p, _ := json.Marshal(lifecycle.ScannedV1{Barcode: wb, Action: "inbound", Scanner: "counter-1", Symbology: "code128"})
				if _, err := l.Append(context.Background(), eventlog.Draft{Actor: "clerk-01", Type: lifecycle.ParcelScanned, Subject: wb, Payload: p}); err != nil {
					tb.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	raws, _ := l.ReadRaw(1, 1, 1<<20)
	l.Close()
	if err := f.Sync(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return len(raws[0])
}

// rawPahoRate publishes n messages of size bytes at QoS 1, pipelined, one
// per event, as a per-event client would, and returns messages a second.
func rawPahoRate(tb testing.TB, broker, user, pass, topic string, n, size int, stopAndWait bool) float64 {
	opts := paho.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprintf("raw-%d", time.Now().UnixNano())).
		SetUsername(user).SetPassword(pass).SetCleanSession(true).SetAutoReconnect(false)
	cl := paho.NewClient(opts)
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		tb.Fatalf("raw client connect: %v", tok.Error())
	}
	defer cl.Disconnect(100)
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	start := time.Now()
	toks := make([]paho.Token, 0, n)
	for i := 0; i < n; i++ {
		tok := cl.Publish(topic, 1, false, payload)
		if stopAndWait {
			tok.Wait()
			continue
		}
		toks = append(toks, tok)
	}
	for _, tok := range toks {
		tok.Wait()
	}
	return float64(n) / time.Since(start).Seconds()
}

// drained is what drainRun measured: the time from starting the agent to
// the hub's ack of the last event, the stored size of one event, and the
// CPU each process used for the drain.
type drained struct {
	d    time.Duration
	size int
	cpu  map[string]time.Duration
	// agentStart is the part of cpu["agent"] used before it answered
	// /healthz: mostly checking its data file, which grows with the backlog.
	agentStart time.Duration
}

// drainRun measures how long the agent takes to drain n backlogged events
// to the hub through broker URL agentBroker, and the CPU the hub, the agent
// and Mosquitto (if the cluster has one) used meanwhile. The agent's CPU
// counts from its start, so it includes opening its data file.
func drainRun(b *testing.B, c *cluster, n int, agentBroker string) drained {
	a := c.newAgent("SH-001")
	size := fillBacklog(b, a.dir, "SH-001", n)
	pids := map[string]int{"hub": c.hub.Pid()}
	if c.mosq != nil {
		pids["mosquitto"] = c.mosq.Pid()
	}
	meter, err := harness.StartCPU(pids)
	if err != nil {
		b.Fatal(err)
	}
	profileNext(b, "agent")
	start := time.Now()
	c.startAgentVia(a, agentBroker)
	startCPU, err := harness.CPUTime(a.proc.Pid())
	if err != nil {
		b.Fatal(err)
	}
	// The agent's own status, not the hub's API: each hub API read costs
	// the hub about a millisecond of CPU, which would count as drain work.
	harness.Eventually(b, 10*time.Minute, func() (bool, string) {
		s := a.sync(b)
		return s.AckedSeq == uint64(n), fmt.Sprintf("agent has %d of %d acked", s.AckedSeq, n)
	})
	d := time.Since(start)
	cpu, err := meter.Used()
	if err != nil {
		b.Fatal(err)
	}
	if cpu["agent"], err = harness.CPUTime(a.proc.Pid()); err != nil {
		b.Fatal(err)
	}
	if h := c.hubAcked("SH-001"); h != uint64(n) {
		b.Fatalf("the agent holds an ack for %d events, the hub says %d", n, h)
	}
	a.proc.Stop()
	return drained{d: d, size: size, cpu: cpu, agentStart: startCPU}
}

// reportCPU reports each process's CPU microseconds per event.
func reportCPU(b *testing.B, cpu map[string]time.Duration, n int) {
	for name, d := range cpu {
		b.ReportMetric(float64(d.Microseconds())/float64(n), name+"_cpu_us/event")
	}
}

// report reports a drain's CPU per event and the agent's start.
func (r drained) report(b *testing.B, n int) {
	reportCPU(b, r.cpu, n)
	b.ReportMetric(float64(r.agentStart.Milliseconds()), "agent_start_cpu_ms")
}

// profileDirEnv names a directory for CPU profiles of the processes a
// drain benchmark starts (YIZHAN_CPUPROFILE of each program), one file per
// process and run: go tool pprof bin/yizhan-hub DIR/BenchmarkDrain-hub-1.prof.
const profileDirEnv = "YIZHAN_BENCH_PROFILES"

var profileRuns sync.Map // benchmark and process -> runs so far

// profileNext has the next program started (proc, "hub" or "agent") write
// its CPU profile into the directory profileDirEnv names, if it names one.
// The profile is written when the program is stopped with SIGTERM.
func profileNext(b *testing.B, proc string) {
	dir := os.Getenv(profileDirEnv)
	if dir == "" {
		return
	}
	key := b.Name() + "-" + proc
	n, _ := profileRuns.LoadOrStore(key, new(int))
	*n.(*int)++
	b.Setenv("YIZHAN_CPUPROFILE", filepath.Join(dir, fmt.Sprintf("%s-%d.prof", key, *n.(*int))))
}

// startBenchHub starts the cluster's hub, with a CPU profile if asked for.
func startBenchHub(b *testing.B, c *cluster, extra ...string) {
	profileNext(b, "hub")
	c.startHub(extra...)
}

// BenchmarkDrain drains 100,000 events to the hub through Mosquitto and
// compares with raw paho QoS 1 pipelined publishing of the same number of
// events, one message each, to the same broker with no hub: the hub is
// stopped first, so that the raw messages (on an uplink topic) cost no hub
// work.
func BenchmarkDrain(b *testing.B) { benchDrain(b, nil) }

// BenchmarkDrainPostgres is BenchmarkDrain with the hub's store on
// PostgreSQL (a throwaway cluster on loopback, fsync on) instead of
// SQLite. The hub's CPU excludes PostgreSQL's own processes.
func BenchmarkDrainPostgres(b *testing.B) {
	pg := harness.StartPostgres(b, harness.PostgresOptions{Fsync: true})
	benchDrain(b, func(c *cluster) []string {
		dsn := pg.NewDatabase(b)
		for id, secret := range c.secrets {
			out, err := exec.Command(c.bins["yizhan-hub"], "outlet", "add", "--store", dsn, "--id", id, "--secret", secret).CombinedOutput()
			if err != nil {
				b.Fatalf("outlet add %s on PostgreSQL: %v\n%s", id, err, out)
			}
		}
		return []string{"--store", dsn}
	})
}

// benchDrain is BenchmarkDrain with the hub's store arguments from store,
// which registers the cluster's outlets in it (nil: the SQLite default).
func benchDrain(b *testing.B, store func(*cluster) []string) {
	const n = 100000
	for i := 0; i < b.N; i++ {
		c := newBenchCluster(b, "mosquitto", "SH-001", "RAW-1")
		var extra []string
		if store != nil {
			extra = store(c)
		}
		startBenchHub(b, c, extra...)
		r := drainRun(b, c, n, c.mosq.URL())
		c.hub.Stop()
		raw := rawPahoRate(b, c.mosq.URL(), "RAW-1", c.secrets["RAW-1"], "yz/v1/outlets/RAW-1/up/raw", n, r.size, false)
		rate := float64(n) / r.d.Seconds()
		b.ReportMetric(rate, "events/s")
		b.ReportMetric(raw, "raw_msgs/s")
		b.ReportMetric(rate/raw, "x_raw")
		b.ReportMetric(float64(r.size), "event_bytes")
		r.report(b, n)
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkDrainEmbedded drains 100,000 events to a hub with its embedded
// broker, so that the hub's CPU per event includes the broker's.
func BenchmarkDrainEmbedded(b *testing.B) {
	const n = 100000
	for i := 0; i < b.N; i++ {
		c := newBenchCluster(b, "embedded", "SH-001")
		startBenchHub(b, c)
		r := drainRun(b, c, n, c.brokerURL())
		c.hub.Stop()
		b.ReportMetric(float64(n)/r.d.Seconds(), "events/s")
		b.ReportMetric(float64(r.size), "event_bytes")
		r.report(b, n)
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkSlowLink drains through a proxy adding 50 ms of round trip and
// limiting bandwidth to 2 Mbit/s, and compares with a stop-and-wait client
// sending one event per message over the same link.
func BenchmarkSlowLink(b *testing.B) {
	const n = 20000
	const bw = 2_000_000 / 8
	for i := 0; i < b.N; i++ {
		c := newBenchCluster(b, "mosquitto", "SH-001", "RAW-1")
		startBenchHub(b, c)
		proxy := harness.NewProxy(b, c.mosq.Addr())
		proxy.SetLatency(25 * time.Millisecond)
		proxy.SetBandwidth(bw)
		r := drainRun(b, c, n, proxy.URL())
		d, size := r.d, r.size
		up, down := proxy.Bytes()
		rate := float64(n) / d.Seconds()
		c.hub.Stop()
		saw := rawPahoRate(b, proxy.URL(), "RAW-1", c.secrets["RAW-1"], "yz/v1/outlets/RAW-1/up/raw", 60, size, true)
		useful := rate * float64(size) / bw
		b.ReportMetric(float64(up)/d.Seconds()/bw, "uplink_utilisation")
		b.ReportMetric(rate, "events/s")
		b.ReportMetric(useful, "useful_x_link")
		b.ReportMetric(float64(up+down)/float64(n), "wire_bytes/event")
		b.ReportMetric(saw, "stopwait_events/s")
		b.ReportMetric(rate/saw, "x_stopwait")
		r.report(b, n)
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkMemoryAndStart starts an agent on a backlog of 1,000,000 events,
// measures how soon it serves /healthz and takes a scan, then samples its
// anonymous memory and Go heap while it drains to the hub.
func BenchmarkMemoryAndStart(b *testing.B) {
	const n = 1000000
	for i := 0; i < b.N; i++ {
		c := newBenchCluster(b, "embedded", "SH-001")
		a := c.newAgent("SH-001")
		fillBacklog(b, a.dir, "SH-001", n)
		startBenchHub(b, c)
		c.agentToken(a)
		meter, err := harness.StartCPU(map[string]int{"hub": c.hub.Pid()})
		if err != nil {
			b.Fatal(err)
		}
		profileNext(b, "agent")
		start := time.Now()
		a.proc = harness.Start(b, c.bins["yizhan-agent"], "run", "--data", a.dir, "--outlet", a.id, "--secret", c.secrets[a.id],
			"--broker", c.brokerURL(), "--http", a.http, "--log-format", "text")
		harness.WaitHTTP(b, "http://"+a.http+"/healthz", 30*time.Second)
		health := time.Since(start)
		startCPU, err := harness.CPUTime(a.proc.Pid())
		if err != nil {
			b.Fatal(err)
		}
		if _, code, err := postScan(a.http, "FIRST-SCAN"); err != nil || code != 201 {
			b.Fatalf("first scan: %d %v", code, err)
		}
		firstScan := time.Since(start)
		var maxRSS, maxHeap float64
		sample := func() {
			if v := rssAnon(a.proc.Pid()); v > maxRSS {
				maxRSS = v
			}
			if v := heapInuse(a.http); v > maxHeap {
				maxHeap = v
			}
		}
		harness.Eventually(b, 20*time.Minute, func() (bool, string) {
			sample()
			h := c.hubAcked("SH-001")
			return h >= n, fmt.Sprintf("hub acked %d of %d", h, n)
		})
		drain := time.Since(start)
		cpu, err := meter.Used()
		if err != nil {
			b.Fatal(err)
		}
		if cpu["agent"], err = harness.CPUTime(a.proc.Pid()); err != nil {
			b.Fatal(err)
		}
		a.proc.Stop()
		c.hub.Stop()
		drained{cpu: cpu, agentStart: startCPU}.report(b, n)
		b.ReportMetric(health.Seconds()*1000, "healthz_ms")
		b.ReportMetric(firstScan.Seconds()*1000, "first_scan_ms")
		b.ReportMetric(maxRSS/(1<<20), "max_rss_anon_MB")
		b.ReportMetric(maxHeap/(1<<20), "max_heap_MB")
		b.ReportMetric(float64(n)/drain.Seconds(), "drain_events/s")
		b.ReportMetric(0, "ns/op")
	}
}

func rssAnon(pid int) float64 { return procStatus(pid, "RssAnon:") }

// procStatus reads a size field of /proc/PID/status, such as "VmRSS:", in
// bytes; 0 if it cannot.
func procStatus(pid int, field string) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb * 1024
		}
	}
	return 0
}

func heapInuse(addr string) float64 { return metricValue(addr, "go_memstats_heap_inuse_bytes") }

// metricValue reads one unlabelled metric from the /metrics of the process
// at addr; 0 if it cannot.
func metricValue(addr, name string) float64 {
	resp, err := httpc.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, _ := strconv.ParseFloat(rest, 64)
			return v
		}
	}
	return 0
}
