// Package broker is the hub's embedded MQTT broker (mochi-mqtt v2) with
// per-outlet authentication and a deny-by-default ACL:
//
//   - user name = outlet id, password = its secret, checked against the
//     store on every connect, so an outlet registered while the hub runs can
//     connect at once;
//   - an outlet may publish only under yz/v1/outlets/<id>/up/ and subscribe
//     only to yz/v1/outlets/<id>/down/... and yz/v1/broadcast/...;
//   - a will message must obey the same publish rule (mochi publishes wills
//     without an ACL check), retained publishes from outlets are stored as
//     plain ones, and a client id held by another outlet cannot be taken over.
//
// The listener speaks MQTT over TLS when given a certificate (Options.TLS).
// Plain TCP is refused on any address but loopback unless AllowPlain says
// otherwise (CheckListen), since it carries the outlets' secrets in clear.
// With a client CA, every outlet must also present a certificate from that
// CA whose common name (or a DNS name) is its outlet id: a stolen secret
// alone no longer connects.
//
// The hub itself uses mochi's inline client, which bypasses the ACL hook:
// inline Publish and Subscribe never call OnACLCheck.
//
// Unlike Mosquitto, mochi disconnects an MQTT 3.1.1 client that publishes at
// QoS 1 to a topic it may not write (v5 clients get a PUBACK with "not
// authorized"); a QoS 0 publish is dropped silently.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
)

// Secrets looks up an outlet's stored secret hash (store.HashSecret format),
// returning an error wrapping store.ErrNotFound for unknown outlets.
type Secrets interface {
	SecretHash(ctx context.Context, id string) (string, error)
}

// What every connection holds, idle or not. mochi's defaults suit a
// broker for a few clients with bursts of thousands of messages each; the
// hub's broker holds thousands of outlets that are idle most of the day
// (docs/BENCHMARKS.md, "Idle outlets").
const (
	// WritesPending is how many messages may wait for one outlet's
	// connection. mochi allocates the queue when the outlet connects, 8
	// bytes a slot: its default of 8,192 cost 64 KiB per outlet. The hub
	// sends an outlet an ack per batch in flight (the agent keeps 8), one
	// answer per pull and a poke per downlink event, and the kernel's send
	// buffer takes them as fast as they come; only a connection that has
	// stopped reading fills the queue, and the keepalive ends it within
	// seconds. A message that finds the queue full is dropped and logged
	// (the agent resends a batch whose ack was lost, and pulls on its next
	// poke or connect).
	WritesPending = 128
	// ReadBufferSize is each connection's read buffer. A batch's body is
	// read straight into its own buffer past this size, so it only
	// gathers headers and small packets; mochi's default is 2 KiB.
	ReadBufferSize = 1024
)

// Options configure Start.
type Options struct {
	// Addr is the TCP listen address, e.g. "127.0.0.1:1883" or ":0".
	Addr string
	// TLS, if its CertFile is set, makes the listener speak TLS.
	TLS TLSFiles
	// AllowPlain permits a plain listener on a non-loopback address.
	AllowPlain bool
	Secrets    Secrets
	Logger     *slog.Logger
}

// Broker is a running embedded broker.
type Broker struct {
	srv    *mqtt.Server
	tcp    *listeners.TCP
	logger *slog.Logger
}

// Start listens on opt.Addr and serves until Close.
func Start(opt Options) (*Broker, error) {
	if opt.Secrets == nil || opt.Logger == nil {
		return nil, errors.New("broker: Secrets and Logger are required")
	}
	caps := mqtt.NewDefaultServerCapabilities()
	// Frames above syncproto's limit are refused anyway; this stops a client
	// from making the broker buffer far more than that.
	caps.MaximumPacketSize = 2 * syncproto.MaxFrameBytes
	caps.MaximumClientWritesPending = WritesPending
	srv := mqtt.New(&mqtt.Options{
		InlineClient:            true,
		Capabilities:            caps,
		ClientNetReadBufferSize: ReadBufferSize,
		Logger:                  slog.New(minLevel{opt.Logger.Handler(), slog.LevelWarn}), // opt.Logger names the component
	})
	if err := CheckListen(opt.Addr, opt.TLS, opt.AllowPlain); err != nil {
		return nil, err
	}
	if opt.AllowPlain && !opt.TLS.On() && CheckListen(opt.Addr, opt.TLS, false) != nil {
		opt.Logger.Warn("MQTT broker listens without TLS beyond this machine, as mqtt.allow_plain says: outlet secrets and events cross the network unencrypted", "addr", opt.Addr)
	}
	tlsCfg, err := opt.TLS.config()
	if err != nil {
		return nil, err
	}
	b := &Broker{srv: srv, logger: opt.Logger}
	hook := &aclHook{secrets: opt.Secrets, srv: srv, logger: opt.Logger, clientCerts: tlsCfg != nil && tlsCfg.ClientCAs != nil}
	if err := srv.AddHook(hook, nil); err != nil {
		return nil, fmt.Errorf("broker: add auth hook: %w", err)
	}
	b.tcp = listeners.NewTCP(listeners.Config{ID: "tcp", Address: opt.Addr, TLSConfig: tlsCfg})
	if err := srv.AddListener(b.tcp); err != nil {
		return nil, fmt.Errorf("listen for MQTT on %s: %w (is another broker or hub running there? choose another address with --mqtt-listen, e.g. 127.0.0.1:1884)", opt.Addr, err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("start MQTT broker on %s: %w", opt.Addr, err)
	}
	return b, nil
}

// Addr is the address the broker listens on (with the real port if opt.Addr
// asked for port 0).
func (b *Broker) Addr() string { return b.tcp.Address() }

// Subscribe delivers every message matching filter to fn, on the publishing
// client's goroutine; fn must not block for long. The payload is not reused
// by the broker and may be kept.
func (b *Broker) Subscribe(filter string, id int, fn func(topic string, payload []byte)) error {
	return b.srv.Subscribe(filter, id, func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		fn(pk.TopicName, pk.Payload)
	})
}

