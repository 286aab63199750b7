package harness

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a TCP proxy between clients and one upstream address that can
// cut the link, delay it and limit its bandwidth, to test what an outlet's
// agent does on a bad line.
type Proxy struct {
	upstream string
	ln       net.Listener

	up, down         atomic.Int64 // bytes delivered each way
	upRate, downRate *bucket

	mu      sync.Mutex
	cut     bool
	latency time.Duration
	conns   map[*link]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// NewProxy listens on a free 127.0.0.1 port and forwards every connection to
// upstreamAddr. It closes when the test ends.
func NewProxy(t testing.TB, upstreamAddr string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &Proxy{
		upstream: upstreamAddr,
		ln:       ln,
		upRate:   newBucket(),
		downRate: newBucket(),
		conns:    map[*link]struct{}{},
	}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr returns the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns the proxy's address as tcp://host:port, for MQTT clients.
func (p *Proxy) URL() string { return "tcp://" + p.Addr() }

// Bytes returns how many bytes were delivered upstream and back down.
func (p *Proxy) Bytes() (up, down int64) { return p.up.Load(), p.down.Load() }

// Cut closes every live connection and closes new ones as soon as they are
// accepted, until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	conns := p.conns
	p.conns = map[*link]struct{}{}
	p.mu.Unlock()
	for l := range conns {
		l.close()
	}
}

// Restore lets new connections through again after Cut.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// SetLatency delays every byte by oneWay in each direction. Data keeps
// flowing while earlier data is delayed, as on a long line, so up to a
// bandwidth-delay product can be in flight. It applies to data read from
// now on.
func (p *Proxy) SetLatency(oneWay time.Duration) {
	p.mu.Lock()
	p.latency = oneWay
	p.mu.Unlock()
}

// SetBandwidth limits each direction to bytesPerSec, shared by all
// connections like one line; 0 removes the limit.
func (p *Proxy) SetBandwidth(bytesPerSec int) {
	p.upRate.set(bytesPerSec)
	p.downRate.set(bytesPerSec)
}

// Close stops the proxy and closes all connections.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

func (p *Proxy) getLatency() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latency
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.cut || p.closed
		p.mu.Unlock()
		if refuse {
			abort(c)
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// abort closes c with a reset rather than a FIN, as a failed line would.
func abort(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// link is one proxied connection.
type link struct {
	client, server net.Conn
	done           chan struct{} // closed by close
	once           sync.Once
}

func (l *link) close() {
	l.once.Do(func() {
		close(l.done)
		abort(l.client)
		abort(l.server)
	})
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		abort(client)
		return
	}
	l := &link{client: client, server: server, done: make(chan struct{})}
	p.mu.Lock()
	if p.cut || p.closed {
		p.mu.Unlock()
		l.close()
		return
	}
	p.conns[l] = struct{}{}
	p.mu.Unlock()

	var dirs sync.WaitGroup
	dirs.Add(2)
	go func() { defer dirs.Done(); p.pipe(l, client, server, p.upRate, &p.up) }()
	go func() { defer dirs.Done(); p.pipe(l, server, client, p.downRate, &p.down) }()
	dirs.Wait()
	l.close()
	p.mu.Lock()
	delete(p.conns, l)
	p.mu.Unlock()
}

// chunk is data read at one time, to be written at deliverAt.
type chunk struct {
	data      []byte
	deliverAt time.Time
}

// maxInFlight bounds the chunks queued in one direction, so a stalled
// reader pushes back on the sender as TCP would.
const maxInFlight = 256

// pipe copies src to dst. A reader stamps each chunk with its delivery time
// after taking bandwidth tokens for it; a writer delivers chunks in order at
// their time. Because the reader never waits for the writer, latency delays
// data without limiting throughput.
func (p *Proxy) pipe(l *link, src, dst net.Conn, rate *bucket, counter *atomic.Int64) {
	q := make(chan chunk, maxInFlight)
	var readErr error // written before q is closed
	go func() {
		defer close(q)
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			for data := buf[:n]; len(data) > 0; {
				size := min(len(data), rate.burstSize())
				if !sleepUntil(l.done, rate.take(size)) {
					return
				}
				c := chunk{data: append([]byte(nil), data[:size]...), deliverAt: time.Now().Add(p.getLatency())}
				data = data[size:]
				select {
				case q <- c:
				case <-l.done:
					return
				}
			}
			if err != nil {
				readErr = err
				return
			}
		}
	}()
	for c := range q {
		if !sleepUntil(l.done, c.deliverAt) {
			return
		}
		// Count before writing so that a peer that has read the bytes
		// never sees a count lower than what it read; take back any part
		// the write did not deliver.
		counter.Add(int64(len(c.data)))
		n, err := dst.Write(c.data)
		if n < len(c.data) {
			counter.Add(int64(n - len(c.data)))
		}
		if err != nil {
			l.close()
			return
		}
	}
	// On EOF pass the half-close on, after all data before it; on a reset
	// or a cut, tear down both sides.
	if tc, ok := dst.(*net.TCPConn); ok && readErr == io.EOF {
		tc.CloseWrite()
		return
	}
	l.close()
}

// sleepUntil waits until at, or returns false early if done is closed.
func sleepUntil(done <-chan struct{}, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		select {
		case <-done:
			return false
		default:
			return true
		}
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-done:
		return false
	}
}

// bucket is a token bucket. take reserves tokens and may drive the balance
// negative, which makes later callers wait longer; so over any period T
// from the last reset it releases at most burst + rate·T bytes.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // bytes a second; 0 means unlimited
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket() *bucket { return &bucket{burst: 32 << 10} }

// burstFor returns the bucket depth for a rate: 20 ms worth, at least 1 KiB,
// so the shaped stream stays smooth at the scale of a round trip.
func burstFor(rate int) float64 { return max(float64(rate)/50, 1024) }

func (b *bucket) set(rate int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rate = float64(max(rate, 0))
	b.burst = 32 << 10
	if rate > 0 {
		b.burst = burstFor(rate)
	}
	b.tokens = b.burst
	b.last = time.Now()
}

// burstSize is the largest single take.
func (b *bucket) burstSize() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int(b.burst)
}

// take reserves n bytes (n <= burstSize) and returns when they may be sent.
func (b *bucket) take(n int) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if b.rate == 0 {
		return now
	}
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return now
	}
	return now.Add(time.Duration(-b.tokens / b.rate * float64(time.Second)))
}
