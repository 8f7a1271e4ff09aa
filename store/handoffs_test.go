package store_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
)

func handoff(f fixture, runKey string, cycle int) store.Handoff {
	return store.Handoff{
		RunKey: runKey, WorkflowID: "ripen/" + f.journey.JourneyID + "/acme", JourneyID: f.journey.JourneyID,
		CustomerID: "acme", OwnerID: "rep-eva", Cycle: cycle, Reason: store.ReasonFastLane, Offer: "demo",
		Score: 21.5, Evidence: json.RawMessage(`{"read":["automation-checklist"]}`),
		SLADueAt: time.Now().Add(48 * time.Hour),
	}
}

func TestHandoffs(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()

	var h store.Handoff
	t.Run("create returns an open hand-off with an ID", func(t *testing.T) {
		var err error
		h, err = s.CreateHandoff(ctx, handoff(f, "run-1", 1))
		require.NoError(t, err)
		require.NotEmpty(t, h.ID)
		require.Equal(t, store.HandoffOpen, h.Status)
		require.JSONEq(t, `{"read":["automation-checklist"]}`, string(h.Evidence))
		require.False(t, h.CreatedAt.IsZero())
		require.Nil(t, h.ClosedAt)
	})
	t.Run("a retry returns the same hand-off", func(t *testing.T) {
		again, err := s.CreateHandoff(ctx, handoff(f, "run-1", 1))
		require.NoError(t, err)
		require.Equal(t, h, again)
	})
	t.Run("a second open hand-off of the run is a conflict", func(t *testing.T) {
		_, err := s.CreateHandoff(ctx, handoff(f, "run-1", 2))
		se := requireKind(t, err, store.ErrConflict, "run_key")
		require.Contains(t, se.Error(), "the run already has an open hand-off")
	})
	t.Run("sales' answer closes it, once", func(t *testing.T) {
		closed, err := s.CloseHandoff(ctx, h.ID, store.HandoffNotReady, "budget next year")
		require.NoError(t, err)
		require.Equal(t, store.HandoffNotReady, closed.Status)
		require.Equal(t, store.HandoffNotReady, closed.Feedback)
		require.Equal(t, "budget next year", closed.FeedbackNote)
		require.NotNil(t, closed.ClosedAt)

		again, err := s.CloseHandoff(ctx, h.ID, store.HandoffNotReady, "other note")
		require.NoError(t, err)
		require.Equal(t, closed, again)

		_, err = s.CloseHandoff(ctx, h.ID, store.HandoffWon, "")
		se := requireKind(t, err, store.ErrConflict, "outcome")
		require.Contains(t, se.Error(), "already closed as not-ready")
		_, err = s.CloseHandoff(ctx, h.ID, "maybe", "")
		requireKind(t, err, store.ErrInvalid, "outcome")
		_, err = s.CloseHandoff(ctx, "no-such-id", store.HandoffWon, "")
		requireKind(t, err, store.ErrNotFound, "")
	})
	t.Run("after recycling, the next cycle may hand off again", func(t *testing.T) {
		next, err := s.CreateHandoff(ctx, handoff(f, "run-1", 2))
		require.NoError(t, err)
		require.NotEqual(t, h.ID, next.ID)
		reminded, err := s.MarkHandoffReminded(ctx, next.ID)
		require.NoError(t, err)
		require.NotNil(t, reminded.RemindedAt)
	})
	t.Run("reminding a closed hand-off changes nothing", func(t *testing.T) {
		got, err := s.MarkHandoffReminded(ctx, h.ID)
		require.NoError(t, err)
		require.Nil(t, got.RemindedAt)
		_, err = s.MarkHandoffReminded(ctx, "no-such-id")
		requireKind(t, err, store.ErrNotFound, "")
	})
	t.Run("the inbox lists newest first, by status and owner", func(t *testing.T) {
		open, err := s.ListHandoffs(ctx, store.HandoffFilter{Status: store.HandoffOpen, OwnerID: "rep-eva"})
		require.NoError(t, err)
		require.Len(t, open, 1)
		require.Equal(t, 2, open[0].Cycle)

		all, err := s.ListHandoffs(ctx, store.HandoffFilter{})
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, 2, all[0].Cycle)
		require.Equal(t, 1, all[1].Cycle)

		none, err := s.ListHandoffs(ctx, store.HandoffFilter{OwnerID: "rep-nobody"})
		require.NoError(t, err)
		require.Empty(t, none)
		_, err = s.ListHandoffs(ctx, store.HandoffFilter{Status: "pending"})
		requireKind(t, err, store.ErrInvalid, "status")
	})
	t.Run("the schema refuses impossible hand-offs", func(t *testing.T) {
		for name, tc := range map[string]struct {
			edit  func(*store.Handoff)
			field string
		}{
			"bad reason":        {func(h *store.Handoff) { h.Reason = "hunch" }, "reason"},
			"unknown owner":     {func(h *store.Handoff) { h.OwnerID = "rep-nobody" }, "owner_id"},
			"unknown customer":  {func(h *store.Handoff) { h.CustomerID = "ghost" }, "customer_id"},
			"unknown journey":   {func(h *store.Handoff) { h.JourneyID = "ghost" }, "journey_id"},
			"negative score":    {func(h *store.Handoff) { h.Score = -3 }, "score"},
			"no SLA":            {func(h *store.Handoff) { h.SLADueAt = time.Time{} }, "sla_due_at"},
			"evidence not JSON": {func(h *store.Handoff) { h.Evidence = json.RawMessage(`{`) }, "evidence"},
		} {
			t.Run(name, func(t *testing.T) {
				bad := handoff(f, "run-"+name, 1)
				bad.WorkflowID = "ripen/other/" + name
				tc.edit(&bad)
				_, err := s.CreateHandoff(ctx, bad)
				requireKind(t, err, store.ErrInvalid, tc.field)
			})
		}
		_, err := s.Pool().Exec(ctx, `UPDATE handoffs SET status = 'won' WHERE id = $1`, h.ID)
		requirePgCode(t, err, "23514") // closed_at and feedback must agree with the status
	})
}

