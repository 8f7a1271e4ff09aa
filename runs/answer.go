package runs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Answered is the hand-off after sales' answer, and whether the run has
// applied it already (else it has the answer and will apply it: a run whose
// worker was just restarted, say).
type Answered struct {
	Handoff store.Handoff
	Applied bool
}

// AnswerHandoff gives sales' answer (outcome, note) to hand-off id: the
// caller may send sales feedback, and a caller of an owner answers only the
// hand-offs made to that owner (another's is not found).
func (s *Service) AnswerHandoff(ctx context.Context, c Caller, id, outcome, note string) (Answered, error) {
	if err := c.maySend(SignalSalesFeedback); err != nil {
		return Answered{}, err
	}
	h, err := s.Handoff(ctx, c, id)
	if err != nil {
		return Answered{}, err
	}
	if err := validAnswer(outcome, note); err != nil {
		return Answered{}, err
	}
	if !h.HasRun() {
		// A fast lane's hand-off without a run: no workflow waits for
		// the answer, which closes it at once.
		closed, err := s.store.CloseHandoff(ctx, h.ID, outcome, note)
		if err != nil {
			return Answered{}, err
		}
		s.countSignal(SignalSalesFeedback)
		return Answered{Handoff: closed, Applied: true}, nil
	}
	_, applied, err := s.answerHandoff(ctx, h, outcome, note)
	if err != nil {
		return Answered{}, err
	}
	s.countSignal(SignalSalesFeedback)
	h, err = s.store.GetHandoff(ctx, h.ID)
	if err != nil {
		return Answered{}, err
	}
	return Answered{Handoff: h, Applied: applied || h.Status != store.HandoffOpen}, nil
}

// answerRunOrHandoff answers the run of workflowID: through its open
// hand-off when the store has one, else the run decides alone.
func (s *Service) answerRunOrHandoff(ctx context.Context, workflowID, outcome, note string) (Signalled, error) {
	out := Signalled{WorkflowID: workflowID}
	if err := validAnswer(outcome, note); err != nil {
		return out, err
	}
	var st workflows.State
	var applied bool
	open, err := s.store.OpenHandoffOfWorkflow(ctx, workflowID)
	switch {
	case err == nil:
		st, applied, err = s.answerHandoff(ctx, open, outcome, note)
	case errors.Is(err, store.ErrNotFound):
		// The run may have qualified a moment ago and not yet recorded
		// its hand-off: it decides alone.
		st, applied, err = s.answerRun(ctx, workflowID, outcome, note)
	}
	if err != nil {
		return out, err
	}
	s.countSignal(SignalSalesFeedback)
	if applied {
		v := viewOfState(workflowID, st)
		out.Applied, out.Run = true, &v
	}
	return out, nil
}

// validAnswer checks sales' answer: a known outcome and a note of at most
// MaxNote characters, every problem named.
func validAnswer(outcome, note string) error {
	var fields []fault.Field
	if f, ok := fault.As(ValidOutcome(outcome)); ok {
		fields = append(fields, f.Fields...)
	}
	if utf8.RuneCountInString(note) > MaxNote {
		fields = append(fields, fault.Field{Field: "note", Message: fmt.Sprintf("must be at most %d characters", MaxNote)})
	}
	if len(fields) > 0 {
		return fault.InvalidFields(fields...)
	}
	return nil
}

// answerHandoff gives sales' answer to the run of hand-off h and reports
// whether the run has applied it already (else it will).
//
// The answer is claimed on the hand-off first: of two racing answers only
// the first is acknowledged and sent to the run, so an answer acknowledged
// while no worker runs (sent as a signal) cannot be overtaken by another.
// The note is claimed with it and stays in Postgres: the run gets the
// outcome only, and closing the hand-off takes the note from the row.
func (s *Service) answerHandoff(ctx context.Context, h store.Handoff, outcome, note string) (workflows.State, bool, error) {
	var st workflows.State
	claimed, err := s.store.ClaimAnswer(ctx, h.ID, outcome, note)
	if err != nil {
		return st, false, err
	}
	if claimed.Status == store.HandoffWithdrawn {
		return st, false, fault.Newf(fault.Conflict, "hand-off %s was withdrawn: its run ended before an answer", h.ID)
	}
	if got := claimed.Answered(); got != outcome {
		return st, false, fault.Newf(fault.Conflict, "hand-off %s was already answered: %s", h.ID, got)
	}
	if claimed.Status != store.HandoffOpen {
		return st, true, nil // a repeated answer, applied already
	}
	firstRunID, _ := strings.CutPrefix(h.RunKey, h.WorkflowID+"/")
	st, applied, err := s.feedback(ctx, h.WorkflowID, firstRunID, workflows.Feedback{Outcome: outcome, HandoffID: h.ID})
	// Conflict: the run has no open hand-off; not found: no run of that
	// chain is there to ask (the workflow ID belongs to a newer run now).
	if err == nil || !(fault.Is(err, fault.Conflict) || fault.Is(err, fault.NotFound)) {
		return st, applied, err
	}
	// The run has no open hand-off: it applied this answer already; or it
	// ended with the hand-off open, when its end closed the hand-off as
	// this (claimed) answer; or it ended without closing it (terminated,
	// or replaced by a new run of the workflow ID), when the answer is
	// recorded all the same so the inbox is right.
	if now, gerr := s.store.GetHandoff(ctx, h.ID); gerr == nil && now.Status == outcome {
		return st, true, nil
	}
	if !s.handoffRunEnded(ctx, h) {
		return st, false, err
	}
	if _, cerr := s.store.CloseHandoff(ctx, h.ID, outcome, ""); cerr != nil {
		return st, false, cerr
	}
	return st, true, nil
}

