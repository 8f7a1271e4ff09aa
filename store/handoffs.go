package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Hand-off reasons.
const (
	ReasonScore    = "score"
	ReasonFastLane = "fast-lane"
)

// Hand-off statuses: open until sales answers with one of the outcomes, or
// withdrawn when the run ended before an answer.
const (
	HandoffOpen      = "open"
	HandoffAccepted  = "accepted"
	HandoffWon       = "won"
	HandoffLost      = "lost"
	HandoffRejected  = "rejected"
	HandoffNotReady  = "not-ready"
	HandoffWithdrawn = "withdrawn"
)

// HandoffOutcomes are the answers sales may give.
var HandoffOutcomes = []string{HandoffAccepted, HandoffWon, HandoffLost, HandoffRejected, HandoffNotReady}

// HandoffStatuses are every status a hand-off can have (the
// handoffs_status_check constraint).
var HandoffStatuses = []string{HandoffOpen, HandoffAccepted, HandoffWon, HandoffLost, HandoffRejected, HandoffNotReady, HandoffWithdrawn}

// Handoff is the escalation of a run to the customer's account owner, with
// the evidence. ID is generated (a UUID) when empty. Offer is what was asked
// for on a fast lane (e.g. "demo"). Feedback is the outcome sales gave (the
// same as Status once closed; "" when withdrawn), FeedbackNote their note.
// A zero CreatedAt means now. RunKey (workflow ID/first run ID) names the
// run: a workflow ID is reused when a customer is enrolled again.
type Handoff struct {
	ID           string          `json:"id" db:"id"`
	RunKey       string          `json:"run_key" db:"run_key"`
	WorkflowID   string          `json:"workflow_id" db:"workflow_id"`
	JourneyID    string          `json:"journey_id" db:"journey_id"`
	CustomerID   string          `json:"customer_id" db:"customer_id"`
	OwnerID      string          `json:"owner_id" db:"owner_id"`
	Cycle        int             `json:"cycle" db:"cycle"`
	Escalation   int             `json:"escalation" db:"escalation"`
	Reason       string          `json:"reason" db:"reason"`
	Offer        string          `json:"offer,omitempty" db:"offer"`
	Note         string          `json:"note,omitempty" db:"note"`
	Score        float64         `json:"score" db:"score"`
	Evidence     json.RawMessage `json:"evidence,omitempty" db:"evidence"`
	Status       string          `json:"status" db:"status"`
	Feedback     string          `json:"feedback,omitempty" db:"feedback"`
	FeedbackNote string          `json:"feedback_note,omitempty" db:"feedback_note"`
	SLADueAt     time.Time       `json:"sla_due_at" db:"sla_due_at"`
	RemindedAt   *time.Time      `json:"reminded_at,omitempty" db:"reminded_at"`
	CreatedAt    time.Time       `json:"created_at" db:"created_at"`
	ClosedAt     *time.Time      `json:"closed_at,omitempty" db:"closed_at"`
	// Answer is the outcome sales gave while the run has not yet applied
	// it (see ClaimAnswer); AnsweredAt when.
	Answer     string     `json:"answer,omitempty" db:"answer"`
	AnswerNote string     `json:"-" db:"answer_note"`
	AnsweredAt *time.Time `json:"answered_at,omitempty" db:"answered_at"`
	// EventID is the fast-lane event a hand-off without a run answers
	// (CreateRunlessHandoff); "" for a hand-off of a run.
	EventID string `json:"event_id,omitempty" db:"event_id"`
	// ContactID is the person who asked (a fast lane's contact) or else
	// who engaged most; "" when unknown or since removed.
	ContactID string `json:"contact_id,omitempty" db:"contact_id"`
	// Claimed: the request came under a claimed identity (an address typed
	// into a website form), not a proven one; sales should check who it was.
	Claimed bool `json:"claimed_identity,omitempty" db:"claimed"`
}

// HasRun reports whether the hand-off is a run's (else it is a fast lane's
// without a run: no run key, workflow or journey).
func (h Handoff) HasRun() bool { return h.WorkflowID != "" }

