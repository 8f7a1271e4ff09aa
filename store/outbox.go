package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Outbox kinds: the email a row stands for.
const (
	OutboxContent  = "content"  // nurture content to a contact
	OutboxHandoff  = "handoff"  // the hand-off to the account owner
	OutboxReminder = "reminder" // an SLA reminder to the account owner
)

// Outbox statuses. A row is pending until SendGrid accepted the message
// (sent), or failed for good; the Event Webhook then moves sent rows to
// delivered or bounced.
const (
	OutboxPending   = "pending"
	OutboxSent      = "sent"
	OutboxFailed    = "failed"
	OutboxDelivered = "delivered"
	OutboxBounced   = "bounced"
)

// OutboxKey identifies one email of a run: the step, the cycle (a recycled
// run sends its steps again) and the recipient. ContactID is the recipient's
// ID: a contact, or the owner for hand-off and reminder emails. Kind defaults
// to content. Hand-off and reminder emails belong to a hand-off: HandoffID,
// or when empty the hand-off of the same RunKey and Cycle, which must exist.
type OutboxKey struct {
	RunKey    string
	StepID    string
	Cycle     int
	ContactID string
	Kind      string
	HandoffID string
}

// OutboxRow is the stored state of one email.
type OutboxRow struct {
	ID        int64      `json:"id" db:"id"`
	RunKey    string     `json:"run_key" db:"run_key"`
	StepID    string     `json:"step_id" db:"step_id"`
	Cycle     int        `json:"cycle" db:"cycle"`
	ContactID string     `json:"contact_id" db:"contact_id"`
	Kind      string     `json:"kind" db:"kind"`
	HandoffID string     `json:"handoff_id,omitempty" db:"handoff_id"`
	Status    string     `json:"status" db:"status"`
	MessageID string     `json:"message_id,omitempty" db:"message_id"`
	Error     string     `json:"error,omitempty" db:"error"`
	CreatedAt time.Time  `json:"created_at" db:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty" db:"sent_at"`
	UpdatedAt time.Time  `json:"updated_at" db:"updated_at"`
}

const outboxColumns = `
       id, run_key, step_id, cycle, contact_id, kind,
       COALESCE(handoff_id, '') AS handoff_id, status,
       COALESCE(message_id, '') AS message_id, error, created_at, sent_at, updated_at`

// Hand-off and reminder emails belong to a hand-off: the one given, or else
// the run's hand-off of that cycle (there is at most one).
const sqlClaimOutbox = `
INSERT INTO outbox (run_key, step_id, cycle, contact_id, kind, handoff_id)
VALUES ($1, $2, $3, $4, $5,
        CASE WHEN $5 = 'content' THEN NULLIF($6, '')
             ELSE COALESCE(NULLIF($6, ''),
                           (SELECT h.id FROM handoffs h WHERE h.run_key = $1 AND h.cycle = $3
                            ORDER BY h.escalation DESC LIMIT 1))
        END)
ON CONFLICT (run_key, step_id, cycle, contact_id) DO NOTHING
RETURNING` + outboxColumns

const sqlGetOutboxByKey = `
SELECT` + outboxColumns + `
FROM outbox
WHERE run_key = $1 AND step_id = $2 AND cycle = $3 AND contact_id = $4`

// ClaimOutbox returns the outbox row for key, inserting it as pending the
// first time. Callers send only while the row is pending (or failed, if they
// choose to try again), then MarkOutboxSent: that is what makes a retried
// send activity safe. A key claimed before with another kind is ErrConflict.
func (s *Store) ClaimOutbox(ctx context.Context, key OutboxKey) (OutboxRow, error) {
	if key.Kind == "" {
		key.Kind = OutboxContent
	}
	id := fmt.Sprintf("%s/%s/%d/%s", key.RunKey, key.StepID, key.Cycle, key.ContactID)
	rows, _ := s.pool.Query(ctx, sqlClaimOutbox,
		key.RunKey, key.StepID, key.Cycle, key.ContactID, key.Kind, key.HandoffID)
	row, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OutboxRow])
	if errors.Is(err, pgx.ErrNoRows) { // claimed before: read it
		rows, _ = s.pool.Query(ctx, sqlGetOutboxByKey, key.RunKey, key.StepID, key.Cycle, key.ContactID)
		row, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OutboxRow])
	}
	if err != nil {
		return OutboxRow{}, pgErr("claim", "outbox email", id, err)
	}
	if row.Kind != key.Kind {
		return OutboxRow{}, conflict("outbox email", id, "kind",
			fmt.Sprintf("claimed before as %s, not %s", row.Kind, key.Kind))
	}
	return row, nil
}

