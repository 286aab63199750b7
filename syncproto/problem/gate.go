package problem

import (
	"mime"
	"net/netip"
	"strings"
)

// The pure header checks both programs' HTTP gates make (agent/api/guard.go,
// hub/api/gate.go), written once: which Host names the program, whether a
// request comes from another site, whether a body is JSON. They read
// header values only, so they stay here without any I/O.

// HostPolicy says which Host headers name a program.
type HostPolicy struct {
	port  string          // the listening port; "" takes any (a test server)
	names map[string]bool // lower case; IPs in netip.Addr.String form
	anyIP bool            // listening on every address: any IP literal
}

// NewHostPolicy allows, at port ("" for any), localhost, 127.0.0.1, ::1
// and names (hosts only, no port; an IP literal in any spelling). anyIP,
// for a program listening on every address, allows any IP literal too:
// DNS rebinding needs a name, and a LAN address may change.
func NewHostPolicy(port string, anyIP bool, names ...string) HostPolicy {
	p := HostPolicy{port: port, anyIP: anyIP, names: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	for _, h := range names {
		h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]"))
		if ip, err := netip.ParseAddr(h); err == nil {
			if ip.IsUnspecified() {
				continue
			}
			h = ip.Unmap().String()
		}
		if h != "" {
			p.names[h] = true
		}
	}
	return p
}

// Allows reports whether host (a Host header) names the program.
func (p HostPolicy) Allows(host string) bool {
	if p.names == nil {
		p = NewHostPolicy("", false)
	}
	name, port, ok := splitHostPort(host)
	if !ok {
		name, port = host, "80"
	}
	if p.port != "" && port != p.port {
		return false
	}
	name = strings.ToLower(strings.Trim(name, "[]"))
	if ip, err := netip.ParseAddr(name); err == nil {
		return p.anyIP || p.names[ip.Unmap().String()]
	}
	return p.names[name]
}

// Example is how to open the program, for a refusal.
func (p HostPolicy) Example() string {
	port := p.port
	if port == "" {
		port = "PORT"
	}
	return "127.0.0.1:" + port
}

// splitHostPort is net.SplitHostPort for a Host header: "name:port",
// "[v6]:port". ok is false without a port.
func splitHostPort(hp string) (host, port string, ok bool) {
	i := strings.LastIndexByte(hp, ':')
	if i < 0 {
		return "", "", false
	}
	host, port = hp[:i], hp[i+1:]
	if strings.HasPrefix(host, "[") {
		if !strings.HasSuffix(host, "]") {
			return "", "", false
		}
		host = host[1 : len(host)-1]
	} else if strings.Contains(host, ":") {
		return "", "", false // a bare IPv6 address, no port
	}
	if strings.ContainsAny(host, "[]") {
		return "", "", false
	}
	return host, port, true
}

// StateChanging reports whether method may change something: POST, PUT,
// PATCH, DELETE.
func StateChanging(method string) bool {
	switch method {
	case "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

// CrossSite reports a request another site's page made, from its Origin
// and Sec-Fetch-Site headers and its Host (checked already): an Origin
// that is not http(s)://host, or none with the browser saying cross-site
// or same-site. A client that is not a browser sends neither. The string
// is what to name in the refusal.
func CrossSite(origin, secFetchSite, host string) (string, bool) {
	if origin == "" {
		if secFetchSite == "cross-site" || secFetchSite == "same-site" {
			return "(" + secFetchSite + ")", true
		}
		return "", false
	}
	rest, ok := strings.CutPrefix(origin, "http://")
	if !ok {
		rest, ok = strings.CutPrefix(origin, "https://")
	}
	if !ok || !strings.EqualFold(rest, host) {
		return origin, true
	}
	return "", false
}

// IsJSON reports whether a Content-Type header says JSON
// (application/json, with any parameters).
func IsJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// IsForm reports whether a Content-Type header says an HTML form's
// urlencoded body (application/x-www-form-urlencoded, with any
// parameters).
func IsForm(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}
