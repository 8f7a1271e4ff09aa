package store

import (
	"context"
	"errors"
)

// EndRun records that a run has ended (r has its status, outcome and
// EndedAt) and closes the hand-offs it left open: as the answer sales
// already claimed, else withdrawn. runKey names the run whose hand-offs
// close; empty, the workflow's open hand-off is the one (a run that ended
// without saying so, seen from outside). Both writes are idempotent, so a
// retry after a crash between them finishes the job. The run's own last
// write (the SyncRun activity) and the reconciliation of runs that ended
// without one both come here.
func (s *Store) EndRun(ctx context.Context, r Run, runKey string) error {
	if err := s.UpsertRun(ctx, r); err != nil {
		return err
	}
	if runKey == "" {
		h, err := s.OpenHandoffOfWorkflow(ctx, r.WorkflowID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		runKey = h.RunKey
	}
	_, err := s.CloseHandoffsOfRun(ctx, runKey)
	return err
}
