package syncproto

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// plainDecode is encoding/json's decoding of a batch body, without the
// counting or the fast path.
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

// TestDecodeBatchFastTakesAgentBatches: the bodies agents and Encode write
// take the fast path and decode as encoding/json decodes them.
func TestDecodeBatchFastTakesAgentBatches(t *testing.T) {
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
			if !decodeBatchFast(body, &got) {
				t.Fatalf("fast path refused %s", body)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("fast path decoded\n%+v\nencoding/json\n%+v", got, want)
			}
		})
	}
}

// fastRefused are bodies encoding/json may take but the fast path leaves
// to it, each for one rule.
var fastRefused = map[string]string{
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

func TestDecodeBatchFastRefuses(t *testing.T) {
	for name, body := range fastRefused {
		t.Run(name, func(t *testing.T) {
			b := Batch{Origin: "untouched"}
			if decodeBatchFast([]byte(body), &b) {
				t.Fatalf("fast path took %s as %+v", body, b)
			}
			if !reflect.DeepEqual(b, Batch{Origin: "untouched"}) {
				t.Fatalf("refused body changed the batch to %+v", b)
			}
		})
	}
}

// FuzzDecodeBatchFast: whatever the fast path takes, encoding/json takes
// too and decodes to the same batch.
func FuzzDecodeBatchFast(f *testing.F) {
	f.Add(agentBody(f, sampleBatch("SH-001", 1, 3)))
	for _, body := range fastRefused {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got Batch
		if !decodeBatchFast(data, &got) {
			return
		}
		want, err := plainDecode(data)
		if err != nil {
			t.Fatalf("fast path took %q, encoding/json refuses it: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("fast path decoded %q as\n%+v\nencoding/json as\n%+v", data, got, want)
		}
	})
}

// BenchmarkDecodeBatch decodes a gzipped agent batch of 500 scan events
// with Decode, and with encoding/json alone (the baseline, same run).
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
