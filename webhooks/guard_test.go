package webhooks_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/webhooks"
)

func TestGuardRefusesAddressesInsideTheNetwork(t *testing.T) {
	prod, dev := webhooks.Guard{}, webhooks.Guard{AllowPrivate: true}
	for _, c := range []struct {
		ip      string
		refused bool
	}{
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"fe80::1", true},
		{"fd00::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"224.0.0.1", true},
		{"ff02::1", true},
		{"100.64.0.1", true},
		{"::ffff:127.0.0.1", true}, // IPv4-mapped loopback
		{"::ffff:10.0.0.1", true},
		{"93.184.215.14", false},
		{"2606:4700::1111", false},
	} {
		t.Run(c.ip, func(t *testing.T) {
			ip := netip.MustParseAddr(c.ip)
			require.Equal(t, c.refused, prod.Refused(ip) != "", "production: %s", prod.Refused(ip))
			require.Empty(t, dev.Refused(ip), "the dev stack allows every address")
		})
	}
}

func TestCheckURL(t *testing.T) {
	prod, dev := webhooks.Guard{}, webhooks.Guard{AllowPrivate: true}
	ctx := t.Context()
	for _, c := range []struct {
		name, url string
		guard     webhooks.Guard
		want      string // a part of the problem; "" for none
	}{
		{"a public https URL is fine", "https://93.184.215.14/hooks", prod, ""},
		{"http is refused in production", "http://93.184.215.14/hooks", prod, "must be https"},
		{"loopback is refused", "https://127.0.0.1/hooks", prod, "loopback"},
		{"IPv6 loopback is refused", "https://[::1]:8443/hooks", prod, "loopback"},
		{"a private network is refused", "https://10.0.0.7/hooks", prod, "private"},
		{"the metadata service is refused", "https://169.254.169.254/latest", prod, "link-local"},
		{"a name resolving to loopback is refused", "https://localhost/hooks", prod, "resolves to"},
		{"other schemes are refused", "ftp://example.com/x", prod, "http or https"},
		{"a relative URL is refused", "/hooks", prod, "http or https"},
		{"credentials in the URL are refused", "https://user:pw@93.184.215.14/", prod, "user name"},
		{"the dev stack allows http to loopback", "http://127.0.0.1:9999/hooks", dev, ""},
		{"the dev stack still wants http(s)", "file:///etc/passwd", dev, "http or https"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.guard.CheckURL(ctx, c.url)
			if c.want == "" {
				require.Empty(t, got)
			} else {
				require.Contains(t, got, c.want)
			}
		})
	}
}

// A receiver on loopback stands for any address inside the network: the
// client refuses to connect at dial time, after resolving, so a name that
// passed CheckURL and then resolves to loopback (DNS rebinding) is refused
// too.
func TestClientRefusesToConnectInsideTheNetwork(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	ctx := context.Background()
	now := time.Now()
	secret, err := webhooks.NewSecret()
	require.NoError(t, err)

	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	for _, u := range []string{srv.URL, "http://localhost:" + port} {
		res := webhooks.Post(ctx, webhooks.Guard{}.Client(), u, secret, "msg_1", []byte(`{}`), now)
		require.ErrorIs(t, res.Err, webhooks.ErrRefusedAddress, "%s", u)
		require.False(t, res.Delivered())
	}
	require.Zero(t, hits)

	res := webhooks.Post(ctx, webhooks.Guard{AllowPrivate: true}.Client(), srv.URL, secret, "msg_1", []byte(`{}`), now)
	require.NoError(t, res.Err)
	require.True(t, res.Delivered())
	require.Equal(t, 1, hits)
}

func TestClientFollowsNoRedirect(t *testing.T) {
	target := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			target++
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	res := webhooks.Post(t.Context(), webhooks.Guard{AllowPrivate: true}.Client(), srv.URL+"/hook", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", []byte(`{}`), time.Now())
	require.NoError(t, res.Err)
	require.Equal(t, http.StatusTemporaryRedirect, res.StatusCode)
	require.False(t, res.Delivered(), "a redirect is a failed attempt")
	require.Zero(t, target)
}
