package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store/storetest"
)

// hit sends method path from the client address from (host:port) with
// header, and returns the answer.
func hit(h http.Handler, method, path, from string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = from
	for k, vs := range header {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func bearer(key string) http.Header { return http.Header{"Authorization": {"Bearer " + key}} }

// requireThrottled checks a 429 as clients rely on it: a Retry-After in
// whole seconds and a problem document that says so.
func requireThrottled(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, w.Code, w.Body.String())
	secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", w.Header().Get("Retry-After"))
	require.Positive(t, secs)
	require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	var p Problem
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	require.Equal(t, http.StatusTooManyRequests, p.Status)
	require.Contains(t, p.Detail, "try again in")
}

// slow is a limit that refills once an hour: a test sees the burst and
// nothing more, whatever its pace.
func slow(burst int) RateLimit { return RateLimit{Rate: 1.0 / 3600, Burst: burst} }

// Browsers must not guess types: every answer says nosniff, on the routes
// and off them.
func TestEveryAnswerForbidsSniffing(t *testing.T) {
	// Five requests below draw on the address's bucket (the redirect comes
	// before any route); the sixth finds it empty.
	srv := New(UseCases{}, Config{RateLimitPublic: slow(5)}, zerolog.Nop(), nil).Handler()
	for _, c := range []struct {
		name, method, path string
		status             int
	}{
		{"a JSON answer", "GET", "/healthz", http.StatusOK},
		{"a public page", "GET", "/r/forged-token", http.StatusNotFound},
		{"an unknown route", "GET", "/no/such/route", http.StatusNotFound},
		{"a method not allowed", "DELETE", "/healthz", http.StatusMethodNotAllowed},
		{"an unclean path's redirect", "GET", "/v1/../healthz", http.StatusMovedPermanently},
		{"an authentication error", "GET", "/v1/personas", http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := hit(srv, c.method, c.path, "192.0.2.1:4000", nil)
			require.Equal(t, c.status, w.Code, w.Body.String())
			require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
		})
	}
	w := hit(srv, "GET", "/healthz", "192.0.2.1:4000", nil)
	requireThrottled(t, w)
	require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), "a 429 too")
}

// Each API key has its own bucket: one key past its burst is throttled,
// another goes on.
func TestRateLimitPerAPIKey(t *testing.T) {
	st := storetest.NewDB(t)
	busy, _, err := st.CreateAPIKey(t.Context(), RoleMarketing, "busy")
	require.NoError(t, err)
	calm, _, err := st.CreateAPIKey(t.Context(), RoleMarketing, "calm")
	require.NoError(t, err)
	srv := New(UseCases{Store: st}, Config{RateLimitKey: slow(3), RateLimitPublic: slow(1)}, zerolog.Nop(), nil).Handler()

	for i := range 3 {
		w := hit(srv, "GET", "/v1/personas", "192.0.2.1:4000", bearer(busy))
		require.Equal(t, http.StatusOK, w.Code, "request %d within the burst: %s", i+1, w.Body.String())
	}
	w := hit(srv, "GET", "/v1/personas", "192.0.2.1:4000", bearer(busy))
	requireThrottled(t, w)
	require.Contains(t, w.Body.String(), "API key")
	w = hit(srv, "GET", "/v1/content", "192.0.2.9:4000", bearer(busy))
	requireThrottled(t, w)

	for i := range 3 {
		w := hit(srv, "GET", "/v1/personas", "192.0.2.1:4000", bearer(calm))
		require.Equal(t, http.StatusOK, w.Code, "another key from the same address, request %d: %s", i+1, w.Body.String())
	}
	// A made-up key is refused by authentication, and has a bucket of its
	// own: it does not eat the real keys' or the address's.
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, hit(srv, "GET", "/v1/personas", "192.0.2.1:4000", bearer("made-up")).Code)
	}
	requireThrottled(t, hit(srv, "GET", "/v1/personas", "192.0.2.1:4000", bearer("made-up")))
	require.Equal(t, http.StatusOK, hit(srv, "GET", "/healthz", "192.0.2.1:4000", nil).Code)
}

