package api

// SendGrid's signed Event Webhook: engagement with ripen's emails reaches
// the runs, addresses that must not be mailed again are suppressed (and their
// runs stopped), and delivery news reaches the outbox.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

const (
	// webhookTolerance is how old (or how far ahead) a post's signed
	// timestamp may be. SendGrid retries a failed post for up to 72 hours
	// and does not document whether a retry is signed anew, so it is that
	// long; sg_event_id dedupe and idempotent processing make a replay
	// within it harmless, and older ones are refused.
	webhookTolerance = 72 * time.Hour
	// webhookWorkTimeout bounds processing one batch; it continues when
	// SendGrid hangs up, since everything it does is safe to repeat.
	webhookWorkTimeout = 2 * time.Minute
)

// webhookVerifier parses the configured key once (a P-256 parse per post
// would be wasted work) and keeps it on the server.
func (s *Server) webhookVerifier() (*sendgrid.Verifier, error) {
	s.verifierOnce.Do(func() {
		key := strings.TrimSpace(s.cfg.WebhookKey)
		if key == "" {
			s.verifierErr = errors.New("SENDGRID_WEBHOOK_VERIFICATION_KEY is not set")
			return
		}
		s.verifier, s.verifierErr = sendgrid.NewVerifier(key, webhookTolerance)
	})
	return s.verifier, s.verifierErr
}

// webhookAnswer tells SendGrid (and a person testing) what a batch held.
type webhookAnswer struct {
	Received   int `json:"received"`
	Duplicates int `json:"duplicates"`
}

// sendgridWebhook takes one signed batch of events. It verifies the
// signature over the raw body before reading anything, processes every
// event, and answers 2xx only once all of it is stored and signalled; any
// transient failure answers 500, so SendGrid posts the batch again.
//
// Processing is idempotent (engagement events are stored by ID and runs
// count an event ID once, suppressing is idempotent, delivery news only
// moves forward), so the batch's sg_event_ids are marked as seen after
// processing: a crash in between repeats work instead of losing it. The
// marks tell new events from repeats for the answer and the metrics.
func (s *Server) sendgridWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookLen))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.problem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit), nil)
			return
		}
		s.problem(w, r, http.StatusBadRequest, "the body could not be read", nil)
		return
	}
	v, err := s.webhookVerifier()
	if err != nil {
		requestLog(r, s.log).Error().Err(err).Msg("sendgrid webhook cannot verify posts")
		s.problem(w, r, http.StatusServiceUnavailable, "the Event Webhook verification key is not configured correctly", nil)
		return
	}
	sig, ts := r.Header.Get(sendgrid.SignatureHeader), r.Header.Get(sendgrid.TimestampHeader)
	if err := v.Verify(sig, ts, body, s.now()); err != nil {
		s.metrics.webhook.WithLabelValues("batch", "unauthorized").Inc()
		requestLog(r, s.log).Warn().Err(err).Msg("sendgrid webhook post refused")
		s.problem(w, r, http.StatusUnauthorized, "the Event Webhook signature is missing, stale or does not verify", nil)
		return
	}
	events, err := sendgrid.ParseEvents(body)
	if err != nil {
		s.metrics.webhook.WithLabelValues("batch", "malformed").Inc()
		s.problem(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), webhookWorkTimeout)
	defer cancel()
	answer, err := s.processWebhook(ctx, events)
	if err != nil {
		requestLog(r, s.log).Error().Err(err).Int("events", len(events)).Msg("sendgrid webhook batch failed; SendGrid will retry")
		s.problem(w, r, http.StatusInternalServerError, "the batch could not be stored; post it again", nil)
		return
	}
	writeJSON(w, http.StatusOK, answer)
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

func (s *Server) processWebhook(ctx context.Context, events []sendgrid.Event) (webhookAnswer, error) {
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
		return webhookAnswer{}, err
	}
	for i, ev := range unique {
		if err := wk.suppression(ctx, ev, &results[i]); err != nil {
			return webhookAnswer{}, err
		}
		if err := wk.delivery(ctx, ev, &results[i]); err != nil {
			return webhookAnswer{}, err
		}
	}
	if err := wk.sendSignals(ctx); err != nil {
		return webhookAnswer{}, err
	}

	fresh, err := s.store.MarkWebhookEvents(ctx, keys)
	if err != nil {
		return webhookAnswer{}, err
	}
	isFresh := make(map[string]bool, len(fresh))
	for _, k := range fresh {
		isFresh[k] = true
	}
	answer := webhookAnswer{Received: len(events), Duplicates: len(events) - len(fresh)}
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
	s         *Server
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
// routes them. Left out: opens and clicks of account owners
// (hand-off emails), machine opens (privacy proxies, not people), clicks on
// ripen's own links (/r/ counts the click itself; /f/ counts when the
// request is confirmed; /u/ is no interest), and events of customers that
// no longer exist.
func (wk *webhookWork) engagement(ctx context.Context, events []sendgrid.Event, keys, results []string) error {
	s := wk.s
	now := s.now()
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
			Step: ev.CustomArgs["ripen_step"], OccurredAt: at, ReceivedAt: now,
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
	if _, err := s.ingestEngagement(ctx, kept); err != nil {
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
	err := wk.s.store.Suppress(ctx, ev.Email, ev.Event, "sendgrid")
	if errors.Is(err, store.ErrInvalid) {
		wk.s.log.Warn().Err(err).Str("event", ev.Event).Msg("sendgrid webhook: address not suppressed")
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
		runs, err := wk.s.store.RunningRuns(ctx, []string{customerID})
		if err != nil {
			return err
		}
		for _, r := range runs {
			ids = append(ids, r.WorkflowID)
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
	g.SetLimit(wk.s.cfg.EnrollConcurrency)
	for _, id := range wk.order {
		g.Go(func() error {
			for _, sig := range wk.signals[id] {
				took, err := wk.s.signalIfRunning(gctx, id, sig.name, sig.arg)
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

// ownLink reports whether a clicked URL is one of ripen's public links.
func (s *Server) ownLink(raw string) bool {
	base := strings.TrimRight(s.cfg.PublicURL, "/")
	if base == "" {
		return false
	}
	for _, kind := range []string{"/r/", "/f/", "/u/"} {
		if strings.HasPrefix(raw, base+kind) {
			return true
		}
	}
	return false
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

// Prune forgets, every interval until ctx ends, what the API keeps only for
// a while: the webhook event IDs seen longer ago than SendGrid retries a post
// (72 hours, also the oldest signed timestamp the webhook accepts), so the
// dedupe table stays small, and sales' notes left for hand-offs that were
// never closed with their answer (store.PendingFeedbackNoteTTL). It prunes
// once at once. Any number of API processes may run it.
func (s *Server) Prune(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.pruneOnce(ctx, "old webhook events", s.store.PruneWebhookEvents, webhookTolerance)
		s.pruneOnce(ctx, "stale feedback notes", s.store.PrunePendingFeedback, store.PendingFeedbackNoteTTL)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pruneOnce removes what is older than age with prune, and logs how it went
// (nothing when ctx ended: the process is stopping).
func (s *Server) pruneOnce(ctx context.Context, what string, prune func(context.Context, time.Time) (int64, error), age time.Duration) {
	n, err := prune(ctx, s.now().Add(-age))
	switch {
	case ctx.Err() != nil:
	case err != nil:
		s.log.Warn().Err(err).Msg(what + " not pruned; trying again later")
	case n > 0:
		s.log.Debug().Int64("removed", n).Msg(what + " pruned")
	}
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
