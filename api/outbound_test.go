package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// crmReceiver is a webhook receiver as a customer's CRM would write it, from
// the Standard Webhooks spec alone (it does not call ripen's webhooks
// package): it checks each delivery's signature and timestamp, answers 500
// to the first failFirst attempts of each message, and keeps every attempt.
type crmReceiver struct {
	t         *testing.T
	secret    string
	failFirst int

	mu       sync.Mutex
	attempts []crmAttempt
	srv      *httptest.Server
}

type crmAttempt struct {
	id       string
	ts       time.Time
	received time.Time
	typ      string
	data     map[string]any
	problem  string // a signature or timestamp the receiver refused
}

func newCRMReceiver(t *testing.T, failFirst int) *crmReceiver {
	c := &crmReceiver{t: t, failFirst: failFirst}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	return c
}

// verify is the receiver's own reading of the spec: the key is the base64
// after whsec_, the signed content "id.timestamp.body", the header one or
// more space-separated "v1,<base64>".
func (c *crmReceiver) verify(r *http.Request, body []byte) (id string, ts time.Time, problem string) {
	id, tsText, sigs := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	unix, err := strconv.ParseInt(tsText, 10, 64)
	if id == "" || err != nil {
		return id, ts, "missing webhook-id or webhook-timestamp"
	}
	ts = time.Unix(unix, 0)
	if d := time.Since(ts); d > 5*time.Minute || d < -5*time.Minute {
		return id, ts, "stale timestamp"
	}
	c.mu.Lock()
	secret := c.secret
	c.mu.Unlock()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return id, ts, "no secret"
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, tsText, body)
	want := mac.Sum(nil)
	for _, s := range strings.Split(sigs, " ") {
		if v, ok := strings.CutPrefix(s, "v1,"); ok {
			if got, err := base64.StdEncoding.DecodeString(v); err == nil && hmac.Equal(got, want) {
				return id, ts, ""
			}
		}
	}
	return id, ts, "bad signature"
}

func (c *crmReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, ts, problem := c.verify(r, body)
	var payload struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(body, &payload)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts = append(c.attempts, crmAttempt{id: id, ts: ts, received: time.Now(), typ: payload.Type, data: payload.Data, problem: problem})
	n := 0
	for _, a := range c.attempts {
		if a.id == id {
			n++
		}
	}
	switch {
	case problem != "":
		w.WriteHeader(http.StatusUnauthorized)
	case n <= c.failFirst:
		w.WriteHeader(http.StatusInternalServerError)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (c *crmReceiver) all() []crmAttempt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]crmAttempt(nil), c.attempts...)
}

// of returns the attempts of event type typ.
func (c *crmReceiver) of(typ string) []crmAttempt {
	var out []crmAttempt
	for _, a := range c.all() {
		if a.typ == typ {
			out = append(out, a)
		}
	}
	return out
}

type webhookView struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Format string   `json:"format"`
	Secret string   `json:"secret"`
}

type deliveryList struct {
	Deliveries []struct {
		EventType  string `json:"event_type"`
		MessageID  string `json:"message_id"`
		Attempt    int    `json:"attempt"`
		StatusCode int    `json:"status_code"`
		Delivered  bool   `json:"delivered"`
		DurationMS *int   `json:"duration_ms"`
	} `json:"deliveries"`
	Next string `json:"next_page_token"`
}

// putWebhook registers webhook id to c for events and hands c its secret.
func (h *harness) putWebhook(id string, c *crmReceiver, events ...string) webhookView {
	h.t.Helper()
	var w webhookView
	h.json("PUT", "/v1/webhooks/"+id, "admin", map[string]any{"url": c.srv.URL + "/ripen", "events": events}, 201, &w)
	require.Regexp(h.t, `^whsec_[A-Za-z0-9+/]+=*$`, w.Secret)
	c.mu.Lock()
	c.secret = w.Secret
	c.mu.Unlock()
	return w
}