func TestFirstClaimedAnswerWins(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	h, err := s.CreateHandoff(ctx, handoff(f, "run-claim", 1))
	require.NoError(t, err)

	got, err := s.ClaimAnswer(ctx, h.ID, store.HandoffNotReady, "budget in Q3")
	require.NoError(t, err)
	require.Equal(t, store.HandoffOpen, got.Status, "claiming does not close: the run does")
	require.Equal(t, store.HandoffNotReady, got.Answered())
	require.NotNil(t, got.AnsweredAt)

	got, err = s.ClaimAnswer(ctx, h.ID, store.HandoffWon, "")
	require.NoError(t, err)
	require.Equal(t, store.HandoffNotReady, got.Answered(), "a second, different answer does not replace the first")
	require.Equal(t, "budget in Q3", got.AnswerNote)

	_, err = s.CloseHandoff(ctx, h.ID, store.HandoffNotReady, "budget in Q3")
	require.NoError(t, err)
	got, err = s.ClaimAnswer(ctx, h.ID, store.HandoffWon, "")
	require.NoError(t, err)
	require.Equal(t, store.HandoffNotReady, got.Answered(), "closed: the applied outcome counts")

	_, err = s.ClaimAnswer(ctx, h.ID, "maybe", "")
	require.ErrorIs(t, err, store.ErrInvalid)
	_, err = s.ClaimAnswer(ctx, "no-such-handoff", store.HandoffWon, "")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestEachRunOfAWorkflowIDHasItsOwnOpenHandoff(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	// A stopped run left its hand-off open; the customer is enrolled again
	// under the same workflow ID.
	old, err := s.CreateHandoff(ctx, handoff(f, "ripen/j/acme/first-run-1", 1))
	require.NoError(t, err)
	next := handoff(f, "ripen/j/acme/first-run-2", 1)
	next.CreatedAt = old.CreatedAt.Add(time.Minute)
	current, err := s.CreateHandoff(ctx, next)
	require.NoError(t, err, "an earlier run's open hand-off does not block the next run")
	require.Equal(t, old.WorkflowID, current.WorkflowID)

	got, err := s.OpenHandoffOfWorkflow(ctx, old.WorkflowID)
	require.NoError(t, err)
	require.Equal(t, current.ID, got.ID, "the newest open hand-off of the workflow ID")

	_, err = s.CreateHandoff(ctx, handoff(f, "ripen/j/acme/first-run-2", 2))
	requireKind(t, err, store.ErrConflict, "run_key")

	_, err = s.OpenHandoffOfWorkflow(ctx, "ripen/j/nobody")
	requireKind(t, err, store.ErrNotFound, "")
}

func TestAnEndedRunClosesItsOpenHandoffs(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()

	t.Run("unanswered: withdrawn, without feedback", func(t *testing.T) {
		h, err := s.CreateHandoff(ctx, handoff(f, "run-stopped", 1))
		require.NoError(t, err)
		other, err := s.CreateHandoff(ctx, handoff(f, "run-other", 1))
		require.NoError(t, err)

		closed, err := s.CloseHandoffsOfRun(ctx, "run-stopped")
		require.NoError(t, err)
		require.Len(t, closed, 1)
		require.Equal(t, h.ID, closed[0].ID)
		require.Equal(t, store.HandoffWithdrawn, closed[0].Status)
		require.Empty(t, closed[0].Feedback)
		require.Empty(t, closed[0].FeedbackNote)
		require.NotNil(t, closed[0].ClosedAt)

		again, err := s.CloseHandoffsOfRun(ctx, "run-stopped")
		require.NoError(t, err)
		require.Empty(t, again, "a retry changes nothing")
		still, err := s.GetHandoff(ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, store.HandoffOpen, still.Status, "another run's hand-off stays open")

		got, err := s.ClaimAnswer(ctx, h.ID, store.HandoffWon, "too late")
		require.NoError(t, err)
		require.Equal(t, store.HandoffWithdrawn, got.Status, "no answer is claimed on a withdrawn hand-off")
		require.Empty(t, got.Answer)
		_, err = s.CloseHandoff(ctx, h.ID, store.HandoffWon, "")
		se := requireKind(t, err, store.ErrConflict, "outcome")
		require.Contains(t, se.Error(), "its run ended before an answer")

		list, err := s.ListHandoffs(ctx, store.HandoffFilter{Status: store.HandoffWithdrawn})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, h.ID, list[0].ID)
	})
	t.Run("answered but not applied: closed as the claimed answer", func(t *testing.T) {
		h, err := s.CreateHandoff(ctx, handoff(f, "run-claimed", 1))
		require.NoError(t, err)
		_, err = s.ClaimAnswer(ctx, h.ID, store.HandoffNotReady, "budget next year")
		require.NoError(t, err)

		closed, err := s.CloseHandoffsOfRun(ctx, "run-claimed")
		require.NoError(t, err)
		require.Len(t, closed, 1)
		require.Equal(t, store.HandoffNotReady, closed[0].Status)
		require.Equal(t, store.HandoffNotReady, closed[0].Feedback)
		require.Equal(t, "budget next year", closed[0].FeedbackNote)

		same, err := s.CloseHandoff(ctx, h.ID, store.HandoffNotReady, "")
		require.NoError(t, err, "the answer sales gave is the one recorded")
		require.Equal(t, closed[0], same)
	})
	t.Run("a run key is required", func(t *testing.T) {
		_, err := s.CloseHandoffsOfRun(ctx, "")
		requireKind(t, err, store.ErrInvalid, "run_key")
	})
}

