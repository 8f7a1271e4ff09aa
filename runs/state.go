package runs

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// View is a run as ripen shows it: the `state` query without the
// workflow's bookkeeping, plus how it ended.
type View struct {
	WorkflowID string  `json:"workflow_id"`
	RunID      string  `json:"run_id"`
	JourneyID  string  `json:"journey_id"`
	Version    int     `json:"version"`
	CustomerID string  `json:"customer_id"`
	OwnerID    string  `json:"owner_id,omitempty"`
	Status     string  `json:"status"`
	Outcome    *string `json:"outcome"`
	Step       string  `json:"step"`
	Stage      string  `json:"stage"`
	Score      float64 `json:"score"`
	// MQN: the run has reached MQN (in any cycle), as RipenMQN and the
	// run lists say.
	MQN            bool                    `json:"mqn"`
	Cycle          int                     `json:"cycle"`
	Handoff        *workflows.HandoffState `json:"handoff"`
	Touches        int                     `json:"touches"`
	NextWakeAt     *time.Time              `json:"next_wake_at"`
	Paused         bool                    `json:"paused"`
	StartedAt      time.Time               `json:"started_at"`
	CycleStartedAt time.Time               `json:"cycle_started_at"`
	LastError      string                  `json:"last_error,omitempty"`
	Clicked        map[string]bool         `json:"clicked,omitempty"`
	Opened         map[string]bool         `json:"opened,omitempty"`
	Visits         map[string]int          `json:"visits,omitempty"`
	FastLane       *workflows.FastLane     `json:"fast_lane,omitempty"`
	Engagements    []workflows.Engagement  `json:"engagements,omitempty"`
	Sent           []workflows.SentStep    `json:"sent,omitempty"`
	ScoreTrail     []workflows.ScorePoint  `json:"score_trail,omitempty"`
	// Arms are the arms the run took at the journey's split steps (step
	// ID → arm); Holdout says the journey's holdout holds the account out,
	// and Withheld counts the emails it did not get for that.
	Arms     map[string]string `json:"arms,omitempty"`
	Holdout  bool              `json:"holdout"`
	Withheld int               `json:"withheld,omitempty"`
}

// Run statuses besides the store's.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
	// statusContinuedAsNew is an execution that handed its run on to a
	// newer one of the same workflow ID, which alone stands for the run;
	// lists leave such executions out (visibilityQuery).
	statusContinuedAsNew = "continued-as-new"
)

func viewOf(workflowID, runID, status string, st workflows.State) View {
	v := View{
		WorkflowID: workflowID, RunID: runID, JourneyID: st.JourneyID, Version: st.Version, CustomerID: st.CustomerID,
		OwnerID: st.OwnerID, Status: status, Step: st.Step, Stage: st.Stage, Score: st.Score, MQN: st.MQN,
		Cycle: st.Cycle, Handoff: st.Handoff, Touches: st.Touches, NextWakeAt: st.NextWakeAt, Paused: st.Paused,
		StartedAt: st.StartedAt, CycleStartedAt: st.CycleStart, LastError: st.LastError,
		Clicked: st.Clicked, Opened: st.Opened, Visits: st.Visits, FastLane: st.FastLane,
		Engagements: st.Engagements, Sent: st.Sent, ScoreTrail: st.ScoreTrail,
		Arms: st.Arms, Holdout: st.Holdout, Withheld: st.Withheld,
	}
	if st.Outcome != "" {
		outcome := st.Outcome
		v.Outcome = &outcome
	}
	return v
}

// viewOfState is the view of a state an update or query answered with.
func viewOfState(workflowID string, st workflows.State) View {
	status := StatusRunning
	if st.Status == workflows.StatusCompleted {
		status = StatusCompleted
	}
	return viewOf(workflowID, st.RunID, status, st)
}

// Get reads a run's state; a closed run adds its outcome. A run of a
// customer outside the caller's book is not found.
func (s *Service) Get(ctx context.Context, c Caller, journeyID, customerID string) (View, error) {
	id := workflows.WorkflowID(journeyID, customerID)
	if err := s.seesCustomer(ctx, c, customerID, noRun(id)); err != nil {
		return View{}, err
	}
	st, status, err := s.state(ctx, id)
	if err != nil {
		return View{}, err
	}
	return viewOf(id, st.RunID, status, st), nil
}

// state reads the state of a workflow's current run and its status. A run
// that is open or completed answers in one call: the query names its run,
// and a completed state means a completed run (the one exception, a run
// still answering its last updates, reads completed a moment early, as the
// feedback answer does). A run that ended otherwise (terminated, timed out,
// failed) is rejected with its status and read the old way, Describe then
// Query, as is a state from a worker that did not name its run yet.
func (s *Service) state(ctx context.Context, workflowID string) (workflows.State, string, error) {
	var st workflows.State
	query := func() (*client.QueryWorkflowWithOptionsResponse, error) {
		return s.temporal.QueryWorkflowWithOptions(ctx, &client.QueryWorkflowWithOptionsRequest{
			WorkflowID: workflowID, QueryType: workflows.QueryState,
			QueryRejectCondition: enumspb.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY,
		})
	}
	resp, err := query()
	if err != nil && timedOut(err) && ctx.Err() == nil {
		// The query went to the worker that had the run cached, and that
		// worker died: by now Temporal knows and sends it to another.
		resp, err = query()
	}
	if err != nil {
		return st, "", temporalErr(err, workflowID)
	}
	if resp.QueryRejected != nil {
		return s.describedState(ctx, workflowID)
	}
	if err := resp.QueryResult.Get(&st); err != nil {
		return st, "", fmt.Errorf("decode state of %s: %w", workflowID, err)
	}
	if st.RunID == "" {
		return s.describedState(ctx, workflowID)
	}
	status := StatusRunning
	if st.Status == workflows.StatusCompleted {
		status = StatusCompleted
	}
	return st, status, nil
}

// describedState asks Temporal which run is current and how it stands, then
// queries that run: two calls, for the cases state cannot answer in one.
func (s *Service) describedState(ctx context.Context, workflowID string) (workflows.State, string, error) {
	var st workflows.State
	desc, err := s.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return st, "", temporalErr(err, workflowID)
	}
	info := desc.GetWorkflowExecutionInfo()
	runID := info.GetExecution().GetRunId()
	resp, err := s.temporal.QueryWorkflow(ctx, workflowID, runID, workflows.QueryState)
	if err != nil {
		return st, "", temporalErr(err, workflowID)
	}
	if err := resp.Get(&st); err != nil {
		return st, "", fmt.Errorf("decode state of %s: %w", workflowID, err)
	}
	st.RunID = runID
	status := workflowStatus(info.GetStatus())
	if status != store.RunRunning && status != store.RunCompleted && status != statusContinuedAsNew {
		// A run that ended this way did not record it: the projection
		// learns it here, so events and the detector's cool-down see it.
		if err := s.noteEnded(ctx, workflowID, info, st.Outcome); err != nil {
			s.logOf(ctx).Warn().Err(err).Str("workflow_id", workflowID).Msg("record the end of a run in the projection")
		}
	}
	return st, status, nil
}

func workflowStatus(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return StatusRunning
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return StatusCompleted
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return statusContinuedAsNew
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "canceled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "timed-out"
	}
	return "unknown"
}
