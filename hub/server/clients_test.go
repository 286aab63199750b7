package server

import (
	"context"
	"testing"
	"time"
)

// TestBrokerClientsReported: the command grows its memory limit from what
// OnBrokerClients says, so it must follow outlets connecting and leaving.
func TestBrokerClientsReported(t *testing.T) {
	seen := make(chan int64, 64)
	s, err := Start(context.Background(), Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard(),
		OnBrokerClients: func(n int64) { seen <- n },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wait := func(want int64) {
		t.Helper()
		deadline := time.After(4 * clientsEvery)
		for {
			select {
			case n := <-seen:
				if n == want {
					return
				}
			case <-deadline:
				t.Fatalf("never told %d connected outlets", want)
			}
		}
	}
	wait(0)
	secrets := map[string]string{"SH-A": addOutlet(t, s, "SH-A"), "SH-B": addOutlet(t, s, "SH-B")}
	var cs []*client
	for id, secret := range secrets {
		cs = append(cs, mustDial(t, s.MQTTAddr(), id, secret))
	}
	wait(2)
	cs[0].Disconnect(100)
	wait(1)
}
