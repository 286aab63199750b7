package lifecycle

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
)

// longest is n distinct waybills of the longest length head office takes.
func longest(n int, tag string) []string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = fmt.Sprintf("%s%06d%s", tag, i, strings.Repeat("9", 64-len(tag)-6))
	}
	return ws
}

// TestSplitManifest: 5,000 waybills of 64 bytes do not fit one event; the
// parts each do, and folding them gives the whole manifest back in order.
func TestSplitManifest(t *testing.T) {
	p := ManifestV1{Waybills: longest(5000, "SF"), Courier: "K-07", ExpectedAt: t0.UnixMilli(), At: t0.UnixMilli()}
	if raw, _ := json.Marshal(p); len(raw) <= syncproto.MaxEventBytes {
		t.Fatalf("the test manifest is %d bytes and fits one event", len(raw))
	}
	parts, err := SplitManifest(p, "pub1", syncproto.MaxEventBytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 2 || len(parts) > MaxManifestParts {
		t.Fatalf("%d parts", len(parts))
	}
	var m evMaker
	var evs []syncproto.Event
	for i, part := range parts {
		ev := m.ev("hub", time.Duration(i)*time.Millisecond, ManifestPublished, "M1", part)
		if err := syncproto.CheckEvent(&ev); err != nil {
			t.Fatalf("part %d of %d: %v", i+1, len(parts), err)
		}
		evs = append(evs, ev)
	}
	got := FoldManifest("M1", append([]syncproto.Event(nil), evs...))
	if got.Revision != 1 || got.Pending != nil || !reflect.DeepEqual(got.Waybills, p.Waybills) || got.Courier != "K-07" {
		t.Fatalf("folded: revision %d, pending %+v, %d waybills", got.Revision, got.Pending, len(got.Waybills))
	}
	// All but the last part: not held yet, and marked pending.
	got = FoldManifest("M1", append([]syncproto.Event(nil), evs[:len(evs)-1]...))
	if got.Revision != 0 || len(got.Waybills) != 0 || got.Pending == nil || got.Pending.Received != len(parts)-1 || got.Pending.Parts != len(parts) {
		t.Fatalf("missing a part: revision %d, %d waybills, pending %+v", got.Revision, len(got.Waybills), got.Pending)
	}
	// An amendment half arrived: the earlier whole publication stays.
	amended := p
	amended.Waybills = longest(4000, "YT")
	parts2, err := SplitManifest(amended, "pub2", syncproto.MaxEventBytes)
	if err != nil {
		t.Fatal(err)
	}
	more := append([]syncproto.Event(nil), evs...)
	more = append(more, m.ev("hub", time.Minute, ManifestPublished, "M1", parts2[0]))
	got = FoldManifest("M1", more)
	if got.Revision != 1 || !reflect.DeepEqual(got.Waybills, p.Waybills) || got.Pending == nil || got.Pending.Publication != "pub2" {
		t.Fatalf("amendment in flight: revision %d, pending %+v", got.Revision, got.Pending)
	}
	for i, part := range parts2[1:] {
		more = append(more, m.ev("hub", time.Minute+time.Duration(i+1)*time.Millisecond, ManifestPublished, "M1", part))
	}
	got = FoldManifest("M1", more)
	if got.Revision != 2 || !reflect.DeepEqual(got.Waybills, amended.Waybills) || got.Pending != nil {
		t.Fatalf("amended: revision %d, %d waybills, pending %+v", got.Revision, len(got.Waybills), got.Pending)
	}
	// A manifest that fits stays one event, as before splitting existed.
	small, err := SplitManifest(ManifestV1{Waybills: []string{"A1"}}, "pub3", syncproto.MaxEventBytes)
	if err != nil || len(small) != 1 || small[0].Parts != 0 || small[0].Publication != "" {
		t.Fatalf("small: %+v %v", small, err)
	}
}
