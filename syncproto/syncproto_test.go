package syncproto

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/hlc"
)

func sampleBatch(origin string, first uint64, n int) Batch {
	b := Batch{Origin: origin, First: first, Last: first + uint64(n) - 1}
	for i := 0; i < n; i++ {
		seq := first + uint64(i)
		b.Events = append(b.Events, Event{
			ID: fmt.Sprintf("id-%d", seq), Origin: origin, Seq: seq, HLC: 1 << 20,
			Actor: "clerk-1", Type: "parcel.scanned", V: 1, Subject: "SF1234567890123",
			Payload: json.RawMessage(`{"barcode":"SF1234567890123","action":"inbound"}`),
		})
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		compress int
		codec    Codec
	}{
		{"plain", -1, CodecJSON},
		{"gzip", 0, CodecGzip},
		{"small stays plain", 1 << 20, CodecJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := sampleBatch("SH-001", 7, 50)
			frame, err := Encode(KindBatch, in, tc.compress)
			if err != nil {
				t.Fatal(err)
			}
			if Codec(frame[5]) != tc.codec {
				t.Fatalf("codec = %d, want %d", frame[5], tc.codec)
			}
			var out Batch
			if _, err := Decode(frame, KindBatch, &out); err != nil {
				t.Fatal(err)
			}
			if err := CheckBatch(&out, "SH-001"); err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(in)
			b, _ := json.Marshal(out)
			if !bytes.Equal(a, b) {
				t.Fatalf("round trip changed the batch:\n%s\n%s", a, b)
			}
		})
	}
}

func TestUnknownOptionalFieldsIgnored(t *testing.T) {
	body := `{"origin":"SH-001","acked_seq":42,"hub_time":5,"future_field":{"x":[1,2]}}`
	frame := append([]byte{'Y', 'Z', Major, Minor + 3, byte(KindAck), byte(CodecJSON)}, body...)
	var a Ack
	if _, err := Decode(frame, KindAck, &a); err != nil {
		t.Fatalf("newer minor with extra field rejected: %v", err)
	}
	if a.AckedSeq != 42 {
		t.Fatalf("acked_seq = %d", a.AckedSeq)
	}
}

func TestRejections(t *testing.T) {
	good, _ := Encode(KindBatch, sampleBatch("SH-001", 1, 3), 0)
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write([]byte(`{"origin":"`))
	zw.Write(bytes.Repeat([]byte("a"), MaxBodyBytes+10))
	zw.Close()
	cases := []struct {
		name  string
		frame []byte
		code  string
	}{
		{"empty", nil, CodeMalformed},
		{"short", []byte("YZ\x01"), CodeMalformed},
		{"bad magic", append([]byte("XX"), good[2:]...), CodeMalformed},
		{"major 2", append([]byte{'Y', 'Z', 2, 0}, good[4:]...), CodeUnsupportedVersion},
		{"major 0", append([]byte{'Y', 'Z', 0, 0}, good[4:]...), CodeUnsupportedVersion},
		{"unknown kind", append([]byte{'Y', 'Z', 1, 0, 99}, good[5:]...), CodeMalformed},
		{"unknown codec", append([]byte{'Y', 'Z', 1, 0, 1, 9}, good[6:]...), CodeMalformed},
		{"wrong kind", append([]byte{'Y', 'Z', 1, 0, byte(KindAck)}, good[5:]...), CodeWrongKind},
		{"truncated gzip", good[:len(good)/2], CodeMalformed},
		{"bad json", append([]byte{'Y', 'Z', 1, 0, 1, 0}, `{"origin":`...), CodeMalformed},
		{"oversize", append(append([]byte{}, good[:6]...), make([]byte, MaxFrameBytes)...), CodeOversize},
		{"gzip bomb", append([]byte{'Y', 'Z', 1, 0, 1, 1}, bomb.Bytes()...), CodeOversize},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b Batch
			_, err := Decode(tc.frame, KindBatch, &b)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := ErrorCode(err); got != tc.code {
				t.Fatalf("code = %s (%v), want %s", got, err, tc.code)
			}
		})
	}
}

