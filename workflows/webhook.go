package workflows

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// WebhookWorkflowPrefix starts the workflow ID of a WebhookDelivery; the
// rest is the webhook's ID and the delivery's message ID, so dispatching an
// event to a webhook twice starts one delivery.
const WebhookWorkflowPrefix = "ripen-webhook/"

// ActivityDeliverWebhook posts one event to one webhook
// (activities.Activities.DeliverWebhook).
const ActivityDeliverWebhook = "DeliverWebhook"

// Retries of a delivery: the Standard Webhooks practice of backing off from
// seconds to an hour, and giving up after a day.
const (
	WebhookFirstRetry   = 5 * time.Second
	WebhookMaxRetry     = time.Hour
	WebhookGiveUpAfter  = 24 * time.Hour
	webhookAttemptLimit = 30 * time.Second
)

// WebhookDeliveryInput names the webhook and the outbound event: IDs only,
// the event's data stays in Postgres.
type WebhookDeliveryInput struct {
	WebhookID string `json:"webhook_id"`
	EventID   string `json:"event_id"`
}

// WebhookMessageID is the webhook-id of event eventID delivered to webhook
// webhookID: the same on every attempt and every dispatch, different for
// each webhook. A hash, so that the event's ID (which names runs and
// hand-offs) is not repeated in a header or a workflow ID.
func WebhookMessageID(webhookID, eventID string) string {
	sum := sha256.Sum256([]byte(webhookID + "\x00" + eventID))
	return "msg_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:20]))
}

// WebhookWorkflowID is the workflow ID of the delivery of eventID to
// webhookID.
func WebhookWorkflowID(webhookID, eventID string) string {
	return WebhookWorkflowPrefix + webhookID + "/" + WebhookMessageID(webhookID, eventID)
}

// WebhookDelivery delivers one outbound event to one webhook, at least once:
// one activity, retried by Temporal with backoff for a day, through worker
// and server restarts. Every non-2xx answer is retried, 4xx included: a
// receiver answers 401 or 404 while it is being deployed or its secret
// rotated, and a day of retries costs little. The activity ends the
// delivery itself when it should not go on (the webhook deleted or no
// longer subscribed, the URL refused by the address guard).
func WebhookDelivery(ctx workflow.Context, in WebhookDeliveryInput) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    webhookAttemptLimit,
		ScheduleToCloseTimeout: WebhookGiveUpAfter,
		Summary:                "deliver to webhook " + in.WebhookID,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    WebhookFirstRetry,
			BackoffCoefficient: 2,
			MaximumInterval:    WebhookMaxRetry,
		},
	})
	return workflow.ExecuteActivity(ctx, ActivityDeliverWebhook, in).Get(ctx, nil)
}
