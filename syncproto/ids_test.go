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
