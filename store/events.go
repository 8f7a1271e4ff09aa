package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// EventTypes are the engagement types the store accepts (the events_type_check
// constraint): the scored kinds, plus fast-lane requests and orders.
var EventTypes = []string{"open", "click", "visit", "download", "webinar", "reply", "fast-lane", OrderType}

// Sources ripen names itself (Event.Source); a poster of events may name
// others.
const (
	SourceEmail      = "email"
	SourceWeb        = "web"
	SourceWebClaimed = "web-claimed"
	SourceAPI        = "api"
)

// source is what events_source_check allows.
var source = regexp.MustCompile(`^([a-z][a-z0-9_-]{0,31})?$`)

// Event is one engagement signal of a customer. ContactID, ContentID, RunID
// and Step are what the source reported; they are kept as history and are
// not checked against other records. A zero ReceivedAt means now.
type Event struct {
	ID         string `json:"id" db:"id"`
	CustomerID string `json:"customer_id" db:"customer_id"`
	ContactID  string `json:"contact_id,omitempty" db:"contact_id"`
	Type       string `json:"type" db:"type"`
	Topic      string `json:"topic,omitempty" db:"topic"`
	ContentID  string `json:"content_id,omitempty" db:"content_id"`
	URL        string `json:"url,omitempty" db:"url"`
	RunID      string `json:"run_id,omitempty" db:"run_id"`
	Step       string `json:"step,omitempty" db:"step"`
	// Note is what the contact wrote with a fast-lane request.
	Note string `json:"note,omitempty" db:"note"`
	// Product is what an order (OrderType) ordered; other events name none.
	Product string `json:"product,omitempty" db:"product"`
	// Source says where the event came from: SourceEmail, SourceWeb,
	// SourceWebClaimed, or what a poster names ("api" by default).
	Source string `json:"source,omitempty" db:"source"`
	// ContactEmail may name the contact in place of CustomerID and
	// ContactID when an event is posted; the use case resolves it and
	// clears it, so an address is never stored with an event.
	ContactEmail string    `json:"contact_email,omitempty" db:"-"`
	OccurredAt   time.Time `json:"occurred_at" db:"occurred_at"`
	ReceivedAt   time.Time `json:"received_at" db:"received_at"`
}

var eventColumns = []string{
	"id", "customer_id", "contact_id", "type", "topic", "content_id",
	"url", "run_id", "step", "note", "product", "source", "occurred_at", "received_at", "position",
}

const sqlCreateIncomingEvents = `
CREATE TEMPORARY TABLE incoming_events (
    id          text,
    customer_id text,
    contact_id  text,
    type        text,
    topic       text,
    content_id  text,
    url         text,
    run_id      text,
    step        text,
    note        text,
    product     text,
    source      text,
    occurred_at timestamptz,
    received_at timestamptz,
    position    int
) ON COMMIT DROP`

const sqlUnknownEventCustomers = `
SELECT i.id, i.customer_id, count(*) OVER ()
FROM incoming_events i
WHERE NOT EXISTS (SELECT FROM customers c WHERE c.id = i.customer_id)
ORDER BY i.position
LIMIT 1`

// The first copy of an ID within the batch wins; IDs already stored are left
// alone and do not come back from RETURNING.
const sqlInsertIncomingEvents = `
INSERT INTO events (id, customer_id, contact_id, type, topic, content_id,
                    url, run_id, step, note, product, source, occurred_at, received_at)
SELECT DISTINCT ON (id)
       id, customer_id, contact_id, type, topic, content_id,
       url, run_id, step, note, product, source, occurred_at, received_at
FROM incoming_events
ORDER BY id, position
ON CONFLICT (id) DO NOTHING
RETURNING id`

