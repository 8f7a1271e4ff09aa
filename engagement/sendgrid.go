package engagement

// SendGrid's Event Webhook, once verified: engagement with ripen's emails
// reaches the runs, addresses that must not be mailed again are suppressed
// (and their runs stopped), and delivery news reaches the outbox.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ripen/ripen/logging"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// WebhookResult tells SendGrid (and a person testing) what a batch held.
type WebhookResult struct {
	Received   int `json:"received"`
	Duplicates int `json:"duplicates"`
}

// Results of one event, for the metrics.
const (
	whEngagement  = "engagement"
	whSuppression = "suppression"
	whDelivery    = "delivery"
	whIgnored     = "ignored"
	whDuplicate   = "duplicate"
)

// suppressingEvents make an address unmailable; a bounce only when it is
// hard (type "bounce", not "blocked").
var suppressingEvents = map[string]bool{
	"bounce": true, "dropped": true, "spamreport": true, "unsubscribe": true, "group_unsubscribe": true,
}

// SendGridEvents processes one verified batch of SendGrid's events. It
// returns only once all of it is stored and signalled; an error means the
// batch should come again.
//
// Processing is idempotent (engagement events are stored by ID and runs
// count an event ID once, suppressing is idempotent, delivery news only
// moves forward), so the batch's sg_event_ids are marked as seen after
// processing: a crash in between repeats work instead of losing it. The
// marks tell new events from repeats for the answer and the metrics.
func (s *Service) SendGridEvents(ctx context.Context, events []sendgrid.Event) (WebhookResult, error) {
	wk := &webhookWork{s: s, customers: map[string]string{}, topics: map[string]string{}, running: map[string][]string{}, signals: map[string][]pendingSignal{}}
	var unique []sendgrid.Event
	var keys []string
	seen := map[string]bool{}
	for _, ev := range events {
		k := eventKey(ev)
		if seen[k] {
			s.metrics.webhook.WithLabelValues(metricEvent(ev.Event), whDuplicate).Inc()
			continue
		}
		seen[k] = true
		unique, keys = append(unique, ev), append(keys, k)
	}
	results := make([]string, len(unique))
	for i := range results {
		results[i] = whIgnored
	}

	if err := wk.engagement(ctx, unique, keys, results); err != nil {
		return WebhookResult{}, err
	}
	for i, ev := range unique {
		if err := wk.suppression(ctx, ev, &results[i]); err != nil {
			return WebhookResult{}, err
		}
		if err := wk.delivery(ctx, ev, &results[i]); err != nil {
			return WebhookResult{}, err
		}
	}
	if err := wk.sendSignals(ctx); err != nil {
		return WebhookResult{}, err
	}

	fresh, err := s.store.MarkWebhookEvents(ctx, keys)
	if err != nil {
		return WebhookResult{}, err
	}
	isFresh := make(map[string]bool, len(fresh))
	for _, k := range fresh {
		isFresh[k] = true
	}
	answer := WebhookResult{Received: len(events), Duplicates: len(events) - len(fresh)}
	for i, ev := range unique {
		result := results[i]
		if !isFresh[keys[i]] {
			result = whDuplicate
		}
		s.metrics.webhook.WithLabelValues(metricEvent(ev.Event), result).Inc()
	}
	return answer, nil
}

// webhookWork is the state of processing one batch: lookups made once, and
// the signals to send once everything is stored.
type webhookWork struct {
	s         *Service
	customers map[string]string   // contact ID → customer ID ("" unknown)
	topics    map[string]string   // content ID → topic
	running   map[string][]string // customer ID → running workflow IDs
	signals   map[string][]pendingSignal
	order     []string // workflow IDs in the order first signalled
}

type pendingSignal struct {
	name string
	arg  any
}

func (wk *webhookWork) queue(workflowID, name string, arg any) {
	if workflowID == "" {
		return
	}
	if _, ok := wk.signals[workflowID]; !ok {
		wk.order = append(wk.order, workflowID)
	}
	wk.signals[workflowID] = append(wk.signals[workflowID], pendingSignal{name, arg})
}

