package syncproto

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// plainDecode is encoding/json's decoding of a batch body, without the
// counting.
func plainDecode(data []byte) (Batch, error) {
	type plain Batch
	var p plain
	err := json.Unmarshal(data, &p)
	return Batch(p), err
}

// agentBody is a batch body as the agent frames one (EncodeBatchRaw over
// events it stored with json.Marshal).
func agentBody(t testing.TB, b Batch) []byte {
	var raws [][]byte
	for _, e := range b.Events {
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
	}
	frame, err := EncodeBatchRaw(b.Origin, b.Incarnation, b.First, raws, -1)
	if err != nil {
		t.Fatal(err)
	}
	return frame[HeaderLen:]
}

// TestBatchDecodesAsEncodingJSON: the bodies agents and Encode write
// decode as encoding/json decodes them.
func TestBatchDecodesAsEncodingJSON(t *testing.T) {
	b := sampleBatch("SH-001", 41, 30)
	b.Incarnation = "0123456789abcdef0123456789abcdef"
	b.Events[3].Subject = "顺丰-SF1234567890123" // UTF-8 is copied as it is
	b.Events[4].Payload = json.RawMessage(`{"a":[1,2,{"b":"}]"}],"c":{"d":null,"e":"\u00e9\"x"}}`)
	b.Events[5].Target, b.Events[5].Payload = "SH-001", nil
	encoded, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"agent": agentBody(t, b), "json.Marshal": encoded,
		"spaced": []byte(strings.ReplaceAll(string(agentBody(t, b)), `,"`, " ,\n\t\"")), "no events": []byte(`{"origin":"SH-001","events":[]}`)} {
		t.Run(name, func(t *testing.T) {
			want, err := plainDecode(body)
			if err != nil {
				t.Fatal(err)
			}
			var got Batch
			if err := got.UnmarshalJSON(body); err != nil {
				t.Fatalf("refused %s: %v", body, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n%+v\nencoding/json\n%+v", got, want)
			}
		})
	}
}

// oddBodies are bodies agents do not write, each bending one rule of
// encoding/json's.
var oddBodies = map[string]string{
	"escape in a string":    `{"origin":"SH\u002d001","events":[{"id":"a"}]}`,
	"escaped key":           `{"orig\u0069n":"SH-001","events":[{"id":"a"}]}`,
	"upper-case key":        `{"Origin":"SH-001","events":[{"id":"a"}]}`,
	"upper-case event key":  `{"events":[{"ID":"a"}]}`,
	"unknown key":           `{"origin":"SH-001","extra":1,"events":[{"id":"a"}]}`,
	"unknown event key":     `{"events":[{"id":"a","extra":1}]}`,
	"repeated key":          `{"origin":"A","origin":"B","events":[{"id":"a"}]}`,
	"repeated event key":    `{"events":[{"id":"a","id":"b"}]}`,
	"null payload":          `{"events":[{"id":"a","payload":null}]}`,
	"array payload":         `{"events":[{"id":"a","payload":[1]}]}`,
	"string payload":        `{"events":[{"id":"a","payload":"x"}]}`,
	"invalid payload":       `{"events":[{"id":"a","payload":{"x":}}]}`,
	"null events":           `{"origin":"SH-001","events":null}`,
	"no events key":         `{"origin":"SH-001"}`,
	"empty object":          `{}`,
	"empty event":           `{"events":[{}]}`,
	"fraction":              `{"first":1.0,"events":[{"id":"a"}]}`,
	"exponent":              `{"events":[{"seq":1e3}]}`,
	"negative":              `{"events":[{"v":-1}]}`,
	"leading zero":          `{"events":[{"seq":01}]}`,
	"beyond 63 bits":        `{"events":[{"hlc":9223372036854775808}]}`,
	"v beyond int32":        `{"events":[{"v":2147483648}]}`,
	"string for a number":   `{"events":[{"seq":"1"}]}`,
	"number for a string":   `{"events":[{"id":1}]}`,
	"invalid UTF-8":         "{\"events\":[{\"id\":\"a\xff\"}]}",
	"control character":     "{\"events\":[{\"id\":\"a\x01\"}]}",
	"trailing bytes":        `{"events":[{"id":"a"}]} x`,
	"missing comma":         `{"events":[{"id":"a"} {"id":"b"}]}`,
	"unterminated":          `{"events":[{"id":"a"}`,
	"events not an array":   `{"events":{"id":"a"}}`,
	"not an object":         `[{"id":"a"}]`,
	"too many events (max)": `{"events":[` + strings.Repeat(`{"id":"a"},`, MaxEventsPerBatch) + `{"id":"a"}]}`,
}

// TestOddBodiesAsEncodingJSON: a body no agent writes is taken or
// refused as encoding/json takes or refuses it, and decodes to the same
// batch; beyond MaxEventsPerBatch it is refused for its count.
func TestOddBodiesAsEncodingJSON(t *testing.T) {
	for name, body := range oddBodies {
		t.Run(name, func(t *testing.T) {
			want, werr := plainDecode([]byte(body))
			var got Batch
			gerr := got.UnmarshalJSON([]byte(body))
			if werr == nil && len(want.Events) > MaxEventsPerBatch {
				if ErrorCode(gerr) != CodeOversize {
					t.Fatalf("%d events: %v, want oversize", len(want.Events), gerr)
				}
				return
			}
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("encoding/json: %v; UnmarshalJSON: %v", werr, gerr)
			}
			if werr == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n%+v\nencoding/json\n%+v", got, want)
			}
		})
	}
}

// BenchmarkDecodeBatch decodes a gzipped agent batch of 500 scan events
// with Decode, and with encoding/json alone (inflating and decoding: the
// baseline, same run).
// Run: go test -run '^$' -bench DecodeBatch ./syncproto/
func BenchmarkDecodeBatch(b *testing.B) {
	bt := sampleBatch("SH-001", 1, 500)
	body := agentBody(b, bt)
	frame, err := encodeBody(KindBatch, body, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Decode", func(b *testing.B) {
		for range b.N {
			var got Batch
			if _, err := Decode(frame, KindBatch, &got); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/event")
	})
	b.Run("encoding-json", func(b *testing.B) {
		h, _ := ParseHeader(frame)
		for range b.N {
			raw, err := Body(h, frame)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := plainDecode(raw); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/event")
	})
}