// InsertEvents stores a batch of events (thousands are fine) in one
// transaction without a round trip per event: the batch is copied into a
// temporary table and inserted from there, skipping IDs already stored.
//
// Every distinct ID of the batch comes back exactly once, in the order of
// its first appearance: in inserted when this call stored it, in duplicates
// when it was stored before. An ID repeated within the batch is stored once,
// from its first copy, and counts once.
//
// The batch is all or nothing: an event that is malformed or names an
// unknown customer is an *Error (ErrInvalid) naming that event, and nothing
// is stored. Use MissingCustomers first to report every unknown customer.
func (s *Store) InsertEvents(ctx context.Context, events []Event) (inserted, duplicates []string, err error) {
	if len(events) == 0 {
		return nil, nil, nil
	}
	now := time.Now()
	for _, e := range events {
		if err := validateEvent(e); err != nil {
			return nil, nil, err
		}
	}
	if len(events) == 1 {
		// One event (a click, a page view, a fast lane) is one statement:
		// the temporary table costs four round trips a batch earns back.
		return s.insertEvent(ctx, events[0], now)
	}

	stored := make(map[string]bool, len(events))
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlCreateIncomingEvents); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"incoming_events"}, eventColumns,
			pgx.CopyFromSlice(len(events), func(i int) ([]any, error) {
				e := events[i]
				received := e.ReceivedAt
				if received.IsZero() {
					received = now
				}
				return []any{e.ID, e.CustomerID, e.ContactID, e.Type, e.Topic, e.ContentID,
					e.URL, e.RunID, e.Step, e.Note, e.Product, e.Source, e.OccurredAt, received, i}, nil
			}))
		if err != nil {
			return err
		}

		var id, customerID string
		var unknown int
		err = tx.QueryRow(ctx, sqlUnknownEventCustomers).Scan(&id, &customerID, &unknown)
		if err == nil {
			msg := fmt.Sprintf("unknown customer %q", customerID)
			if unknown > 1 {
				msg += fmt.Sprintf(" (%d events of the batch name unknown customers)", unknown)
			}
			return invalid("event", id, "customer_id", msg)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}

		rows, _ := tx.Query(ctx, sqlInsertIncomingEvents)
		_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
			stored[id] = true
			return nil
		})
		return err
	})
	if err != nil {
		return nil, nil, pgErr("insert", "events", "", err)
	}

	inserted = make([]string, 0, len(stored))
	seen := make(map[string]bool, len(events))
	for _, e := range events {
		if seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		if stored[e.ID] {
			inserted = append(inserted, e.ID)
		} else {
			duplicates = append(duplicates, e.ID)
		}
	}
	return inserted, duplicates, nil
}

const sqlInsertEvent = `
INSERT INTO events (id, customer_id, contact_id, type, topic, content_id,
                    url, run_id, step, note, product, source, occurred_at, received_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (id) DO NOTHING
RETURNING id`

// insertEvent is InsertEvents of one event.
func (s *Store) insertEvent(ctx context.Context, e Event, now time.Time) (inserted, duplicates []string, err error) {
	received := e.ReceivedAt
	if received.IsZero() {
		received = now
	}
	var id string
	err = s.pool.QueryRow(ctx, sqlInsertEvent, e.ID, e.CustomerID, e.ContactID, e.Type, e.Topic, e.ContentID,
		e.URL, e.RunID, e.Step, e.Note, e.Product, e.Source, e.OccurredAt, received).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return []string{}, []string{e.ID}, nil
	case err != nil:
		return nil, nil, pgErr("insert", "event", e.ID, err)
	}
	return []string{id}, nil, nil
}

// Limits of the events table, in characters (events_id_check,
// events_note_check). Exported so that the API checks a request against the
// same numbers the schema enforces.
const (
	MaxEventIDChars   = 200
	MaxEventNoteChars = 4000
)

// FastLaneType is the event type of a fast-lane request. Its topic names the
// offer asked for (one of journey.FastLaneOffers), not a content topic, so it
// is no engagement on a topic for the detectors.
const FastLaneType = "fast-lane"

// EventProblem is one field of an event that the schema would refuse.
type EventProblem struct {
	Field, Msg string
}

// EventProblems lists every field of e that the schema would refuse, one
// problem per field, in the order id, customer_id, type, occurred_at, then
// the free-text fields: the API reports them all at once, InsertEvents the
// first. Lengths are counted in characters, as Postgres does.
func EventProblems(e Event) []EventProblem {
	var ps []EventProblem
	add := func(field, msg string) { ps = append(ps, EventProblem{field, msg}) }
	switch n := utf8.RuneCountInString(e.ID); {
	case !cleanText(e.ID):
		add("id", "must be valid UTF-8 without NUL characters")
	case n == 0 || n > MaxEventIDChars:
		add("id", fmt.Sprintf("must be 1 to %d characters", MaxEventIDChars))
	}
	switch {
	case e.CustomerID == "":
		add("customer_id", "is required")
	case !cleanText(e.CustomerID):
		add("customer_id", "must be valid UTF-8 without NUL characters")
	}
	if !slices.Contains(EventTypes, e.Type) {
		add("type", fmt.Sprintf("%q is not one of %v", e.Type, EventTypes))
	}
	if e.OccurredAt.IsZero() {
		add("occurred_at", "is required")
	}
	if msg := productProblem(e); msg != "" {
		add("product", msg)
	}
	if !source.MatchString(e.Source) {
		add("source", "must be a lower-case word of at most 32 letters, digits, - or _")
	}
	for _, f := range []struct{ name, value string }{
		{"contact_id", e.ContactID}, {"topic", e.Topic}, {"content_id", e.ContentID},
		{"url", e.URL}, {"run_id", e.RunID}, {"step", e.Step}, {"note", e.Note},
	} {
		if !cleanText(f.value) {
			add(f.name, "must be valid UTF-8 without NUL characters")
		} else if f.name == "note" && utf8.RuneCountInString(e.Note) > MaxEventNoteChars {
			add("note", fmt.Sprintf("must be at most %d characters", MaxEventNoteChars))
		}
	}
	return ps
}