func TestOutboundWebhooksDeliverSignedEventsAtLeastOnce(t *testing.T) {
	h := newHarness(t)
	h.seed()
	crm := newCRMReceiver(t, 2)
	other := newCRMReceiver(t, 0)
	hook := h.putWebhook("crm", crm, "fast_lane.requested", "handoff.created")
	h.putWebhook("runs-only", other, "run.started")

	t.Run("the secret is shown once", func(t *testing.T) {
		var got webhookView
		h.json("GET", "/v1/webhooks/crm", "admin", nil, 200, &got)
		require.Empty(t, got.Secret)
		require.Equal(t, hook.Events, got.Events)
		require.Equal(t, "standard", got.Format)
		var changed webhookView
		h.json("PUT", "/v1/webhooks/crm", "admin", map[string]any{"url": hook.URL, "events": hook.Events}, 200, &changed)
		require.Empty(t, changed.Secret, "a change keeps the secret, unshown")
	})

	h.postFastLane("fl-webhook-1", "demo")

	// Two failures, then 5 s and 10 s of backoff.
	require.Eventually(t, func() bool {
		return len(crm.of("fast_lane.requested")) >= 3 && len(crm.of("handoff.created")) >= 3
	}, 60*time.Second, 100*time.Millisecond, "each event delivered after two failures")

	for _, typ := range []string{"fast_lane.requested", "handoff.created"} {
		got := crm.of(typ)
		for i, a := range got {
			require.Empty(t, a.problem, "%s attempt %d verifies with the receiver's own check", typ, i+1)
			require.Equal(t, got[0].id, a.id, "%s: the same webhook-id on every attempt", typ)
			require.WithinDuration(t, a.received, a.ts, 5*time.Second, "%s: a fresh timestamp on attempt %d", typ, i+1)
		}
		require.Len(t, got, 3, "%s: delivered once, then no more", typ)
	}
	require.NotEqual(t, crm.of("fast_lane.requested")[0].id, crm.of("handoff.created")[0].id)
	fl := crm.of("fast_lane.requested")[2].data
	require.Equal(t, "fl-webhook-1", fl["event_id"])
	require.Equal(t, "demo", fl["offer"])
	require.Equal(t, "please call before noon", fl["note"])
	require.Equal(t, "rep-eva", fl["owner_id"])
	require.NotEmpty(t, crm.of("handoff.created")[2].data["handoff_id"])
	require.Contains(t, crm.of("handoff.created")[2].data["handoff_url"], "/h/", "the hand-off page, as the owner's email links it")
	require.Empty(t, other.all(), "a webhook gets only the types it subscribes to")

	t.Run("the deliveries are listed, newest first, a page at a time", func(t *testing.T) {
		var page deliveryList
		h.json("GET", "/v1/webhooks/crm/deliveries?limit=4", "admin", nil, 200, &page)
		require.Len(t, page.Deliveries, 4)
		require.NotEmpty(t, page.Next)
		var rest deliveryList
		h.json("GET", "/v1/webhooks/crm/deliveries?limit=4&page_token="+page.Next, "admin", nil, 200, &rest)
		require.Len(t, rest.Deliveries, 2)
		require.Empty(t, rest.Next)
		all := append(page.Deliveries, rest.Deliveries...)
		delivered := map[string]int{}
		for _, d := range all {
			require.NotNil(t, d.DurationMS)
			if d.Delivered {
				require.Equal(t, 204, d.StatusCode)
				require.Equal(t, 3, d.Attempt)
				delivered[d.EventType]++
			} else {
				require.Equal(t, 500, d.StatusCode)
			}
		}
		require.Equal(t, map[string]int{"fast_lane.requested": 1, "handoff.created": 1}, delivered)
		require.True(t, all[0].Attempt >= all[len(all)-1].Attempt, "newest first")
	})
	t.Run("only admins manage webhooks", func(t *testing.T) {
		for _, role := range []string{"marketing", "sales"} {
			code, _ := h.do("GET", "/v1/webhooks/crm", role, nil)
			require.Equal(t, http.StatusForbidden, code, role)
			code, _ = h.do("GET", "/v1/webhooks/crm/deliveries", role, nil)
			require.Equal(t, http.StatusForbidden, code, role)
		}
	})
}

func TestOutboundWebhookRefusesBadFields(t *testing.T) {
	h := newHarness(t)
	code, body := h.do("PUT", "/v1/webhooks/Bad%20ID", "admin", map[string]any{
		"url": "ftp://crm.example/x", "events": []string{"run.started", "run.paused"}, "format": "teams"})
	require.Equal(t, http.StatusUnprocessableEntity, code, "%s", body)
	require.ElementsMatch(t, []string{"id", "url", "events[1]", "format"}, problemOf(t, body).fields())

	code, body = h.do("PUT", "/v1/webhooks/crm", "admin", map[string]any{"url": "https://crm.example/x", "events": []string{}})
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Equal(t, []string{"events"}, problemOf(t, body).fields())

	code, _ = h.do("PUT", "/v1/webhooks/crm", "admin", map[string]any{"url": "https://crm.example/x", "events": []string{"run.ended"}, "secret": "mine"})
	require.Equal(t, http.StatusUnprocessableEntity, code, "the secret is ripen's to make")

	code, _ = h.do("GET", "/v1/webhooks/nobody", "admin", nil)
	require.Equal(t, http.StatusNotFound, code)
	code, _ = h.do("GET", "/v1/webhooks/nobody/deliveries", "admin", nil)
	require.Equal(t, http.StatusNotFound, code)
	code, _ = h.do("DELETE", "/v1/webhooks/nobody", "admin", nil)
	require.Equal(t, http.StatusNotFound, code)
}

func TestDeletingAWebhookStopsItsDeliveries(t *testing.T) {
	h := newHarness(t)
	h.seed()
	down := newCRMReceiver(t, 1000) // fails every attempt
	h.putWebhook("down", down, "fast_lane.requested")
	h.postFastLane("fl-webhook-2", "demo")
	require.Eventually(t, func() bool { return len(down.all()) >= 1 }, 30*time.Second, 50*time.Millisecond, "the first attempt")

	code, _ := h.do("DELETE", "/v1/webhooks/down", "admin", nil)
	require.Equal(t, http.StatusNoContent, code)
	seen := len(down.all())
	time.Sleep(2*5*time.Second + time.Second) // past the next retries
	require.LessOrEqual(t, len(down.all()), seen+1, "at most an attempt already under way")
	code, _ = h.do("GET", "/v1/webhooks/down", "admin", nil)
	require.Equal(t, http.StatusNotFound, code)

	// Events after the delete are not dispatched to it either.
	h.postFastLane("fl-webhook-3", "consultation")
	time.Sleep(2 * time.Second)
	for _, a := range down.all() {
		require.NotEqual(t, "fl-webhook-3", a.data["event_id"])
	}
}