// MarshalJSON writes a hand-off without a run with run_key, workflow_id and
// journey_id null, so that API clients can tell it from a run's.
func (h Handoff) MarshalJSON() ([]byte, error) {
	type plain Handoff
	orNull := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return json.Marshal(struct {
		plain
		RunKey     *string `json:"run_key"`
		WorkflowID *string `json:"workflow_id"`
		JourneyID  *string `json:"journey_id"`
	}{plain(h), orNull(h.RunKey), orNull(h.WorkflowID), orNull(h.JourneyID)})
}

// The run's columns are NULL on a hand-off without a run, "" in Handoff.
const handoffColumns = `
       id, COALESCE(run_key, '') AS run_key, COALESCE(workflow_id, '') AS workflow_id,
       COALESCE(journey_id, '') AS journey_id, customer_id, owner_id, cycle, escalation, reason,
       offer, note, score, evidence, status, feedback, feedback_note,
       sla_due_at, reminded_at, created_at, closed_at, answer, answer_note, answered_at,
       COALESCE(event_id, '') AS event_id, COALESCE(contact_id, '') AS contact_id, claimed`

// A retry with the same (run_key, cycle, escalation) inserts nothing; a
// second open hand-off of the run violates handoffs_one_open_per_run.
const sqlCreateHandoff = `
INSERT INTO handoffs (id, run_key, workflow_id, journey_id, customer_id, owner_id, cycle,
                      escalation, reason, offer, note, score, evidence, sla_due_at, created_at, contact_id, claimed)
VALUES (COALESCE(NULLIF($1, ''), gen_random_uuid()::text), $2, $3, $4, $5, $6, $7,
        $15, $8, $9, $10, $11, $12::jsonb, $13, COALESCE($14, now()),
        (SELECT id FROM contacts WHERE id = NULLIF($16, '')), $17)
ON CONFLICT (run_key, cycle, escalation) DO NOTHING
RETURNING` + handoffColumns

const sqlGetHandoffByRunCycle = `
SELECT` + handoffColumns + `
FROM handoffs
WHERE run_key = $1 AND cycle = $2 AND escalation = $3`

// CreateHandoff records an open hand-off and returns it. It is idempotent on
// (RunKey, Cycle, Escalation): a retry returns the hand-off created first.
// A run with another open hand-off is ErrConflict (another run of the same
// workflow ID may have one: it is closed when that run ends). Escalation counts
// the run's hand-offs within a cycle, from 1 (0 means 1).
func (s *Store) CreateHandoff(ctx context.Context, h Handoff) (Handoff, error) {
	if h.Escalation < 1 {
		h.Escalation = 1
	}
	id := h.RunKey + "#" + strconv.Itoa(h.Cycle) + "." + strconv.Itoa(h.Escalation)
	if h.SLADueAt.IsZero() {
		return Handoff{}, invalid("hand-off", id, "sla_due_at", "is required")
	}
	evidence := "{}"
	if len(h.Evidence) > 0 {
		if !json.Valid(h.Evidence) {
			return Handoff{}, invalid("hand-off", id, "evidence", "must be JSON")
		}
		evidence = string(h.Evidence)
	}
	var createdAt *time.Time
	if !h.CreatedAt.IsZero() {
		createdAt = &h.CreatedAt
	}
	rows, _ := s.pool.Query(ctx, sqlCreateHandoff, h.ID, h.RunKey, h.WorkflowID, h.JourneyID,
		h.CustomerID, h.OwnerID, h.Cycle, h.Reason, h.Offer, h.Note, h.Score, evidence,
		h.SLADueAt, createdAt, h.Escalation, h.ContactID, h.Claimed)
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Handoff])
	if errors.Is(err, pgx.ErrNoRows) {
		rows, _ = s.pool.Query(ctx, sqlGetHandoffByRunCycle, h.RunKey, h.Cycle, h.Escalation)
		out, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Handoff])
	}
	return out, pgErr("create", "hand-off", id, err)
}

// A repeated fast-lane event (or a retry) inserts nothing and reads the
// hand-off created first.
const sqlCreateRunlessHandoff = `
INSERT INTO handoffs (id, customer_id, owner_id, cycle, reason, offer, note, evidence, sla_due_at, event_id, contact_id, claimed)
VALUES (COALESCE(NULLIF($1, ''), gen_random_uuid()::text), $2, $3, 0, 'fast-lane', $4, $5, $6::jsonb, $7, $8,
        (SELECT id FROM contacts WHERE id = NULLIF($9, '')), $10)
ON CONFLICT (event_id) DO NOTHING
RETURNING` + handoffColumns

