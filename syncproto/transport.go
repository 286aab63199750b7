package syncproto

import (
	"net/netip"
	"strings"
)

// Transport rule, the same on both sides: MQTT without TLS carries the
// outlet's secret and every event in clear, so it is allowed only where it
// cannot leave the machine (a loopback address) unless an operator says so
// explicitly. Neither side resolves names for this: only "localhost" and
// loopback IP literals count, since a name can be made to resolve anywhere.

// LoopbackHost reports whether host (a name or IP literal, brackets allowed,
// no port) stays on this machine. The empty host, which a listener takes as
// "every interface", does not.
func LoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") || strings.EqualFold(host, "localhost.") {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 { // an IPv6 zone
		host = host[:i]
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// MQTT ports by convention: plain and over TLS.
const (
	PlainMQTTPort = "1883"
	TLSMQTTPort   = "8883"
)
