package runs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// NoteEnded reconciles the runs projection with Temporal for one workflow
// the projection lists as running but that no longer takes signals: a run
// that ended without recording it (terminated, timed out, failed, or its
// last write lost) would otherwise get events for ever and never count for
// the detector's cool-down.
func (s *Service) NoteEnded(ctx context.Context, workflowID string) error {
	return s.noteEnded(ctx, workflowID, nil, "")
}

// noteEnded writes to the projection that a workflow's run has ended, when
// Temporal says so and the projection still shows it running. info is the
// workflow's description when the caller has it (nil: described here);
// outcome is the run's, if known. The run's open hand-offs are closed too
// (withdrawn unless sales answered), by store.EndRun as the run's own end
// would.
//
// It changes nothing for a run still open, for a row that a newer run
// registered after this one closed, or for a row already ended; writing
// twice is harmless. updated_at moves forward, so the run's own late
// writes, older than this, cannot make the row running again.
func (s *Service) noteEnded(ctx context.Context, workflowID string, info *workflowpb.WorkflowExecutionInfo, outcome string) error {
	row, err := s.store.GetRun(ctx, workflowID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if row.Status != store.RunRunning {
		return nil
	}
	if info == nil {
		desc, err := s.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
			// Temporal no longer knows the workflow (its history passed
			// the namespace's retention): it ended, when is unknown; the
			// last sign of life is the best guess.
			return s.writeEnd(ctx, row, store.RunTerminated, row.UpdatedAt, "", "")
		case err != nil:
			return fmt.Errorf("describe %s: %w", workflowID, err)
		}
		info = desc.GetWorkflowExecutionInfo()
	}
	status := workflowStatus(info.GetStatus())
	if status == store.RunRunning || info.GetCloseTime() == nil {
		return nil
	}
	closed := info.GetCloseTime().AsTime()
	if row.StartedAt.After(closed.Add(time.Second)) {
		return nil // the row is a newer run's, registered after this one closed
	}
	if status == store.RunCompleted && outcome == "" {
		var res workflows.Result
		if err := s.temporal.GetWorkflow(ctx, workflowID, info.GetExecution().GetRunId()).Get(ctx, &res); err == nil {
			outcome = res.Outcome
		}
	}
	runKey := ""
	if first := info.GetFirstRunId(); first != "" {
		runKey = workflowID + "/" + first
	}
	return s.writeEnd(ctx, row, status, closed, outcome, runKey)
}

// writeEnd records row's run as ended with status at ended.
func (s *Service) writeEnd(ctx context.Context, row store.Run, status string, ended time.Time, outcome, runKey string) error {
	if ended.Before(row.StartedAt) {
		ended = row.StartedAt
	}
	updated := s.Now()
	if !updated.After(row.UpdatedAt.Add(time.Microsecond)) {
		updated = row.UpdatedAt.Add(time.Microsecond)
	}
	row.Status, row.Stage, row.EndedAt, row.UpdatedAt = status, workflows.StageDone, &ended, updated
	if outcome != "" {
		row.Outcome = outcome
	}
	if err := s.store.EndRun(ctx, row, runKey); err != nil {
		return fmt.Errorf("record the end of %s: %w", row.WorkflowID, err)
	}
	s.logOf(ctx).Info().Str("workflow_id", row.WorkflowID).Str("status", status).Time("ended_at", ended).Msg("run ended without recording it: projection updated")
	return nil
}