// CreateRunlessHandoff records an open hand-off without a run: a fast-lane
// request (h.EventID) for an offer that no running run of the customer
// offers. It has no run key, workflow or journey (those fields are
// ignored), reason fast-lane and cycle 0. Idempotent on EventID: a retry
// returns the hand-off created first.
func (s *Store) CreateRunlessHandoff(ctx context.Context, h Handoff) (Handoff, error) {
	if h.EventID == "" {
		return Handoff{}, invalid("hand-off", "", "event_id", "is required for a hand-off without a run")
	}
	if h.SLADueAt.IsZero() {
		return Handoff{}, invalid("hand-off", h.EventID, "sla_due_at", "is required")
	}
	evidence := "{}"
	if len(h.Evidence) > 0 {
		if !json.Valid(h.Evidence) {
			return Handoff{}, invalid("hand-off", h.EventID, "evidence", "must be JSON")
		}
		evidence = string(h.Evidence)
	}
	rows, _ := s.pool.Query(ctx, sqlCreateRunlessHandoff, h.ID, h.CustomerID, h.OwnerID, h.Offer, h.Note, evidence, h.SLADueAt, h.EventID, h.ContactID, h.Claimed)
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Handoff])
	if errors.Is(err, pgx.ErrNoRows) {
		rows, _ = s.pool.Query(ctx, `SELECT`+handoffColumns+` FROM handoffs WHERE event_id = $1`, h.EventID)
		out, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Handoff])
	}
	return out, pgErr("create", "hand-off of fast-lane event", h.EventID, err)
}

// GetHandoff returns a hand-off, or ErrNotFound.
func (s *Store) GetHandoff(ctx context.Context, id string) (Handoff, error) {
	rows, _ := s.pool.Query(ctx, `SELECT`+handoffColumns+` FROM handoffs WHERE id = $1`, id)
	h, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Handoff])
	return h, pgErr("get", "hand-off", id, err)
}

// HandoffFilter selects hand-offs; empty fields select all. Limit 0 means
// DefaultLimit. After continues a listing past the hand-off it names (nil:
// from the newest).
type HandoffFilter struct {
	Status     string
	OwnerID    string
	CustomerID string
	JourneyID  string
	Limit      int
	After      *HandoffCursor
}

// HandoffCursor is a hand-off's place in the listing's order (created_at
// DESC, id DESC). Both parts are needed: hand-offs created in the same
// microsecond are told apart by their IDs, so a page boundary between them
// neither repeats nor skips one.
type HandoffCursor struct {
	CreatedAt time.Time
	ID        string
}

// cursorOf is the place of hand-off h in the listing's order.
func cursorOf(h Handoff) HandoffCursor {
	return HandoffCursor{CreatedAt: h.CreatedAt, ID: h.ID}
}

// ListHandoffs returns the hand-offs that match f, newest first.
func (s *Store) ListHandoffs(ctx context.Context, f HandoffFilter) ([]Handoff, error) {
	hs, _, err := s.ListHandoffsPage(ctx, f)
	return hs, err
}

// ListHandoffsPage returns one page of the hand-offs that match f, newest
// first, and the cursor of the next page: nil when no more match. It reads
// one row past the page to know, so a last page that happens to be full
// does not promise a next one that is empty.
func (s *Store) ListHandoffsPage(ctx context.Context, f HandoffFilter) ([]Handoff, *HandoffCursor, error) {
	limit := clampLimit(f.Limit)
	q, args, err := listHandoffsQueryN(f, limit+1)
	if err != nil {
		return nil, nil, err
	}
	rows, _ := s.pool.Query(ctx, q, args...)
	hs, err := pgx.CollectRows(rows, pgx.RowToStructByName[Handoff])
	if err != nil {
		return nil, nil, pgErr("list", "hand-offs", "", err)
	}
	if len(hs) <= limit {
		return hs, nil, nil
	}
	hs = hs[:limit]
	next := cursorOf(hs[limit-1])
	return hs, &next, nil
}

