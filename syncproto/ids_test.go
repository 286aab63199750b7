package syncproto

import (
	"testing"

	"github.com/google/uuid"
)

func TestNewIDIsTimeOrderedAndUnique(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id := NewID()
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 {
			t.Fatalf("id %q: version %v, err %v", id, u.Version(), err)
		}
		if seen[id] {
			t.Fatalf("id %s made twice", id)
		}
		seen[id] = true
		// UUIDv7 begins with the millisecond time: ids never go backwards
		// in their time prefix.
		if prev != "" && id[:13] < prev[:13] {
			t.Fatalf("id %s sorts before the earlier %s", id, prev)
		}
		prev = id
	}
}

func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "[::1]": true, "localhost": true, "LOCALHOST": true,
		"::ffff:127.0.0.1": true, "0:0:0:0:0:0:0:1": true,
		"": false, "0.0.0.0": false, "::": false, "10.0.0.1": false, "192.168.1.5": false,
		"hub.example.internal": false, "localhost.example.com": false, "127.0.0.1.nip.io": false, "fe80::1%eth0": false,
	} {
		if got := LoopbackHost(host); got != want {
			t.Errorf("LoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
