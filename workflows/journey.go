package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// TaskQueue is where journey workflows and their activities run.
const TaskQueue = "ripen"

// WorkflowID names the one run of a journey for a customer.
func WorkflowID(journeyID, customerID string) string {
	return "ripen/" + journeyID + "/" + customerID
}

// Input starts a run, or continues one after continue-as-new.
type Input struct {
	// Journey is a snapshot of the published version: edits never reach
	// runs in flight.
	Journey    journey.Definition `json:"journey"`
	CustomerID string             `json:"customer_id"`
	// RequestID ties the run to the API request that started it.
	RequestID string `json:"request_id,omitempty"`
	// Context is what the starter already knows of the customer (IDs and a
	// zone, no personal data); nil makes the run load it by an activity.
	Context *RunContext `json:"context,omitempty"`
	// Engagements are what made the detector enrol the customer: a new
	// run counts them before its first step, so the start and its reasons
	// arrive together (IDs, kinds and topics; no personal data).
	Engagements []Engagement `json:"engagements,omitempty"`
	// State is carried over by continue-as-new; nil on a new run.
	State *State `json:"state,omitempty"`
	// ContinueAsNewAfter forces continue-as-new after this many history
	// events (tests and benchmarks); 0 waits for Temporal's suggestion.
	ContinueAsNewAfter int `json:"continue_as_new_after,omitempty"`
}

// Result is how a run ended.
type Result struct {
	Outcome string  `json:"outcome"`
	Cycles  int     `json:"cycles"`
	Score   float64 `json:"score"`
	Touches int     `json:"touches"`
}

// Defaults for journeys that leave hand-off timing out.
const (
	defaultSLA   = 2 * 24 * time.Hour
	maxReminders = 3
	// retryFor is how long an activity retries transient failures (a
	// Postgres restart, SendGrid answering 5xx) before the run records the
	// failure and goes on.
	retryFor = 24 * time.Hour
)

// accountRulesChange is the workflow.GetVersion change of the account rules
// (issue 15): engagement scores only on the journey's scoring.topics, MQN
// by score needs mqn.min_contacts distinct contacts, and an order that meets
// the goal ends the run converted; a requested asset goes to the contact
// who asked (sendAssets), and with a send window each contact is sent in
// its own zone's window (sendByZone). A run without its marker keeps the
// earlier behaviour.
const accountRulesChange = "accounts-2026-12"

// Journey walks one customer through one journey: send, wait, branch; score
// what they do; hand them to sales at MQN; recycle after "not ready".
func Journey(ctx workflow.Context, in Input) (Result, error) {
	r, err := begin(ctx, in)
	if err != nil {
		return Result{}, err
	}
	for r.st.Status == StatusRunning {
		if err := r.live(); err != nil {
			return Result{}, err
		}
		// A fast lane heard in the last word reopens the run.
		r.lastWord()
	}
	return r.result()
}

// run is the interpreter of one journey run.
type run struct {
	// root is the workflow's own context, which a cancel request cancels.
	// Only the waits listen to it (waitFor), and hear the cancel as a stop.
	root workflow.Context
	// ctx is disconnected from root: what the run does between waits (an
	// email, the hand-off, recording its end) finishes when cancelled.
	ctx      workflow.Context
	in       Input
	def      *journey.Definition
	st       *State
	halfLife time.Duration
	// feedback is sales' answer, accepted and not yet applied; the update
	// that brought it answers once it is nil again.
	feedback  *Feedback
	published published
	// recordedStage is the stage of the last projection recorded by this
	// run (not carried by continue-as-new).
	recordedStage string
	// spins counts steps taken without workflow time passing, to stop a
	// loop that slipped past validation.
	spins    int
	spinTime time.Time
	// closing is true while lastWord drains.
	closing bool
	// canceled: a cancel request reached the running run (hearCancel).
	canceled bool
}

// begin sets the run up: its state (new, or carried by continue-as-new),
// its query and update, and for a new run what it knows at enrolment.
func begin(ctx workflow.Context, in Input) (*run, error) {
	r := &run{root: ctx, in: in, def: &in.Journey, halfLife: in.Journey.Scoring.HalfLife.Std(), st: in.State}
	r.ctx, _ = workflow.NewDisconnectedContext(ctx)
	if r.st == nil {
		r.st = newState(ctx, in)
		// Read once per run; continue-as-new carries it in the state.
		r.st.AccountRules = workflow.GetVersion(ctx, accountRulesChange, workflow.DefaultVersion, 1) == 1
		v := workflow.GetVersion(ctx, experimentsChange, workflow.DefaultVersion, publishOncePerTaskVersion)
		r.st.Experiments, r.st.PublishPerTask = v >= experimentsVersion, v >= publishOncePerTaskVersion
	}
	if err := r.listen(); err != nil {
		return nil, err
	}
	if in.State == nil {
		for _, e := range in.Engagements {
			r.countEngagement(e)
		}
		r.loadContext(in.Context)
		r.holdOut()
		r.notifyEnrolment(in.Engagements)
	}
	r.publish()
	return r, nil
}