// engagement stores opens and clicks of contacts as engagement events and
// routes them. Left out: opens and clicks of account owners (hand-off
// emails), machine opens (privacy proxies, not people), clicks on ripen's
// own links (/r/ counts the click itself; /f/ counts when the request is
// confirmed; /u/ is no interest), and events of customers that no longer
// exist.
func (wk *webhookWork) engagement(ctx context.Context, events []sendgrid.Event, keys, results []string) error {
	s := wk.s
	now := s.Now()
	var evs []store.Event
	var idx []int
	for i, ev := range events {
		if (ev.Event != "open" && ev.Event != "click") || ev.CustomArgs["ripen_handoff"] != "" || ev.CustomArgs["ripen_kind"] != "" ||
			ev.MachineOpen || (ev.Event == "click" && s.ownLink(ev.URL)) {
			continue
		}
		customerID, err := wk.customerOf(ctx, ev)
		if err != nil {
			return err
		}
		if customerID == "" {
			continue
		}
		contentID := ev.CustomArgs["ripen_content"]
		topic, err := wk.topic(ctx, contentID)
		if err != nil {
			return err
		}
		at := now
		if ev.Timestamp > 0 && time.Unix(ev.Timestamp, 0).Before(now) {
			at = time.Unix(ev.Timestamp, 0).UTC()
		}
		evs = append(evs, store.Event{
			ID: "sg-" + keys[i], CustomerID: customerID, ContactID: ev.CustomArgs["ripen_contact"], Type: ev.Event,
			Topic: topic, ContentID: contentID, URL: ev.URL, RunID: ev.CustomArgs["ripen_run"],
			Step: ev.CustomArgs["ripen_step"], Source: store.SourceEmail, OccurredAt: at, ReceivedAt: now,
		})
		idx = append(idx, i)
	}
	if len(evs) == 0 {
		return nil
	}
	customerIDs := make([]string, len(evs))
	for i, e := range evs {
		customerIDs[i] = e.CustomerID
	}
	missing, err := s.store.MissingCustomers(ctx, customerIDs)
	if err != nil {
		return err
	}
	gone := map[string]bool{}
	for _, id := range missing {
		gone[id] = true
	}
	kept := evs[:0]
	for j, e := range evs {
		if gone[e.CustomerID] {
			continue
		}
		kept = append(kept, e)
		results[idx[j]] = whEngagement
	}
	if len(kept) == 0 {
		return nil
	}
	// Routed now, as POST /v1/events routes: the sending run, the
	// customer's other runs and the detectors of other journeys all hear
	// it, before this batch's unsubscribes are signalled.
	if _, err := s.record(ctx, kept); err != nil {
		return fmt.Errorf("record engagement: %w", err)
	}
	return nil
}

// suppression suppresses the address of an unsubscribe, spam report, drop
// or hard bounce, and queues an unsubscribe for the runs of the contact's
// customer (not for an account owner's address: their customer's runs go
// on).
func (wk *webhookWork) suppression(ctx context.Context, ev sendgrid.Event, result *string) error {
	if !suppressingEvents[ev.Event] || (ev.Event == "bounce" && !hardBounce(ev)) || ev.Email == "" {
		return nil
	}
	err := withoutAddresses(wk.s.store.Suppress(ctx, ev.Email, ev.Event, "sendgrid"))
	if errors.Is(err, store.ErrInvalid) {
		logging.From(ctx, wk.s.log).Warn().Err(err).Str("event", ev.Event).Msg("sendgrid webhook: address not suppressed")
		return nil
	}
	if err != nil {
		return err
	}
	*result = whSuppression
	if ev.CustomArgs["ripen_handoff"] != "" || ev.CustomArgs["ripen_kind"] != "" {
		return nil
	}
	customerID, err := wk.customerOf(ctx, ev)
	if err != nil {
		return err
	}
	ctl := workflows.Control{Reason: "sendgrid " + ev.Event, ContactID: ev.CustomArgs["ripen_contact"]}
	wk.queue(ev.CustomArgs["ripen_run"], workflows.SignalUnsubscribe, ctl)
	if customerID == "" {
		return nil
	}
	ids, ok := wk.running[customerID]
	if !ok {
		if ids, err = wk.s.runs.Running(ctx, customerID); err != nil {
			return err
		}
		wk.running[customerID] = ids
	}
	for _, id := range ids {
		if id != ev.CustomArgs["ripen_run"] {
			wk.queue(id, workflows.SignalUnsubscribe, ctl)
		}
	}
	return nil
}