func TestSalesNotesStayInPostgres(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()

	t.Run("closing without a note takes the claimed one", func(t *testing.T) {
		h, err := s.CreateHandoff(ctx, handoff(f, "run-claim-note", 1))
		require.NoError(t, err)
		_, err = s.ClaimAnswer(ctx, h.ID, store.HandoffRejected, "wrong contact")
		require.NoError(t, err)
		closed, err := s.CloseHandoff(ctx, h.ID, store.HandoffRejected, "")
		require.NoError(t, err)
		require.Equal(t, "wrong contact", closed.FeedbackNote)
	})
	t.Run("a note given with the close wins", func(t *testing.T) {
		h, err := s.CreateHandoff(ctx, handoff(f, "run-close-note", 1))
		require.NoError(t, err)
		closed, err := s.CloseHandoff(ctx, h.ID, store.HandoffRejected, "call in May")
		require.NoError(t, err)
		require.Equal(t, "call in May", closed.FeedbackNote)
	})
	t.Run("an answer sent before the hand-off was recorded leaves its note for the close", func(t *testing.T) {
		early := handoff(f, "run-early", 1)
		early.WorkflowID = "ripen/" + f.journey.JourneyID + "/early"
		require.NoError(t, s.NotePendingFeedback(ctx, early.WorkflowID, store.HandoffLost, "went with a competitor"))
		require.NoError(t, s.NotePendingFeedback(ctx, early.WorkflowID, store.HandoffRejected, "wrong person"))
		h, err := s.CreateHandoff(ctx, early)
		require.NoError(t, err)
		closed, err := s.CloseHandoff(ctx, h.ID, store.HandoffLost, "")
		require.NoError(t, err)
		require.Equal(t, "went with a competitor", closed.FeedbackNote)

		// The note is taken once: the run's next hand-off, closed with
		// the same outcome, does not inherit it; the other outcome's
		// note waits for its own close.
		next := early
		next.RunKey, next.Cycle = "run-early", 2
		h2, err := s.CreateHandoff(ctx, next)
		require.NoError(t, err)
		closed, err = s.CloseHandoff(ctx, h2.ID, store.HandoffLost, "")
		require.NoError(t, err)
		require.Empty(t, closed.FeedbackNote)

		next.Cycle = 3
		h3, err := s.CreateHandoff(ctx, next)
		require.NoError(t, err)
		require.NoError(t, s.DropPendingFeedback(ctx, early.WorkflowID, store.HandoffRejected))
		closed, err = s.CloseHandoff(ctx, h3.ID, store.HandoffRejected, "")
		require.NoError(t, err)
		require.Empty(t, closed.FeedbackNote, "a dropped note (the run refused its answer) is gone")
	})
	t.Run("a repeated answer does not replace the first one's note", func(t *testing.T) {
		rep := handoff(f, "run-repeat", 1)
		rep.WorkflowID = "ripen/" + f.journey.JourneyID + "/repeat"
		require.NoError(t, s.NotePendingFeedback(ctx, rep.WorkflowID, store.HandoffLost, "the first answer's"))
		require.NoError(t, s.NotePendingFeedback(ctx, rep.WorkflowID, store.HandoffLost, "a repeat's"))
		h, err := s.CreateHandoff(ctx, rep)
		require.NoError(t, err)
		closed, err := s.CloseHandoff(ctx, h.ID, store.HandoffLost, "")
		require.NoError(t, err)
		require.Equal(t, "the first answer's", closed.FeedbackNote)
	})
	t.Run("a pending note names what is wrong", func(t *testing.T) {
		err := s.NotePendingFeedback(ctx, "ripen/j/acme", "maybe", "x")
		require.ErrorIs(t, err, store.ErrInvalid)
		require.ErrorContains(t, err, "outcome")
		err = s.NotePendingFeedback(ctx, "", store.HandoffLost, "x")
		require.ErrorIs(t, err, store.ErrInvalid)
		require.ErrorContains(t, err, "workflow_id")
	})
}

