package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// Outbound webhook event types: the facts ripen announces to the webhooks
// that subscribe to them (the outbound_events rows the schema's triggers
// write, see migration 00023).
const (
	OutboundHandoffCreated    = "handoff.created"
	OutboundHandoffAnswered   = "handoff.answered"
	OutboundRunStarted        = "run.started"
	OutboundRunEnded          = "run.ended"
	OutboundFastLaneRequested = "fast_lane.requested"
)

// Webhook formats: the Standard Webhooks payload, or a Slack message.
const (
	WebhookFormatStandard = "standard"
	WebhookFormatSlack    = "slack"
)

// maxDeliveryError bounds the error kept with an attempt, in characters: a
// receiver's TLS or DNS failure, never its answer's body.
const maxDeliveryError = 1000

// OutboundEventTypes are every outbound event type, in the order the
// contract lists them.
var OutboundEventTypes = []string{OutboundHandoffCreated, OutboundHandoffAnswered, OutboundRunStarted, OutboundRunEnded, OutboundFastLaneRequested}

// Webhook is an outbound webhook: where to post which events, in which
// format, signed with Secret (whsec_ and base64 of the key).
type Webhook struct {
	ID        string    `json:"id" db:"id"`
	URL       string    `json:"url" db:"url"`
	Events    []string  `json:"events" db:"events"`
	Format    string    `json:"format" db:"format"`
	Secret    string    `json:"-" db:"secret"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
	UpdatedAt time.Time `json:"updated_at" db:"updated_at"`
}

const webhookColumns = ` id, url, events, format, secret, created_at, updated_at`

// An existing webhook keeps its secret and creation time: its receiver
// verifies with the secret it was shown once. xmax is 0 on the row version
// an INSERT wrote, so created says which way the upsert went.
const sqlPutWebhook = `
INSERT INTO webhooks (id, url, events, format, secret)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET
    url = EXCLUDED.url, events = EXCLUDED.events, format = EXCLUDED.format, updated_at = now()
RETURNING` + webhookColumns + `, (xmax = 0) AS created`

// PutWebhook creates the webhook w.ID with w.Secret, or changes an existing
// one's URL, events and format (its secret stays). created says which.
func (s *Store) PutWebhook(ctx context.Context, w Webhook) (out Webhook, created bool, err error) {
	err = s.pool.QueryRow(ctx, sqlPutWebhook, w.ID, w.URL, nonNil(w.Events), w.Format, w.Secret).
		Scan(&out.ID, &out.URL, &out.Events, &out.Format, &out.Secret, &out.CreatedAt, &out.UpdatedAt, &created)
	return out, created, pgErr("put", "webhook", w.ID, err)
}

// GetWebhook returns a webhook, or ErrNotFound.
func (s *Store) GetWebhook(ctx context.Context, id string) (Webhook, error) {
	rows, _ := s.pool.Query(ctx, `SELECT`+webhookColumns+` FROM webhooks WHERE id = $1`, id)
	w, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Webhook])
	return w, pgErr("get", "webhook", id, err)
}

// DeleteWebhook deletes a webhook and the record of its attempts; its
// deliveries in flight find it gone and stop. ErrNotFound when there is
// none.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("webhook", id)
	}
	return pgErr("delete", "webhook", id, err)
}

// OutboundEvent is one fact to announce: ID is stable for the fact (e.g.
// "handoff.created:" and the hand-off's ID), Data its IDs and notes.
type OutboundEvent struct {
	ID           string          `json:"id" db:"id"`
	Type         string          `json:"type" db:"type"`
	Data         json.RawMessage `json:"data" db:"data"`
	OccurredAt   time.Time       `json:"occurred_at" db:"occurred_at"`
	DispatchedAt *time.Time      `json:"dispatched_at,omitempty" db:"dispatched_at"`
}

// GetOutboundEvent returns an outbound event, or ErrNotFound.
func (s *Store) GetOutboundEvent(ctx context.Context, id string) (OutboundEvent, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, type, data, occurred_at, dispatched_at FROM outbound_events WHERE id = $1`, id)
	e, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OutboundEvent])
	return e, pgErr("get", "outbound event", id, err)
}