// Publish sends payload to topic at QoS 1 from the hub's inline client.
func (b *Broker) Publish(_ context.Context, topic string, payload []byte) error {
	return b.srv.Publish(topic, payload, false, 1)
}

// Clients is how many outlets are connected now.
func (b *Broker) Clients() int64 { return atomic.LoadInt64(&b.srv.Info.ClientsConnected) }

// Connected is the set of outlets holding a connection now, by outlet id
// (the user name the broker authenticated).
func (b *Broker) Connected() map[string]bool {
	out := map[string]bool{}
	for _, cl := range b.srv.Clients.GetAll() {
		if !cl.Net.Inline && !cl.Closed() {
			out[string(cl.Properties.Username)] = true
		}
	}
	return out
}

// Close disconnects every client and stops listening.
func (b *Broker) Close() error { return b.srv.Close() }

type aclHook struct {
	mqtt.HookBase
	secrets Secrets
	srv     *mqtt.Server
	logger  *slog.Logger
	// clientCerts: the listener required a verified client certificate,
	// which must name the outlet.
	clientCerts bool
}

func (h *aclHook) ID() string { return "yizhan-outlet-acl" }

func (h *aclHook) Provides(b byte) bool {
	switch b {
	case mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnPublish, mqtt.OnPublishDropped:
		return true
	}
	return false
}

func (h *aclHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user := string(pk.Connect.Username)
	deny := func(why string, args ...any) bool {
		h.logger.Warn("MQTT connection refused", append([]any{"user", user, "client_id", cl.ID, "remote", cl.Net.Remote, "why", why}, args...)...)
		return false
	}
	if err := syncproto.ValidOutletID(user); err != nil {
		return deny("user name is not an outlet id")
	}
	hash, err := h.secrets.SecretHash(context.Background(), user)
	if errors.Is(err, store.ErrNotFound) {
		return deny("unknown outlet; register it with `yizhan-hub outlet add`")
	}
	if err != nil {
		return deny("secret lookup failed", "err", err)
	}
	if !store.CheckSecret(hash, string(pk.Connect.Password)) {
		return deny("wrong secret")
	}
	if h.clientCerts {
		if why := certNames(cl.Net.Conn, user); why != "" {
			return deny(why)
		}
	}
	if pk.Connect.WillFlag && !mayWrite(user, pk.Connect.WillTopic) {
		return deny("will topic not allowed", "topic", pk.Connect.WillTopic)
	}
	if other, ok := h.srv.Clients.Get(cl.ID); ok && string(other.Properties.Username) != user {
		return deny("client id is in use by another outlet", "holder", string(other.Properties.Username))
	}
	return true
}

func (h *aclHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true
	}
	user := string(cl.Properties.Username)
	if syncproto.ValidOutletID(user) != nil {
		return false
	}
	ok := mayRead(user, topic)
	if write {
		ok = mayWrite(user, topic)
	}
	if !ok {
		h.logger.Warn("MQTT access denied", "outlet", user, "topic", topic, "write", write)
	}
	return ok
}

// OnPublish keeps outlets from leaving retained messages in the hub's
// uplink tree.
func (h *aclHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if !cl.Net.Inline {
		pk.FixedHeader.Retain = false
	}
	return pk, nil
}

// OnPublishDropped is told of a message mochi dropped because the
// outlet's write queue (WritesPending) was full; it would drop it
// silently.
func (h *aclHook) OnPublishDropped(cl *mqtt.Client, pk packets.Packet) {
	h.logger.Warn("MQTT message to an outlet dropped: its connection is not reading and its write queue is full",
		"outlet", string(cl.Properties.Username), "topic", pk.TopicName, "queue", WritesPending)
}

// mayWrite: a concrete topic under the outlet's own uplink.
func mayWrite(outlet, topic string) bool {
	rest, ok := strings.CutPrefix(topic, "yz/v1/outlets/"+outlet+"/up/")
	return ok && rest != "" && !strings.ContainsAny(topic, "+#")
}

// mayRead: a topic or filter entirely inside the outlet's own downlink or
// the broadcast tree. Wildcards are allowed only below those prefixes.
func mayRead(outlet, filter string) bool {
	for _, root := range []string{"yz/v1/outlets/" + outlet + "/down", "yz/v1/broadcast"} {
		if filter == root+"/#" {
			return true
		}
		if rest, ok := strings.CutPrefix(filter, root+"/"); ok && rest != "" {
			return true
		}
	}
	return false
}

// minLevel drops records below level, so the broker's per-connection info
// lines stay out of the hub's log, and words the records mochi's listeners
// leave without a message.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.level && m.Handler.Enabled(ctx, l)
}

// emptyMessage is what a listener's record means when it has none: mochi
// logs the error that ended a client's connection with no message.
const emptyMessage = "MQTT client connection ended with an error"

func (m minLevel) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "" {
		r.Message = emptyMessage
	}
	return m.Handler.Handle(ctx, r)
}

func (m minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{m.Handler.WithAttrs(a), m.level}
}

func (m minLevel) WithGroup(n string) slog.Handler { return minLevel{m.Handler.WithGroup(n), m.level} }
