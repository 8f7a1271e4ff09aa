// Package webhooks is ripen's outbound webhooks: the use cases an admin
// calls (put, get, delete a webhook, list its delivery attempts), the
// Standard Webhooks signature, the payloads (standard and Slack), the HTTP
// client that refuses to reach private networks, and the dispatcher that
// starts one durable delivery workflow per event and webhook.
//
// What happened comes from the store's outbox (outbound_events, written in
// the transaction of each fact); the delivery itself is a Temporal workflow
// (workflows.WebhookDelivery) and its activity (activities.DeliverWebhook).
// This package never decides about journeys, and never puts an event's data
// into workflow history: deliveries carry IDs.
package webhooks
