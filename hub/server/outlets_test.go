package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/yizhan/yizhan/syncproto"
)

// An outlet connected to the embedded broker shows as connected, with the
// backlog its agent reported in a pull; once it disconnects it does not.
func TestOutletConnectedAndBacklogThroughTheHub(t *testing.T) {
	s := startHub(t)
	secret := addOutlet(t, s, "SH-001")
	outlet := func() map[string]any {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/api/v1/outlets/SH-001", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := outlet(); m["connected"] != false || m["backlog"] != nil {
		t.Fatalf("before it connects: %v", m)
	}
	c := mustDial(t, s.MQTTAddr(), "SH-001", secret)
	c.sub(t, syncproto.DownTopic("SH-001"))
	c.pub(t, syncproto.UplinkTopic("SH-001"), 1, batch(t, "SH-001", 1, 2, "RB123456785GB"))
	head := uint64(5)
	c.pub(t, syncproto.PullTopic("SH-001"), 1, mustEncode(t, syncproto.KindPull, syncproto.Pull{Origin: "SH-001", Head: &head}))
	eventually(t, "the pull answered", func() bool { return len(c.received(syncproto.DownTopic("SH-001"))) > 0 })
	if m := outlet(); m["connected"] != true || m["backlog"] != 3.0 {
		t.Fatalf("connected with 5 held and 2 acknowledged: %v", m)
	}
	c.Disconnect(100)
	eventually(t, "the outlet shown disconnected", func() bool { return outlet()["connected"] == false })
}
