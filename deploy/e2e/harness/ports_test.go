package harness

import (
	"net"
	"strconv"
	"testing"
)

// Ports come from below the ephemeral range, bind, and never repeat in
// one process.
func TestFreePort(t *testing.T) {
	seen := map[int]bool{}
	low := ephemeralLow()
	for range 50 {
		p := FreePort(t)
		if seen[p] || p >= low || p < 10000 {
			t.Fatalf("port %d: given before %v, or outside 10000..%d", p, seen[p], low)
		}
		seen[p] = true
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d does not bind: %v", p, err)
		}
		l.Close()
	}
}