// listHandoffsQuery is ListHandoffs' query and its arguments.
func listHandoffsQuery(f HandoffFilter) (string, []any, error) {
	return listHandoffsQueryN(f, clampLimit(f.Limit))
}

// listHandoffsQueryN is the listing's query for at most limit rows. Newest
// first by owner or by status has an index each (migration 00014), by
// customer or journey too (00009), and open hand-offs of an owner a partial
// one. The cursor is a row comparison, which the (created_at DESC, id DESC)
// indexes take as an index condition: a later page starts where the
// previous one ended instead of reading past it.
func listHandoffsQueryN(f HandoffFilter, limit int) (string, []any, error) {
	if f.Status != "" && !slices.Contains(HandoffStatuses, f.Status) {
		return "", nil, invalid("hand-offs", "", "status",
			"must be one of "+strings.Join(HandoffStatuses, ", "))
	}
	if f.After != nil && (f.After.CreatedAt.IsZero() || f.After.ID == "") {
		return "", nil, invalid("hand-offs", "", "after", "needs a creation time and an ID")
	}
	var where []string
	var args []any
	status := f.Status
	if status == HandoffOpen {
		// A literal, so that even a generic plan can use the partial
		// indexes on open hand-offs (the inbox of an owner).
		where = append(where, "status = 'open'")
		status = ""
	}
	for _, c := range []struct{ column, value string }{
		{"status", status},
		{"owner_id", f.OwnerID},
		{"customer_id", f.CustomerID},
		{"journey_id", f.JourneyID},
	} {
		if c.value != "" {
			args = append(args, c.value)
			where = append(where, fmt.Sprintf("%s = $%d", c.column, len(args)))
		}
	}
	if f.After != nil {
		args = append(args, f.After.CreatedAt, f.After.ID)
		where = append(where, fmt.Sprintf("(created_at, id) < ($%d::timestamptz, $%d::text)", len(args)-1, len(args)))
	}
	q := `SELECT` + handoffColumns + "\nFROM handoffs\n"
	if len(where) > 0 {
		q += "WHERE " + strings.Join(where, " AND ") + "\n"
	}
	args = append(args, limit)
	q += fmt.Sprintf("ORDER BY created_at DESC, id DESC\nLIMIT $%d", len(args))
	return q, args, nil
}

const sqlOpenHandoffOfWorkflow = `
SELECT` + handoffColumns + `
FROM handoffs
WHERE workflow_id = $1 AND status = 'open'
ORDER BY created_at DESC, id DESC
LIMIT 1`

// OpenHandoffOfWorkflow returns the newest open hand-off of a workflow ID
// (normally its current run's), or ErrNotFound when it has none.
func (s *Store) OpenHandoffOfWorkflow(ctx context.Context, workflowID string) (Handoff, error) {
	rows, _ := s.pool.Query(ctx, sqlOpenHandoffOfWorkflow, workflowID)
	h, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Handoff])
	if errors.Is(err, pgx.ErrNoRows) {
		return h, &Error{Kind: ErrNotFound, Record: "open hand-off of workflow", ID: workflowID}
	}
	return h, pgErr("get", "open hand-off of workflow", workflowID, err)
}

// PendingFeedbackNoteTTL bounds how long a note left for a run
// (NotePendingFeedback) waits for the close of its hand-off. The run applies
// an answer within seconds, or once its worker is back; a note older than this
// belongs to an answer the run never applied (it ended, or refused it while
// the API could not drop the note), and must not land on a much later
// hand-off of the same workflow ID (a later cycle after a cool-down, or a
// later enrolment) closed with the same outcome.
const PendingFeedbackNoteTTL = 7 * 24 * time.Hour

