package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/yizhan/yizhan/agent/syncclient"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto"
)

// BenchmarkIdleOutlets measures the hub's resident memory per connected,
// idle outlet at its embedded broker: n outlets connect as the agent does
// (keepalive, subscriptions, a pull), then stay idle and ping. It reports
// (RSS with n connected − RSS before) / n, and the same for the Go heap in
// use, the goroutine stacks and the goroutines, and the hub's CPU while
// the outlets only ping.
func BenchmarkIdleOutlets(b *testing.B) {
	for _, n := range []int{2000, 10000} {
		b.Run(fmt.Sprintf("outlets=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				idleRun(b, n)
			}
		})
	}
}

// After the connect wave the hub's memory settles only with garbage
// collections: each one frees the wave's garbage and halves the stacks it
// left bigger than needed, down to what an idle connection uses. The
// benchmark waits for settleGCs of them (idle, the runtime forces one every
// two minutes; the pings' garbage brings more), at most settleMax, then
// samples for idleSample.
const (
	settleGCs  = 2
	settleMax  = 3 * time.Minute
	idleSample = 20 * time.Second
)

func settleGC(httpAddr string) {
	const name = "go_gc_duration_seconds_count"
	start, deadline := metricValue(httpAddr, name), time.Now().Add(settleMax)
	for metricValue(httpAddr, name) < start+settleGCs && time.Now().Before(deadline) {
		time.Sleep(2 * time.Second)
	}
}

func idleRun(b *testing.B, n int) {
	const secret = "s3cret-idle-outlets-Kq7vX2pLm9Rt4Wz"
	c := newBenchCluster(b, "embedded")
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("IDLE-%05d", i)
	}
	registerOutlets(b, c.hubDir(), ids, secret)
	c.startHub()
	pid := c.hub.Pid()

	before := sampleHub(b, pid, c.hubHTTP, 5, time.Second)
	fleet := connectIdle(b, c.hubMQTT, ids, secret)
	defer fleet.close()
	settleGC(c.hubHTTP)
	cpu0, t0 := procCPU(b, pid), time.Now()
	after := sampleHub(b, pid, c.hubHTTP, int(idleSample/(2*time.Second)), 2*time.Second)
	idleCPU := (procCPU(b, pid) - cpu0).Seconds() / time.Since(t0).Seconds()
	if lost := fleet.lost.Load(); lost > 0 {
		b.Fatalf("%d of %d idle outlets lost their connection while idle (first: %v)", lost, n, fleet.firstErr())
	}

	per := func(a, bf float64) float64 { return (a - bf) / float64(n) }
	b.ReportMetric(per(after.rss, before.rss)/1024, "rss_KB/outlet")
	b.ReportMetric(per(after.anon, before.anon)/1024, "rss_anon_KB/outlet")
	b.ReportMetric(per(after.heap, before.heap)/1024, "heap_KB/outlet")
	b.ReportMetric(per(after.stack, before.stack)/1024, "stack_KB/outlet")
	b.ReportMetric(per(after.goroutines, before.goroutines), "goroutines/outlet")
	b.ReportMetric(before.rss/(1<<20), "rss_before_MB")
	b.ReportMetric(after.rss/(1<<20), "rss_after_MB")
	b.ReportMetric(idleCPU*100, "idle_cpu_%")
	b.ReportMetric(fleet.connectTime.Seconds(), "connect_all_s")
	b.ReportMetric(0, "ns/op")
}

