// Package mqttclient connects the hub to an external MQTT broker (Mosquitto,
// EMQX...) with paho. It joins syncproto's shared subscription so several
// hub processes split the uplink, reconnects with jittered exponential
// backoff (about 1 s up to about 2 min, reset only after a connection stayed
// up), and resubscribes on every connect.
//
// With a shared subscription (the default) the session is clean: Mosquitto
// 2.0 keeps a stopped member's persistent session in the group and goes on
// giving it its turn, so while one hub restarted, its share of every
// outlet's uplink queued for it, overflowed its queue and was dropped, and
// the outlets whose batch it took waited for their resend timers. With a
// clean session a stopped hub leaves the group and the others take its
// share. A plain subscription keeps a persistent session under its stable
// client id, so that a broker may queue uplink for a hub that restarts.
// Correctness depends on neither: agents resend from their acknowledged
// cursor.
package mqttclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yizhan/yizhan/syncproto"
)

// Options configure Start.
type Options struct {
	// URL is tcp://user:pass@host:port (ssl:// and tls:// also accepted).
	URL string
	// CAFile, PEM, is what the broker's certificate must be signed by with
	// an ssl:// URL; empty: the system's roots.
	CAFile string
	// AllowPlain permits a plain URL to a host that is not this machine;
	// see CheckPlain.
	AllowPlain bool
	ClientID   string
	// Filter is the subscription; default syncproto.SharedUplink().
	Filter string
	// OnMessage receives every message; it may keep payload.
	OnMessage func(topic string, payload []byte)
	Logger    *slog.Logger
	// Stable is how long a connection must last before the backoff resets.
	// Default 1 minute.
	Stable time.Duration
	// PublishTimeout is how long a publish may wait for the broker's
	// PUBACK before it is logged as lost. Default 10 s.
	PublishTimeout time.Duration
}

// Client is a connection to an external broker, kept up until ctx ends.
type Client struct {
	opt  Options
	c    paho.Client
	lost chan error
	done chan struct{}

	mu        sync.Mutex
	connected bool
}

// ParseURL checks a broker URL and returns the paho server address and the
// credentials in it.
func ParseURL(raw string) (server, user, pass string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", "", fmt.Errorf("broker URL %q: %w", raw, err)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts":
	default:
		return "", "", "", fmt.Errorf("broker URL %q: scheme must be tcp:// (or ssl://), e.g. tcp://hub:secret@127.0.0.1:1883", raw)
	}
	if u.Host == "" || u.Port() == "" {
		return "", "", "", fmt.Errorf("broker URL %q: needs host:port, e.g. tcp://hub:secret@127.0.0.1:1883", raw)
	}
	scheme := u.Scheme
	if scheme == "mqtt" {
		scheme = "tcp"
	}
	if scheme == "mqtts" {
		scheme = "ssl"
	}
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	return scheme + "://" + u.Host, user, pass, nil
}

// CheckPlain refuses a plain broker URL (tcp://, mqtt://) to a host that
// is not this machine unless allowPlain: the hub's password and every
// outlet's events would cross the network unencrypted. The hub's settings
// check and Start both call it.
func CheckPlain(raw string, allowPlain bool) error {
	server, _, _, err := ParseURL(raw)
	if err != nil {
		return err
	}
	u, _ := url.Parse(server)
	if u.Scheme != "tcp" || allowPlain || syncproto.LoopbackHost(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("mqtt.broker %s is plain MQTT to %s, which is not this machine: the hub's password and the outlets' events would cross the network unencrypted; use ssl://user:pass@%s:%s (with mqtt.broker_ca_file for a private CA), or set mqtt.allow_plain = true (--mqtt-allow-plain) only where the network itself is protected",
		u, u.Hostname(), u.Hostname(), syncproto.TLSMQTTPort) // server carries no password
}

// tlsConfig is the TLS of an ssl:// or tls:// URL: the CA file's certificates, or
// the system's roots without one; nil for a plain URL.
func tlsConfig(server, caFile string) (*tls.Config, error) {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "ssl" && u.Scheme != "tls" {
		return nil, err
	}
	cfg := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read the external broker's CA file (mqtt.broker_ca_file): %w", err)
	}
	cfg.RootCAs = x509.NewCertPool()
	if !cfg.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the external broker's CA file %s (mqtt.broker_ca_file) holds no PEM certificate", caFile)
	}
	return cfg, nil
}