// pendingNotes lists a workflow ID's pending feedback notes as outcome=note.
func pendingNotes(t *testing.T, s *store.Store, workflowID string) []string {
	t.Helper()
	rows, _ := s.Pool().Query(t.Context(), `
SELECT outcome || '=' || note FROM pending_feedback_notes WHERE workflow_id = $1 ORDER BY outcome`, workflowID)
	notes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return notes
}

// agePendingNote makes a pending note as old as age.
func agePendingNote(t *testing.T, s *store.Store, workflowID, outcome string, age time.Duration) {
	t.Helper()
	tag, err := s.Pool().Exec(t.Context(), `
UPDATE pending_feedback_notes SET created_at = now() - make_interval(secs => $3)
WHERE workflow_id = $1 AND outcome = $2`, workflowID, outcome, age.Seconds())
	require.NoError(t, err)
	require.EqualValues(t, 1, tag.RowsAffected())
}

func TestCloseTakesTheNoteOfTheOutcomeItApplies(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	h, err := s.CreateHandoff(ctx, handoff(f, "run-two-answers", 1))
	require.NoError(t, err)
	// Sales answered the hand-off (claimed, with its note), but the run
	// applies another answer, sent before the hand-off was recorded.
	require.NoError(t, s.NotePendingFeedback(ctx, h.WorkflowID, store.HandoffLost, "went with a competitor"))
	_, err = s.ClaimAnswer(ctx, h.ID, store.HandoffRejected, "wrong contact")
	require.NoError(t, err)

	closed, err := s.CloseHandoff(ctx, h.ID, store.HandoffLost, "")
	require.NoError(t, err)
	require.Equal(t, store.HandoffLost, closed.Status)
	require.Equal(t, "went with a competitor", closed.FeedbackNote,
		"the note of the applied outcome, not the one claimed with another answer")
	require.Empty(t, pendingNotes(t, s, h.WorkflowID), "the pending note is taken, once")
}

