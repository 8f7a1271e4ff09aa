package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// Guard keeps webhooks from reaching into the network ripen runs in (SSRF):
// unless AllowPrivate is set (the dev stack), a webhook URL must be https
// and its host must resolve to public addresses only, both when an admin
// sets it (CheckURL) and at every connection (Client), whose dialer checks
// the address it actually connects to, so a name that resolves elsewhere
// later (DNS rebinding) is refused then.
type Guard struct {
	AllowPrivate bool
	// Resolver looks host names up (nil: net.DefaultResolver).
	Resolver *net.Resolver
}

// ErrRefusedAddress is a connection the guard refused.
var ErrRefusedAddress = errors.New("webhook: refused address")

// notPublic are ranges netip has no predicate for that are no place for a
// webhook either: "this network", shared address space (carrier-grade NAT)
// and the IETF protocol assignments.
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("255.255.255.255/32"),
}

// Refused says why a webhook may not connect to ip ("" when it may).
func (g Guard) Refused(ip netip.Addr) string {
	if g.AllowPrivate {
		return ""
	}
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "is no IP address"
	case ip.IsLoopback():
		return "is a loopback address"
	case ip.IsPrivate():
		return "is a private address"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "is a link-local address"
	case ip.IsUnspecified():
		return "is the unspecified address"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "is a multicast address"
	}
	for _, p := range notPublic {
		if p.Contains(ip) {
			return "is not a public address"
		}
	}
	return ""
}

func (g Guard) resolver() *net.Resolver {
	if g.Resolver != nil {
		return g.Resolver
	}
	return net.DefaultResolver
}

// CheckURL says what is wrong with raw as a webhook URL ("" when nothing):
// not an absolute http(s) URL, http where https is required, credentials in
// it, or a host that does not resolve or resolves to an address Refused.
func (g Guard) CheckURL(ctx context.Context, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return "must be an absolute http or https URL"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !g.AllowPrivate {
			return "must be https"
		}
	default:
		return "must be an absolute http or https URL"
	}
	if u.User != nil {
		return "must not carry a user name or password"
	}
	if u.Fragment != "" {
		return "must not have a fragment"
	}
	if g.AllowPrivate {
		return ""
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if why := g.Refused(ip); why != "" {
			return "host " + host + " " + why
		}
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := g.resolver().LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return "host " + host + " does not resolve"
	}
	for _, ip := range addrs {
		if why := g.Refused(ip); why != "" {
			return fmt.Sprintf("host %s resolves to %s, which %s", host, ip.Unmap(), why)
		}
	}
	return ""
}

// control refuses, inside the dialer, a connection to an address the guard
// refuses: the address is the one resolved for this very connection.
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefusedAddress, address)
	}
	if why := g.Refused(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s %s", ErrRefusedAddress, ap.Addr().Unmap(), why)
	}
	return nil
}

// AttemptTimeout bounds one delivery attempt: connecting, sending and
// reading the answer.
const AttemptTimeout = 10 * time.Second

// Client is the HTTP client deliveries use: the guard checks every address
// it connects to; no proxy (the guard would check the proxy's address, not
// the receiver's); redirects are not followed (a 3xx is a failed attempt,
// so a receiver cannot bounce ripen to an address the guard would refuse);
// each attempt is bounded by AttemptTimeout.
func (g Guard) Client() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: g.control, Resolver: g.Resolver}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: AttemptTimeout,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   AttemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
