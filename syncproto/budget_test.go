package syncproto

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func gzipFrame(t testing.TB, kind Kind, body []byte) []byte {
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zw.Write(body)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return append([]byte{'Y', 'Z', Major, Minor, byte(kind), byte(CodecGzip)}, z.Bytes()...)
}

// withTrailerSize rewrites a gzip frame's ISIZE, as a lying sender would.
func withTrailerSize(frame []byte, n uint32) []byte {
	f := append([]byte{}, frame...)
	binary.LittleEndian.PutUint32(f[len(f)-4:], n)
	return f
}

// TestBodyHeldToTrailer: a gzip body inflates to exactly the size its
// trailer gives or is refused, and a claim over the limit is refused as
// oversize, so BodySize bounds what Body allocates.
func TestBodyHeldToTrailer(t *testing.T) {
	body := []byte(`{"origin":"SH-001","acked_seq":7}`)
	good := gzipFrame(t, KindAck, body)
	h, _ := ParseHeader(good)
	if n, err := BodySize(h, good); err != nil || n != len(body) {
		t.Fatalf("BodySize = %d, %v; want %d", n, err, len(body))
	}
	if got, err := Body(h, good); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("Body = %q, %v", got, err)
	}
	for name, tc := range map[string]struct {
		frame []byte
		code  string
	}{
		"claims less":    {withTrailerSize(good, uint32(len(body)-5)), CodeMalformed},
		"claims more":    {withTrailerSize(good, uint32(len(body)+5)), CodeMalformed},
		"claims too big": {withTrailerSize(good, MaxBodyBytes+1), CodeMalformed}, // inflates fine but lied: corrupt, not a bomb
		"too short":      {good[:HeaderLen+12], CodeMalformed},
		"bomb":           {gzipFrame(t, KindAck, bytes.Repeat([]byte{' '}, MaxBodyBytes+1)), CodeOversize},
	} {
		t.Run(name, func(t *testing.T) {
			h, _ := ParseHeader(tc.frame)
			_, err := Body(h, tc.frame)
			if err == nil || ErrorCode(err) != tc.code {
				t.Fatalf("Body: %v, want code %s", err, tc.code)
			}
		})
	}
}

// TestBatchEventCountRefusedBeforeDecode: a batch body of "{}," repeated
// is refused for its count without making an Event for each element, and a
// batch within the limit decodes as plain encoding/json would.
func TestBatchEventCountRefusedBeforeDecode(t *testing.T) {
	body := `{"origin":"SH-001","first":1,"last":1,"events":[` + strings.Repeat("{},", 200_000) + `{}]}`
	frame := gzipFrame(t, KindBatch, []byte(body))
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	var b Batch
	_, err := Decode(frame, KindBatch, &b)
	runtime.ReadMemStats(&ms1)
	if ErrorCode(err) != CodeOversize || !strings.Contains(err.Error(), "200001 events") {
		t.Fatalf("Decode: %v, want oversize for 200001 events", err)
	}
	// Decoding them as Events would take 200,001 × sizeof(Event) ≈ 34 MB.
	alloc := ms1.TotalAlloc - ms0.TotalAlloc
	if limit := uint64(DecodeCost(frame)); alloc > limit {
		t.Fatalf("decoding a %d-byte body allocated %d bytes, DecodeCost said %d", len(body), alloc, limit)
	}
	t.Logf("body %d bytes, allocated %d, cost %d", len(body), alloc, DecodeCost(frame))

	in := sampleBatch("SH-001", 1, 3)
	raw, _ := json.Marshal(in)
	var got Batch
	if err := json.Unmarshal(raw, &got); err != nil || !reflect.DeepEqual(got, in) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if err := json.Unmarshal([]byte(`{"origin":"SH-001"}`), &got); err != nil || got.Events != nil {
		t.Fatalf("no events: %+v, %v", got, err)
	}
}

// TestDecodeCostBoundsDecode: what Decode allocates for a frame, garbage
// included, stays within DecodeCost for the frames a flood or an honest
// outlet sends.
func TestDecodeCostBoundsDecode(t *testing.T) {
	flood := func() []byte {
		tail := `{"origin":"SH-001","first":1,"last":1,"events":[]}`
		return gzipFrame(t, KindBatch, append(bytes.Repeat([]byte{' '}, MaxBodyBytes-len(tail)), tail...))
	}
	big := sampleBatch("SH-001", 1, 500)
	honest, _ := Encode(KindBatch, big, 0)
	plain, _ := Encode(KindBatch, sampleBatch("SH-001", 1, 20), -1)
	long := gzipFrame(t, KindBatch, []byte(fmt.Sprintf(`{"origin":%q,"events":[]}`, strings.Repeat("a", 2<<20))))
	for name, frame := range map[string][]byte{"flood": flood(), "honest": honest, "plain": plain, "long string": long} {
		t.Run(name, func(t *testing.T) {
			var ms0, ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			var b Batch
			_, err := Decode(frame, KindBatch, &b)
			runtime.ReadMemStats(&ms1)
			alloc := ms1.TotalAlloc - ms0.TotalAlloc
			cost := DecodeCost(frame)
			t.Logf("frame %d bytes, err %v, allocated %d, cost %d", len(frame), err, alloc, cost)
			if alloc > uint64(cost) {
				t.Fatalf("Decode allocated %d bytes, DecodeCost said %d", alloc, cost)
			}
		})
	}
}