// loadContext learns the owner and timezone (IDs and a zone, no personal
// data), from the starter when it sent them, else by an activity.
func (r *run) loadContext(known *RunContext) {
	var rc RunContext
	if known != nil {
		rc = *known
	} else if err := workflow.ExecuteActivity(r.activity("load customer "+r.st.CustomerID, retryFor), ActivityLoadRunContext,
		RunContextRequest{CustomerID: r.st.CustomerID}).Get(r.ctx, &rc); err != nil {
		r.fail("load customer", err)
		r.finish(OutcomeUnreachable)
		return
	}
	r.st.OwnerID, r.st.Timezone = rc.OwnerID, rc.Timezone
	if r.st.AccountRules {
		r.st.Timezones = rc.Timezones
	}
	if !rc.Reachable {
		r.finish(OutcomeUnreachable)
		return
	}
	r.sync()
}

// checkReach follows a contact's unsubscribe (AccountRules): the run goes
// on while a contact of its audience can still be mailed, and ends
// unsubscribed when none can. Unsubscribes that came together cost one
// check. When the check fails for good the run goes on: the send activity
// skips suppressed addresses, and ends the run when nobody is left.
func (r *run) checkReach() {
	r.st.CheckReach = false
	req := RunContextRequest{CustomerID: r.st.CustomerID}
	if r.def.Audience != nil {
		req.Personas = r.def.Audience.Personas
	}
	var rc RunContext
	if err := workflow.ExecuteActivity(r.activity("anyone left to mail at "+r.st.CustomerID, retryFor), ActivityLoadRunContext, req).
		Get(r.ctx, &rc); err != nil {
		r.fail("check who is left to mail", err)
		return
	}
	if !rc.Reachable {
		r.finish(OutcomeUnsubscribed)
	}
}

// notifyEnrolment tells the owner at once that the detector enrolled the
// account, with the events that did (handoff.notify_on_enrol, AccountRules),
// so the rep may call. A marketing enrolment brings no events and tells
// nobody. A failure shows on the run, which goes on.
func (r *run) notifyEnrolment(events []Engagement) {
	st := r.st
	if !st.AccountRules || !r.def.Handoff.NotifyOnEnrol || len(events) == 0 || st.Status != StatusRunning {
		return
	}
	req := EnrolmentNotice{
		RunKey: st.RunKey, WorkflowID: workflow.GetInfo(r.ctx).WorkflowExecution.ID,
		JourneyID: r.def.ID, Version: r.def.Version, CustomerID: st.CustomerID, OwnerID: st.OwnerID,
		Offer: r.def.Offer.Product, Engagements: events,
	}
	if err := workflow.ExecuteActivity(r.activity("tell the owner of the enrolment", retryFor), ActivityNotifyEnrolment, req).
		Get(r.ctx, nil); err != nil {
		r.fail("tell the owner of the enrolment", err)
	}
}

// live takes one step after another until the run ends, or returns the
// continue-as-new error that carries it into a fresh history.
func (r *run) live() error {
	for r.st.Status == StatusRunning {
		// Signals first: the step sees everything delivered so far.
		r.drainSignals()
		if r.timeToContinueAsNew() {
			if err := r.continueAsNew(); err != nil {
				return err
			}
			// Sales answered while the run drained its signals: the
			// answer is applied first (see continueAsNew).
			continue
		}
		r.step()
	}
	return nil
}

// step takes the one thing the run must do next.
func (r *run) step() {
	st := r.st
	switch {
	case r.feedback != nil:
		// Sales' answer, accepted before a stop or an unsubscribe came
		// in, is recorded first; then those end the run.
		r.applyFeedback()
	case st.Unsubscribed:
		r.finish(OutcomeUnsubscribed)
	case st.CheckReach:
		r.checkReach()
	case st.Stopped:
		r.finish(OutcomeStopped)
	case st.Converted:
		r.finish(OutcomeConverted)
	case st.Paused && st.PendingFastLane:
		// A contact who asks for sales reaches the owner even while the
		// run is paused ("a fast lane qualifies at once"): a pause holds
		// the journey's own emails and follow-ups, and the hand-off emails
		// only the owner. The run stays paused through it (see
		// State.setStage), so SLA reminders wait for resume. A score that
		// reaches the threshold while paused is marketing's judgement,
		// which the pause holds: it hands off after resume.
		r.escalate()
	case st.Paused:
		r.awaitResume()
	case st.Stage == StageHandoff:
		r.awaitFeedback()
	case r.qualified():
		r.escalate()
	case st.Stage == StageCooldown:
		r.coolDown()
	case st.StepIndex >= len(r.def.Steps):
		r.finish(OutcomeNotQualified)
	default:
		r.runStep(r.def.Steps[st.StepIndex])
	}
}

