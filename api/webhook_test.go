package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/app"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/devstack"
	"github.com/ripen/ripen/internal/testlog"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/store/storetest"
)

// webhookAPI serves a second API on the harness's stack whose webhook
// trusts signer, so a test can post batches it made itself.
func (h *harness) webhookAPI(signer *sendgrid.Signer) string {
	h.t.Helper()
	srv := httptest.NewServer(h.appOn(h.stack.Client, signer.PublicKeyBase64(), app.Tuning{}, testlog.New(h.t, zerolog.WarnLevel)).API.Handler())
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

// outboxStatus is the status of the outbox row of a message, "" while the
// row does not name it yet: the local SendGrid shows an email as soon as
// it takes it, a moment before the send activity records its ID.
func (h *harness) outboxStatus(messageID string) string {
	h.t.Helper()
	var status string
	err := h.stack.Store.Pool().QueryRow(context.Background(), `SELECT status FROM outbox WHERE message_id = $1`, messageID).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return ""
	}
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

	// A body beyond what SendGrid ever sends is refused unread.
	status, body = postWebhook(t, hook, webhookPost{body: bytes.Repeat([]byte(" "), sendgrid.MaxBatchBytes+1), signature: good.signature, timestamp: good.timestamp})
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

	// A late deferred never takes back the delivery.
	event(`{"type": "deferred"}`)
	require.Equal(t, "delivered", h.outboxStatus(msg.MessageID))

	// A click in the dev inbox lands on the tracked /r/ link, as SendGrid's
	// click-tracking redirect would take the browser there: /r/ counts it
	// once, and the webhook's report of the same click adds nothing.
	event(`{"type": "click"}`)
	clicks := h.storedEvents("acme", "click")
	require.Len(t, clicks, 1)
	require.True(t, strings.HasPrefix(clicks[0].ID, "click-"), "counted by /r/: %s", clicks[0].ID)
	require.Equal(t, "https://example.com/automation-checklist", clicks[0].URL)
	h.eventually("the click reaches the run", func() bool { return h.linkRun("acme").engagements("click") == 1 })

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

func (h *harness) runOf(journey, customer string) linkRun {
	h.t.Helper()
	var st linkRun
	h.json("GET", "/v1/journeys/"+journey+"/runs/"+customer, "sales", nil, 200, &st)
	return st
}

func (r linkRun) unsubscribed() bool {
	return r.Status == "completed" && r.Outcome != nil && *r.Outcome == "unsubscribed"
}

func TestWebhookMapsDeliveryNewsAndSuppressions(t *testing.T) {
	h := newHarness(t)
	h.seed()
	customers := map[string]string{"beta": "max@beta.example", "gamma": "max@gamma.example", "delta": "max@delta.example"}
	for id, email := range customers {
		h.customer(id, email, "en")
	}
	h.json("POST", "/v1/journeys/"+linkJourney+"/enrollments", "marketing", map[string]any{"customer_ids": []string{"beta", "gamma", "delta"}}, 200, nil)
	mails := map[string]sendgriddev.Message{}
	for id, email := range customers {
		h.eventually("the first email to "+email, func() bool { return len(h.mailsTo(email)) > 0 })
		mails[id] = h.mailsTo(email)[0]
		h.eventually("its delivered event", func() bool { return h.outboxStatus(mails[id].MessageID) == "delivered" })
	}
	signer, err := sendgrid.NewSigner()
	require.NoError(t, err)
	hook := h.webhookAPI(signer)
	post := func(events ...map[string]any) {
		t.Helper()
		status, body := postWebhook(t, hook, signedBatch(t, signer, time.Now(), events...))
		require.Equal(t, http.StatusOK, status, body)
	}

	// Beta's email is still on its way: deferred, then dropped.
	_, err = h.stack.Store.Pool().Exec(context.Background(), `UPDATE outbox SET status = 'sent' WHERE message_id = $1`, mails["beta"].MessageID)
	require.NoError(t, err)
	post(sgEvent(mails["beta"], "deferred", "evt-beta-deferred"))
	require.Equal(t, "deferred", h.outboxStatus(mails["beta"].MessageID))
	require.Equal(t, "running", h.runOf(linkJourney, "beta").Status, "deferred is no reason to stop")
	dropped := sgEvent(mails["beta"], "dropped", "evt-beta-dropped")
	dropped["reason"] = "Bounced Address"
	post(dropped)
	require.Equal(t, "dropped", h.outboxStatus(mails["beta"].MessageID))

	post(sgEvent(mails["gamma"], "unsubscribe", "evt-gamma-unsub"), sgEvent(mails["delta"], "group_unsubscribe", "evt-delta-group"))

	for id, email := range customers {
		require.True(t, h.suppressed(email), id)
		h.eventually(id+"'s run ends as unsubscribed", func() bool { return h.runOf(linkJourney, id).unsubscribed() })
	}
}

func TestWebhookAnswers500WhenStoringFailsAndTheRetryCounts(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	signer, err := sendgrid.NewSigner()
	require.NoError(t, err)
	hook := h.webhookAPI(signer)
	ctx := context.Background()

	// Postgres refuses engagement events for a while.
	pool := h.stack.Store.Pool()
	_, err = pool.Exec(ctx, `
CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'disk full'; END $$;
CREATE TRIGGER refuse_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_events();`)
	require.NoError(t, err)
	batch := signedBatch(t, signer, time.Now(), sgEvent(msg, "open", "evt-open-retried"))
	status, body := postWebhook(t, hook, batch)
	require.Equal(t, http.StatusInternalServerError, status, body)
	require.Empty(t, h.storedEvents("acme", "open"))

	// SendGrid posts the batch again once Postgres is back: it is new, not a
	// duplicate, and reaches the run.
	_, err = pool.Exec(ctx, `DROP TRIGGER refuse_events ON events; DROP FUNCTION refuse_events();`)
	require.NoError(t, err)
	status, body = postWebhook(t, hook, batch)
	require.Equal(t, http.StatusOK, status, body)
	require.JSONEq(t, `{"received": 1, "duplicates": 0}`, body)
	require.Len(t, h.storedEvents("acme", "open"), 1)
	h.eventually("the open reaches the run", func() bool { return h.linkRun("acme").engagements("open") == 1 })
}

func TestWebhookEventsAndStaleNotesArePruned(t *testing.T) {
	st := storetest.NewDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := st.MarkWebhookEvents(ctx, []string{"old", "recent"})
	require.NoError(t, err)
	_, err = st.Pool().Exec(ctx, `UPDATE webhook_events SET seen_at = now() - interval '73 hours' WHERE id = 'old'`)
	require.NoError(t, err)
	require.NoError(t, st.NotePendingFeedback(ctx, "ripen/j/old", "lost", "never applied"))
	require.NoError(t, st.NotePendingFeedback(ctx, "ripen/j/new", "lost", "on its way"))
	_, err = st.Pool().Exec(ctx, `UPDATE pending_feedback_notes SET created_at = now() - interval '8 days' WHERE workflow_id = 'ripen/j/old'`)
	require.NoError(t, err)

	cfg, err := config.FromEnv(func(string) string { return "" })
	require.NoError(t, err)
	a := app.New(cfg, app.Deps{Store: st, Log: testlog.New(t, zerolog.WarnLevel)}, app.Tuning{})
	done := make(chan struct{})
	go func() { a.Prune(ctx, time.Hour); close(done) }()
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, st.Pool().QueryRow(ctx, `SELECT count(*) FROM pending_feedback_notes`).Scan(&n))
		return n == 1
	}, 10*time.Second, 20*time.Millisecond, "the stale note is forgotten at once")
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, st.Pool().QueryRow(ctx, `SELECT count(*) FROM webhook_events`).Scan(&n))
		return n == 1
	}, 10*time.Second, 20*time.Millisecond, "the old event is forgotten at once")
	var left string
	require.NoError(t, st.Pool().QueryRow(ctx, `SELECT id FROM webhook_events`).Scan(&left))
	require.Equal(t, "recent", left)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("pruning does not stop with its context")
	}
}

