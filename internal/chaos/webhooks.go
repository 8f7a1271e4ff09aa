package chaos

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ripen/ripen/workflows"
)

// invWebhooks is the outbound webhooks' invariant.
const invWebhooks = "every webhook event is delivered, under one webhook-id"

// chaosWebhook is the webhook the suite registers for every event type.
const chaosWebhook = "chaos"

// webhookFailFor is how long the receiver answers 500 to everything after
// its first request; besides, the first attempt of one message in five
// fails, so retries happen after the outage too.
const webhookFailFor = 20 * time.Second

// webhookReceiver is a CRM's webhook endpoint written from the Standard
// Webhooks spec alone (it does not use ripen's webhooks package): it
// verifies every attempt's signature and timestamp, fails for a while, and
// keeps every attempt.
type webhookReceiver struct {
	srv *http.Server
	url string

	mu       sync.Mutex
	secret   string
	first    time.Time
	attempts []hookAttempt
}

type hookAttempt struct {
	id      string // webhook-id
	event   string // the fact the body names: type ":" its key
	answer  int
	problem string
}

func startWebhookReceiver() (*webhookReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webhook receiver: %w", err)
	}
	wr := &webhookReceiver{url: "http://" + ln.Addr().String() + "/ripen"}
	wr.srv = &http.Server{Handler: http.HandlerFunc(wr.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = wr.srv.Serve(ln) }()
	return wr, nil
}

func (wr *webhookReceiver) close() {
	if wr != nil {
		_ = wr.srv.Close()
	}
}