// Public routes are limited per client address: one address past its
// burst is throttled on /r/ (and on every other public route), another
// goes on; behind a trusted proxy the address is X-Forwarded-For's last
// hop, and nobody else's X-Forwarded-For is believed.
func TestRateLimitPerClientAddressOnPublicRoutes(t *testing.T) {
	srv := New(UseCases{}, Config{RateLimitKey: slow(100), RateLimitPublic: slow(2),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, zerolog.Nop(), nil).Handler()
	link := "/r/some-token"
	for i := range 2 {
		require.Equal(t, http.StatusNotFound, hit(srv, "GET", link, "192.0.2.1:4000", nil).Code, "request %d within the burst", i+1)
	}
	requireThrottled(t, hit(srv, "GET", link, "192.0.2.1:5000", nil))
	for _, path := range []string{"/f/some-token", "/u/some-token", "/healthz", "/no/such/route"} {
		requireThrottled(t, hit(srv, "GET", path, "192.0.2.1:4000", nil))
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/webhooks/sendgrid", strings.NewReader("[]"))
	r.RemoteAddr = "192.0.2.1:4000"
	srv.ServeHTTP(w, r)
	requireThrottled(t, w)
	requireThrottled(t, hit(srv, "GET", link, "192.0.2.1:4000", bearer("any-key")))
	require.Equal(t, http.StatusNotFound, hit(srv, "GET", link, "192.0.2.2:4000", nil).Code, "another address goes on")

	// Through the proxy: the hop it added counts, not what the client wrote.
	via := func(xff string) *httptest.ResponseRecorder {
		return hit(srv, "GET", link, "10.1.2.3:80", http.Header{"X-Forwarded-For": {xff}})
	}
	requireThrottled(t, via("198.51.100.7, 192.0.2.1"))
	require.Equal(t, http.StatusNotFound, via("192.0.2.1, 198.51.100.7").Code)
	// A proxy behind another passes the client on.
	requireThrottled(t, via("198.51.100.8, 192.0.2.1, 10.9.9.9"))
	require.Equal(t, http.StatusNotFound, via("not an address").Code, "a garbled header counts as the proxy's own")
	// A client that is no proxy names no one.
	requireThrottled(t, hit(srv, "GET", link, "192.0.2.1:4000", http.Header{"X-Forwarded-For": {"198.51.100.99"}}))

	// An IPv6 client has its /64, not one bucket per address.
	require.Equal(t, http.StatusNotFound, hit(srv, "GET", link, "[2001:db8:1:2::1]:4000", nil).Code)
	require.Equal(t, http.StatusNotFound, hit(srv, "GET", link, "[2001:db8:1:2::2]:4000", nil).Code)
	requireThrottled(t, hit(srv, "GET", link, "[2001:db8:1:2::3]:4000", nil))
	require.Equal(t, http.StatusNotFound, hit(srv, "GET", link, "[2001:db8:1:3::1]:4000", nil).Code)
}

// A flood of addresses cannot grow the limiter without bound.
func TestRateLimitBucketsAreBounded(t *testing.T) {
	b := newBuckets(slow(1))
	for i := range 3 * maxBuckets {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		_, ok := b.take(addressKey(a))
		require.True(t, ok)
	}
	require.LessOrEqual(t, b.size(), maxBuckets)
	_, ok := b.take(addressKey(netip.AddrFrom4([4]byte{10, 0, 0, 0})))
	require.True(t, ok, "the oldest address was forgotten, so it starts afresh")
	last := 3*maxBuckets - 1
	_, ok = b.take(addressKey(netip.AddrFrom4([4]byte{10, byte(last >> 16), byte(last >> 8), byte(last)})))
	require.False(t, ok, "a recent address is still held to its limit")
}

// Zero limits are no limits: api.New without them throttles nothing.
func TestNoRateLimitUnlessConfigured(t *testing.T) {
	srv := New(UseCases{}, Config{}, zerolog.Nop(), nil).Handler()
	for range 200 {
		require.Equal(t, http.StatusOK, hit(srv, "GET", "/healthz", "192.0.2.1:4000", nil).Code)
	}
}