func TestPendingFeedbackNotesExpire(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	wf := "ripen/" + f.journey.JourneyID + "/acme"

	t.Run("a stale note does not land on a later hand-off", func(t *testing.T) {
		require.NoError(t, s.NotePendingFeedback(ctx, wf, store.HandoffLost, "answer the run never applied"))
		agePendingNote(t, s, wf, store.HandoffLost, store.PendingFeedbackNoteTTL+time.Hour)
		h, err := s.CreateHandoff(ctx, handoff(f, wf+"/much-later", 1))
		require.NoError(t, err)
		closed, err := s.CloseHandoff(ctx, h.ID, store.HandoffLost, "")
		require.NoError(t, err)
		require.Empty(t, closed.FeedbackNote)
		require.Empty(t, pendingNotes(t, s, wf), "the stale note is dropped")
	})
	t.Run("a note younger than the bound is taken", func(t *testing.T) {
		require.NoError(t, s.NotePendingFeedback(ctx, wf, store.HandoffLost, "worker was down a day"))
		agePendingNote(t, s, wf, store.HandoffLost, store.PendingFeedbackNoteTTL-time.Hour)
		h, err := s.CreateHandoff(ctx, handoff(f, wf+"/slow", 1))
		require.NoError(t, err)
		closed, err := s.CloseHandoff(ctx, h.ID, store.HandoffLost, "")
		require.NoError(t, err)
		require.Equal(t, "worker was down a day", closed.FeedbackNote)
	})
	t.Run("pruning forgets notes noted before a time", func(t *testing.T) {
		require.NoError(t, s.NotePendingFeedback(ctx, wf, store.HandoffLost, "old"))
		require.NoError(t, s.NotePendingFeedback(ctx, wf, store.HandoffWon, "fresh"))
		agePendingNote(t, s, wf, store.HandoffLost, 2*store.PendingFeedbackNoteTTL)
		n, err := s.PrunePendingFeedback(ctx, time.Now().Add(-store.PendingFeedbackNoteTTL))
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.Equal(t, []string{"won=fresh"}, pendingNotes(t, s, wf))
		require.NoError(t, s.DropPendingFeedback(ctx, wf, store.HandoffWon))
	})
}