// ListOutboundEvents returns the outbound events that occurred at or after
// since, oldest first: what tests and checks compare deliveries with.
func (s *Store) ListOutboundEvents(ctx context.Context, since time.Time) ([]OutboundEvent, error) {
	rows, _ := s.pool.Query(ctx, `
SELECT id, type, data, occurred_at, dispatched_at FROM outbound_events
WHERE occurred_at >= $1 ORDER BY occurred_at, id`, since)
	es, err := pgx.CollectRows(rows, pgx.RowToStructByName[OutboundEvent])
	return es, pgErr("list", "outbound events", "", err)
}

// The event keeps what the trigger wrote and gains data's keys, while it
// waits for dispatch; once dispatched its deliveries may have read it, and
// it stays as it is.
const sqlAddRunStartedData = `
INSERT INTO outbound_events (id, type, data)
VALUES ('run.started:' || $1, 'run.started', $2::jsonb)
ON CONFLICT (id) DO UPDATE SET data = outbound_events.data || EXCLUDED.data, not_before = now()
WHERE outbound_events.dispatched_at IS NULL`

// AddRunStartedData adds data (a JSON object: the run's IDs and the events
// that enrolled it) to the run.started event of the run runKey, and lets it
// go at once. The schema holds the run.started of a run of a journey that
// notifies its owner on enrolment back for a moment, for this; it writes
// the event if the run's row is not written yet. Once dispatched, the event
// is left unchanged, so every attempt of a delivery posts the same data.
// Idempotent.
func (s *Store) AddRunStartedData(ctx context.Context, runKey string, data json.RawMessage) error {
	if runKey == "" {
		return invalid("run.started event", "", "run_key", "is required")
	}
	if !json.Valid(data) || len(data) == 0 || data[0] != '{' {
		return invalid("run.started event", runKey, "data", "must be a JSON object")
	}
	_, err := s.pool.Exec(ctx, sqlAddRunStartedData, runKey, string(data))
	return pgErr("add data to", "run.started event", runKey, err)
}

// Dispatch is one delivery to start: an event to a webhook subscribed to
// its type.
type Dispatch struct {
	WebhookID string
	EventID   string
}

// Events due, locked so that concurrent dispatchers take other ones, each
// with every webhook subscribed to its type (none: a NULL webhook, and the
// event is dispatched to nobody).
const sqlDueOutboundEvents = `
WITH due AS (
    SELECT id, type, not_before FROM outbound_events
    WHERE dispatched_at IS NULL AND not_before <= now()
    ORDER BY not_before, id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
SELECT due.id, w.id
FROM due LEFT JOIN webhooks w ON due.type = ANY (w.events)
ORDER BY due.not_before, due.id, w.id`

// DispatchOutboundEvents takes up to limit events due for dispatch, calls
// start with a Dispatch per (event, webhook subscribed to its type), and
// marks the events dispatched once start returns nil, all in one
// transaction that holds the events locked. It returns how many events it
// took. A start that fails, or a crash before the commit, leaves the
// events due: start must be idempotent per Dispatch (a delivery already
// started is a success). An event that no webhook subscribes to when it is
// dispatched is delivered to none, even if one subscribes later.
func (s *Store) DispatchOutboundEvents(ctx context.Context, limit int, start func(context.Context, []Dispatch) error) (int, error) {
	if limit < 1 {
		limit = 100
	}
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, sqlDueOutboundEvents, limit)
		var ids []string
		var ds []Dispatch
		var eventID string
		var webhookID *string
		_, err := pgx.ForEachRow(rows, []any{&eventID, &webhookID}, func() error {
			if len(ids) == 0 || ids[len(ids)-1] != eventID {
				ids = append(ids, eventID)
			}
			if webhookID != nil {
				ds = append(ds, Dispatch{WebhookID: *webhookID, EventID: eventID})
			}
			return nil
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		if len(ds) > 0 {
			if err := start(ctx, ds); err != nil {
				return err
			}
		}
		n = len(ids)
		// The clock now, not the transaction's start: every webhook the
		// fan-out saw was created before it, which DeliverWebhook relies on
		// to tell a webhook deleted and created again.
		_, err = tx.Exec(ctx, `UPDATE outbound_events SET dispatched_at = clock_timestamp() WHERE id = ANY ($1)`, ids)
		return err
	})
	if err != nil {
		return 0, pgErr("dispatch", "outbound events", "", err)
	}
	return n, nil
}