// runStep runs one journey step; a false `if` skips it.
func (r *run) runStep(step journey.Step) {
	if r.spinning() {
		r.fail("step "+step.ID, errors.New("steps loop without any wait"))
		r.finish(OutcomeNotQualified)
		return
	}
	r.st.Step = step.ID
	if step.If != "" && !r.guard(step) {
		r.next()
		return
	}
	switch step.Kind() {
	case journey.StepSend:
		r.sendOrWithhold(step)
	case journey.StepWait:
		r.wait(step)
	case journey.StepGoto:
		r.jump(step)
	case journey.StepSplit:
		r.split(step)
	case journey.StepEnd:
		r.finish(OutcomeNotQualified)
	}
}

// next moves on to the following step.
func (r *run) next() {
	r.st.StepIndex++
	r.st.WaitUntil = nil
}

// jump follows a goto; validation makes sure its target exists.
func (r *run) jump(step journey.Step) {
	r.st.StepIndex = r.def.StepIndex(step.Goto)
	if r.st.StepIndex < 0 {
		r.fail("step "+step.ID, fmt.Errorf("goto unknown step %q", step.Goto))
		r.finish(OutcomeNotQualified)
	}
}

// guard evaluates a step's `if`; a condition that fails to evaluate skips
// the step and shows on the run.
func (r *run) guard(step journey.Step) bool {
	ok, err := journey.EvalCondition(step.If, r.st.conditionEnv(workflow.Now(r.ctx), r.halfLife))
	if err != nil {
		r.fail("condition of step "+step.ID, err)
		return false
	}
	return ok
}

// spinning reports a loop of steps that lets no workflow time pass, which
// would otherwise run until the history is full.
func (r *run) spinning() bool {
	now := workflow.Now(r.ctx)
	if !now.Equal(r.spinTime) {
		r.spinTime, r.spins = now, 0
	}
	r.spins++
	return r.spins > 10*len(r.def.Steps)+10
}

// finish ends the run with an outcome.
func (r *run) finish(outcome string) {
	st := r.st
	st.Status, st.Outcome, st.Stage = StatusCompleted, outcome, StageDone
	st.Paused, st.NextWakeAt = false, nil
	st.Score = round2(st.scoreAt(workflow.Now(r.ctx), r.halfLife))
	r.publish()
	r.sync()
}

// lastWord hears the signals that came in while the run was recording its
// end: a fast lane among them reopens the run for a hand-off (see
// onFastLane), since the contact was already thanked for it. Then it lets
// every accepted update answer before the run closes.
func (r *run) lastWord() {
	r.closing = true
	r.drainSignals()
	r.closing = false
	if r.st.Status == StatusRunning {
		return
	}
	// A feedback update accepted on a path that ended the run without
	// applying it answers with the final state rather than hang.
	r.feedback = nil
	_ = workflow.Await(r.ctx, func() bool { return workflow.AllHandlersFinished(r.ctx) })
}

// result is what the run returns. A run that ended because an operator
// cancelled it has recorded its end as a stop, and shows as Canceled in
// Temporal, with the result in the details.
func (r *run) result() (Result, error) {
	res := Result{Outcome: r.st.Outcome, Cycles: r.st.Cycle, Score: r.st.Score, Touches: r.st.Touches}
	if r.canceled && r.st.Outcome == OutcomeStopped {
		return res, temporal.NewCanceledError(res)
	}
	return res, nil
}

// timeToContinueAsNew: Temporal suggests it (history too long or large), or
// the input's test threshold is reached; never with sales feedback pending.
func (r *run) timeToContinueAsNew() bool {
	if r.feedback != nil || r.canceled {
		// A cancelled run ends in this execution: the next one would not
		// know it was cancelled.
		return false
	}
	info := workflow.GetInfo(r.ctx)
	if info.GetContinueAsNewSuggested() {
		return true
	}
	return r.in.ContinueAsNewAfter > 0 && info.GetCurrentHistoryLength() >= r.in.ContinueAsNewAfter
}

// continueAsNew carries the whole state into a fresh history, after every
// delivered signal and running update handler is done. It returns nil, and
// the run goes on, when that brought sales' answer or a cancel in.
func (r *run) continueAsNew() error {
	r.drainSignals()
	if err := workflow.Await(r.ctx, func() bool { return workflow.AllHandlersFinished(r.ctx) }); err != nil {
		return err
	}
	r.drainSignals()
	if r.canceled || r.feedback != nil {
		// Cancelled, or sales answered, while the handlers finished: end
		// here, or apply the answer first and continue as new after.
		return nil
	}
	next := r.in
	st := *r.st
	st.NextWakeAt = nil
	next.State = &st
	return workflow.NewContinueAsNewError(r.ctx, Journey, next)
}

// fail shows a failure on the run (LastError) and in the worker's log; the
// journey goes on.
func (r *run) fail(what string, err error) {
	r.st.LastError = what + ": " + err.Error()
	workflow.GetLogger(r.ctx).Warn("journey step failed", "what", what, "error", err)
}
