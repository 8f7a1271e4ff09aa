package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/webhooks"
	"github.com/ripen/ripen/workflows"
)

// receiver is a webhook endpoint that answers status and keeps what it got.
type receiver struct {
	mu     sync.Mutex
	status int
	got    []received
	srv    *httptest.Server
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, status int) *receiver {
	rc := &receiver{status: status}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.got = append(rc.got, received{r.Header.Clone(), body})
		w.WriteHeader(rc.status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// webhookFixture is the activities' fixture with a webhook to rc (format
// and events as given), local addresses allowed, hand-off links on
// ripen.example, and a hand-off whose handoff.created event is returned.
func webhookFixture(t *testing.T, rc *receiver, format string, events ...string) (*fixture, store.Webhook, string) {
	f := newFixture(t)
	ctx := context.Background()
	f.acts.Outbound = webhooksOutbound()
	secret, err := webhooks.NewSecret()
	require.NoError(t, err)
	w, _, err := f.st.PutWebhook(ctx, store.Webhook{ID: "crm", URL: rc.srv.URL + "/hook", Events: events, Format: format, Secret: secret})
	require.NoError(t, err)
	h, err := f.st.CreateRunlessHandoff(ctx, store.Handoff{CustomerID: "acme", OwnerID: "rep-eva", Offer: "demo", Note: "Tuesday",
		EventID: "ev-fl", SLADueAt: f.now.Add(48 * time.Hour)})
	require.NoError(t, err)
	return f, w, "handoff.created:" + h.ID
}

func webhooksOutbound() activities.Outbound {
	return activities.Outbound{Client: webhooks.Guard{AllowPrivate: true}.Client(),
		HandoffURL: func(id string) string { return "https://ripen.example/h/" + id }}
}

func deliveries(t *testing.T, st *store.Store) []store.Delivery {
	ds, err := st.ListDeliveries(context.Background(), "crm", 0, 100)
	require.NoError(t, err)
	return ds
}

func TestDeliverWebhookPostsASignedStandardBodyAndRecordsIt(t *testing.T) {
	rc := newReceiver(t, http.StatusNoContent)
	f, w, eventID := webhookFixture(t, rc, store.WebhookFormatStandard, store.OutboundHandoffCreated)
	f.now = time.Now() // the receiver checks the timestamp against its clock
	in := workflows.WebhookDeliveryInput{WebhookID: "crm", EventID: eventID}
	_, err := f.activityEnv(&heartbeats{}, nil).ExecuteActivity(workflows.ActivityDeliverWebhook, in)
	require.NoError(t, err)

	got := rc.requests()
	require.Len(t, got, 1)
	require.NoError(t, webhooks.Verify(w.Secret, got[0].header, got[0].body, time.Now()))
	require.Equal(t, workflows.WebhookMessageID("crm", eventID), got[0].header.Get("webhook-id"))
	var body struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got[0].body, &body))
	require.Equal(t, "handoff.created", body.Type)
	require.Equal(t, "Tuesday", body.Data["note"])
	require.Equal(t, "https://ripen.example/h/"+body.Data["handoff_id"].(string), body.Data["handoff_url"])

	ds := deliveries(t, f.st)
	require.Len(t, ds, 1)
	require.True(t, ds[0].Delivered)
	require.Equal(t, http.StatusNoContent, ds[0].StatusCode)
	require.Equal(t, 1, ds[0].Attempt)
	require.Equal(t, got[0].header.Get("webhook-id"), ds[0].MessageID)
}

func TestDeliverWebhookFailsForRetryOnAnythingButA2xx(t *testing.T) {
	rc := newReceiver(t, http.StatusServiceUnavailable)
	f, _, eventID := webhookFixture(t, rc, store.WebhookFormatSlack, store.OutboundHandoffCreated)
	_, err := f.activityEnv(&heartbeats{}, nil).ExecuteActivity(workflows.ActivityDeliverWebhook,
		workflows.WebhookDeliveryInput{WebhookID: "crm", EventID: eventID})
	require.ErrorContains(t, err, "answered 503")
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		require.False(t, appErr.NonRetryable(), "Temporal retries it")
	}
	ds := deliveries(t, f.st)
	require.Len(t, ds, 1)
	require.False(t, ds[0].Delivered)
	require.Equal(t, http.StatusServiceUnavailable, ds[0].StatusCode)

	var slack struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	require.NoError(t, json.Unmarshal(rc.requests()[0].body, &slack))
	require.Contains(t, slack.Text, "Acme GmbH")
	require.Len(t, slack.Blocks, 2, "a section and the button to the hand-off page")
}