// hardBounce: SendGrid's bounce type "bounce" is hard, "blocked" soft; an
// event without a type is taken as hard, as bounce events were before types.
func hardBounce(ev sendgrid.Event) bool {
	t := strings.ToLower(ev.Type)
	return t != "blocked" && t != "soft"
}

// delivery records delivery news in the outbox: deferred (still trying),
// delivered, bounced (hard or soft: either way this email did not arrive)
// and dropped. The store only moves a row forward, so a late deferred never
// takes back a delivery. An email the outbox does not know (sent by another
// system on the same account) is skipped.
func (wk *webhookWork) delivery(ctx context.Context, ev sendgrid.Event, result *string) error {
	var status string
	switch ev.Event {
	case "deferred":
		status = store.OutboxDeferred
	case "delivered":
		status = store.OutboxDelivered
	case "bounce":
		status = store.OutboxBounced
	case "dropped":
		status = store.OutboxDropped
	default:
		return nil
	}
	id := ev.MessageID()
	if id == "" {
		return nil
	}
	_, err := wk.s.store.UpdateOutboxDelivery(ctx, id, status)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil
	}
	if err != nil {
		return err
	}
	if *result == whIgnored {
		*result = whDelivery
	}
	return nil
}

// sendSignals delivers the queued signals: each run's in order, runs in
// parallel. Runs that have ended or never existed are skipped.
func (wk *webhookWork) sendSignals(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(wk.s.runs.Concurrency())
	for _, id := range wk.order {
		g.Go(func() error {
			for _, sig := range wk.signals[id] {
				took, err := wk.s.runs.Send(gctx, id, sig.name, sig.arg)
				if err != nil || !took {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// customerOf finds an event's customer: ripen_customer, or the customer of
// ripen_contact; "" when neither is known.
func (wk *webhookWork) customerOf(ctx context.Context, ev sendgrid.Event) (string, error) {
	if id := ev.CustomArgs["ripen_customer"]; id != "" {
		return id, nil
	}
	contactID := ev.CustomArgs["ripen_contact"]
	if contactID == "" {
		return "", nil
	}
	if id, ok := wk.customers[contactID]; ok {
		return id, nil
	}
	_, customerID, err := wk.s.store.GetContact(ctx, contactID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	wk.customers[contactID] = customerID
	return customerID, nil
}

func (wk *webhookWork) topic(ctx context.Context, contentID string) (string, error) {
	if contentID == "" {
		return "", nil
	}
	if t, ok := wk.topics[contentID]; ok {
		return t, nil
	}
	c, err := wk.s.store.GetContent(ctx, contentID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	wk.topics[contentID] = c.Topic
	return c.Topic, nil
}

// eventKey is an event's sg_event_id, or for an event without a usable one
// a digest of what identifies it.
func eventKey(ev sendgrid.Event) string {
	if ev.SGEventID != "" && len(ev.SGEventID) <= 128 {
		return ev.SGEventID
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{ev.SGEventID, ev.SGMessageID, ev.Event, ev.Email, strconv.FormatInt(ev.Timestamp, 10), ev.URL}, "\x00")))
	return "h-" + hex.EncodeToString(sum[:16])
}

// WebhookReplayWindow is how old (or how far ahead) a webhook post's signed
// timestamp may be, and so how long its event IDs are kept to tell repeats.
// SendGrid retries a failed post for up to 72 hours and does not document
// whether a retry is signed anew, so it is that long; sg_event_id dedupe and
// idempotent processing make a replay within it harmless, and older ones are
// refused.
const WebhookReplayWindow = 72 * time.Hour

// PruneWebhookEvents forgets the webhook event IDs seen longer ago than
// WebhookReplayWindow, so the dedupe table stays small.
func (s *Service) PruneWebhookEvents(ctx context.Context) (int64, error) {
	return s.store.PruneWebhookEvents(ctx, s.Now().Add(-WebhookReplayWindow))
}

// metricEvent bounds the event label to SendGrid's event names.
func metricEvent(name string) string {
	switch name {
	case "processed", "delivered", "deferred", "dropped", "bounce", "open", "click",
		"spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe":
		return name
	}
	return "other"
}