func TestCheckBatch(t *testing.T) {
	mut := func(f func(*Batch)) *Batch { b := sampleBatch("SH-001", 10, 3); f(&b); return &b }
	cases := []struct {
		name string
		b    *Batch
		code string
	}{
		{"ok", mut(func(*Batch) {}), ""},
		{"spoofed origin", mut(func(b *Batch) { b.Origin = "SH-002" }), CodeOriginMismatch},
		{"spoofed event origin", mut(func(b *Batch) { b.Events[1].Origin = "SH-002" }), CodeOriginMismatch},
		{"gap", mut(func(b *Batch) { b.Events[1].Seq = 99 }), CodeMalformed},
		{"range lies", mut(func(b *Batch) { b.Last = 50 }), CodeMalformed},
		{"zero first", mut(func(b *Batch) { b.First = 0 }), CodeMalformed},
		{"seq past int64", mut(func(b *Batch) {
			b.First = MaxSeq - 1
			b.Last = MaxSeq + 1
			for i := range b.Events {
				b.Events[i].Seq = b.First + uint64(i)
			}
		}), CodeMalformed},
		{"empty", mut(func(b *Batch) { b.Events = nil; b.Last = b.First - 1 }), CodeMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckBatch(tc.b, "SH-001")
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || ErrorCode(err) != tc.code {
				t.Fatalf("err = %v, want code %s", err, tc.code)
			}
		})
	}
}

func TestCheckEvent(t *testing.T) {
	ok := sampleBatch("SH-001", 1, 1).Events[0]
	for _, tc := range []struct {
		name string
		mod  func(*Event)
		bad  bool
	}{
		{"ok", func(*Event) {}, false},
		{"no type", func(e *Event) { e.Type = "" }, true},
		{"no hlc", func(e *Event) { e.HLC = 0 }, true},
		{"control char actor", func(e *Event) { e.Actor = "a\x07b" }, true},
		{"long subject", func(e *Event) { e.Subject = strings.Repeat("9", MaxFieldLen+1) }, true},
		{"big payload", func(e *Event) { e.Payload = json.RawMessage(`"` + strings.Repeat("x", MaxEventBytes) + `"`) }, true},
		{"version 0", func(e *Event) { e.V = 0 }, true},
		{"payload not utf-8", func(e *Event) { e.Payload = json.RawMessage("\"a\xffb\"") }, true},
		{"chinese payload", func(e *Event) { e.Payload = json.RawMessage(`"投诉"`) }, false},
		{"chinese subject", func(e *Event) { e.Subject = "投诉-0001" }, false},
		// A PC set to a wrong year is kept (and flagged by the receiver); a
		// stamp no clock reads is refused before any store sees it.
		{"year 2500", func(e *Event) { e.HLC = hlc.Make(time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 0) }, false},
		{"just below the horizon", func(e *Event) { e.HLC = hlc.Make(hlc.HorizonMillis-1, 65535) }, false},
		{"at the horizon", func(e *Event) { e.HLC = hlc.Make(hlc.HorizonMillis, 0) }, true},
		{"year 9999", func(e *Event) { e.HLC = hlc.Make(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).UnixMilli(), 0) }, true},
		{"past int64", func(e *Event) { e.HLC = hlc.Timestamp(1 << 63) }, true},
		{"max uint64", func(e *Event) { e.HLC = ^hlc.Timestamp(0) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ok
			tc.mod(&e)
			if err := CheckEvent(&e); (err != nil) != tc.bad {
				t.Fatalf("err = %v, bad = %v", err, tc.bad)
			}
		})
	}
}