// Delivery is one attempt to post an event to a webhook. StatusCode is the
// receiver's answer (0: none, Error says why); Delivered is a 2xx.
// MessageID is the webhook-id header, the same on every attempt.
type Delivery struct {
	ID         int64     `json:"id" db:"id"`
	WebhookID  string    `json:"webhook_id" db:"webhook_id"`
	EventID    string    `json:"event_id" db:"event_id"`
	EventType  string    `json:"event_type" db:"event_type"`
	MessageID  string    `json:"message_id" db:"message_id"`
	Attempt    int       `json:"attempt" db:"attempt"`
	At         time.Time `json:"at" db:"at"`
	StatusCode int       `json:"status_code,omitempty" db:"status_code"`
	Error      string    `json:"error,omitempty" db:"error"`
	DurationMS int       `json:"duration_ms" db:"duration_ms"`
	Delivered  bool      `json:"delivered" db:"delivered"`
}

// RecordDelivery keeps an attempt. The error is cut to a bounded length. A
// webhook deleted meanwhile keeps nothing (ErrInvalid naming webhook_id).
func (s *Store) RecordDelivery(ctx context.Context, d Delivery) error {
	if r := []rune(d.Error); len(r) > maxDeliveryError {
		d.Error = string(r[:maxDeliveryError])
	}
	var code *int
	if d.StatusCode != 0 {
		code = &d.StatusCode
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO webhook_deliveries (webhook_id, event_id, message_id, attempt, at, status_code, error, duration_ms, delivered)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		d.WebhookID, d.EventID, d.MessageID, d.Attempt, d.At, code, d.Error, d.DurationMS, d.Delivered)
	return pgErr("record", "webhook delivery", d.WebhookID+"/"+d.EventID, err)
}

// ListDeliveries returns a webhook's attempts, newest first, at most limit
// of them, older than the attempt before (0: from the newest).
func (s *Store) ListDeliveries(ctx context.Context, webhookID string, before int64, limit int) ([]Delivery, error) {
	limit = clampLimit(limit)
	rows, _ := s.pool.Query(ctx, `
SELECT d.id, d.webhook_id, d.event_id, e.type AS event_type, d.message_id, d.attempt, d.at,
       COALESCE(d.status_code, 0) AS status_code, d.error, d.duration_ms, d.delivered
FROM webhook_deliveries d JOIN outbound_events e ON e.id = d.event_id
WHERE d.webhook_id = $1 AND ($2 = 0 OR d.id < $2)
ORDER BY d.id DESC
LIMIT $3`, webhookID, before, limit)
	ds, err := pgx.CollectRows(rows, pgx.RowToStructByName[Delivery])
	return ds, pgErr("list", "webhook deliveries", webhookID, err)
}

// PruneOutbound forgets the outbound events that occurred before the given
// time and were dispatched, with their attempts, and returns how many
// events it removed. Deliveries give up after a day, so a week is plenty.
func (s *Store) PruneOutbound(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM outbound_events WHERE occurred_at < $1 AND dispatched_at IS NOT NULL AND dispatched_at < $1`, before)
	if err != nil {
		return 0, pgErr("prune", "outbound events", "", err)
	}
	return tag.RowsAffected(), nil
}