// The note sales gave is claimed on the row (answer_note) before the run
// applies the answer, so the run need not carry it: an empty note takes it.
// The note is the one given with the close, else the one claimed with the
// answer when that is the outcome applied, else one left pending for the run
// (NotePendingFeedback) for this outcome and younger than $4 seconds, which
// closing takes (an older one is dropped unused).
const sqlCloseHandoff = `
WITH pending AS (
    DELETE FROM pending_feedback_notes p
    USING handoffs h
    WHERE h.id = $1 AND h.status = 'open' AND p.workflow_id = h.workflow_id AND p.outcome = $2
    RETURNING p.note, p.created_at
)
UPDATE handoffs
SET status = $2, feedback = $2, closed_at = now(),
    feedback_note = COALESCE(NULLIF($3, ''),
                             CASE WHEN answer = $2 THEN NULLIF(answer_note, '') END,
                             (SELECT note FROM pending WHERE created_at > now() - make_interval(secs => $4)),
                             '')
WHERE id = $1 AND status = 'open'
RETURNING` + handoffColumns

// CloseHandoff records sales' answer: outcome is accepted, won, lost,
// rejected or not-ready. An empty note takes the one claimed with the answer
// (ClaimAnswer) when that answer is outcome, else one pending for the run
// with this outcome (NotePendingFeedback) younger than
// PendingFeedbackNoteTTL. Closing again with the same outcome returns the
// hand-off unchanged; with another outcome, or once withdrawn, it is
// ErrConflict.
func (s *Store) CloseHandoff(ctx context.Context, id, outcome, note string) (Handoff, error) {
	if err := checkOutcome(id, outcome); err != nil {
		return Handoff{}, err
	}
	rows, _ := s.pool.Query(ctx, sqlCloseHandoff, id, outcome, note, PendingFeedbackNoteTTL.Seconds())
	h, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Handoff])
	if errors.Is(err, pgx.ErrNoRows) {
		if h, err = s.GetHandoff(ctx, id); err != nil {
			return Handoff{}, err
		}
		if h.Status == HandoffWithdrawn {
			return Handoff{}, conflict("hand-off", id, "outcome", "withdrawn: its run ended before an answer")
		}
		if h.Status != outcome {
			return Handoff{}, conflict("hand-off", id, "outcome", "already closed as "+h.Status)
		}
		return h, nil
	}
	return h, pgErr("close", "hand-off", id, err)
}

// Each open hand-off of the run is closed with the answer sales claimed, if
// any, else withdrawn (no feedback). Only open rows change, so running it
// again changes nothing. The notes left pending for the run (its workflow ID:
// its hand-offs', and the run key's workflow ID/first run ID prefix) are
// dropped, as no hand-off of the run will take them; unless the workflow ID's
// row is another run's that is running (this is a late end of an earlier
// run), whose notes they may be.
const sqlCloseHandoffsOfRun = `
WITH dropped AS (
    DELETE FROM pending_feedback_notes p
    WHERE p.workflow_id IN (SELECT h.workflow_id FROM handoffs h WHERE h.run_key = $1
                            UNION
                            SELECT substring($1 FROM '^(.+)/[^/]+$'))
      AND NOT EXISTS (SELECT FROM runs r
                      WHERE r.workflow_id = p.workflow_id AND r.status = 'running'
                        AND (r.run_key <> $1) IS TRUE)
)
UPDATE handoffs
SET status        = CASE WHEN answer <> '' THEN answer ELSE 'withdrawn' END,
    feedback      = answer,
    feedback_note = CASE WHEN answer <> '' THEN answer_note ELSE feedback_note END,
    closed_at     = now()
WHERE run_key = $1 AND status = 'open'
RETURNING` + handoffColumns

// CloseHandoffsOfRun closes the open hand-offs of a run that has ended:
// as the answer sales already claimed (ClaimAnswer) if there is one, else as
// withdrawn. It returns the hand-offs it closed, and drops the notes left
// pending for the run (NotePendingFeedback). Idempotent: once closed, a
// hand-off is left alone, so a retry returns none.
func (s *Store) CloseHandoffsOfRun(ctx context.Context, runKey string) ([]Handoff, error) {
	if runKey == "" {
		return nil, invalid("hand-offs of run", "", "run_key", "is required")
	}
	rows, _ := s.pool.Query(ctx, sqlCloseHandoffsOfRun, runKey)
	hs, err := pgx.CollectRows(rows, pgx.RowToStructByName[Handoff])
	return hs, pgErr("close", "hand-offs of run", runKey, err)
}

