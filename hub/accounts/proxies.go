package accounts

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies the hub believes ([http]
// trusted_proxies): only a request whose peer is one of them has its
// client address taken from X-Forwarded-For, so that ClientAddr, and with
// it every per-address limit and the audit trail, sees the customer and
// not the proxy. Any other peer's header is ignored: a client that writes
// one itself counts as its own address.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of CIDR prefixes or single
// addresses ("10.0.0.0/8, 192.0.2.7, 2001:db8::/32").
func ParseProxies(list string) (Proxies, error) {
	var out Proxies
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: want an address or a CIDR prefix such as 10.0.0.0/8", s)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an address or a CIDR prefix such as 10.0.0.0/8", s)
		}
		if p.Addr().Is4In6() {
			return nil, fmt.Errorf("trusted proxy %q: write an IPv4 prefix as such", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (p Proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, n := range p {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Client is the address r comes from: the peer, or, when the peer is a
// trusted proxy, the right-most address of X-Forwarded-For that is not a
// trusted proxy (the one the nearest trusted proxy saw: whatever stands to
// its left the client wrote). An entry that is no address ends the walk
// at the last trusted hop. ok is false for a peer that is no IP address.
func (p Proxies) Client(r *http.Request) (addr netip.Addr, ok bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	peer = peer.Unmap().WithZone("")
	if len(p) == 0 || !p.trusted(peer) {
		return peer, true
	}
	client := peer
	for _, hop := range hopsFromRight(r.Header) {
		a, ok := hopAddr(hop)
		if !ok {
			break
		}
		client = a
		if !p.trusted(a) {
			break
		}
	}
	return client, true
}

// Wrap hands h requests whose RemoteAddr is Client's address (with the
// connection's port, which means nothing then); with no proxies it is h.
func (p Proxies) Wrap(h http.Handler) http.Handler {
	if len(p) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := p.Client(r); ok {
			_, port, _ := net.SplitHostPort(r.RemoteAddr)
			r2 := *r
			r2.RemoteAddr = net.JoinHostPort(a.String(), port)
			r = &r2
		}
		h.ServeHTTP(w, r)
	})
}

// maxHops bounds the walk: no chain of proxies is longer, and a header
// of a megabyte of commas costs no more than this.
const maxHops = 32

// hopsFromRight is X-Forwarded-For's entries over all the header's lines,
// the right-most first, at most maxHops of them.
func hopsFromRight(h http.Header) []string {
	var out []string
	vs := h.Values("X-Forwarded-For")
	for i := len(vs) - 1; i >= 0 && len(out) < maxHops; i-- {
		v := vs[i]
		for len(out) < maxHops {
			k := strings.LastIndexByte(v, ',')
			out = append(out, strings.TrimSpace(v[k+1:]))
			if k < 0 {
				break
			}
			v = v[:k]
		}
	}
	return out
}

// hopAddr is one X-Forwarded-For entry's address: a bare address, or one
// with a port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func hopAddr(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}
