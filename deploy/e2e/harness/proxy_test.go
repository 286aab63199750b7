package harness

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// echoServer echoes every connection and reports each connection's end.
func echoServer(t testing.TB) (addr string, ended <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	endc := make(chan struct{}, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				io.Copy(c, c)
				c.Close()
				endc <- struct{}{}
			}()
		}
	}()
	return ln.Addr().String(), endc
}

func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A guard against hanging tests, not a timing assertion.
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

func echoOnce(t testing.TB, c net.Conn, msg []byte) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { _, err := c.Write(msg); errc <- err }()
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("echo differs from what was sent")
	}
}

func TestProxyForwardsAndCounts(t *testing.T) {
	upstream, _ := echoServer(t)
	p := NewProxy(t, upstream)
	c := dial(t, p.Addr())
	msg := make([]byte, 300<<10)
	rand.Read(msg)
	echoOnce(t, c, msg)
	up, down := p.Bytes()
	if up != int64(len(msg)) || down != int64(len(msg)) {
		t.Fatalf("Bytes() = %d up, %d down; want %d each", up, down, len(msg))
	}
	if p.URL() != "tcp://"+p.Addr() {
		t.Fatalf("URL() = %q", p.URL())
	}
}

func TestProxyHalfClose(t *testing.T) {
	upstream, _ := echoServer(t)
	p := NewProxy(t, upstream)
	c := dial(t, p.Addr()).(*net.TCPConn)
	c.Write([]byte("last words"))
	c.CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "last words" {
		t.Fatalf("after half-close read %q, %v; want the echo then EOF", got, err)
	}
}

func TestProxyLatency(t *testing.T) {
	const oneWay = 25 * time.Millisecond
	upstream, _ := echoServer(t)
	p := NewProxy(t, upstream)
	p.SetLatency(oneWay)
	c := dial(t, p.Addr())
	for range 3 {
		start := time.Now()
		echoOnce(t, c, []byte("ping"))
		if rtt := time.Since(start); rtt < 2*oneWay {
			t.Fatalf("round trip took %v through a proxy with %v each way", rtt, oneWay)
		}
	}
}

// BenchmarkProxyLatencyIsPipelined shows that delay does not cap
// throughput: a proxy that slept before each read would move one read buffer
// per delay. It reports how many times faster than that the echo was.
func BenchmarkProxyLatencyIsPipelined(b *testing.B) {
	const (
		oneWay = 100 * time.Millisecond
		size   = 4 << 20
		chunk  = 32 << 10 // the proxy's read buffer
	)
	upstream, _ := echoServer(b)
	p := NewProxy(b, upstream)
	p.SetLatency(oneWay)
	c := dial(b, p.Addr())
	msg := make([]byte, size)
	stopAndWait := 2 * time.Duration(size/chunk) * oneWay
	for i := 0; i < b.N; i++ {
		start := time.Now()
		echoOnce(b, c, msg)
		b.ReportMetric(float64(stopAndWait)/float64(time.Since(start)), "x_chunk_per_delay")
	}
}

// TestProxyBandwidth runs both directions at once through a 2 Mbit/s, 25 ms
// link. Neither direction may ever have delivered more than the token
// bucket allows (one burst plus the rate times the time since the limit was
// set). How close it gets to the rate is for benchmarks, not asserted.
func TestProxyBandwidth(t *testing.T) {
	const (
		rate     = 2_000_000 / 8
		duration = 2 * time.Second
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := NewProxy(t, ln.Addr().String())
	p.SetLatency(25 * time.Millisecond)
	start := time.Now() // before SetBandwidth: the bound below only grows
	p.SetBandwidth(rate)
	allowed := func(at time.Time) int64 { return int64(burstFor(rate) + rate*at.Sub(start).Seconds()) }

	client := dial(t, p.Addr())
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	var stop atomic.Bool
	flood := func(c net.Conn) {
		buf := make([]byte, 16<<10)
		for !stop.Load() {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}
	type result struct {
		total int64
		err   error
	}
	measure := func(c net.Conn, out chan<- result) {
		var total int64
		buf := make([]byte, 64<<10)
		for time.Since(start) < duration {
			n, err := c.Read(buf)
			now := time.Now()
			total += int64(n)
			if total > allowed(now) {
				out <- result{total, errors.New("delivered more than the bucket allows")}
				return
			}
			if err != nil {
				out <- result{total, err}
				return
			}
		}
		out <- result{total, nil}
	}
	go flood(client)
	go flood(server)
	upc, downc := make(chan result, 1), make(chan result, 1)
	go measure(server, upc)
	go measure(client, downc)
	up, down := <-upc, <-downc
	stop.Store(true)
	elapsed := time.Since(start)
	for name, r := range map[string]result{"up": up, "down": down} {
		if r.err != nil {
			t.Errorf("%s: %v after %d bytes in %v (allowed %d)", name, r.err, r.total, elapsed, allowed(time.Now()))
		}
		if r.total == 0 {
			t.Errorf("%s: nothing delivered in %v", name, elapsed)
		}
		t.Logf("%s: %.0f B/s", name, float64(r.total)/elapsed.Seconds())
	}
}

func TestProxyCutAndRestore(t *testing.T) {
	upstream, ended := echoServer(t)
	p := NewProxy(t, upstream)
	p.SetLatency(5 * time.Millisecond)
	c := dial(t, p.Addr())
	echoOnce(t, c, []byte("before"))

	p.Cut()
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on a cut connection: %v, want it closed", err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("upstream side of a cut connection is still open")
	}

	// New connections are accepted and reset at once while cut; the reset
	// may even reach the dialer before connect returns.
	if c2, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second); err == nil {
		defer c2.Close()
		c2.SetDeadline(time.Now().Add(30 * time.Second))
		c2.Write([]byte("x"))
		if _, err := c2.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read on a connection made while cut: %v, want it closed", err)
		}
	}

	p.Restore()
	echoOnce(t, dial(t, p.Addr()), []byte("after"))
}

func TestBucketNeverExceedsRate(t *testing.T) {
	const rate = 10_000
	var b bucket
	start := time.Now()
	b.set(rate)
	var reserved float64
	for range 200 {
		at := b.take(500)
		reserved += 500
		if limit := burstFor(rate) + rate*at.Sub(start).Seconds(); reserved > limit+1e-6 {
			t.Fatalf("released %.0f bytes by %v, limit %.0f", reserved, at.Sub(start), limit)
		}
	}
}