func TestTopics(t *testing.T) {
	o, leaf, err := ParseUplink(UplinkTopic("SH-001"))
	if err != nil || o != "SH-001" || leaf != "batch" {
		t.Fatalf("ParseUplink = %q %q %v", o, leaf, err)
	}
	for _, bad := range []string{AckTopic("SH-001"), "yz/v1/outlets/+/up/batch", "yz/v1/outlets/a/b/up/batch", "other/topic", "yz/v1/outlets/hub/up/batch"} {
		if _, _, err := ParseUplink(bad); err == nil {
			t.Errorf("ParseUplink(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "a/b", "+", "#", "-x", strings.Repeat("a", 65), "hub", "网点"} {
		if ValidOutletID(bad) == nil {
			t.Errorf("ValidOutletID(%q) accepted", bad)
		}
	}
}

// contractDirs lists syncproto and every package below it, so a new package
// is held to the same rule without anyone remembering to list it.
func contractDirs(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if m, _ := filepath.Glob(filepath.Join(p, "*.go")); len(m) > 0 {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 7 {
		t.Fatalf("found only %v below syncproto", dirs)
	}
	return dirs
}

// TestNoForbiddenImports keeps the contract free of I/O-side dependencies.
func TestNoForbiddenImports(t *testing.T) {
	for _, dir := range contractDirs(t) {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		imports := append(append([]string{}, pkg.Imports...), pkg.TestImports...)
		for _, imp := range imports {
			for _, bad := range []string{"/agent", "/hub", "/devices", "mqtt", "bbolt", "net", "os", "sqlite", "pgx"} {
				// net/netip is address values only, no sockets.
				if strings.Contains(imp, bad) && imp != "encoding/json" && imp != "net/netip" {
					t.Errorf("%s imports %s: syncproto must stay free of I/O and of agent/hub code", dir, imp)
				}
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(KindBatch, sampleBatch("SH-001", 1, 3), 0)
	plain, _ := Encode(KindBatch, sampleBatch("SH-001", 1, 2), -1)
	ack, _ := Encode(KindAck, Ack{Origin: "SH-001", AckedSeq: 3}, -1)
	withInc := sampleBatch("SH-001", 1, 2)
	withInc.Incarnation = "0123456789abcdef0123456789abcdef"
	inc, _ := Encode(KindBatch, withInc, -1)
	for _, s := range [][]byte{good, plain, ack, inc, nil, []byte("YZ\x01\x00\x01\x00{}"), []byte("YZ\x02\x00\x01\x00")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		var b Batch
		if _, err := Decode(frame, KindBatch, &b); err != nil {
			if ErrorCode(err) == "" {
				t.Fatal("error without code")
			}
			return
		}
		if CheckBatch(&b, b.Origin) == nil {
			for i := range b.Events {
				if CheckEvent(&b.Events[i]) == nil && uint64(b.Events[i].HLC) > 1<<63-1 {
					t.Fatalf("CheckEvent passed stamp %d, which no int64 column holds", uint64(b.Events[i].HLC))
				}
			}
			// Whatever decodes must re-encode and decode to the same batch.
			again, err := Encode(KindBatch, b, 0)
			if err != nil {
				return // oversize after re-encoding is allowed
			}
			var b2 Batch
			if _, err := Decode(again, KindBatch, &b2); err != nil {
				t.Fatalf("re-encoded batch does not decode: %v", err)
			}
		}
	})
}

func TestEncodeBatchRawMatchesEncode(t *testing.T) {
	for _, inc := range []string{"", "0123456789abcdef0123456789abcdef"} {
		t.Run("incarnation "+inc, func(t *testing.T) { encodeBatchRawMatchesEncode(t, inc) })
	}
}

func encodeBatchRawMatchesEncode(t *testing.T, inc string) {
	b := sampleBatch("SH-001", 41, 5)
	b.Incarnation = inc
	var raws [][]byte
	for _, e := range b.Events {
		raw, _ := json.Marshal(e)
		raws = append(raws, raw)
	}
	frame, err := EncodeBatchRaw("SH-001", inc, 41, raws, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got Batch
	if _, err := Decode(frame, KindBatch, &got); err != nil {
		t.Fatal(err)
	}
	if err := CheckBatch(&got, "SH-001"); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(b)
	c, _ := json.Marshal(got)
	if !bytes.Equal(a, c) {
		t.Fatalf("raw-encoded batch differs:\n%s\n%s", a, c)
	}
}

func TestCheckIncarnationAndWindow(t *testing.T) {
	for inc, ok := range map[string]bool{"": true, "0123456789abcdef": true, "short": false, "has space 123": false,
		strings.Repeat("a", MaxIncarnationLen+1): false, "ok_id-1234": true} {
		if err := CheckIncarnation(inc); (err == nil) != ok {
			t.Errorf("CheckIncarnation(%q) = %v, want ok %v", inc, err, ok)
		}
	}
	b := sampleBatch("SH-001", 1, 5)
	b.Incarnation = "bad id"
	if err := CheckBatch(&b, "SH-001"); ErrorCode(err) != CodeMalformed {
		t.Errorf("batch with a bad incarnation: %v", err)
	}
	far := &Batch{First: 1 << 40, Last: 1<<40 + 9}
	if err := CheckWindow(far, 8, DefaultWindow); ErrorCode(err) != CodeBeyondWindow {
		t.Errorf("far-future batch: %v", err)
	}
	edge := &Batch{First: 9 + DefaultWindow - 1, Last: 8 + DefaultWindow}
	if err := CheckWindow(edge, 8, DefaultWindow); err != nil {
		t.Errorf("batch ending at the window's edge refused: %v", err)
	}
	edge.Last++
	if err := CheckWindow(edge, 8, DefaultWindow); ErrorCode(err) != CodeBeyondWindow {
		t.Errorf("batch one past the window: %v", err)
	}
	p := IncarnationRefused(8)
	d, ok := p.Detail()
	if !ok || d.Code != "sync.incarnation" || d.Params["held"] != uint64(8) ||
		p.Reason != "head office already holds 8 events of this outlet: restore its backup, or have head office start a new incarnation" {
		t.Errorf("incarnation problem %+v detail %+v", p, d)
	}
	if _, ok := (&Problem{Code: CodeMalformed}).Detail(); ok {
		t.Error("a wire code without a catalog entry has a detail")
	}
}
