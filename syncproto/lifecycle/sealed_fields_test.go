package lifecycle

import (
	"encoding/json"
	"testing"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// A complaint's words travel sealed: the fold keeps the sealed form, and a
// complaint is new with either form of its text, never with none.
func TestComplaintTextSealed(t *testing.T) {
	r := ComplaintReceivedV1{Channel: "counter", Type: "complaint", Category: "delay", Severity: "routine", TextSealed: "v2:00000000:x", Owner: "c01", At: 1}
	if err := CheckNew(r); err != nil {
		t.Fatalf("sealed text refused: %v", err)
	}
	r.TextSealed = ""
	if err := CheckNew(r); !problem.Is(err, problem.ComplaintTextEmpty) {
		t.Fatalf("no text: %v", err)
	}
	raw, _ := json.Marshal(ComplaintReceivedV1{Ticket: "T1", TextSealed: "v2:00000000:x", At: 1})
	c := FoldComplaint("C1", []syncproto.Event{{ID: "e1", Origin: "SH-001", Seq: 1, Type: ComplaintReceived, Subject: "C1", Payload: raw}})
	if c.TextSealed != "v2:00000000:x" || c.Text != "" {
		t.Fatalf("folded complaint %+v", c)
	}
}