const sqlNotePendingFeedback = `
INSERT INTO pending_feedback_notes (workflow_id, outcome, note)
VALUES ($1, $2, $3)
ON CONFLICT (workflow_id, outcome) DO UPDATE SET note = EXCLUDED.note, created_at = now()
WHERE pending_feedback_notes.created_at < now() - make_interval(secs => $4)`

// NotePendingFeedback keeps sales' note on an answer sent to a run that has
// not recorded its hand-off yet: the run applies the answer, and closing the
// hand-off with that outcome takes the note (notes stay in Postgres, not in
// workflow history). Call it before sending the answer, so the close cannot
// come first. A later note for the same outcome does not replace a fresh one
// (younger than PendingFeedbackNoteTTL): the first answer is the one the run
// applies, and a repeat of it is refused.
func (s *Store) NotePendingFeedback(ctx context.Context, workflowID, outcome, note string) error {
	if err := checkOutcome(workflowID, outcome); err != nil {
		return err
	}
	if workflowID == "" {
		return invalid("pending feedback note", "", "workflow_id", "is required")
	}
	if note == "" {
		return nil
	}
	_, err := s.pool.Exec(ctx, sqlNotePendingFeedback, workflowID, outcome, note, PendingFeedbackNoteTTL.Seconds())
	return pgErr("keep", "pending feedback note", workflowID, err)
}

// PrunePendingFeedback forgets the pending notes noted before the given time
// (closing takes none older than PendingFeedbackNoteTTL) and returns how many
// it removed.
func (s *Store) PrunePendingFeedback(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM pending_feedback_notes WHERE created_at < $1`, before)
	return tag.RowsAffected(), pgErr("prune", "pending feedback notes", "", err)
}

// DropPendingFeedback forgets the note of an answer the run refused, so it
// never lands on a later hand-off.
func (s *Store) DropPendingFeedback(ctx context.Context, workflowID, outcome string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM pending_feedback_notes WHERE workflow_id = $1 AND outcome = $2`, workflowID, outcome)
	return pgErr("drop", "pending feedback note", workflowID, err)
}

const sqlClaimAnswer = `
UPDATE handoffs
SET answer = $2, answer_note = $3, answered_at = now()
WHERE id = $1 AND status = 'open' AND answer = ''
RETURNING` + handoffColumns

// ClaimAnswer records sales' answer on an open hand-off before the run
// applies it. The first answer wins: the returned hand-off's Answer (or,
// once closed, its Status) is the outcome that counts, which the caller
// compares with its own. Claiming the same outcome again changes nothing.
func (s *Store) ClaimAnswer(ctx context.Context, id, outcome, note string) (Handoff, error) {
	if err := checkOutcome(id, outcome); err != nil {
		return Handoff{}, err
	}
	rows, _ := s.pool.Query(ctx, sqlClaimAnswer, id, outcome, note)
	h, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Handoff])
	if errors.Is(err, pgx.ErrNoRows) {
		return s.GetHandoff(ctx, id)
	}
	return h, pgErr("claim answer", "hand-off", id, err)
}

// checkOutcome refuses an answer that is not one of HandoffOutcomes.
func checkOutcome(id, outcome string) error {
	if !slices.Contains(HandoffOutcomes, outcome) {
		return invalid("hand-off", id, "outcome", "must be one of "+strings.Join(HandoffOutcomes, ", "))
	}
	return nil
}

// Answered is the outcome that counts for the hand-off: the applied one
// once closed, else the claimed one ("" when none).
func (h Handoff) Answered() string {
	if h.Status != HandoffOpen {
		return h.Status
	}
	return h.Answer
}

const sqlMarkHandoffReminded = `
UPDATE handoffs
SET reminded_at = now()
WHERE id = $1 AND status = 'open'
RETURNING` + handoffColumns

// MarkHandoffReminded records that the owner was reminded of an open
// hand-off (each reminder moves RemindedAt). On a closed hand-off it changes
// nothing and returns it as it is.
func (s *Store) MarkHandoffReminded(ctx context.Context, id string) (Handoff, error) {
	rows, _ := s.pool.Query(ctx, sqlMarkHandoffReminded, id)
	h, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Handoff])
	if errors.Is(err, pgx.ErrNoRows) {
		return s.GetHandoff(ctx, id)
	}
	return h, pgErr("mark reminded", "hand-off", id, err)
}
