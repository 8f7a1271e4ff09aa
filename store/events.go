package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// EventTypes are the engagement types the store accepts (the events_type_check
// constraint): the scored kinds, plus fast-lane requests.
var EventTypes = []string{"open", "click", "visit", "download", "webinar", "reply", "fast-lane"}

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
	Note       string    `json:"note,omitempty" db:"note"`
	OccurredAt time.Time `json:"occurred_at" db:"occurred_at"`
	ReceivedAt time.Time `json:"received_at" db:"received_at"`
}

var eventColumns = []string{
	"id", "customer_id", "contact_id", "type", "topic", "content_id",
	"url", "run_id", "step", "note", "occurred_at", "received_at", "position",
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
                    url, run_id, step, note, occurred_at, received_at)
SELECT DISTINCT ON (id)
       id, customer_id, contact_id, type, topic, content_id,
       url, run_id, step, note, occurred_at, received_at
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
					e.URL, e.RunID, e.Step, e.Note, e.OccurredAt, received, i}, nil
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

// Limits of the events table, in characters (events_id_check,
// events_note_check).
const (
	maxEventIDChars   = 200
	maxEventNoteChars = 4000
)

// validateEvent names the event of a batch that the schema would refuse, so
// that no failure of the batch's single statement goes unnamed. Lengths are
// counted in characters, as Postgres does.
func validateEvent(e Event) error {
	switch n := utf8.RuneCountInString(e.ID); {
	case !utf8.ValidString(e.ID) || strings.ContainsRune(e.ID, 0):
		return invalid("event", e.ID, "id", "must be valid UTF-8 without NUL characters")
	case n == 0 || n > maxEventIDChars:
		return invalid("event", e.ID, "id", fmt.Sprintf("must be 1 to %d characters", maxEventIDChars))
	case e.CustomerID == "":
		return invalid("event", e.ID, "customer_id", "is required")
	case !slices.Contains(EventTypes, e.Type):
		return invalid("event", e.ID, "type", fmt.Sprintf("%q is not one of %v", e.Type, EventTypes))
	case e.OccurredAt.IsZero():
		return invalid("event", e.ID, "occurred_at", "is required")
	case utf8.RuneCountInString(e.Note) > maxEventNoteChars:
		return invalid("event", e.ID, "note", fmt.Sprintf("must be at most %d characters", maxEventNoteChars))
	}
	for _, f := range []struct{ name, value string }{
		{"customer_id", e.CustomerID}, {"contact_id", e.ContactID}, {"topic", e.Topic},
		{"content_id", e.ContentID}, {"url", e.URL}, {"run_id", e.RunID}, {"step", e.Step},
		{"note", e.Note},
	} {
		if !utf8.ValidString(f.value) || strings.ContainsRune(f.value, 0) {
			return invalid("event", e.ID, f.name, "must be valid UTF-8 without NUL characters")
		}
	}
	return nil
}

const sqlCountEvents = `
SELECT count(*)
FROM events
WHERE customer_id = $1 AND topic = ANY($2::text[]) AND occurred_at >= $3`

const sqlCountEventsAllTopics = `
SELECT count(*)
FROM events
WHERE customer_id = $1 AND occurred_at >= $2`

// CountEvents counts a customer's events on any of topics (all topics when
// none are given) that occurred at or after since: the detector's question.
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

const sqlListEvents = `
SELECT id, customer_id, contact_id, type, topic, content_id,
       url, run_id, step, note, occurred_at, received_at
FROM events
WHERE customer_id = $1 AND occurred_at >= $2
ORDER BY occurred_at, id
LIMIT $3`

// ListEvents returns a customer's events that occurred at or after since,
// oldest first, at most limit of them (0 means DefaultLimit).
func (s *Store) ListEvents(ctx context.Context, customerID string, since time.Time, limit int) ([]Event, error) {
	rows, _ := s.pool.Query(ctx, sqlListEvents, customerID, since, clampLimit(limit))
	evs, err := pgx.CollectRows(rows, pgx.RowToStructByName[Event])
	return evs, pgErr("list", "events of customer", customerID, err)
}

const sqlGetEvent = `
SELECT id, customer_id, contact_id, type, topic, content_id,
       url, run_id, step, note, occurred_at, received_at
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
