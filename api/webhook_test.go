package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/api"
	"github.com/ripen/ripen/internal/testlog"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
)

// webhookAPI serves a second API on the harness's stack whose webhook
// trusts signer, so a test can post batches it made itself.
func (h *harness) webhookAPI(signer *sendgrid.Signer) string {
	h.t.Helper()
	srv := httptest.NewServer(api.New(h.stack.Store, h.stack.Client, h.stack.Links, api.Config{
		PublicURL: h.stack.APIURL, WebhookKey: signer.PublicKeyBase64(),
	}, testlog.New(h.t, zerolog.WarnLevel), nil).Handler())
	h.t.Cleanup(srv.Close)
	return srv.URL + "/webhooks/sendgrid"
}

// sgEvent is one Event Webhook event about msg, with its custom args spread
// as SendGrid does.
func sgEvent(msg sendgriddev.Message, event, id string) map[string]any {
	ev := map[string]any{
		"email": msg.To[0], "timestamp": time.Now().Unix(), "event": event, "sg_event_id": id,
		"sg_message_id": msg.MessageID + ".filterdrecv-test-1.0",
	}
	for k, v := range msg.CustomArgs {
		ev[k] = v
	}
	return ev
}

type webhookPost struct {
	body      []byte
	signature string
	timestamp string
}

func signedBatch(t *testing.T, signer *sendgrid.Signer, at time.Time, events ...map[string]any) webhookPost {
	t.Helper()
	body, err := json.Marshal(events)
	require.NoError(t, err)
	body = append(body, '\r', '\n')
	ts := strconv.FormatInt(at.Unix(), 10)
	sig, err := signer.Sign(ts, body)
	require.NoError(t, err)
	return webhookPost{body: body, signature: sig, timestamp: ts}
}