// cleanText: s can be stored in a text column (Postgres refuses NUL and
// invalid UTF-8).
func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// validateEvent names the event of a batch that the schema would refuse, so
// that no failure of the batch's single statement goes unnamed.
func validateEvent(e Event) error {
	if ps := EventProblems(e); len(ps) > 0 {
		return invalid("event", e.ID, ps[0].Field, ps[0].Msg)
	}
	return nil
}

const sqlCountEvents = `
SELECT count(*)
FROM events
WHERE customer_id = $1 AND topic = ANY($2::text[]) AND occurred_at >= $3
  AND type NOT IN ('fast-lane', 'order')`

const sqlCountEventsAllTopics = `
SELECT count(*)
FROM events
WHERE customer_id = $1 AND occurred_at >= $2 AND type NOT IN ('fast-lane', 'order')`

// CountEvents counts a customer's engagement events on any of topics (all
// topics when none are given) that occurred at or after since: the
// detector's question. Fast-lane requests are left out: their topic names an
// offer, and a request goes to the runs that offer it, not to detectors.
func (s *Store) CountEvents(ctx context.Context, customerID string, topics []string, since time.Time) (int, error) {
	var n int
	var err error
	if len(topics) == 0 {
		err = s.pool.QueryRow(ctx, sqlCountEventsAllTopics, customerID, since).Scan(&n)
	} else {
		err = s.pool.QueryRow(ctx, sqlCountEvents, customerID, topics, since).Scan(&n)
	}
	return n, pgErr("count", "events of customer", customerID, err)
}

const sqlRecentEvents = `
SELECT id, customer_id, contact_id, type, topic, content_id,
       url, run_id, step, note, product, source, occurred_at, received_at
FROM (
    SELECT *
    FROM events
    WHERE customer_id = $1 AND occurred_at >= $2 AND type NOT IN ('fast-lane', 'order')
      AND (cardinality($3::text[]) = 0 OR topic = ANY($3::text[]))
    ORDER BY occurred_at DESC, id DESC
    LIMIT $4
) newest
ORDER BY occurred_at, id`

// RecentEvents returns the newest limit (0 means DefaultLimit) of a
// customer's engagement events on any of topics (all topics when none are
// given) that occurred at or after since, oldest first: the events that met
// a detector's rule, as CountEvents counts them. The limit picks the newest,
// so a long window full of old events cannot crowd out the recent ones.
func (s *Store) RecentEvents(ctx context.Context, customerID string, topics []string, since time.Time, limit int) ([]Event, error) {
	rows, _ := s.pool.Query(ctx, sqlRecentEvents, customerID, since, nonNil(topics), clampLimit(limit))
	evs, err := pgx.CollectRows(rows, pgx.RowToStructByName[Event])
	return evs, pgErr("list", "recent events of customer", customerID, err)
}

const sqlGetEvents = `
SELECT id, customer_id, contact_id, type, topic, content_id,
       url, run_id, step, note, product, source, occurred_at, received_at
FROM events
WHERE id = ANY($1::text[])`

// GetEvents returns the stored events of ids, by ID, in one query; IDs not
// stored are absent from the map.
func (s *Store) GetEvents(ctx context.Context, ids []string) (map[string]Event, error) {
	out := make(map[string]Event, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, _ := s.pool.Query(ctx, sqlGetEvents, ids)
	evs, err := pgx.CollectRows(rows, pgx.RowToStructByName[Event])
	if err != nil {
		return nil, pgErr("get", "events", "", err)
	}
	for _, e := range evs {
		out[e.ID] = e
	}
	return out, nil
}

const sqlGetEvent = `
SELECT id, customer_id, contact_id, type, topic, content_id,
       url, run_id, step, note, product, source, occurred_at, received_at
FROM events
WHERE id = $1`

// GetEvent returns one stored event.
func (s *Store) GetEvent(ctx context.Context, id string) (Event, error) {
	rows, _ := s.pool.Query(ctx, sqlGetEvent, id)
	e, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Event])
	if errors.Is(err, pgx.ErrNoRows) {
		return e, notFound("event", id)
	}
	return e, pgErr("get", "event", id, err)
}

// One batch of the oldest events before a time; ctid finds the rows the
// index chose without a second lookup by ID.
const sqlPruneEvents = `
DELETE FROM events
WHERE ctid = ANY (ARRAY(
    SELECT ctid FROM events WHERE occurred_at < $1 ORDER BY occurred_at LIMIT $2))`

// PruneEvents deletes at most batch events that occurred before before,
// oldest first, and returns how many it deleted: fewer than batch means
// none is left. Batches keep each transaction short, so ingestion and the
// detectors are not held up by a large deletion.
func (s *Store) PruneEvents(ctx context.Context, before time.Time, batch int) (int64, error) {
	if batch < 1 {
		batch = 10000
	}
	tag, err := s.pool.Exec(ctx, sqlPruneEvents, before, batch)
	if err != nil {
		return 0, pgErr("prune", "events", "", err)
	}
	return tag.RowsAffected(), nil
}