// verify checks the signature (v1: base64 HMAC-SHA256 of
// "id.timestamp.body", keyed with the secret's bytes after whsec_) and the
// timestamp (within five minutes).
func (wr *webhookReceiver) verify(h http.Header, body []byte, secret string) string {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	unix, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || err != nil {
		return "no webhook-id or webhook-timestamp"
	}
	if d := time.Since(time.Unix(unix, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return "timestamp " + ts + " is not fresh"
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "no secret"
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		if v, ok := strings.CutPrefix(s, "v1,"); ok {
			if got, err := base64.StdEncoding.DecodeString(v); err == nil && hmac.Equal(got, want) {
				return ""
			}
		}
	}
	return "bad signature"
}

func (wr *webhookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	wr.mu.Lock()
	defer wr.mu.Unlock()
	now := time.Now()
	if wr.first.IsZero() {
		wr.first = now
	}
	a := hookAttempt{id: r.Header.Get("webhook-id"), problem: wr.verify(r.Header, body, wr.secret)}
	var payload struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(body, &payload)
	a.event = payload.Type + ":" + eventKey(payload.Type, payload.Data)
	seen := false
	for _, o := range wr.attempts {
		seen = seen || o.id == a.id
	}
	switch {
	case a.problem != "":
		a.answer = http.StatusUnauthorized
	case now.Sub(wr.first) < webhookFailFor:
		a.answer = http.StatusInternalServerError
	case !seen && fnvOf(a.id)%5 == 0:
		a.answer = http.StatusServiceUnavailable
	default:
		a.answer = http.StatusNoContent
	}
	wr.attempts = append(wr.attempts, a)
	w.WriteHeader(a.answer)
}

// eventKey is the part of an outbound event's ID after its type, as its
// data names it.
func eventKey(typ string, data map[string]any) string {
	key := "event_id"
	switch {
	case strings.HasPrefix(typ, "handoff."):
		key = "handoff_id"
	case strings.HasPrefix(typ, "run."):
		key = "run_key"
	}
	s, _ := data[key].(string)
	return s
}

func fnvOf(s string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return h.Sum32()
}

// setUpWebhook starts the receiver and registers it for every event type
// before the first enrolment, with the admin key.
func (r *runner) setUpWebhook(ctx context.Context) error {
	wr, err := startWebhookReceiver()
	if err != nil {
		return err
	}
	r.hooks = wr
	var out struct {
		Secret string `json:"secret"`
	}
	c := r.st.http
	resp, err := c.retry(ctx, 5, func() (response, error) {
		return c.json(ctx, "PUT", "/v1/webhooks/"+chaosWebhook, "PUT /v1/webhooks/{id}", r.st.adminKey, map[string]any{
			"url": wr.url, "events": []string{"handoff.created", "handoff.answered", "run.started", "run.ended", "fast_lane.requested"},
		}, &out)
	})
	if err != nil {
		return fmt.Errorf("PUT /v1/webhooks/%s: %w", chaosWebhook, err)
	}
	if !resp.ok() || out.Secret == "" {
		return fmt.Errorf("PUT /v1/webhooks/%s: %d %s", chaosWebhook, resp.Status, truncate(string(resp.Body), 500))
	}
	wr.mu.Lock()
	wr.secret = out.Secret
	wr.mu.Unlock()
	return nil
}

// outboundRow is an outbound event as the check reads it.
type outboundRow struct {
	id, typ    string
	dispatched bool
}

// webhooks: every outbound event (the webhook subscribes to every type) was
// dispatched and answered 2xx by the receiver at least once, every attempt
// for it carried the webhook-id derived from the webhook and the event, and
// every attempt verified. Deliveries still retrying are waited for, up to
// a few minutes (the receiver's outage and the last events' backoff).
func (ck *checker) webhooks(ctx context.Context) {
	inv := ck.inv(invWebhooks, "every outbound event (hand-off created and answered, run started and ended, fast lane requested) reaches the receiver, which fails for a while, at least once with a valid signature, and every attempt of it carries the same webhook-id")
	wr := ck.r.hooks
	if wr == nil {
		inv.add("", "", "no webhook receiver was set up")
		return
	}
	var rows []outboundRow
	var missing []string
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var err error
		if rows, err = ck.r.outboundEvents(ctx); err != nil {
			inv.add("", "", "%v", err)
			return
		}
		missing = wr.undelivered(rows)
		if len(missing) == 0 || time.Now().After(deadline) || !sleep(ctx, 2*time.Second) {
			break
		}
	}
	inv.Checked = len(rows)
	for _, id := range missing {
		inv.add("", "", "webhook event %s was never answered 2xx", id)
	}

	wr.mu.Lock()
	defer wr.mu.Unlock()
	ids := map[string]map[string]bool{}
	for _, a := range wr.attempts {
		if a.problem != "" {
			inv.add("", "", "an attempt of %s (webhook-id %s) failed the receiver's check: %s", a.event, a.id, a.problem)
		}
		if ids[a.event] == nil {
			ids[a.event] = map[string]bool{}
		}
		ids[a.event][a.id] = true
	}
	for _, row := range rows {
		want := workflows.WebhookMessageID(chaosWebhook, row.id)
		for id := range ids[row.id] {
			if id != want {
				inv.add("", "", "webhook event %s came with webhook-id %s as well as %s", row.id, id, want)
			}
		}
	}
	ck.rep.Notes = append(ck.rep.Notes, fmt.Sprintf("webhooks: %d events, %d attempts at the receiver", len(rows), len(wr.attempts)))
}

// undelivered lists the events (by ID) no attempt of which the receiver
// answered 2xx.
func (wr *webhookReceiver) undelivered(rows []outboundRow) []string {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	ok := map[string]bool{}
	for _, a := range wr.attempts {
		if a.answer >= 200 && a.answer < 300 {
			ok[a.id] = true
		}
	}
	var out []string
	for _, row := range rows {
		if !ok[workflows.WebhookMessageID(chaosWebhook, row.id)] {
			out = append(out, row.id)
		}
	}
	sort.Strings(out)
	return out
}

// outboundEvents reads every outbound event.
func (r *runner) outboundEvents(ctx context.Context) ([]outboundRow, error) {
	rows, _ := r.st.pool.Query(ctx, `SELECT id, type, dispatched_at IS NOT NULL FROM outbound_events ORDER BY id`)
	var out []outboundRow
	var row outboundRow
	_, err := pgx.ForEachRow(rows, []any{&row.id, &row.typ, &row.dispatched}, func() error {
		out = append(out, row)
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("read outbound events: %w", err)
	}
	return out, err
}