func postWebhook(t *testing.T, url string, p webhookPost) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(p.body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if p.signature != "" {
		req.Header.Set(sendgrid.SignatureHeader, p.signature)
	}
	if p.timestamp != "" {
		req.Header.Set(sendgrid.TimestampHeader, p.timestamp)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

func (h *harness) suppressed(email string) bool {
	h.t.Helper()
	ok, err := h.stack.Store.IsSuppressed(context.Background(), email)
	require.NoError(h.t, err)
	return ok
}

func (h *harness) outboxStatus(messageID string) string {
	h.t.Helper()
	var status string
	err := h.stack.Store.Pool().QueryRow(context.Background(), `SELECT status FROM outbox WHERE message_id = $1`, messageID).Scan(&status)
	require.NoError(h.t, err)
	return status
}

func TestWebhookCountsEachEventOnceAndRefusesUnsignedBatches(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	signer, err := sendgrid.NewSigner()
	require.NoError(t, err)
	hook := h.webhookAPI(signer)

	// Batches that are not signed with the configured key change nothing.
	spam := sgEvent(msg, "spamreport", "evt-spam")
	good := signedBatch(t, signer, time.Now(), spam)
	other, err := sendgrid.NewSigner()
	require.NoError(t, err)
	refused := map[string]webhookPost{
		"unsigned":                 {body: good.body},
		"without a timestamp":      {body: good.body, signature: good.signature},
		"signed with another key":  signedBatch(t, other, time.Now(), spam),
		"altered after signing":    {body: bytes.Replace(good.body, []byte("spamreport"), []byte("unsubscribe"), 1), signature: good.signature, timestamp: good.timestamp},
		"signed for another time":  {body: good.body, signature: good.signature, timestamp: strconv.FormatInt(time.Now().Unix()+1, 10)},
		"signed four days ago":     signedBatch(t, signer, time.Now().Add(-96*time.Hour), spam),
		"with a garbled signature": {body: good.body, signature: "not base64!", timestamp: good.timestamp},
	}
	for name, p := range refused {
		t.Run(name, func(t *testing.T) {
			status, body := postWebhook(t, hook, p)
			require.Equal(t, http.StatusUnauthorized, status, body)
		})
	}
	require.False(t, h.suppressed("max@acme.example"), "no refused batch suppressed anything")
	require.Equal(t, "running", h.linkRun("acme").Status)

	// A batch with a repeated event, posted twice, counts each event once.
	batch := signedBatch(t, signer, time.Now(),
		sgEvent(msg, "open", "evt-open-1"), sgEvent(msg, "open", "evt-open-1"), sgEvent(msg, "open", "evt-open-2"))
	status, body := postWebhook(t, hook, batch)
	require.Equal(t, http.StatusOK, status, body)
	require.JSONEq(t, `{"received": 3, "duplicates": 1}`, body)
	status, body = postWebhook(t, hook, batch)
	require.Equal(t, http.StatusOK, status, body)
	require.JSONEq(t, `{"received": 3, "duplicates": 3}`, body)

	h.eventually("two opens reach the run", func() bool { return h.linkRun("acme").engagements("open") == 2 })
	require.Len(t, h.storedEvents("acme", "open"), 2)
	run := h.linkRun("acme")
	require.Equal(t, 2, run.engagements("open"))
	require.InDelta(t, 2, run.Score, 0.01)

	// Opens of the owner's hand-off email and machine opens are no interest.
	handoffOpen := sgEvent(msg, "open", "evt-open-owner")
	handoffOpen["ripen_handoff"] = "some-handoff"
	machine := sgEvent(msg, "open", "evt-open-machine")
	machine["sg_machine_open"] = true
	status, body = postWebhook(t, hook, signedBatch(t, signer, time.Now(), handoffOpen, machine))
	require.Equal(t, http.StatusOK, status, body)
	require.Len(t, h.storedEvents("acme", "open"), 2)

	// A body beyond 8 MiB is refused unread.
	status, body = postWebhook(t, hook, webhookPost{body: bytes.Repeat([]byte(" "), 8<<20+1), signature: good.signature, timestamp: good.timestamp})
	require.Equal(t, http.StatusRequestEntityTooLarge, status, body)

	// A malformed but signed body is refused without harm.
	status, body = postWebhook(t, hook, webhookPost{body: []byte(`{"event": "open"}`), signature: must(signer.Sign(good.timestamp, []byte(`{"event": "open"}`))), timestamp: good.timestamp})
	require.Equal(t, http.StatusBadRequest, status, body)

	// The spam report, properly signed, suppresses and stops the run.
	status, body = postWebhook(t, hook, good)
	require.Equal(t, http.StatusOK, status, body)
	require.True(t, h.suppressed("max@acme.example"))
	h.eventually("the run ends as unsubscribed", func() bool {
		run := h.linkRun("acme")
		return run.Status == "completed" && run.Outcome != nil && *run.Outcome == "unsubscribed"
	})
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func TestWebhookFromTheLocalSendGrid(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	h.eventually("the delivered event reaches the outbox", func() bool { return h.outboxStatus(msg.MessageID) == "delivered" })

	event := func(body string) {
		t.Helper()
		resp, err := http.Post(h.stack.SendGridURL+"/api/messages/"+msg.MessageID+"/events", "application/json", bytes.NewBufferString(body))
		require.NoError(t, err)
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	}

	event(`{"type": "open"}`)
	h.eventually("the open reaches the run", func() bool { return h.linkRun("acme").engagements("open") == 1 })
	opens := h.storedEvents("acme", "open")
	require.Len(t, opens, 1)
	require.Equal(t, "checklist", opens[0].Step)
	require.Equal(t, "automation-checklist", opens[0].ContentID)
	require.Equal(t, "process-automation", opens[0].Topic)

	// SendGrid's click on a tracked /r/ link is counted by /r/ itself.
	event(`{"type": "click"}`)
	require.Empty(t, h.storedEvents("acme", "click"))

	// A soft bounce suppresses nothing; a hard one does and stops the run.
	event(`{"type": "bounce", "bounce_type": "blocked"}`)
	require.False(t, h.suppressed("max@acme.example"))
	require.Equal(t, "running", h.linkRun("acme").Status)
	event(`{"type": "bounce"}`)
	require.True(t, h.suppressed("max@acme.example"))
	require.Equal(t, "bounced", h.outboxStatus(msg.MessageID))
	h.eventually("the run ends as unsubscribed", func() bool {
		run := h.linkRun("acme")
		return run.Status == "completed" && run.Outcome != nil && *run.Outcome == "unsubscribed"
	})
}
