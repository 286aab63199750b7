package syncclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/yizhan/yizhan/syncproto/clock"
)

// Probe is one MQTT connect to the broker with the outlet's credentials
// and TLS files, as the agent makes it, then a clean disconnect: what
// `yizhan-agent doctor` asks when it checks the link. It subscribes to
// nothing and sends nothing. Its client id is its own, so a running agent
// keeps its session. The error says what failed as the agent's status
// would (a refused certificate as its catalog problem).
func Probe(ctx context.Context, brokerURL, outlet, secret string, files TLSFiles, allowPlain bool, timeout time.Duration) error {
	b, err := ParseBroker(brokerURL, allowPlain)
	if err != nil {
		return err
	}
	tlsCfg, err := tlsConfig(b, files, time.Now)
	if err != nil {
		return err
	}
	c := &Client{cfg: Config{Broker: brokerURL, Outlet: outlet, Clock: clock.System}, broker: b, files: files, tls: tlsCfg}
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	opts := mqtt.NewClientOptions().
		AddBroker(brokerURL).
		SetClientID("yz-doctor-" + outlet + "-" + hex.EncodeToString(suffix)).
		SetUsername(outlet).
		SetPassword(secret).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetCustomOpenConnectionFn(c.dial).
		SetConnectTimeout(timeout)
	cl := mqtt.NewClient(opts)
	tok := cl.Connect()
	if !tok.WaitTimeout(timeout) {
		cl.Disconnect(0)
		return fmt.Errorf("connect to %s: no answer within %v (is the hub or broker running there?)", brokerURL, timeout)
	}
	if err := tok.Error(); err != nil {
		return c.loginError(err)
	}
	cl.Disconnect(100)
	return nil
}
