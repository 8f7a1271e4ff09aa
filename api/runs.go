package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/simulate"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Enrolment results per customer.
const (
	EnrolStarted         = "started"
	EnrolAlreadyRunning  = "already-running"
	EnrolSuppressed      = "suppressed"
	EnrolUnknownCustomer = "unknown-customer"
	EnrolFailed          = "failed"
)

const maxEnrolment = 10000

type enrollRequest struct {
	CustomerIDs []string `json:"customer_ids"`
}

type enrollResult struct {
	CustomerID string `json:"customer_id"`
	Status     string `json:"status"`
	WorkflowID string `json:"workflow_id,omitempty"`
	RunID      string `json:"run_id,omitempty"`
	Error      string `json:"error,omitempty"`
}

// enroll starts one run per customer on the newest published version.
// Repeating it is safe: a running workflow ID refuses a second start.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	var req enrollRequest
	if err := decode(w, r, maxBulkBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	switch {
	case len(req.CustomerIDs) == 0:
		s.fail(w, r, invalid(FieldProblem{Field: "customer_ids", Message: "must list at least one customer"}))
		return
	case len(req.CustomerIDs) > maxEnrolment:
		s.fail(w, r, invalid(FieldProblem{Field: "customer_ids", Message: fmt.Sprintf("at most %d customers per request, got %d", maxEnrolment, len(req.CustomerIDs))}))
		return
	}
	def, err := s.latestJourney(r, mux.Vars(r)["id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// One read for the whole request: who exists, and what each run needs
	// to know of its customer.
	contexts, err := s.store.RunContexts(r.Context(), req.CustomerIDs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	results := make([]enrollResult, len(req.CustomerIDs))
	var starts []runStart
	var at []int              // results index of each start
	first := map[string]int{} // customer ID → results index of its first copy
	var repeats []int
	for i, id := range req.CustomerIDs {
		results[i] = enrollResult{CustomerID: id}
		rc, known := contexts[id]
		if _, ok := first[id]; ok {
			repeats = append(repeats, i)
			continue
		}
		first[id] = i
		if !known {
			results[i].Status = EnrolUnknownCustomer
			continue
		}
		starts = append(starts, runStart{def: def, rc: rc})
		at = append(at, i)
	}
	started := s.startRuns(r.Context(), starts)
	for j, res := range started {
		results[at[j]] = res
	}
	for _, res := range results {
		if res.Status != "" {
			s.metrics.enrollments.WithLabelValues(res.Status).Inc()
		}
	}
	// A customer listed again is answered as its first copy was: the one
	// start request decided for both.
	for _, i := range repeats {
		results[i] = results[first[results[i].CustomerID]]
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

// runStart is a run to start: a journey version for a customer whose run
// context was read.
type runStart struct {
	def *journey.Definition
	rc  store.RunContext
	// events made the detector enrol the customer; the run starts with
	// them (nil for an enrolment by marketing).
	events []workflows.Engagement
}

// startRuns starts a run per start, except for customers whose contacts are
// all suppressed, and answers in the order asked; a start that fails is
// reported in its result.
func (s *Server) startRuns(ctx context.Context, starts []runStart) []enrollResult {
	results := make([]enrollResult, len(starts))
	for i, st := range starts {
		results[i] = enrollResult{CustomerID: st.rc.CustomerID, WorkflowID: workflows.WorkflowID(st.def.ID, st.rc.CustomerID)}
		if !st.rc.Reachable {
			results[i].Status = EnrolSuppressed
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.EnrollConcurrency)
	for i, st := range starts {
		if results[i].Status != "" {
			continue
		}
		g.Go(func() error {
			results[i] = s.startRun(gctx, st)
			return nil
		})
	}
	_ = g.Wait()
	// Register the started runs in the projection that routes events, in
	// one write, so events reach them before their own first write (which
	// is the truth: a running row is never touched here). Runs that did
	// not start are not registered, so no row claims a run that is not.
	var reg []store.RunStart
	for i, st := range starts {
		if results[i].Status == EnrolFailed {
			logOf(ctx, s.log).Warn().Str("workflow_id", results[i].WorkflowID).Str("error", results[i].Error).Msg("run not started")
		}
		if results[i].Status == EnrolStarted {
			reg = append(reg, store.RunStart{WorkflowID: results[i].WorkflowID, RunKey: results[i].WorkflowID + "/" + results[i].RunID,
				JourneyID: st.def.ID, Version: st.def.Version, CustomerID: st.rc.CustomerID, OwnerID: st.rc.OwnerID})
		}
	}
	if len(reg) > 0 {
		if _, err := s.store.RegisterRuns(ctx, s.now(), reg); err != nil {
			// The runs started and write their own rows at once; only
			// events in the next moment may miss them.
			logOf(ctx, s.log).Warn().Err(err).Int("runs", len(reg)).Msg("register started runs for event routing")
		}
	}
	return results
}

// startRun starts one run with its customer's context in the input, so the
// run need not load it by an activity before its first step.
func (s *Server) startRun(ctx context.Context, st runStart) enrollResult {
	customerID := st.rc.CustomerID
	res := enrollResult{CustomerID: customerID, WorkflowID: workflows.WorkflowID(st.def.ID, customerID)}
	in := workflows.Input{Journey: *st.def, CustomerID: customerID, RequestID: RequestID(ctx),
		Context:     &workflows.RunContext{OwnerID: st.rc.OwnerID, Timezone: st.rc.Timezone, Reachable: st.rc.Reachable},
		Engagements: st.events}
	run, err := s.temporal.ExecuteWorkflow(ctx, s.startOptions(st.def, customerID), workflows.Journey, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &started):
		res.Status = EnrolAlreadyRunning
	case err != nil:
		res.Status, res.Error = EnrolFailed, err.Error()
	default:
		res.Status, res.RunID = EnrolStarted, run.GetRunID()
	}
	return res
}

func (s *Server) startOptions(def *journey.Definition, customerID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(def.ID, customerID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// Without this the SDK hands back the running run as if it had
		// started it, and "already-running" could not be told apart.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    workflows.StartSearchAttributes(def.ID, customerID, def.Offer.Kind),
		StaticSummary:                            fmt.Sprintf("%s v%d (%s %s) for customer %s", def.ID, def.Version, def.Offer.Kind, def.Offer.Product, customerID),
		StaticDetails:                            def.Name,
	}
}

// runView is a run as the API shows it: the `state` query without the
// workflow's bookkeeping, plus how it ended.
type runView struct {
	WorkflowID     string                  `json:"workflow_id"`
	RunID          string                  `json:"run_id"`
	JourneyID      string                  `json:"journey_id"`
	Version        int                     `json:"version"`
	CustomerID     string                  `json:"customer_id"`
	OwnerID        string                  `json:"owner_id,omitempty"`
	Status         string                  `json:"status"`
	Outcome        *string                 `json:"outcome"`
	Step           string                  `json:"step"`
	Stage          string                  `json:"stage"`
	Score          float64                 `json:"score"`
	MQN            bool                    `json:"mqn"`
	ReachedMQN     bool                    `json:"reached_mqn"`
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
}

func viewRun(workflowID, runID, status string, st workflows.State) runView {
	v := runView{
		WorkflowID: workflowID, RunID: runID, JourneyID: st.JourneyID, Version: st.Version, CustomerID: st.CustomerID,
		OwnerID: st.OwnerID, Status: status, Step: st.Step, Stage: st.Stage, Score: st.Score, MQN: st.MQN,
		ReachedMQN: st.ReachedMQN || st.MQN, Cycle: st.Cycle, Handoff: st.Handoff, Touches: st.Touches, NextWakeAt: st.NextWakeAt, Paused: st.Paused,
		StartedAt: st.StartedAt, CycleStartedAt: st.CycleStart, LastError: st.LastError,
		Clicked: st.Clicked, Opened: st.Opened, Visits: st.Visits, FastLane: st.FastLane,
		Engagements: st.Engagements, Sent: st.Sent, ScoreTrail: st.ScoreTrail,
	}
	if st.Outcome != "" {
		outcome := st.Outcome
		v.Outcome = &outcome
	}
	return v
}

// getRun answers the run's `state` query; a closed run adds its outcome.
func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	id := workflows.WorkflowID(v["id"], v["customerID"])
	st, status, err := s.runState(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewRun(id, st.RunID, status, st))
}

// runState reads the state of a workflow's current run and its status. A
// run that is open or completed answers in one call: the query names its
// run, and a completed state means a completed run (the one exception, a
// run still answering its last updates, reads completed a moment early, as
// the feedback answer does). A run that ended otherwise (terminated, timed
// out, failed) is rejected with its status and read the old way, Describe
// then Query, as is a state from a worker that did not name its run yet.
func (s *Server) runState(ctx context.Context, workflowID string) (workflows.State, string, error) {
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
		return st, "", s.temporalErr(err, workflowID)
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
	status := "running"
	if st.Status == workflows.StatusCompleted {
		status = "completed"
	}
	return st, status, nil
}

// describedState asks Temporal which run is current and how it stands, then
// queries that run: two calls, for the cases runState cannot answer in one.
func (s *Server) describedState(ctx context.Context, workflowID string) (workflows.State, string, error) {
	var st workflows.State
	desc, err := s.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return st, "", s.temporalErr(err, workflowID)
	}
	info := desc.GetWorkflowExecutionInfo()
	runID := info.GetExecution().GetRunId()
	resp, err := s.temporal.QueryWorkflow(ctx, workflowID, runID, workflows.QueryState)
	if err != nil {
		return st, "", s.temporalErr(err, workflowID)
	}
	if err := resp.Get(&st); err != nil {
		return st, "", fmt.Errorf("decode state of %s: %w", workflowID, err)
	}
	st.RunID = runID
	status := workflowStatus(info.GetStatus())
	if status != store.RunRunning && status != store.RunCompleted && status != statusContinuedAsNew {
		// A run that ended this way did not record it: the projection
		// learns it here, so events and the detector's cool-down see it.
		if err := s.noteRunEnded(ctx, workflowID, info, st.Outcome); err != nil {
			logOf(ctx, s.log).Warn().Err(err).Str("workflow_id", workflowID).Msg("record the end of a run in the projection")
		}
	}
	return st, status, nil
}

// statusContinuedAsNew is the status of an execution that handed its run
// on to a new one; lists leave such executions out (visibilityQuery).
const statusContinuedAsNew = "continued-as-new"

func workflowStatus(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "running"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		// A closed link of a run's chain: the run goes on in a newer
		// execution of the same workflow ID, which alone stands for it.
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

// signalRequest is one of: fast-lane {offer, note}; sales-feedback
// {outcome, note}; pause; resume; stop.
type signalRequest struct {
	Type    string `json:"type"`
	Offer   string `json:"offer,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	Note    string `json:"note,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

func (s *Server) signalRun(w http.ResponseWriter, r *http.Request) {
	var req signalRequest
	if err := decode(w, r, maxBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	v := mux.Vars(r)
	id := workflows.WorkflowID(v["id"], v["customerID"])
	ctx := r.Context()
	var err error
	switch req.Type {
	case "fast-lane":
		if !validOffer(req.Offer) {
			s.fail(w, r, invalid(FieldProblem{Field: "offer", Message: "must be one of " + strings.Join(journey.FastLaneOffers, ", ")}))
			return
		}
		err = s.fastLane(ctx, v["id"], v["customerID"], req.Offer, req.Note)
	case "sales-feedback":
		var st workflows.State
		var applied bool
		var ferr error
		open, herr := s.store.OpenHandoffOfWorkflow(ctx, id)
		switch {
		case herr == nil:
			st, applied, ferr = s.answerHandoff(ctx, open, req.Outcome, req.Note)
		case errors.Is(herr, store.ErrNotFound):
			// The run may have qualified a moment ago and not yet
			// recorded its hand-off: it decides alone. The note stays
			// out of its history: it waits in Postgres for the hand-off
			// the run closes with this answer, written first so that the
			// close, however late, finds it.
			st, applied, ferr = s.answerRun(ctx, id, req.Outcome, req.Note)
		default:
			ferr = herr
		}
		if ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		s.metrics.signals.WithLabelValues(req.Type).Inc()
		if !applied {
			writeJSON(w, http.StatusAccepted, map[string]string{"workflow_id": id, "signal": req.Type, "status": "accepted, being applied"})
			return
		}
		status := "running"
		if st.Status == workflows.StatusCompleted {
			status = "completed"
		}
		writeJSON(w, http.StatusOK, viewRun(id, st.RunID, status, st))
		return
	case "pause", "resume", "stop":
		// At orders a pause and a resume that reach the run together.
		err = s.temporal.SignalWorkflow(ctx, id, "", req.Type, workflows.Control{Reason: req.Reason, At: s.now()})
	default:
		s.fail(w, r, invalid(FieldProblem{Field: "type", Message: "must be one of fast-lane, sales-feedback, pause, resume, stop"}))
		return
	}
	if err != nil {
		s.fail(w, r, s.temporalErr(err, id))
		return
	}
	s.metrics.signals.WithLabelValues(req.Type).Inc()
	writeJSON(w, http.StatusAccepted, map[string]string{"workflow_id": id, "signal": req.Type})
}

// answerRun gives sales' answer to a run whose hand-off the store does not
// have yet. A note the run refuses is dropped, so it never lands on a later
// hand-off; one whose answer is still in flight (no answer in time) is kept,
// and so is the note of an earlier answer the run is applying (refused as
// pending): a repeated answer does not replace it (NotePendingFeedback).
func (s *Server) answerRun(ctx context.Context, workflowID, outcome, note string) (workflows.State, bool, error) {
	if !workflows.ValidFeedback(outcome) {
		return workflows.State{}, false, invalid(FieldProblem{Field: "outcome", Message: "must be one of accepted, won, lost, rejected, not-ready"})
	}
	if err := s.store.NotePendingFeedback(ctx, workflowID, outcome, note); err != nil {
		return workflows.State{}, false, err
	}
	st, applied, err := s.feedback(ctx, workflowID, "", workflows.Feedback{Outcome: outcome})
	var refused *badRequest
	if note != "" && errors.As(err, &refused) && refused.status < 500 && !refused.pending {
		if derr := s.store.DropPendingFeedback(context.WithoutCancel(ctx), workflowID, outcome); derr != nil {
			s.log.Warn().Err(derr).Str("workflow_id", workflowID).Msg("drop the note of a refused answer")
		}
	}
	return st, applied, err
}

func validOffer(o string) bool {
	for _, x := range journey.FastLaneOffers {
		if x == o {
			return true
		}
	}
	return false
}

// feedback sends sales feedback as an update: the run refuses it (409)
// unless it has an open hand-off, and answers with its new state.
//
// It answers once the run has accepted the feedback; applied says whether
// the run also finished acting on it within a few seconds (a run whose
// worker just died may take longer; it will still apply it).
//
// firstRunID, when known (a hand-off's run key carries it), pins the update
// to that run's chain: an answer to a hand-off of an ended run never reaches
// a newer run of the same workflow ID.
func (s *Server) feedback(ctx context.Context, workflowID, firstRunID string, fb workflows.Feedback) (st workflows.State, applied bool, err error) {
	if !workflows.ValidFeedback(fb.Outcome) {
		return st, false, invalid(FieldProblem{Field: "outcome", Message: "must be one of accepted, won, lost, rejected, not-ready"})
	}
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
		return st, false, s.temporalErr(err, workflowID)
	}
	doneCtx, cancelDone := context.WithTimeout(ctx, 5*time.Second)
	defer cancelDone()
	if err := h.Get(doneCtx, &st); err != nil {
		if doneCtx.Err() != nil || timedOut(err) {
			return st, false, nil // accepted, so durable; still being applied
		}
		return st, false, s.temporalErr(err, workflowID)
	}
	return st, true, nil
}

// timedOut: the update or query got no answer before the deadline.
func timedOut(err error) bool {
	var timeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &timeout) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded)
}

// temporalErr maps Temporal's answers to API errors.
func (s *Server) temporalErr(err error, workflowID string) error {
	var nf *serviceerror.NotFound
	var app *temporal.ApplicationError
	switch {
	case errors.As(err, &nf) && strings.Contains(nf.Error(), "already completed"):
		return conflictErr("the run " + workflowID + " has already ended")
	case errors.As(err, &nf):
		return notFoundErr("no run " + workflowID)
	case timedOut(err):
		return &badRequest{status: http.StatusServiceUnavailable, detail: "the run did not answer in time; it may still act on the request: read the run (or the hand-off) before sending it again"}
	case errors.As(err, &app) && app.Type() == workflows.ErrFeedbackPending:
		return &badRequest{status: http.StatusConflict, detail: app.Message(), pending: true}
	case errors.As(err, &app) && app.Type() == workflows.ErrNoOpenHandoff:
		return conflictErr(app.Message())
	case errors.As(err, &app) && app.Type() == workflows.ErrInvalidFeedback:
		return invalid(FieldProblem{Field: "outcome", Message: app.Message()})
	case strings.Contains(err.Error(), "workflow execution already completed"):
		return conflictErr("the run " + workflowID + " has already ended")
	}
	return fmt.Errorf("temporal: %w", err)
}

// runSummary is one run in a list, from Temporal visibility.
type runSummary struct {
	WorkflowID string     `json:"workflow_id"`
	RunID      string     `json:"run_id"`
	JourneyID  string     `json:"journey_id"`
	CustomerID string     `json:"customer_id"`
	OwnerID    string     `json:"owner_id,omitempty"`
	Offer      string     `json:"offer,omitempty"`
	Stage      string     `json:"stage"`
	Score      int64      `json:"score"`
	MQN        bool       `json:"mqn"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	filters := map[string]string{
		"RipenJourney": q.Get("journey"), "RipenCustomer": q.Get("customer"),
		"RipenOwner": q.Get("owner"), "RipenStage": q.Get("stage"),
	}
	var probs []FieldProblem
	var mqn *bool
	if v := q.Get("mqn"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			probs = append(probs, FieldProblem{Field: "mqn", Message: "must be true or false"})
		}
		mqn = &b
	}
	probs = append(probs, runFilterProblems(q.Get("stage"), q.Get("status"),
		map[string]string{"journey": q.Get("journey"), "customer": q.Get("customer"), "owner": q.Get("owner")})...)
	if len(probs) > 0 {
		s.fail(w, r, invalid(probs...))
		return
	}
	s.writeRuns(w, r, visibilityQuery(filters, mqn, q.Get("status")))
}

// runFilterProblems checks a run list's filters: stage and status against
// their values, and IDs (by parameter name) for what visibility can match.
func runFilterProblems(stage, status string, ids map[string]string) []FieldProblem {
	var probs []FieldProblem
	switch stage {
	case "", workflows.StageNurturing, workflows.StageHandoff, workflows.StageCooldown, workflows.StagePaused, workflows.StageDone:
	default:
		probs = append(probs, FieldProblem{Field: "stage", Message: "must be one of nurturing, handoff, cooldown, paused, done"})
	}
	switch status {
	case "", "running", "closed":
	default:
		probs = append(probs, FieldProblem{Field: "status", Message: "must be running or closed"})
	}
	for _, name := range slices.Sorted(maps.Keys(ids)) {
		if strings.ContainsAny(ids[name], `\"`) {
			// Temporal's SQL visibility (SQLite, PostgreSQL) escapes
			// these MySQL-style, so a value holding one never matches:
			// say so rather than answer an empty list.
			probs = append(probs, FieldProblem{Field: name, Message: `run lists cannot match a value with a backslash or a double quote`})
		}
	}
	return probs
}

func (s *Server) listCustomerRuns(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	if probs := runFilterProblems("", r.URL.Query().Get("status"), map[string]string{"id": id}); len(probs) > 0 {
		s.fail(w, r, invalid(probs...))
		return
	}
	if missing, err := s.store.MissingCustomers(r.Context(), []string{id}); err != nil || len(missing) > 0 {
		if err == nil {
			err = notFoundErr("customer " + id + " does not exist")
		}
		s.fail(w, r, err)
		return
	}
	s.writeRuns(w, r, visibilityQuery(map[string]string{"RipenCustomer": id}, nil, r.URL.Query().Get("status")))
}

// visibilityQuery builds a list filter; keys are fixed, values quoted.
//
// A run that continued as new is one run in several executions: visibility
// keeps every execution, the old ones frozen with the stage, score and MQN
// of the moment they handed over. Only the newest execution of a run (the
// one not ContinuedAsNew) speaks for it, so the others are always left out:
// otherwise a run is listed once per execution, and stale copies match
// stage, mqn and status=closed filters the run itself no longer matches.
func visibilityQuery(filters map[string]string, mqn *bool, status string) string {
	parts := []string{"RipenJourney IS NOT NULL"}
	for _, key := range []string{"RipenJourney", "RipenCustomer", "RipenOwner", "RipenStage"} {
		if v := filters[key]; v != "" {
			parts = append(parts, fmt.Sprintf("%s = %s", key, visibilityString(v)))
		}
	}
	if mqn != nil {
		parts = append(parts, fmt.Sprintf("RipenMQN = %t", *mqn))
	}
	parts = append(parts, "ExecutionStatus != 'ContinuedAsNew'")
	switch status {
	case "running":
		parts = append(parts, "ExecutionStatus = 'Running'")
	case "closed":
		parts = append(parts, "ExecutionStatus != 'Running'")
	}
	return strings.Join(parts, " AND ")
}

// visibilityString quotes a value for a visibility query: the parser reads
// backslash escapes inside quotes, so a backslash is doubled before a quote
// is escaped (a value ending in a backslash would otherwise escape the
// closing quote and the query would not parse). runFilterProblems refuses
// such values before they get here; the quoting stays safe regardless.
func visibilityString(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(v) + "'"
}

func (s *Server) writeRuns(w http.ResponseWriter, r *http.Request, query string) {
	size := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(w, r, invalid(FieldProblem{Field: "limit", Message: "must be a number from 1 to 1000"}))
			return
		}
		size = n
	}
	var token []byte
	if v := r.URL.Query().Get("page_token"); v != "" {
		t, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil {
			s.fail(w, r, invalid(FieldProblem{Field: "page_token", Message: "is not a token this API gave out"}))
			return
		}
		token = t
	}
	resp, err := s.temporal.ListWorkflow(r.Context(), &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: s.cfg.Namespace, PageSize: int32(size), NextPageToken: token, Query: query,
	})
	var bad *serviceerror.InvalidArgument
	if errors.As(err, &bad) {
		// The filters made a query Temporal refused: the client's values.
		s.fail(w, r, &badRequest{status: http.StatusUnprocessableEntity, detail: "Temporal refused the run filters: " + bad.Message})
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("list runs (%s): %w", query, err))
		return
	}
	runs := make([]runSummary, 0, len(resp.GetExecutions()))
	for _, e := range resp.GetExecutions() {
		sa := e.GetSearchAttributes().GetIndexedFields()
		rs := runSummary{
			WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId(),
			JourneyID: saString(sa, "RipenJourney"), CustomerID: saString(sa, "RipenCustomer"),
			OwnerID: saString(sa, "RipenOwner"), Offer: saString(sa, "RipenOffer"), Stage: saString(sa, "RipenStage"),
			Status: workflowStatus(e.GetStatus()), StartedAt: e.GetStartTime().AsTime(),
		}
		_ = decodeSA(sa, "RipenScore", &rs.Score)
		_ = decodeSA(sa, "RipenMQN", &rs.MQN)
		if e.GetCloseTime() != nil {
			t := e.GetCloseTime().AsTime()
			rs.ClosedAt = &t
		}
		runs = append(runs, rs)
	}
	out := map[string]any{"runs": runs}
	if t := resp.GetNextPageToken(); len(t) > 0 {
		out["next_page_token"] = base64.RawURLEncoding.EncodeToString(t)
	}
	writeJSON(w, http.StatusOK, out)
}

