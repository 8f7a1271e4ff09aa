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
	OutboxNotice   = "notice"   // a notice to the account owner outside a hand-off
)

// Outbox statuses. A row is pending until SendGrid accepted the message
// (sent), or failed for good; the Event Webhook then moves sent rows on:
// deferred while the receiving server keeps saying "later", then delivered,
// bounced or dropped (SendGrid will not deliver it, e.g. a suppressed or
// invalid address).
const (
	OutboxPending   = "pending"
	OutboxSent      = "sent"
	OutboxFailed    = "failed"
	OutboxDeferred  = "deferred"
	OutboxDelivered = "delivered"
	OutboxBounced   = "bounced"
	OutboxDropped   = "dropped"
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

// getOutbox returns an outbox row by its ID, or ErrNotFound.
func (s *Store) getOutbox(ctx context.Context, id int64) (OutboxRow, error) {
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
	row, err := s.getOutbox(ctx, id)
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
	row, err := s.getOutbox(ctx, id)
	if err != nil {
		return err
	}
	return conflict("outbox email", sid, "status", "already "+row.Status)
}

// Delivery news only moves forward: sent → deferred → delivered, bounced or
// dropped, and a delivered email may still bounce later. A late deferred
// never takes back a delivery, and bounced and dropped are final.
const sqlUpdateOutboxDelivery = `
UPDATE outbox
SET status = $2::text, updated_at = now()
WHERE message_id = split_part($1, '.', 1)
  AND CASE $2::text
          WHEN 'deferred'  THEN status = 'sent'
          WHEN 'delivered' THEN status IN ('sent', 'deferred')
          WHEN 'dropped'   THEN status IN ('sent', 'deferred')
          WHEN 'bounced'   THEN status IN ('sent', 'deferred', 'delivered')
          ELSE false
      END
RETURNING` + outboxColumns

// UpdateOutboxDelivery records SendGrid's delivery news (status deferred,
// delivered, bounced or dropped) for the email with messageID, which may be
// the X-Message-Id or the webhook's sg_message_id ("<X-Message-Id>.filter…").
// It returns the row, so the caller can find the run and recipient. News
// older than the stored status changes nothing; an unknown message is
// ErrNotFound.
func (s *Store) UpdateOutboxDelivery(ctx context.Context, messageID, status string) (OutboxRow, error) {
	switch status {
	case OutboxDeferred, OutboxDelivered, OutboxBounced, OutboxDropped:
	default:
		return OutboxRow{}, invalid("outbox email", messageID, "status", "must be deferred, delivered, bounced or dropped")
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

// The emails that count towards a contact's cap: content emails sent, or
// reserved and on their way, since $3, other than the one asking ($2).
// Failed emails do not count.
const sqlCapWindow = `
SELECT COALESCE(sent_at, reserved_at) AS at
FROM outbox
WHERE contact_id = $1 AND kind = 'content' AND status <> 'failed' AND id <> $2
  AND COALESCE(sent_at, reserved_at) >= $3
ORDER BY at`

// ReserveUnderCap applies the per-contact frequency cap, at most limit
// content emails in any period per across all journeys, to the content email of
// outbox row id about to go to contactID. If fewer than limit others were sent
// or reserved since now-per, it reserves this one (from now on it counts for
// the others, before SendGrid has accepted it) and reports ok. Otherwise
// nothing changes and notBefore says when the next one may go: when the
// email that keeps the contact at the cap, the (n−limit+1)-th oldest of the n
// in the window, leaves it.
//
// Calls for one contact are serialised (a transaction-scoped advisory lock
// around the count and the reservation), so runs of different journeys
// mailing the contact at once cannot all pass. Retrying is safe: a row never
// counts against itself, and reserving again only moves its time. A
// reserved email that is never sent (its run failed for good) counts until
// it leaves the window. A limit or per of zero means no cap.
func (s *Store) ReserveUnderCap(ctx context.Context, id int64, contactID string, limit int, per time.Duration, now time.Time) (ok bool, notBefore time.Time, err error) {
	if limit <= 0 || per <= 0 {
		return true, time.Time{}, nil
	}
	sid := strconv.FormatInt(id, 10)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ripen/frequency-cap'), hashtext($1))`, contactID); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, sqlCapWindow, contactID, id, now.Add(-per))
		times, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
		if err != nil {
			return err
		}
		if n := len(times); n >= limit {
			notBefore = times[n-limit].Add(per)
			return nil
		}
		tag, err := tx.Exec(ctx, `
UPDATE outbox SET reserved_at = now(), updated_at = now()
WHERE id = $1 AND kind = 'content' AND contact_id = $2`, id, contactID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return notFound("outbox email", sid) // not a content email to this contact
		}
		ok = true
		return nil
	})
	if err != nil {
		return false, time.Time{}, pgErr("reserve", "outbox email", sid, err)
	}
	return ok, notBefore, nil
}