// registerOutlets writes the outlets straight into the hub's store before
// the hub starts: thousands of `outlet add` runs would take minutes. One
// hash serves them all (it carries its own salt).
func registerOutlets(b *testing.B, hubDir string, ids []string, secret string) {
	ctx := context.Background()
	if err := os.MkdirAll(hubDir, 0o700); err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(hubDir, "hub.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	hash, err := store.HashSecret(secret)
	if err != nil {
		b.Fatal(err)
	}
	for _, id := range ids {
		if err := st.AddOutlet(ctx, id, hash, false); err != nil {
			b.Fatalf("register %s: %v", id, err)
		}
	}
}

// hubMemory is the median of several samples of the hub's memory.
type hubMemory struct{ rss, anon, heap, stack, goroutines float64 }

func sampleHub(b *testing.B, pid int, httpAddr string, samples int, every time.Duration) hubMemory {
	var rss, anon, heap, stack, gs []float64
	for i := 0; i < samples; i++ {
		if i > 0 {
			time.Sleep(every)
		}
		rss = append(rss, procStatus(pid, "VmRSS:"))
		anon = append(anon, procStatus(pid, "RssAnon:"))
		heap = append(heap, metricValue(httpAddr, "go_memstats_heap_inuse_bytes"))
		stack = append(stack, metricValue(httpAddr, "go_memstats_stack_inuse_bytes"))
		gs = append(gs, metricValue(httpAddr, "go_goroutines"))
	}
	if median(rss) == 0 || median(heap) == 0 {
		b.Fatalf("could not read the hub's memory (pid %d, metrics at %s)", pid, httpAddr)
	}
	return hubMemory{median(rss), median(anon), median(heap), median(stack), median(gs)}
}

// procCPU is the user and system CPU time process pid has used.
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may
	// hold spaces: state is the first, utime the 12th, stime the 13th.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("parse /proc/%d/stat: %q", pid, raw)
	}
	return time.Duration(ut+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go runs on.
const clockTicks = 100

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// idleFleet is n minimal MQTT 3.1.1 clients, each on its own connection.
// Each speaks only what an idle agent sends (CONNECT, SUBSCRIBE, one pull,
// PUBACK, PINGREQ), so the benchmark process stays small and its pings
// cheap; one goroutine pings them all.
type idleFleet struct {
	conns       []atomic.Pointer[idleConn] // nil until connected
	lost        atomic.Int64
	errMu       sync.Mutex
	err         error
	stop        chan struct{}
	wg          sync.WaitGroup
	connectTime time.Duration
}

type idleConn struct {
	mu   sync.Mutex // one writer at a time: the reader's PUBACKs, the pinger
	conn net.Conn
	lost atomic.Bool
}

func (c *idleConn) write(p packets.ControlPacket) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return p.Write(c.conn)
}

func (f *idleFleet) fail(c *idleConn, err error) {
	if c.lost.Swap(true) {
		return
	}
	f.lost.Add(1)
	f.errMu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.errMu.Unlock()
}

func (f *idleFleet) firstErr() error {
	f.errMu.Lock()
	defer f.errMu.Unlock()
	return f.err
}

func (f *idleFleet) close() {
	close(f.stop)
	for i := range f.conns {
		if c := f.conns[i].Load(); c != nil {
			c.conn.Close()
		}
	}
	f.wg.Wait()
}

// connectIdle connects every outlet in ids, subscribes it as the agent
// does, sends its pull and waits until the hub has answered every pull.
func connectIdle(b *testing.B, addr string, ids []string, secret string) *idleFleet {
	f := &idleFleet{conns: make([]atomic.Pointer[idleConn], len(ids)), stop: make(chan struct{})}
	answered := make(chan struct{}, len(ids))
	// Pings start with the first connection: connecting thousands takes
	// longer than the broker waits for a silent client.
	f.wg.Add(1)
	go f.ping()
	start := time.Now()
	work := make(chan int)
	var dialers sync.WaitGroup
	var dialErr atomic.Value
	for w := 0; w < 32; w++ {
		dialers.Add(1)
		go func() {
			defer dialers.Done()
			for i := range work {
				c, err := idleHandshake(addr, ids[i], secret)
				if err != nil {
					dialErr.CompareAndSwap(nil, fmt.Errorf("outlet %s: %w", ids[i], err))
					continue
				}
				f.conns[i].Store(c)
				f.wg.Add(1)
				go f.read(c, ids[i], answered)
				// The pull goes after the reader runs, as the agent's does
				// after its SUBACK: the answer must find a reader.
				if err := c.write(pullPacket(ids[i])); err != nil {
					f.fail(c, err)
				}
			}
		}()
	}
	for i := range ids {
		work <- i
	}
	close(work)
	dialers.Wait()
	if err, _ := dialErr.Load().(error); err != nil {
		f.close()
		b.Fatal(err)
	}
	deadline := time.After(2 * time.Minute)
	for got := 0; got < len(ids); got++ {
		select {
		case <-answered:
		case <-deadline:
			f.close()
			b.Fatalf("the hub answered %d of %d pulls in 2 minutes (lost connections: %d, first: %v)", got, len(ids), f.lost.Load(), f.firstErr())
		}
	}
	f.connectTime = time.Since(start)
	return f
}