func FuzzBatchUnmarshal(f *testing.F) {
	good, _ := json.Marshal(sampleBatch("SH-001", 1, 3))
	for _, s := range []string{string(good), `{}`, `null`, `{"events":null}`, `{"events":[1,"x",{},[]]}`, `{"EVENTS":[{}]}`, `{"events":[{"seq":-1}]}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		type plain Batch
		var want plain
		werr := json.Unmarshal(data, &want)
		var got Batch
		gerr := json.Unmarshal(data, &got)
		if len(want.Events) > MaxEventsPerBatch {
			if ErrorCode(gerr) != CodeOversize {
				t.Fatalf("%d events accepted: %v", len(want.Events), gerr)
			}
			return
		}
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("plain decode %v, bounded decode %v", werr, gerr)
		}
		if werr == nil && !reflect.DeepEqual(Batch(want), got) {
			t.Fatalf("bounded decode %+v, plain %+v", got, want)
		}
		// Decode calls UnmarshalJSON itself, without json.Unmarshal's
		// check of the whole body first.
		var direct Batch
		derr := direct.UnmarshalJSON(data)
		if (derr == nil) != (gerr == nil) || derr == nil && !reflect.DeepEqual(direct, got) {
			t.Fatalf("direct decode %+v, %v; through json.Unmarshal %+v, %v", direct, derr, got, gerr)
		}
	})
}

// slowCount is how encoding/json counts a body's events (-1 for none).
func slowCount(data []byte) (int, error) {
	var count struct {
		Events []anyValue `json:"events"`
	}
	if err := json.Unmarshal(data, &count); err != nil {
		return 0, err
	}
	if count.Events == nil {
		return -1, nil
	}
	return len(count.Events), nil
}

// countBodies are bodies whose events must be counted as encoding/json
// counts them: the shapes senders write and every odd one.
var countBodies = []string{
	`{}`, ` { } `, `{"origin":"SH-001","first":1,"last":2,"events":[{"seq":1},{"seq":2}]}`,
	"{\n\t\"events\" :\r [ {} , {} , {} ] }", `{"events":[]}`, `{"events":[ ]}`, `{"events":null}`,
	`{"EVENTS":[1,2]}`, `{"eVeNtS":[[1,2],[3]]}`, `{"events":["a,b","]",{"x":"[,"}]}`, `{"events":["\"],["]}`,
	`{"origin":"x,]}","events":[{"payload":{"a":[1,2,{"b":[]}]}}]}`, `{"first":12,"last":true,"x":null,"events":[1]}`,
	`{"events":[1],"events":[1,2]}`, `{"event\u0073":[1]}`, `{"eventſ":[1]}`, `{"events":5}`, `{"events":{}}`,
	`[]`, `null`, ``, `{"events":[1,2`, `{"events"`, `{"a":1 "b":2}`,
}

func TestEventsCount(t *testing.T) {
	for _, body := range countBodies {
		n, err := eventsCount([]byte(body))
		want, werr := slowCount([]byte(body))
		if (err == nil) != (werr == nil) || err == nil && n != want {
			t.Errorf("eventsCount(%s) = %d, %v; encoding/json counts %d, %v", body, n, err, want, werr)
		}
	}
}

// FuzzEventsCount: the count is encoding/json's, and so is the verdict.
func FuzzEventsCount(f *testing.F) {
	for _, body := range countBodies {
		f.Add([]byte(body))
	}
	good, _ := json.Marshal(sampleBatch("SH-001", 1, 3))
	f.Add(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := eventsCount(data)
		want, werr := slowCount(data)
		if (err == nil) != (werr == nil) || err == nil && n != want {
			t.Fatalf("eventsCount(%q) = %d, %v; encoding/json counts %d, %v", data, n, err, want, werr)
		}
	})
}

func FuzzBody(f *testing.F) {
	good, _ := Encode(KindBatch, sampleBatch("SH-001", 1, 3), 0)
	f.Add(good)
	f.Add(withTrailerSize(good, 3))
	f.Add(withTrailerSize(good, MaxBodyBytes+1))
	f.Add([]byte("YZ\x01\x00\x01\x01"))
	f.Fuzz(func(t *testing.T, frame []byte) {
		h, err := ParseHeader(frame)
		if err != nil {
			return
		}
		body, err := Body(h, frame)
		if err != nil {
			return
		}
		if n, err := BodySize(h, frame); err != nil || n != len(body) {
			t.Fatalf("Body gave %d bytes, BodySize %d, %v", len(body), n, err)
		}
		if DecodeCost(frame) < int64(len(frame)+len(body)) {
			t.Fatalf("DecodeCost %d below frame %d + body %d", DecodeCost(frame), len(frame), len(body))
		}
	})
}

// TestDecodedBatchOwnsItsBytes: Decode inflates batches into buffers it
// keeps for the next batch, so nothing decoded may point into them.
func TestDecodedBatchOwnsItsBytes(t *testing.T) {
	first := sampleBatch("SH-001", 1, 50)
	frame, err := Encode(KindBatch, first, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got Batch
	if _, err := Decode(frame, KindBatch, &got); err != nil {
		t.Fatal(err)
	}
	other := sampleBatch("XX-999", 7, 50)
	for i := range other.Events {
		other.Events[i].ID = strings.Repeat("z", len(other.Events[i].ID))
		other.Events[i].Payload = json.RawMessage(`{"barcode":"XX9999999999999","action":"outbnd"}`)
	}
	for range 20 { // the pool may hand any kept buffer to any Decode
		f, err := Encode(KindBatch, other, 0)
		if err != nil {
			t.Fatal(err)
		}
		var b Batch
		if _, err := Decode(f, KindBatch, &b); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(got, first) {
		t.Fatalf("a decoded batch changed when later batches were decoded:\n%+v\nwant\n%+v", got.Events[0], first.Events[0])
	}
}