// Start begins connecting in the background and returns at once; the hub
// keeps serving its API while the broker is unreachable.
func Start(ctx context.Context, opt Options) (*Client, error) {
	server, user, pass, err := ParseURL(opt.URL)
	if err != nil {
		return nil, err
	}
	if err := CheckPlain(opt.URL, opt.AllowPlain); err != nil {
		return nil, err
	}
	tlsCfg, err := tlsConfig(server, opt.CAFile)
	if err != nil {
		return nil, err
	}
	if opt.OnMessage == nil || opt.Logger == nil || opt.ClientID == "" {
		return nil, errors.New("mqttclient: OnMessage, Logger and ClientID are required")
	}
	if opt.Filter == "" {
		opt.Filter = syncproto.SharedUplink()
	}
	if opt.Stable <= 0 {
		opt.Stable = time.Minute
	}
	if opt.PublishTimeout <= 0 {
		opt.PublishTimeout = 10 * time.Second
	}
	cl := &Client{opt: opt, lost: make(chan error, 1), done: make(chan struct{})}
	handler := func(_ paho.Client, m paho.Message) { opt.OnMessage(m.Topic(), m.Payload()) }
	po := paho.NewClientOptions().
		AddBroker(server).
		SetClientID(opt.ClientID).
		SetUsername(user).
		SetPassword(pass).
		SetCleanSession(strings.HasPrefix(opt.Filter, "$share/")).
		SetAutoReconnect(false). // our loop reconnects, with backoff/v4
		SetConnectRetry(false).
		SetKeepAlive(30 * time.Second).
		SetConnectTimeout(10 * time.Second).
		SetTLSConfig(tlsCfg).
		// The handler only queues. It blocks only when the hub as a whole
		// is full (ingest.Options.Shared), which pushes back on the broker:
		// this one connection carries every outlet, so waiting here for one
		// outlet would hold up all of them and overflow the broker's queue.
		SetOrderMatters(true).
		SetDefaultPublishHandler(handler).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			select {
			case cl.lost <- err:
			default:
			}
		})
	cl.c = paho.NewClient(po)
	go cl.loop(ctx, handler, server, user)
	return cl, nil
}

func (cl *Client) setConnected(v bool) {
	cl.mu.Lock()
	cl.connected = v
	cl.mu.Unlock()
}

// Connected reports whether the client is connected and subscribed.
func (cl *Client) Connected() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.connected
}

func (cl *Client) loop(ctx context.Context, handler paho.MessageHandler, server, user string) {
	defer close(cl.done)
	log := cl.opt.Logger.With("broker", server, "user", user)
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = time.Second
	bo.MaxInterval = 2 * time.Minute
	bo.MaxElapsedTime = 0
	bo.RandomizationFactor = 0.5
	bo.Reset()
	wait := func() bool {
		d := bo.NextBackOff()
		log.Info("reconnecting to broker", "in", d.Round(time.Millisecond))
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		tok := cl.c.Connect()
		tok.Wait()
		if err := tok.Error(); err != nil {
			log.Warn("connect to broker failed (check the URL, credentials and the broker's ACL for the hub user)", "err", err)
			if !wait() {
				return
			}
			continue
		}
		st := cl.c.Subscribe(cl.opt.Filter, 1, handler)
		st.Wait()
		if err := st.Error(); err != nil {
			log.Error("subscribe failed", "filter", cl.opt.Filter, "err", err)
			cl.c.Disconnect(250)
			if !wait() {
				return
			}
			continue
		}
		up := time.Now()
		cl.setConnected(true)
		log.Info("connected to broker", "filter", cl.opt.Filter)
		select {
		case err := <-cl.lost:
			cl.setConnected(false)
			if time.Since(up) >= cl.opt.Stable {
				log.Warn("lost broker connection", "err", err, "after", time.Since(up).Round(time.Second))
				bo.Reset()
			} else {
				// A broker drops a client when another connects with its
				// id: two hubs sharing one take turns being dropped.
				log.Error("lost broker connection soon after connecting; if another hub uses the same client id, give each hub its own (mqtt.client_id, --mqtt-client-id)",
					"client_id", cl.opt.ClientID, "err", err, "after", time.Since(up).Round(time.Second))
			}
			if !wait() {
				return
			}
		case <-ctx.Done():
			cl.setConnected(false)
			cl.c.Disconnect(1000)
			return
		}
	}
}

// Publish hands payload to paho for topic at QoS 1 and returns; a publish
// the broker does not acknowledge within PublishTimeout is logged. It must
// not wait for the PUBACK: the hub's uplink handling may be holding paho's
// delivery of the next message (the hub's pushback on the broker), and
// paho reads PUBACKs from the same connection, behind that message.
// Nothing is lost to a failed publish: the agent resends or pulls again.
func (cl *Client) Publish(_ context.Context, topic string, payload []byte) error {
	if !cl.c.IsConnectionOpen() {
		return fmt.Errorf("publish %s: not connected to the broker", topic)
	}
	tok := cl.c.Publish(topic, 1, false, payload)
	go func() {
		if !tok.WaitTimeout(cl.opt.PublishTimeout) {
			cl.opt.Logger.Warn("publish not acknowledged by the broker", "topic", topic, "within", cl.opt.PublishTimeout)
		} else if err := tok.Error(); err != nil {
			cl.opt.Logger.Warn("publish failed", "topic", topic, "err", err)
		}
	}()
	return nil
}

// Wait blocks until the connection loop has stopped after ctx ended.
func (cl *Client) Wait() { <-cl.done }