func TestDeliverWebhookEndsWithoutPostingWhenItShouldNot(t *testing.T) {
	t.Run("the webhook does not subscribe to the event's type", func(t *testing.T) {
		rc := newReceiver(t, http.StatusOK)
		f, _, eventID := webhookFixture(t, rc, store.WebhookFormatStandard, store.OutboundRunEnded)
		_, err := f.activityEnv(&heartbeats{}, nil).ExecuteActivity(workflows.ActivityDeliverWebhook,
			workflows.WebhookDeliveryInput{WebhookID: "crm", EventID: eventID})
		require.NoError(t, err)
		require.Empty(t, rc.requests())
	})
	t.Run("the webhook was deleted and created again after the event was dispatched", func(t *testing.T) {
		rc := newReceiver(t, http.StatusOK)
		f, w, eventID := webhookFixture(t, rc, store.WebhookFormatStandard, store.OutboundHandoffCreated)
		ctx := context.Background()
		_, err := f.st.DispatchOutboundEvents(ctx, 100, func(context.Context, []store.Dispatch) error { return nil })
		require.NoError(t, err)
		require.NoError(t, f.st.DeleteWebhook(ctx, "crm"))
		_, _, err = f.st.PutWebhook(ctx, w)
		require.NoError(t, err)
		_, err = f.activityEnv(&heartbeats{}, nil).ExecuteActivity(workflows.ActivityDeliverWebhook,
			workflows.WebhookDeliveryInput{WebhookID: "crm", EventID: eventID})
		require.NoError(t, err)
		require.Empty(t, rc.requests(), "the new webhook of that ID never subscribed to it")
	})
	t.Run("the webhook was deleted", func(t *testing.T) {
		rc := newReceiver(t, http.StatusOK)
		f, _, eventID := webhookFixture(t, rc, store.WebhookFormatStandard, store.OutboundHandoffCreated)
		require.NoError(t, f.st.DeleteWebhook(context.Background(), "crm"))
		_, err := f.activityEnv(&heartbeats{}, nil).ExecuteActivity(workflows.ActivityDeliverWebhook,
			workflows.WebhookDeliveryInput{WebhookID: "crm", EventID: eventID})
		require.NoError(t, err)
		require.Empty(t, rc.requests())
	})
}

func TestDeliverWebhookRefusesPrivateAddressesForGood(t *testing.T) {
	rc := newReceiver(t, http.StatusOK)
	f, _, eventID := webhookFixture(t, rc, store.WebhookFormatStandard, store.OutboundHandoffCreated)
	f.acts.Outbound.Client = nil // production: the guard refuses loopback
	_, err := f.activityEnv(&heartbeats{}, nil).ExecuteActivity(workflows.ActivityDeliverWebhook,
		workflows.WebhookDeliveryInput{WebhookID: "crm", EventID: eventID})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.True(t, appErr.NonRetryable())
	require.Equal(t, "WebhookAddressRefused", appErr.Type())
	require.Empty(t, rc.requests())
	ds := deliveries(t, f.st)
	require.Len(t, ds, 1)
	require.Contains(t, ds[0].Error, "loopback")
}

// The owner's enrolment notice also gives the run's run.started webhook
// event the events that enrolled the account, once, whatever the retries.
func TestNotifyEnrolmentPutsTheEnrollingEventsIntoRunStarted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// run.started is only written while a webhook subscribes to it.
	_, _, err := f.st.PutWebhook(ctx, store.Webhook{ID: "crm", URL: "https://crm.example/hook", Events: []string{store.OutboundRunStarted},
		Format: store.WebhookFormatStandard, Secret: "whsec_MDEyMzQ1Njc4OWFiY2RlZg=="})
	require.NoError(t, err)
	req := enrolmentNotice(f)
	require.NoError(t, f.acts.NotifyEnrolment(ctx, req))
	require.NoError(t, f.acts.NotifyEnrolment(ctx, req), "a retry")
	ev, err := f.st.GetOutboundEvent(ctx, "run.started:"+req.RunKey)
	require.NoError(t, err)
	var data struct {
		CustomerID string `json:"customer_id"`
		EnrolledBy []struct {
			EventID string `json:"event_id"`
			Type    string `json:"type"`
		} `json:"enrolled_by"`
	}
	require.NoError(t, json.Unmarshal(ev.Data, &data))
	require.Equal(t, "acme", data.CustomerID)
	require.Len(t, data.EnrolledBy, 2)
	require.Equal(t, "e1", data.EnrolledBy[0].EventID)
	require.Equal(t, "visit", data.EnrolledBy[0].Type)
}
