package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// LinkFetch is one fetch of a tracked link in an email: by a person, or
// by a machine (Machine, with the Reason) that scores nothing.
type LinkFetch struct {
	ID         int64  `db:"id"`
	CustomerID string `db:"customer_id"`
	// RunID, Step, Cycle and ContactID name the email.
	RunID     string `db:"run_id"`
	Step      string `db:"step"`
	Cycle     int    `db:"cycle"`
	ContactID string `db:"contact_id"`
	// Link tells the links of one email apart (a digest of its token).
	Link string `db:"link"`
	// Trap: the email's hidden link, which only machines follow.
	Trap    bool   `db:"trap"`
	Machine bool   `db:"machine"`
	Reason  string `db:"reason"`
	// EventID is the click event the fetch stored, "" when none.
	EventID   string    `db:"event_id"`
	FetchedAt time.Time `db:"fetched_at"`
}

// FetchVerdict is what a fetch of a tracked link was: a person's or a
// machine's (with why), and which earlier fetches of the same email it
// shows to be a machine's too (Correct, by ID, with CorrectReason).
type FetchVerdict struct {
	Machine       bool
	Reason        string
	Correct       []int64
	CorrectReason string
}

const linkFetchColumns = `id, customer_id, run_id, step, cycle, contact_id, link, trap, machine, reason, event_id, fetched_at`

// One lock per email: its fetches are judged one at a time.
const sqlLockEmail = `SELECT pg_advisory_xact_lock(hashtextextended(json_build_array($1::text, $2::text, $3::int, $4::text)::text, 7291))`

const sqlEarlierFetches = `
SELECT ` + linkFetchColumns + `
FROM link_fetches
WHERE run_id = $1 AND step = $2 AND cycle = $3 AND contact_id = $4 AND fetched_at >= $5
ORDER BY fetched_at, id`

const sqlInsertLinkFetch = `
INSERT INTO link_fetches (customer_id, run_id, step, cycle, contact_id, link, trap, machine, reason, fetched_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id`

// A row already a machine's keeps its first reason. event_id comes back as
// it is when the update runs, so a click stored by a fetch at the same
// moment is not missed (see SetLinkFetchEvent).
const sqlCorrectLinkFetches = `
UPDATE link_fetches
SET machine = true, reason = $2
WHERE id = ANY($1::bigint[]) AND NOT machine
RETURNING ` + linkFetchColumns

// RecordLinkFetch stores fetch f with the verdict judge gives it. judge
// sees the fetches of the same email (run, step, cycle and contact) made
// since since, oldest first, and may name some of them to be a machine's
// after all; those that were a person's until now come back as corrected,
// each with the click event it stored (EventID) for the caller to take
// back. The fetches of one email are judged one at a time, so each verdict
// sees every fetch recorded before it.
func (s *Store) RecordLinkFetch(ctx context.Context, f LinkFetch, since time.Time, judge func(earlier []LinkFetch) FetchVerdict) (stored LinkFetch, corrected []LinkFetch, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlLockEmail, f.RunID, f.Step, f.Cycle, f.ContactID); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, sqlEarlierFetches, f.RunID, f.Step, f.Cycle, f.ContactID, since)
		earlier, err := pgx.CollectRows(rows, pgx.RowToStructByName[LinkFetch])
		if err != nil {
			return err
		}
		v := judge(earlier)
		f.Machine, f.Reason, f.EventID = v.Machine, v.Reason, ""
		if !v.Machine {
			f.Reason = ""
		}
		if err := tx.QueryRow(ctx, sqlInsertLinkFetch, f.CustomerID, f.RunID, f.Step, f.Cycle, f.ContactID,
			f.Link, f.Trap, f.Machine, f.Reason, f.FetchedAt).Scan(&f.ID); err != nil {
			return err
		}
		if len(v.Correct) == 0 {
			return nil
		}
		rows, _ = tx.Query(ctx, sqlCorrectLinkFetches, v.Correct, v.CorrectReason)
		corrected, err = pgx.CollectRows(rows, pgx.RowToStructByName[LinkFetch])
		return err
	})
	if err != nil {
		return LinkFetch{}, nil, pgErr("record", "link fetch of run", f.RunID, err)
	}
	return f, corrected, nil
}

// SetLinkFetchEvent notes the click event that fetch id stored, and says
// whether the fetch has been found to be a machine's meanwhile: then the
// caller takes the event back itself, as the fetch that found it out could
// not see it yet.
func (s *Store) SetLinkFetchEvent(ctx context.Context, id int64, eventID string) (machine bool, err error) {
	err = s.pool.QueryRow(ctx, `UPDATE link_fetches SET event_id = $2 WHERE id = $1 RETURNING machine`, id, eventID).Scan(&machine)
	return machine, pgErr("update", "link fetch", "", err)
}

// ForgetClicks deletes the click events of ids: clicks stored as a
// person's that turned out to be a machine's. Events of other types are
// left alone.
func (s *Store) ForgetClicks(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM events WHERE id = ANY($1::text[]) AND type = 'click'`, ids)
	return pgErr("delete", "click events", "", err)
}

// LinkFetches lists the fetches of a run's tracked links, oldest first.
func (s *Store) LinkFetches(ctx context.Context, runID string) ([]LinkFetch, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+linkFetchColumns+` FROM link_fetches WHERE run_id = $1 ORDER BY fetched_at, id`, runID)
	fs, err := pgx.CollectRows(rows, pgx.RowToStructByName[LinkFetch])
	return fs, pgErr("list", "link fetches of run", runID, err)
}