func TestWebhookKeyFromTheEnvironmentAndTheLocalSendGridBothVerify(t *testing.T) {
	configured, err := sendgrid.NewSigner()
	require.NoError(t, err)
	h := newHarnessWith(t, func(o *devstack.Options) { o.WebhookKey = configured.PublicKeyBase64() })
	msg := h.enrolForLinks()
	h.eventually("the local SendGrid's delivered event is taken", func() bool { return h.outboxStatus(msg.MessageID) == "delivered" })

	hook := h.stack.APIURL + "/webhooks/sendgrid"
	status, body := postWebhook(t, hook, signedBatch(t, configured, time.Now(), sgEvent(msg, "open", "evt-open-configured")))
	require.Equal(t, http.StatusOK, status, "signed with SENDGRID_WEBHOOK_VERIFICATION_KEY's key: %s", body)
	stranger, err := sendgrid.NewSigner()
	require.NoError(t, err)
	status, body = postWebhook(t, hook, signedBatch(t, stranger, time.Now(), sgEvent(msg, "spamreport", "evt-spam-stranger")))
	require.Equal(t, http.StatusUnauthorized, status, body)
}

// Opens and clicks SendGrid reports are engagement like any other: they feed
// the detectors of the journeys the customer is not in yet.
func TestAWebhookClickFeedsTheDetectorsOfOthers(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	h.json("PUT", "/v1/journeys/automation-seats", "marketing", seatsJourney, 201, nil)
	signer, err := sendgrid.NewSigner()
	require.NoError(t, err)
	hook := h.webhookAPI(signer)

	click := sgEvent(msg, "click", "evt-click-1")
	click["url"] = "https://seller.example/process-automation"
	status, body := postWebhook(t, hook, signedBatch(t, signer, time.Now(), click))
	require.Equal(t, http.StatusOK, status, body)

	var seats linkRun
	h.eventually("the webhook's click enrolled acme in the seats journey", func() bool {
		code, body := h.do("GET", "/v1/journeys/automation-seats/runs/acme", "sales", nil)
		return code == http.StatusOK && json.Unmarshal(body, &seats) == nil && seats.engagements("click") == 1
	})
	require.Equal(t, 1, h.linkRun("acme").engagements("click"), "the sending run counts the click once")
}