// answerRun gives sales' answer to a run whose hand-off the store does not
// have yet. The note stays out of the run's history: it waits in Postgres
// for the hand-off the run closes with this answer, written first so that
// the close, however late, finds it. A note the run refuses is dropped, so
// it never lands on a later hand-off; one whose answer is still in flight
// is kept, and so is the note of an earlier answer the run is applying: a
// repeated answer does not replace it (store.NotePendingFeedback).
func (s *Service) answerRun(ctx context.Context, workflowID, outcome, note string) (workflows.State, bool, error) {
	if err := s.store.NotePendingFeedback(ctx, workflowID, outcome, note); err != nil {
		return workflows.State{}, false, err
	}
	st, applied, err := s.feedback(ctx, workflowID, "", workflows.Feedback{Outcome: outcome})
	if f, ok := fault.As(err); note != "" && ok && f.Kind != fault.Unavailable && f.Reason != fault.ReasonFeedbackPending {
		if derr := s.store.DropPendingFeedback(context.WithoutCancel(ctx), workflowID, outcome); derr != nil {
			s.logOf(ctx).Warn().Err(derr).Str("workflow_id", workflowID).Msg("drop the note of a refused answer")
		}
	}
	return st, applied, err
}

// feedback sends sales feedback as an update: the run refuses it (conflict)
// unless it has an open hand-off, and answers with its new state.
//
// It answers once the run has accepted the feedback; applied says whether
// the run also finished acting on it within a few seconds (a run whose
// worker just died may take longer; it will still apply it).
//
// firstRunID, when known (a hand-off's run key carries it), pins the update
// to that run's chain: an answer to a hand-off of an ended run never reaches
// a newer run of the same workflow ID.
func (s *Service) feedback(ctx context.Context, workflowID, firstRunID string, fb workflows.Feedback) (st workflows.State, applied bool, err error) {
	acceptCtx, cancel := context.WithTimeout(ctx, s.cfg.FeedbackAcceptWait)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(acceptCtx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, FirstExecutionRunID: firstRunID, UpdateName: workflows.UpdateFeedback, Args: []any{fb},
		WaitForStage: client.WorkflowUpdateStageAccepted,
	})
	if err != nil && timedOut(err) && ctx.Err() == nil && fb.HandoffID != "" {
		// No worker took the run in time (one just died, or a backlog):
		// the answer is claimed on the open hand-off (answerHandoff), so
		// leave it with the run as a signal, which it validates and
		// applies when it next runs. The update may still be accepted
		// too; both carry the same answer and the run applies it once.
		serr := s.temporal.SignalWorkflow(context.WithoutCancel(ctx), workflowID, "", workflows.SignalSalesFeedback, fb)
		if serr == nil {
			return st, false, nil
		}
		err = serr
	}
	var app *temporal.ApplicationError
	if err != nil && fb.HandoffID != "" && errors.As(err, &app) && app.Type() == workflows.ErrFeedbackPending {
		// The run is applying an answer to this hand-off: the claimed
		// one, the only one ever sent to it, from an earlier request.
		return st, false, nil
	}
	if err != nil {
		return st, false, temporalErr(err, workflowID)
	}
	doneCtx, cancelDone := context.WithTimeout(ctx, 5*time.Second)
	defer cancelDone()
	if err := h.Get(doneCtx, &st); err != nil {
		if doneCtx.Err() != nil || timedOut(err) {
			return st, false, nil // accepted, so durable; still being applied
		}
		return st, false, temporalErr(err, workflowID)
	}
	return st, true, nil
}

// handoffRunEnded reports whether the run of hand-off h is over: its
// workflow is closed (and not continued), or a later run of the workflow ID
// has taken its place (the run key is the workflow ID and the first run's
// ID).
func (s *Service) handoffRunEnded(ctx context.Context, h store.Handoff) bool {
	d, err := s.temporal.DescribeWorkflowExecution(ctx, h.WorkflowID, "")
	if err != nil {
		return false
	}
	info := d.GetWorkflowExecutionInfo()
	st := info.GetStatus()
	if st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && st != enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
		return true
	}
	first := info.GetFirstRunId()
	return first != "" && h.RunKey != h.WorkflowID+"/"+first
}

// PruneNotes forgets sales' notes left for hand-offs that were never closed
// with their answer (store.PendingFeedbackNoteTTL).
func (s *Service) PruneNotes(ctx context.Context) (int64, error) {
	return s.store.PrunePendingFeedback(ctx, s.Now().Add(-store.PendingFeedbackNoteTTL))
}
