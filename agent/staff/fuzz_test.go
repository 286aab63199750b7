package staff

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// FuzzTypedID: whatever id a login names, the lock table's key is short
// and clean, and the audit event made from it passes the hub's check (a
// refused event would be a dead letter, and the trail would have a hole).
func FuzzTypedID(f *testing.F) {
	for _, s := range []string{"c01", "", " ", "C01 ", "bad id!", "张三张三张三张三张三张三张三张三张三张三张三张三张三张三张三张三张三", "\x00\x07\n", "\xff\xfe", "𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘𝔘"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		id := NormalizeID(typed)
		key := lockKey(id)
		if key == "" || !utf8.ValidString(key) || utf8.RuneCountInString(key) > maxTypedID {
			t.Fatalf("lockKey(%q) = %q", id, key)
		}
		if validID(id) == nil && key != id {
			t.Fatalf("a member's id %q keys as %q", id, key)
		}
		if lockKey(key) != key {
			t.Fatalf("lockKey is not stable: %q → %q → %q", id, key, lockKey(key))
		}
		d := auditDraft("", lifecycle.LoginFailed, "staff/"+key, lifecycle.LoginAuditV1{StaffID: key, Unknown: true, Client: "127.0.0.1", Failures: 1, At: 1})
		ev := syncproto.Event{ID: "x", Seq: 1, HLC: 1, V: 1, Origin: "SH-001", Actor: d.Actor, Type: d.Type, Subject: d.Subject, Payload: d.Payload}
		if err := syncproto.CheckEvent(&ev); err != nil {
			t.Fatalf("audit event for %q refused: %v", typed, err)
		}
		var back lifecycle.LoginAuditV1
		if err := json.Unmarshal(d.Payload, &back); err != nil || back.StaffID != key {
			t.Fatalf("payload %s does not hold the id %q: %v", d.Payload, key, err)
		}
	})
}