func TestAnEndedRunDropsItsPendingNotes(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	wf := "ripen/" + f.journey.JourneyID + "/acme"
	t0 := time.Now().Add(-time.Hour).UTC()

	t.Run("with an open hand-off", func(t *testing.T) {
		h, err := s.CreateHandoff(ctx, handoff(f, wf+"/r1", 1))
		require.NoError(t, err)
		require.NoError(t, s.NotePendingFeedback(ctx, wf, store.HandoffLost, "for r1"))
		closed, err := s.CloseHandoffsOfRun(ctx, wf+"/r1")
		require.NoError(t, err)
		require.Len(t, closed, 1)
		require.Equal(t, h.ID, closed[0].ID)
		require.Empty(t, pendingNotes(t, s, wf))
	})
	t.Run("before it recorded its hand-off", func(t *testing.T) {
		require.NoError(t, s.NotePendingFeedback(ctx, wf, store.HandoffWon, "for r2"))
		closed, err := s.CloseHandoffsOfRun(ctx, wf+"/r2")
		require.NoError(t, err)
		require.Empty(t, closed)
		require.Empty(t, pendingNotes(t, s, wf), "the run key names the workflow ID")

		// A later run of the workflow ID does not inherit the note.
		h, err := s.CreateHandoff(ctx, handoff(f, wf+"/r3", 1))
		require.NoError(t, err)
		got, err := s.CloseHandoff(ctx, h.ID, store.HandoffWon, "")
		require.NoError(t, err)
		require.Empty(t, got.FeedbackNote)
	})
	t.Run("a late end of an earlier run leaves the running run's notes", func(t *testing.T) {
		r := run(wf, f.journey, "acme", t0)
		r.RunKey = wf + "/r4"
		require.NoError(t, s.UpsertRun(ctx, r))
		require.NoError(t, s.NotePendingFeedback(ctx, wf, store.HandoffAccepted, "for r4"))
		_, err := s.CloseHandoffsOfRun(ctx, wf+"/r3")
		require.NoError(t, err)
		require.Equal(t, []string{"accepted=for r4"}, pendingNotes(t, s, wf))
		_, err = s.CloseHandoffsOfRun(ctx, wf+"/r4")
		require.NoError(t, err)
		require.Empty(t, pendingNotes(t, s, wf))
	})
	t.Run("other workflow IDs keep theirs", func(t *testing.T) {
		other := "ripen/" + f.journey.JourneyID + "/globex"
		require.NoError(t, s.NotePendingFeedback(ctx, other, store.HandoffLost, "globex's"))
		_, err := s.CloseHandoffsOfRun(ctx, wf+"/r5")
		require.NoError(t, err)
		require.Equal(t, []string{"lost=globex's"}, pendingNotes(t, s, other))
	})
}

// Listing hand-offs by owner or by status, newest first, reads an index in
// that order rather than the whole table.
func TestListingHandoffsByOwnerOrStatusUsesAnIndex(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	_, err := s.Pool().Exec(ctx, `
INSERT INTO owners (id, name, email)
SELECT 'rep-' || i, 'Rep ' || i, 'rep' || i || '@seller.example' FROM generate_series(0, 49) AS i;
INSERT INTO handoffs (run_key, workflow_id, journey_id, customer_id, owner_id, cycle, reason,
                      sla_due_at, created_at, status, feedback, closed_at)
SELECT 'ripen/j/acme/r' || i, 'ripen/j/acme', '`+f.journey.JourneyID+`', 'acme', 'rep-' || (i % 50), 1, 'score',
       now(), now() - i * interval '1 minute', st, CASE WHEN st IN ('open', 'withdrawn') THEN '' ELSE st END,
       CASE WHEN st = 'open' THEN NULL ELSE now() END
FROM generate_series(1, 40000) AS i,
     LATERAL (SELECT CASE WHEN i % 100 = 0 THEN 'won' WHEN i % 100 = 1 THEN 'lost'
                          WHEN i % 100 < 10 THEN 'open' ELSE 'withdrawn' END AS st) AS s;
ANALYZE handoffs;`)
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		filter store.HandoffFilter
		index  string
	}{
		"by owner":  {store.HandoffFilter{OwnerID: "rep-7"}, "handoffs_owner_id_idx"},
		"by status": {store.HandoffFilter{Status: store.HandoffWon}, "handoffs_status_idx"},
		// A later page starts at its cursor in the index, not after
		// reading the pages before it.
		"by owner, a later page": {store.HandoffFilter{OwnerID: "rep-7", After: &store.HandoffCursor{
			CreatedAt: time.Now().Add(-20000 * time.Minute), ID: "m"}}, "handoffs_owner_id_idx"},
		"by status, a later page": {store.HandoffFilter{Status: store.HandoffWon, After: &store.HandoffCursor{
			CreatedAt: time.Now().Add(-20000 * time.Minute), ID: "m"}}, "handoffs_status_idx"},
	} {
		t.Run(name, func(t *testing.T) {
			q, args, err := store.ListHandoffsQuery(tc.filter)
			require.NoError(t, err)
			rows, _ := s.Pool().Query(ctx, "EXPLAIN "+q, args...)
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			plan := strings.Join(lines, "\n")
			require.Contains(t, plan, "Index Scan using "+tc.index, plan)
			if tc.filter.After != nil {
				require.Contains(t, plan, "Index Cond: ", plan)
				require.Regexp(t, `Index Cond: .*ROW\(created_at, id\) <`, plan, "the cursor bounds the index scan")
			}
			require.NotContains(t, plan, "Sort", "the index gives the listing's order:\n%s", plan)

			got, err := s.ListHandoffs(ctx, tc.filter)
			require.NoError(t, err)
			require.Len(t, got, store.DefaultLimit)
		})
	}
}