func saString(sa map[string]*commonpb.Payload, key string) string {
	var v string
	_ = decodeSA(sa, key, &v)
	return v
}

func decodeSA(sa map[string]*commonpb.Payload, key string, v any) error {
	p, ok := sa[key]
	if !ok {
		return nil
	}
	return converter.GetDefaultDataConverter().FromPayload(p, v)
}

// simulateRequest is a scripted timeline for POST /v1/journeys/{id}/simulate.
type simulateRequest struct {
	Events   []simulate.Event `json:"events"`
	Start    *time.Time       `json:"start,omitempty"`
	Timezone string           `json:"timezone,omitempty"`
	// Journey, when given, simulates this definition instead of the newest
	// published version (try before publishing).
	Journey *journey.Definition `json:"journey,omitempty"`
}

// simulateJourney runs a journey against a posted timeline in time-skipping
// mode and answers with the same report as `ripen journeys simulate --json`.
func (s *Server) simulateJourney(w http.ResponseWriter, r *http.Request) {
	var req simulateRequest
	if err := decode(w, r, maxBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	def := req.Journey
	if def == nil {
		var err error
		if def, err = s.latestJourney(r, mux.Vars(r)["id"]); err != nil {
			s.fail(w, r, err)
			return
		}
	} else if probs := journey.Validate(def, journey.ValidateOptions{}); len(probs) > 0 {
		// The posted journey's fields sit under "journey" in the body.
		for i := range probs {
			probs[i].Field = "journey." + probs[i].Field
		}
		s.fail(w, r, probs)
		return
	}
	// Every problem at once, each on its field: the events' own
	// ("events[2].offer"), the events against the journey, the timezone.
	var fields []FieldProblem
	if len(req.Events) > simulate.MaxEvents {
		// Checked before the events themselves: there is no point in
		// listing the mistakes of a script that is refused anyway.
		s.fail(w, r, invalid(FieldProblem{Field: "events", Message: fmt.Sprintf("at most %d events per simulation, got %d", simulate.MaxEvents, len(req.Events))}))
		return
	}
	for _, p := range simulate.CheckEvents(def, req.Events) {
		fields = append(fields, FieldProblem{Field: p.Field, Message: p.Message})
	}
	if _, err := simulate.LoadTimezone(req.Timezone); err != nil {
		fields = append(fields, FieldProblem{Field: "timezone", Message: err.Error()})
	}
	if len(fields) > 0 {
		s.fail(w, r, invalid(fields...))
		return
	}
	opt := simulate.Options{Timezone: req.Timezone}
	if req.Start != nil {
		opt.Start = *req.Start
	}
	rep, err := simulate.Run(def, req.Events, opt)
	var deadline *temporal.TimeoutError
	if errors.As(err, &deadline) {
		// The simulated run hit a time limit of the simulator (the bounds
		// above keep a script clear of the one known): a property of the
		// journey and timeline posted, not a fault of the server.
		s.fail(w, r, invalid(FieldProblem{Field: "events", Message: "the simulated journey ran past the simulator's time limit (" + deadline.Error() + "): script a shorter timeline"}))
		return
	}
	if err != nil {
		s.fail(w, r, err) // the events were checked: this is the simulator's failure
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// fastLane stores a fast-lane request signalled by sales or marketing (its
// note stays in Postgres) and signals the run with the event ID.
func (s *Server) fastLane(ctx context.Context, journeyID, customerID, offer, note string) error {
	if len(note) > 2000 {
		return invalid(FieldProblem{Field: "note", Message: "must be at most 2000 characters"})
	}
	if _, err := s.store.GetCustomer(ctx, customerID); err != nil {
		return err
	}
	// The event ID is the server's own: a client-set X-Request-ID could
	// name another customer's stored request, and the run would then read
	// that request's note.
	ev := store.Event{ID: "fast-lane-api-" + newEventID(), CustomerID: customerID, Type: "fast-lane",
		RunID: workflows.WorkflowID(journeyID, customerID), Note: note, Topic: offer, OccurredAt: s.now()}
	if _, _, err := s.store.InsertEvents(ctx, []store.Event{ev}); err != nil {
		return err
	}
	return s.temporal.SignalWorkflow(ctx, ev.RunID, "", workflows.SignalFastLane, workflows.FastLane{EventID: ev.ID, Offer: offer, At: ev.OccurredAt})
}