// GetOutbox returns an outbox row by its ID, or ErrNotFound.
func (s *Store) GetOutbox(ctx context.Context, id int64) (OutboxRow, error) {
	rows, _ := s.pool.Query(ctx, `SELECT`+outboxColumns+` FROM outbox WHERE id = $1`, id)
	row, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OutboxRow])
	return row, pgErr("get", "outbox email", strconv.FormatInt(id, 10), err)
}

const sqlMarkOutboxSent = `
UPDATE outbox
SET status = 'sent', message_id = $2, sent_at = now(), error = '', updated_at = now()
WHERE id = $1 AND status IN ('pending', 'failed')`

// MarkOutboxSent records that SendGrid accepted the email with messageID
// (its X-Message-Id). Marking it again with the same message ID is a no-op;
// with another one it is ErrConflict.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, messageID string) error {
	sid := strconv.FormatInt(id, 10)
	if messageID == "" {
		return invalid("outbox email", sid, "message_id", "is required")
	}
	tag, err := s.pool.Exec(ctx, sqlMarkOutboxSent, id, messageID)
	if err != nil {
		return pgErr("mark sent", "outbox email", sid, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	row, err := s.GetOutbox(ctx, id)
	if err != nil {
		return err
	}
	if row.MessageID != messageID {
		return conflict("outbox email", sid, "message_id",
			fmt.Sprintf("already sent as message %q", row.MessageID))
	}
	return nil
}

const sqlMarkOutboxFailed = `
UPDATE outbox
SET status = 'failed', error = $2, updated_at = now()
WHERE id = $1 AND status IN ('pending', 'failed')`

// MarkOutboxFailed records that the email failed for good (SendGrid refused
// it), with the reason. An email already sent is ErrConflict.
func (s *Store) MarkOutboxFailed(ctx context.Context, id int64, reason string) error {
	sid := strconv.FormatInt(id, 10)
	tag, err := s.pool.Exec(ctx, sqlMarkOutboxFailed, id, reason)
	if err != nil {
		return pgErr("mark failed", "outbox email", sid, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	row, err := s.GetOutbox(ctx, id)
	if err != nil {
		return err
	}
	return conflict("outbox email", sid, "status", "already "+row.Status)
}

// Delivery news only moves forward: sent → delivered or bounced, and a
// delivered email may still bounce later.
const sqlUpdateOutboxDelivery = `
UPDATE outbox
SET status = $2, updated_at = now()
WHERE message_id = split_part($1, '.', 1)
  AND (status = 'sent' OR (status = 'delivered' AND $2 = 'bounced'))
RETURNING` + outboxColumns

// UpdateOutboxDelivery records SendGrid's delivery news (status delivered
// or bounced) for the email with messageID, which may be the X-Message-Id or
// the webhook's sg_message_id ("<X-Message-Id>.filter…"). It returns the row,
// so the caller can find the run and recipient. News older than the stored
// status changes nothing; an unknown message is ErrNotFound.
func (s *Store) UpdateOutboxDelivery(ctx context.Context, messageID, status string) (OutboxRow, error) {
	if status != OutboxDelivered && status != OutboxBounced {
		return OutboxRow{}, invalid("outbox email", messageID, "status", "must be delivered or bounced")
	}
	rows, _ := s.pool.Query(ctx, sqlUpdateOutboxDelivery, messageID, status)
	row, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OutboxRow])
	if errors.Is(err, pgx.ErrNoRows) {
		rows, _ = s.pool.Query(ctx, `SELECT`+outboxColumns+`
FROM outbox
WHERE message_id = split_part($1, '.', 1)`, messageID)
		row, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OutboxRow])
	}
	return row, pgErr("update delivery of", "outbox email", messageID, err)
}

const sqlCountSentSince = `
SELECT count(*), min(sent_at)
FROM outbox
WHERE contact_id = $1 AND kind = 'content' AND sent_at IS NOT NULL AND sent_at >= $2`

// CountSentSince counts the content emails sent to a contact at or after
// since, across all journeys, and returns when the oldest of them was sent
// (zero when none): the per-contact frequency cap. Hand-off and reminder
// emails do not count.
func (s *Store) CountSentSince(ctx context.Context, contactID string, since time.Time) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, sqlCountSentSince, contactID, since).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, pgErr("count", "emails sent to contact", contactID, err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, *oldest, nil
}