// Paging the inbox walks every matching hand-off once, newest first, also
// across hand-offs created at the same instant (told apart by their IDs),
// and says when there is no next page.
func TestHandoffPagesWalkTheInboxWithoutGapsOrRepeats(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	base := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	// Ten hand-offs; the five in the middle share one created_at, so every
	// page size below puts a page boundary between two of them.
	for i := range 10 {
		h := handoff(f, fmt.Sprintf("run-%02d", i), 1)
		h.CreatedAt = base.Add(time.Duration(min(i, 3)+max(i-7, 0)) * time.Minute)
		_, err := s.CreateHandoff(ctx, h)
		require.NoError(t, err)
	}
	// Another owner's hand-off is not on the pages of rep-eva.
	globex := customer("globex")
	globex.Owner = store.Owner{ID: "rep-tom", Name: "Tom", Email: "tom@seller.example"}
	require.NoError(t, s.PutCustomer(ctx, globex))
	other := handoff(f, "run-tom", 1)
	other.CustomerID, other.OwnerID, other.CreatedAt = "globex", "rep-tom", base.Add(2*time.Minute)
	_, err := s.CreateHandoff(ctx, other)
	require.NoError(t, err)

	all, err := s.ListHandoffs(ctx, store.HandoffFilter{OwnerID: "rep-eva"})
	require.NoError(t, err)
	require.Len(t, all, 10)
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		require.True(t, a.CreatedAt.After(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID > b.ID,
			"newest first, then by ID descending: %v", all)
	}

	for _, size := range []int{1, 2, 3, 4, 10, 11} {
		t.Run(fmt.Sprintf("pages of %d", size), func(t *testing.T) {
			var walked []string
			var pages int
			f := store.HandoffFilter{OwnerID: "rep-eva", Status: store.HandoffOpen, Limit: size}
			for {
				page, next, err := s.ListHandoffsPage(ctx, f)
				require.NoError(t, err)
				require.LessOrEqual(t, len(page), size)
				pages++
				for _, h := range page {
					walked = append(walked, h.ID)
				}
				if next == nil {
					break
				}
				require.Len(t, page, size, "only the last page is short")
				last := page[len(page)-1]
				require.Equal(t, store.HandoffCursor{CreatedAt: last.CreatedAt, ID: last.ID}, *next, "the next page starts after the last hand-off")
				f.After = next
				require.Less(t, pages, 20, "the walk ends")
			}
			want := make([]string, len(all))
			for i, h := range all {
				want[i] = h.ID
			}
			require.Equal(t, want, walked, "every hand-off once, in order")
			require.Equal(t, (len(all)+size-1)/size, pages, "no empty last page")
		})
	}

	_, _, err = s.ListHandoffsPage(ctx, store.HandoffFilter{After: &store.HandoffCursor{ID: "x"}})
	requireKind(t, err, store.ErrInvalid, "after")
}
