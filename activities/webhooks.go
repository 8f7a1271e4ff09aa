package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/webhooks"
	"github.com/ripen/ripen/workflows"
)

// Outbound is what DeliverWebhook needs besides the store.
type Outbound struct {
	// Client posts the deliveries: webhooks.Guard.Client, which refuses
	// private addresses unless allowed. Nil: a guard that refuses them.
	Client *http.Client
	// HandoffURL is the link to a hand-off's page for people (Slack's
	// button, the data's handoff_url); nil means the signed /h/ link the
	// owner's email has (none without link keys), "" for an ID none.
	HandoffURL func(handoffID string) string
}

func (o Outbound) client() *http.Client {
	if o.Client != nil {
		return o.Client
	}
	return webhooks.Guard{}.Client()
}

// DeliverWebhook posts one outbound event to one webhook, signed (Standard
// Webhooks), and records the attempt (its number is the activity's
// attempt). A non-2xx answer or no answer is an error, so Temporal retries
// with the workflow's backoff; the message ID, derived from the webhook and
// the event, is the same on every attempt, so the receiver drops repeats.
//
// Retrying is safe because a delivery is at least once by contract: an
// attempt whose answer was lost posts again under the same message ID. The
// delivery ends without posting when the webhook is gone (deleted, or
// deleted and created again after the event was dispatched), no longer
// subscribes to the event's type, or the event is gone; and for good when
// the address guard refuses the URL's address.
func (a *Activities) DeliverWebhook(ctx context.Context, in workflows.WebhookDeliveryInput) error {
	w, err := a.Store.GetWebhook(ctx, in.WebhookID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load webhook %s: %w", in.WebhookID, err)
	}
	ev, err := a.Store.GetOutboundEvent(ctx, in.EventID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load outbound event %s: %w", in.EventID, err)
	}
	if !slices.Contains(w.Events, ev.Type) || (ev.DispatchedAt != nil && w.CreatedAt.After(*ev.DispatchedAt)) {
		return nil
	}
	msg, err := a.webhookMessage(ctx, in, ev)
	if err != nil {
		return err
	}
	body, err := webhooks.Body(w.Format, msg)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "WebhookBody", err)
	}

	at := a.now()
	res := webhooks.Post(ctx, a.Outbound.client(), w.URL, w.Secret, msg.ID, body, at)
	d := store.Delivery{WebhookID: w.ID, EventID: ev.ID, MessageID: msg.ID, Attempt: int(activity.GetInfo(ctx).Attempt),
		At: at, StatusCode: res.StatusCode, DurationMS: int(res.Duration.Milliseconds()), Delivered: res.Delivered()}
	if res.Err != nil {
		d.Error = res.Err.Error()
	}
	if err := a.Store.RecordDelivery(ctx, d); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return nil // the webhook was deleted during the attempt
		}
		// The record is for people; the delivery is what counts.
		a.Log.Warn().Err(err).Str("webhook", w.ID).Str("message_id", msg.ID).Msg("webhook attempt not recorded")
	}
	switch {
	case res.Delivered():
		return nil
	case errors.Is(res.Err, webhooks.ErrRefusedAddress):
		return temporal.NewNonRetryableApplicationError("webhook "+w.ID+": "+res.Err.Error(), "WebhookAddressRefused", res.Err)
	case res.Err != nil:
		return fmt.Errorf("deliver %s to webhook %s: %w", msg.ID, w.ID, res.Err)
	}
	return fmt.Errorf("deliver %s to webhook %s: the receiver answered %d", msg.ID, w.ID, res.StatusCode)
}

// webhookMessage is the event as a receiver gets it: its data, the
// customer's name and the links for people.
func (a *Activities) webhookMessage(ctx context.Context, in workflows.WebhookDeliveryInput, ev store.OutboundEvent) (webhooks.Message, error) {
	msg := webhooks.Message{ID: workflows.WebhookMessageID(in.WebhookID, ev.ID), Type: ev.Type, OccurredAt: ev.OccurredAt}
	if err := json.Unmarshal(ev.Data, &msg.Data); err != nil {
		return msg, temporal.NewNonRetryableApplicationError("outbound event "+ev.ID+" has no JSON object as data", "WebhookData", err)
	}
	str := func(k string) string { s, _ := msg.Data[k].(string); return s }
	if id := str("customer_id"); id != "" {
		// For people only: a customer that cannot be read now goes by its ID.
		if c, err := a.Store.GetCustomer(ctx, id); err == nil {
			msg.Customer = c.Name
		}
	}
	if id := str("handoff_id"); id != "" {
		switch {
		case a.Outbound.HandoffURL != nil:
			msg.HandoffURL = a.Outbound.HandoffURL(id)
		case a.Links != nil:
			// The page the owner's email links to; without link keys the
			// message goes without it.
			if u, err := a.handoffURL(store.Handoff{ID: id}); err == nil {
				msg.HandoffURL = u
			}
		}
	}
	if wf := str("workflow_id"); wf != "" && a.Config.TemporalUIURL != "" {
		msg.RunURL = fmt.Sprintf("%s/namespaces/%s/workflows/%s", strings.TrimRight(a.Config.TemporalUIURL, "/"),
			url.PathEscape(a.Config.Namespace), url.PathEscape(wf))
	}
	return msg, nil
}

// enrolledBy is one event that made the detector enrol the account, as the
// run.started webhook lists it (IDs, kinds and times: names stay here).
type enrolledBy struct {
	EventID   string `json:"event_id"`
	Type      string `json:"type"`
	Topic     string `json:"topic,omitempty"`
	ContentID string `json:"content_id,omitempty"`
	ContactID string `json:"contact_id,omitempty"`
	At        string `json:"occurred_at,omitempty"`
}

// announceEnrolment puts the events that enrolled the account into the
// run's run.started webhook event (store.AddRunStartedData), which the
// schema holds back a moment for it. Idempotent: the same data again
// changes nothing, and a dispatched event is left as it went.
func (a *Activities) announceEnrolment(ctx context.Context, req workflows.EnrolmentNotice) error {
	evs := make([]enrolledBy, 0, len(req.Engagements))
	for _, e := range req.Engagements {
		var at string
		if !e.At.IsZero() {
			at = e.At.UTC().Format(time.RFC3339)
		}
		evs = append(evs, enrolledBy{EventID: e.EventID, Type: e.Kind, Topic: e.Topic, ContentID: e.ContentID, ContactID: e.ContactID, At: at})
	}
	data, err := json.Marshal(map[string]any{
		"workflow_id": req.WorkflowID, "run_key": req.RunKey, "journey_id": req.JourneyID, "version": req.Version,
		"customer_id": req.CustomerID, "owner_id": req.OwnerID, "enrolled_by": evs,
	})
	if err != nil {
		return fmt.Errorf("encode the enrolment of %s: %w", req.RunKey, err)
	}
	if err := a.Store.AddRunStartedData(ctx, req.RunKey, data); err != nil {
		return storeError(err, "RunStarted", "announce the enrolment of "+req.RunKey)
	}
	return nil
}