func idleHandshake(addr, id, secret string) (*idleConn, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c := &idleConn{conn: conn}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	cp := packets.NewControlPacket(packets.Connect).(*packets.ConnectPacket)
	cp.ProtocolName, cp.ProtocolVersion, cp.CleanSession = "MQTT", 4, true
	cp.ClientIdentifier = "yz-agent-" + id // as the agent names itself
	cp.UsernameFlag, cp.Username = true, id
	cp.PasswordFlag, cp.Password = true, []byte(secret)
	cp.Keepalive = uint16(syncclient.KeepAlive / time.Second)
	if err := cp.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	ack, err := packets.ReadPacket(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("read CONNACK: %w", err)
	}
	if ca, ok := ack.(*packets.ConnackPacket); !ok || ca.ReturnCode != 0 {
		conn.Close()
		return nil, fmt.Errorf("connect refused: %v", ack)
	}
	sp := packets.NewControlPacket(packets.Subscribe).(*packets.SubscribePacket)
	sp.MessageID = 1
	sp.Topics = []string{syncproto.OutletDownTree(id), syncproto.BroadcastPoke}
	sp.Qoss = []byte{1, 1}
	if err := sp.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	sa, err := packets.ReadPacket(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("read SUBACK: %w", err)
	}
	if s, ok := sa.(*packets.SubackPacket); !ok || len(s.ReturnCodes) != 2 || s.ReturnCodes[0] > 2 || s.ReturnCodes[1] > 2 {
		conn.Close()
		return nil, fmt.Errorf("subscription refused: %v", sa)
	}
	conn.SetDeadline(time.Time{})
	return c, nil
}

func pullPacket(id string) packets.ControlPacket {
	frame, err := syncproto.Encode(syncproto.KindPull, syncproto.Pull{Origin: id, Incarnation: "idle-" + id}, -1)
	if err != nil {
		panic(err) // a constant shape: cannot fail
	}
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.Qos, p.MessageID = 1, 2
	p.TopicName, p.Payload = syncproto.PullTopic(id), frame
	return p
}

// read acknowledges what the hub sends and reports the pull's answer.
func (f *idleFleet) read(c *idleConn, id string, answered chan<- struct{}) {
	defer f.wg.Done()
	down := syncproto.DownTopic(id)
	for {
		p, err := packets.ReadPacket(c.conn)
		if err != nil {
			select {
			case <-f.stop:
			default:
				f.fail(c, fmt.Errorf("outlet %s: %w", id, err))
			}
			return
		}
		pub, ok := p.(*packets.PublishPacket)
		if !ok {
			continue // PUBACK of the pull, PINGRESP
		}
		if pub.Qos > 0 {
			pa := packets.NewControlPacket(packets.Puback).(*packets.PubackPacket)
			pa.MessageID = pub.MessageID
			if err := c.write(pa); err != nil && !errors.Is(err, net.ErrClosed) {
				f.fail(c, err)
			}
		}
		if pub.TopicName == down {
			answered <- struct{}{}
		}
	}
}

// ping sends every connection a PINGREQ a little more often than the
// keepalive, as paho does when nothing else is sent.
func (f *idleFleet) ping() {
	defer f.wg.Done()
	t := time.NewTicker(syncclient.KeepAlive * 3 / 4)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		for i := range f.conns {
			c := f.conns[i].Load()
			if c == nil || c.lost.Load() {
				continue
			}
			if err := c.write(packets.NewControlPacket(packets.Pingreq)); err != nil {
				select {
				case <-f.stop:
					return
				default:
					f.fail(c, err)
				}
			}
		}
	}
}
