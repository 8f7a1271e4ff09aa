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

// Journey walks one customer through one journey: send, wait, branch; score
// what they do; hand them to sales at MQN; recycle after "not ready".
func Journey(ctx workflow.Context, in Input) (Result, error) {
	r, err := begin(ctx, in)
	if err != nil {
		return Result{}, err
	}
	for r.st.Status == StatusRunning {
		for r.st.Status == StatusRunning {
			if r.inline {
				r.drainSignals()
			}
			if r.timeToContinueAsNew() {
				if err := r.continueAsNew(); err != nil {
					return Result{}, err
				}
				// Sales answered while the run drained its signals: the
				// answer is applied first (see continueAsNew).
				continue
			}
			r.step()
		}
		r.lastWord()
	}
	res := Result{Outcome: r.st.Outcome, Cycles: r.st.Cycle, Score: r.st.Score, Touches: r.st.Touches}
	if r.canceled && r.st.Outcome == OutcomeStopped {
		// The run ended because an operator cancelled it: it has recorded
		// its end as a stop, and shows as Canceled in Temporal, with the
		// result in the details.
		return res, temporal.NewCanceledError(res)
	}
	return res, nil
}

// step takes the one thing the run must do next.
func (r *run) step() {
	st := r.st
	switch {
	case r.hearsLastWord && r.feedback != nil:
		// Sales' answer was accepted before a stop or an unsubscribe came
		// in: record it, then let those end the run.
		r.applyFeedback()
	case st.Unsubscribed:
		r.finish(OutcomeUnsubscribed)
	case st.Stopped:
		r.finish(OutcomeStopped)
	case r.feedback != nil:
		r.applyFeedback()
	case st.Paused && r.pauseHoldsWaitsYield && st.PendingFastLane:
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

// lastWord hears the signals that came in while the run was recording its
// end: a fast lane among them reopens the run for a hand-off (see
// onFastLane), since the contact was already thanked for it. Then it lets
// every accepted update answer before the run closes.
func (r *run) lastWord() {
	if !r.hearsLastWord {
		return
	}
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

// run is the interpreter of one journey run.
type run struct {
	ctx       workflow.Context
	in        Input
	def       *journey.Definition
	st        *State
	halfLife  time.Duration
	feedback  *Feedback
	published published
	// spins counts steps taken without workflow time passing, to stop a
	// loop that slipped past validation.
	spins    int
	spinTime time.Time
	// inline: signals are applied by the main coroutine before it acts, so
	// a signal that arrives with a timer is seen before the timer's step
	// goes on. Runs started before this change apply them from a
	// listener coroutine (see listen) and keep doing so on replay.
	inline bool
	// hearsLastWord: the run drains signals once more after recording its
	// end, and applies accepted feedback before a stop (changeLastWord).
	hearsLastWord bool
	// closing is true while lastWord drains.
	closing bool
	// localSync records the projection with a local activity: a write to
	// Postgres needs no round trip through the Temporal server.
	localSync bool
	// pauseHoldsWaitsYield (changePauseHoldsWaitsYield): a pause holds
	// through sales' answer and is recorded in the projection, a fast lane
	// is handed off while paused, every wait yields to continue-as-new, and
	// a send window whose timezone fails to load opens in UTC.
	pauseHoldsWaitsYield bool
	// recordedStage is the stage of the last projection recorded by this
	// run (not carried by continue-as-new).
	recordedStage string
	// mqnSticks (changeMQNReached): RipenMQN stays true once the run has
	// reached MQN, through a recycle, so sales and operators find every
	// run that qualified.
	mqnSticks bool
	// changes11b: the behaviours of changes2026_11b.
	changes11b bool
	// root is the workflow's own context, which a cancel request cancels.
	// With changes11b r.ctx is disconnected from it: activities run to
	// their end and the run records its own, and only the waits (waitFor)
	// hear the cancel.
	root workflow.Context
	// canceled: a cancel request reached the running run (hearCancel).
	canceled bool
}

// changeInlineSignals is the workflow.GetVersion change ID of inline signal
// handling.
const changeInlineSignals = "signals-inline"

// changeLastWord is the workflow.GetVersion change ID of lastWord and of
// feedback applied before a stop or an unsubscribe.
const changeLastWord = "last-word"

// changeLocalSync is the workflow.GetVersion change ID of recording the
// run's projection with a local activity.
const changeLocalSync = "sync-local"

// changePauseHoldsWaitsYield is the workflow.GetVersion change ID of: sales'
// "rejected" or "not-ready" leaving a paused run paused; a fast lane handed
// off while paused; pause and resume recorded in the projection; waits
// (for a step, the send window, the frequency cap, sales, a resume, the
// end of a cool-down) ending when continue-as-new is due; the send window
// falling back to UTC when the contact's timezone fails to load.
const changePauseHoldsWaitsYield = "pause-holds-waits-yield"

// changeMQNReached is the workflow.GetVersion change ID of RipenMQN meaning
// "this run reached MQN" rather than "is at MQN now".
const changeMQNReached = "mqn-reached"

// changesUpTo2026_11 is the workflow.GetVersion change ID that stands for
// every change above at once. Each GetVersion costs a new run a marker and
// a search-attribute upsert in its history; a run started since this one
// records one pair instead of five. Runs started before it replay their own
// markers (readChanges). A later change gets its own ID as usual, read after
// this one.
const changesUpTo2026_11 = "changes-2026-11"

// changes2026_11b is the workflow.GetVersion change ID of the changes
// below; a run that starts with it records it alone, for every change so
// far (one marker and one search-attribute upsert, not two):
//   - a cancel request (Temporal Web UI or CLI) ending the run as a stop:
//     the run records its end (so an open hand-off is withdrawn), then
//     reports itself canceled; activities no longer see the cancel;
//   - a send that fails for good using up its visit, so the next visit of
//     the step (a goto loop) is a new email;
//   - an engagement scoring its points decayed from when it happened (At),
//     not from when it reached the run;
//   - a fast lane that came in while a hand-off was open surviving sales'
//     "rejected" or "not-ready" and being handed off at once;
//   - pause and resume delivered together applied in the order of the
//     time their sender put in them (Control.At);
//   - a send window edge in an hour clocks skip opening when they jump
//     (it came out an hour early, even on the day before), one in an hour
//     they repeat at its first occurrence (journey.NextSendTime).
const changes2026_11b = "changes-2026-11b"

// readChanges sets the run's change flags: all of them for a run that
// started with changes2026_11b; else those of changesUpTo2026_11 for a run
// that started with it, else each as its own marker says. A run in flight
// without changes2026_11b gets it at its next continue-as-new. (A marker
// the history lacks is no command, so reading changes2026_11b first does
// not disturb the replay of older runs.)
func (r *run) readChanges() {
	if workflow.GetVersion(r.ctx, changes2026_11b, workflow.DefaultVersion, 1) >= 1 {
		r.inline, r.hearsLastWord, r.localSync, r.pauseHoldsWaitsYield, r.mqnSticks = true, true, true, true, true
		r.changes11b = true
		return
	}
	r.readChangesUpTo2026_11()
}

func (r *run) readChangesUpTo2026_11() {
	ctx := r.ctx
	if workflow.GetVersion(ctx, changesUpTo2026_11, workflow.DefaultVersion, 1) >= 1 {
		r.inline, r.hearsLastWord, r.localSync, r.pauseHoldsWaitsYield, r.mqnSticks = true, true, true, true, true
		return
	}
	r.inline = workflow.GetVersion(ctx, changeInlineSignals, workflow.DefaultVersion, 1) >= 1
	if r.inline {
		r.hearsLastWord = workflow.GetVersion(ctx, changeLastWord, workflow.DefaultVersion, 1) >= 1
		r.localSync = workflow.GetVersion(ctx, changeLocalSync, workflow.DefaultVersion, 1) >= 1
		r.pauseHoldsWaitsYield = workflow.GetVersion(ctx, changePauseHoldsWaitsYield, workflow.DefaultVersion, 1) >= 1
		r.mqnSticks = workflow.GetVersion(ctx, changeMQNReached, workflow.DefaultVersion, 1) >= 1
	}
}

func begin(ctx workflow.Context, in Input) (*run, error) {
	r := &run{ctx: ctx, root: ctx, in: in, def: &in.Journey, halfLife: in.Journey.Scoring.HalfLife.Std()}
	now := workflow.Now(ctx)
	if in.State != nil {
		r.st = in.State
	} else {
		info := workflow.GetInfo(ctx)
		r.st = &State{
			JourneyID:  in.Journey.ID,
			Version:    in.Journey.Version,
			CustomerID: in.CustomerID,
			RunKey:     info.WorkflowExecution.ID + "/" + info.FirstRunID,
			Status:     StatusRunning,
			Stage:      StageNurturing,
			Cycle:      1,
			StartedAt:  now,
			CycleStart: now,
			ScoreAt:    now,
		}
	}
	r.readChanges()
	if r.changes11b {
		// A cancel request is heard by the waits, as a stop; what the run
		// does in between (an email, the hand-off, recording its end)
		// finishes.
		r.ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	if err := r.listen(); err != nil {
		return nil, err
	}
	if in.State == nil {
		for _, e := range in.Engagements {
			r.countEngagement(e)
		}
		r.loadContext(in.Context)
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
	if !rc.Reachable {
		r.finish(OutcomeUnreachable)
		return
	}
	r.sync()
}

// runStep runs one step; a false `if` skips it.
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
		r.send(step)
	case journey.StepWait:
		r.wait(step)
	case journey.StepGoto:
		r.st.StepIndex = r.def.StepIndex(step.Goto)
		if r.st.StepIndex < 0 {
			r.fail("step "+step.ID, fmt.Errorf("goto unknown step %q", step.Goto))
			r.finish(OutcomeNotQualified)
		}
	case journey.StepEnd:
		r.finish(OutcomeNotQualified)
	}
}

func (r *run) next() {
	r.st.StepIndex++
	r.st.WaitUntil = nil
}

func (r *run) guard(step journey.Step) bool {
	ok, err := journey.EvalCondition(step.If, r.st.conditionEnv(workflow.Now(r.ctx), r.halfLife))
	if err != nil {
		r.fail("condition of step "+step.ID, err)
		return false
	}
	return ok
}

// send mails the step's content inside the send window and past the
// frequency cap. An interruption (stop, pause, MQN) leaves the step current,
// so it is sent after the interruption is dealt with.
func (r *run) send(step journey.Step) {
	for {
		now := workflow.Now(r.ctx)
		at := r.nextSendTime(now, step)
		if at.After(now) {
			if !r.sleep(at.Sub(now), "send window: "+step.ID+" at "+at.Format("Mon 15:04 MST"), nil) {
				return
			}
			continue
		}
		if r.inline {
			// The last word before an email goes out: an unsubscribe, a
			// stop or a fast lane that just arrived wins.
			r.drainSignals()
			if r.interrupted() {
				return
			}
		}
		var res SendResult
		err := workflow.ExecuteActivity(r.sendActivity("send "+step.Send+" ("+step.ID+")"), ActivitySendContent, SendRequest{
			RunKey: r.st.RunKey, WorkflowID: workflow.GetInfo(r.ctx).WorkflowExecution.ID,
			JourneyID: r.def.ID, Version: r.def.Version, CustomerID: r.st.CustomerID,
			StepID: step.ID, ContentID: step.Send, Cycle: r.st.Cycle, Visit: r.st.StepSends[step.ID] + 1, FastLane: r.def.MQN.FastLane,
		}).Get(r.ctx, &res)
		if err != nil {
			// A permanent failure (bad template, rejected by SendGrid) is
			// shown on the run; the journey goes on rather than dies. The
			// visit is used up: its email failed for good, so the step's
			// next visit (a goto loop) is a new email, not this one again.
			r.fail("send "+step.ID, err)
			if r.changes11b {
				r.st.StepSends = incr(r.st.StepSends, step.ID)
			}
			r.next()
			return
		}
		switch res.Status {
		case SendDeferred:
			if !r.sleep(res.NotBefore.Sub(now), "frequency cap: "+step.ID, nil) {
				return
			}
			continue
		case SendSuppressed:
			r.finish(OutcomeUnsubscribed)
			return
		}
		r.st.Touches++
		r.st.StepSends = incr(r.st.StepSends, step.ID)
		r.st.Sent = appendBounded(r.st.Sent, SentStep{StepID: step.ID, ContentID: step.Send, At: now}, maxSentInCycle)
		r.next()
		return
	}
}

// nextSendTime is when the step may be sent: now, or the next opening of the
// send window in the contact's timezone. A zone that fails to load is
// recorded on the run and the window kept in UTC, so mail still goes out in
// working hours, if not the contact's own.
func (r *run) nextSendTime(now time.Time, step journey.Step) time.Time {
	next := journey.NextSendTimeV1
	if r.changes11b {
		next = journey.NextSendTime // window edges on days clocks change
	}
	at, err := next(now, r.st.Timezone, r.def.SendWindow)
	if err == nil {
		return at
	}
	if !r.pauseHoldsWaitsYield {
		return now
	}
	r.fail("send window of step "+step.ID, err)
	if at, err = next(now, "UTC", r.def.SendWindow); err != nil {
		return now // the window itself is broken: validation should have said so
	}
	return at
}

// wait waits the step's duration, or less when an `until` signal arrives.
// The deadline lives in the state, so a pause or a hand-off in between
// resumes the same wait.
func (r *run) wait(step journey.Step) {
	now := workflow.Now(r.ctx)
	if r.st.WaitUntil == nil {
		deadline := now.Add(step.Wait.Std())
		r.st.WaitUntil, r.st.WaitSeq = &deadline, r.st.Seq
	}
	untilHit := func() bool {
		for _, k := range step.Until {
			if r.st.LastKindSeq[k] > r.st.WaitSeq {
				return true
			}
		}
		return false
	}
	summary := "wait " + step.Wait.String()
	if len(step.Until) > 0 {
		summary += " until " + fmt.Sprint([]string(step.Until))
	}
	if remaining := r.st.WaitUntil.Sub(now); remaining > 0 && !untilHit() {
		r.sleep(remaining, summary+" ("+step.ID+")", untilHit)
		if !untilHit() && r.interrupted() {
			return
		}
	}
	r.next()
}

// escalate hands the customer to the account owner: record the hand-off,
// email the owner the evidence, make the run findable as MQN.
func (r *run) escalate() {
	st := r.st
	now := workflow.Now(r.ctx)
	reason, offer, eventID := ReasonScore, "", ""
	if st.PendingFastLane && st.FastLane != nil {
		reason, offer, eventID = ReasonFastLane, st.FastLane.Offer, st.FastLane.EventID
	}
	if st.stageBeyondPause() == StageCooldown {
		// A fast lane ends the cool-down: it opens the next cycle at once.
		pending := st.FastLane
		st.resetCycle(now)
		st.FastLane, st.PendingFastLane = pending, false
	}
	st.PendingFastLane = false
	st.Escalations++
	st.Score = round2(st.scoreAt(now, r.halfLife))
	st.setStage(StageHandoff)
	st.MQN, st.ReachedMQN = true, true
	sla := r.sla()
	st.Handoff = &HandoffState{Reason: reason, Offer: offer, Status: "open", CreatedAt: now, DueAt: now.Add(sla)}
	r.publish()
	r.sync()

	var rec HandoffRecord
	err := workflow.ExecuteActivity(r.activity("hand-off to "+st.OwnerID+" ("+reason+")", retryFor), ActivityRecordHandoff, HandoffRequest{
		RunKey: st.RunKey, WorkflowID: workflow.GetInfo(r.ctx).WorkflowExecution.ID, JourneyID: r.def.ID,
		Version: r.def.Version, CustomerID: st.CustomerID, OwnerID: st.OwnerID, Cycle: st.Cycle, Escalation: st.Escalations,
		Reason: reason, Offer: offer, FastLaneEventID: eventID, Score: st.Score, SLA: sla,
		Evidence: Evidence{Engagements: st.Engagements, Sends: st.Sent, ScoreTrail: st.ScoreTrail},
	}).Get(r.ctx, &rec)
	if err != nil {
		r.fail("record hand-off", err)
	}
	st.Handoff.ID = rec.ID
	r.notifyOwner(0)
}

// awaitFeedback waits for sales, reminding the owner when the SLA passes.
func (r *run) awaitFeedback() {
	h := r.st.Handoff
	answered := func() bool { return r.feedback != nil || r.interruptedInHandoff() }
	for !answered() {
		if h.Reminders >= maxReminders {
			r.waitFor(0, "", answered)
			return
		}
		due := h.DueAt.Sub(workflow.Now(r.ctx))
		if due > 0 {
			r.setWake(due)
			ok := r.waitFor(due, "SLA: wait for sales feedback", answered)
			r.st.NextWakeAt = nil
			if ok {
				return
			}
		}
		h.Reminders++
		h.DueAt = workflow.Now(r.ctx).Add(r.sla())
		r.notifyOwner(h.Reminders)
	}
}

// applyFeedback closes the hand-off with sales' outcome and acts on it.
func (r *run) applyFeedback() {
	fb := *r.feedback
	// Cleared at the end: the feedback update answers once this is done.
	defer func() { r.feedback = nil }()
	st := r.st
	if st.Handoff == nil || st.Handoff.Status != "open" {
		return
	}
	if st.Handoff.ID != "" {
		// The note sales wrote stays out of workflow history: the store
		// keeps it on the hand-off row it was answered on.
		err := workflow.ExecuteActivity(r.activity("record sales feedback: "+fb.Outcome, retryFor), ActivityCloseHandoff,
			CloseHandoffRequest{HandoffID: st.Handoff.ID, Outcome: fb.Outcome}).Get(r.ctx, nil)
		if err != nil {
			r.fail("record sales feedback", err)
		}
	}
	st.Handoff.Status = fb.Outcome
	// A paused run stays paused: sales' answer only says where it resumes
	// (see State.setStage). Runs from before changePauseHoldsWaitsYield
	// lifted the pause here, and keep doing so on replay.
	if !r.pauseHoldsWaitsYield {
		st.Paused = false
	}
	now := workflow.Now(r.ctx)
	switch fb.Outcome {
	case FeedbackAccepted:
		r.finish(OutcomeAccepted)
	case FeedbackWon:
		r.finish(OutcomeWon)
	case FeedbackLost:
		r.finish(OutcomeLost)
	case FeedbackRejected:
		// Not a fit after all: nurture on from where the run was, with a
		// fresh score so the same evidence does not escalate again.
		r.nurtureOn(now)
	case FeedbackNotReady:
		r.recycle()
	}
}

// nurtureOn goes back to nurturing after "rejected": from where the run
// was, with a fresh score so the same evidence does not escalate again.
func (r *run) nurtureOn(now time.Time) {
	st := r.st
	st.setStage(StageNurturing)
	st.MQN = false
	st.ScoreBase, st.ScoreAt, st.Score = 0, now, 0
	st.FastLane, st.PendingFastLane = nil, false
	r.takeWaitingFastLane()
	r.publish()
	r.sync()
}

// takeWaitingFastLane makes a fast lane that came in while the hand-off
// was open (changes11b) the pending one: sales answered without seeing it,
// and a fast lane qualifies at once.
func (r *run) takeWaitingFastLane() {
	st := r.st
	if w := st.WaitingFastLane; w != nil {
		st.FastLane, st.PendingFastLane, st.WaitingFastLane = w, true, nil
	}
}

// recycle starts the cool-down after "not ready" ("green banana"). A fast
// lane that came in while sales considered the hand-off ends the
// cool-down at once (see escalate); past the last recycle it is handed off
// in this cycle, as after "rejected", rather than dropped.
func (r *run) recycle() {
	st := r.st
	if st.Cycle > r.def.Handoff.MaxRecycles {
		if st.WaitingFastLane != nil {
			r.nurtureOn(workflow.Now(r.ctx))
			return
		}
		r.finish(OutcomeMaxRecycles)
		return
	}
	cool := r.def.Handoff.CoolDown()
	until := workflow.Now(r.ctx).Add(cool)
	st.setStage(StageCooldown)
	st.MQN, st.CooldownUntil = false, &until
	st.FastLane, st.PendingFastLane = nil, false
	r.takeWaitingFastLane()
	r.publish()
	r.sync()
}

// coolDown waits out the cool-down, then nurtures again from the first step
// with the score reset.
func (r *run) coolDown() {
	remaining := r.st.CooldownUntil.Sub(workflow.Now(r.ctx))
	if remaining > 0 && !r.sleep(remaining, "cool-down before cycle "+fmt.Sprint(r.st.Cycle+1), nil) {
		return
	}
	r.st.CooldownUntil = nil
	r.st.resetCycle(workflow.Now(r.ctx))
	r.publish()
	r.sync()
}

// awaitResume holds the run until resume, or something a paused run still
// acts on: a stop, an unsubscribe, sales' answer, a fast lane, or
// continue-as-new. The projection records the pause and the resume.
func (r *run) awaitResume() {
	if r.pauseHoldsWaitsYield && r.recordedStage != StagePaused {
		r.sync()
	}
	r.waitFor(0, "", func() bool {
		return !r.st.Paused || r.st.Stopped || r.st.Unsubscribed || r.feedback != nil ||
			(r.pauseHoldsWaitsYield && r.st.PendingFastLane) || r.yields()
	})
	if r.pauseHoldsWaitsYield && !r.st.Paused {
		r.sync()
	}
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

// qualified: a fast lane, or a score at the threshold while nurturing.
func (r *run) qualified() bool {
	st := r.st
	switch st.Stage {
	case StageNurturing:
		if st.PendingFastLane {
			return true
		}
		t := r.def.MQN.Threshold
		return t > 0 && st.scoreAt(workflow.Now(r.ctx), r.halfLife) >= t
	case StageCooldown:
		return st.PendingFastLane
	}
	return false
}

// interrupted: something the main loop must handle before the current step
// goes on.
func (r *run) interrupted() bool {
	st := r.st
	return st.Stopped || st.Unsubscribed || st.Paused || r.feedback != nil || r.qualified() || r.yields()
}

func (r *run) interruptedInHandoff() bool {
	return r.st.Stopped || r.st.Unsubscribed || r.st.Paused || r.yields()
}

// yields: continue-as-new is due, so a wait ends and hands the run back to
// the main loop. However long the wait (a 14-day step, a hand-off past its
// last reminder, a pause, a cool-down), signals keep growing the history;
// the deadlines live in the state, so the next run waits out the rest.
func (r *run) yields() bool {
	return r.pauseHoldsWaitsYield && r.timeToContinueAsNew()
}

// sleep waits d unless interrupted or until() holds; it reports whether the
// whole time passed.
func (r *run) sleep(d time.Duration, summary string, until func() bool) bool {
	if d <= 0 {
		return true
	}
	r.setWake(d)
	defer func() { r.st.NextWakeAt = nil }()
	return !r.waitFor(d, summary, func() bool { return r.interrupted() || (until != nil && until()) })
}

// waitFor blocks until cond holds or d passes (d <= 0: no time limit) and
// reports whether cond held; a cancelled workflow counts as cond holding,
// so nothing acts on a wait that did not finish. With changes11b the
// cancel is heard as a stop (hearCancel), which every cond holds for.
//
// Inline, every signal wakes the main coroutine, which applies it and
// checks cond again with the time left: what happens next always sees
// every signal delivered so far, even one that came with the timer.
func (r *run) waitFor(d time.Duration, summary string, cond func() bool) bool {
	if !r.inline {
		if d <= 0 {
			_ = workflow.Await(r.root, cond)
			return true
		}
		ok, err := workflow.AwaitWithOptions(r.root, workflow.AwaitOptions{Timeout: d, TimerOptions: workflow.TimerOptions{Summary: summary}}, cond)
		return ok || err != nil
	}
	var deadline time.Time
	if d > 0 {
		deadline = workflow.Now(r.ctx).Add(d)
	}
	wake := func() bool { return r.signalPending() || cond() }
	for {
		r.drainSignals()
		if cond() {
			return true
		}
		if d <= 0 {
			if err := workflow.Await(r.root, wake); err != nil {
				r.hearCancel()
				return true
			}
			continue
		}
		left := deadline.Sub(workflow.Now(r.ctx))
		if left <= 0 {
			return false
		}
		ok, err := workflow.AwaitWithOptions(r.root, workflow.AwaitOptions{Timeout: left, TimerOptions: workflow.TimerOptions{Summary: summary}}, wake)
		if err != nil {
			r.hearCancel()
			return true
		}
		if !ok {
			// Time is up; signals delivered with the timer still count.
			r.drainSignals()
			return cond()
		}
	}
}

// hearCancel turns a cancel request that reaches the running run into a
// stop (changes11b), and reports whether one did. The stop ends the run at
// the next step like the stop signal: sales' answer already accepted goes
// first, then the run records its end (withdrawing an open hand-off) on
// the disconnected r.ctx, and Journey reports it canceled.
func (r *run) hearCancel() bool {
	if r.changes11b && !r.canceled && r.st.Status == StatusRunning && r.root.Err() != nil {
		r.canceled = true
		r.st.Stopped = true
	}
	return r.canceled
}

func (r *run) setWake(d time.Duration) {
	wake := workflow.Now(r.ctx).Add(d)
	r.st.NextWakeAt = &wake
}

func (r *run) sla() time.Duration {
	if sla := r.def.Handoff.SLA.Std(); sla > 0 {
		return sla
	}
	return defaultSLA
}

func (r *run) notifyOwner(reminder int) {
	if r.st.Handoff == nil || r.st.Handoff.ID == "" {
		return
	}
	summary := "email owner " + r.st.OwnerID + " about the hand-off"
	if reminder > 0 {
		summary = fmt.Sprintf("remind owner %s (SLA reminder %d)", r.st.OwnerID, reminder)
	}
	err := workflow.ExecuteActivity(r.activity(summary, retryFor), ActivityNotifyOwner,
		NotifyRequest{HandoffID: r.st.Handoff.ID, Reminder: reminder}).Get(r.ctx, nil)
	if err != nil {
		r.fail("notify owner", err)
	}
}

// sync updates the store's projection of the run; best effort, since the
// workflow itself is the source of truth.
func (r *run) sync() {
	st := r.st
	snap := RunSnapshot{
		WorkflowID: workflow.GetInfo(r.ctx).WorkflowExecution.ID, RunKey: st.RunKey,
		JourneyID: st.JourneyID, Version: st.Version, CustomerID: st.CustomerID, OwnerID: st.OwnerID,
		Status: st.Status, Stage: st.Stage, Score: st.Score, MQN: st.MQN, Cycle: st.Cycle,
		Outcome: st.Outcome, StartedAt: st.StartedAt, At: workflow.Now(r.ctx),
	}
	r.recordedStage = st.Stage
	retry := &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute}
	var err error
	if r.localSync {
		ctx := workflow.WithLocalActivityOptions(r.ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout:    5 * time.Second,
			ScheduleToCloseTimeout: 10 * time.Minute,
			Summary:                "record run: " + st.Stage,
			RetryPolicy:            retry,
		})
		err = workflow.ExecuteLocalActivity(ctx, ActivitySyncRun, snap).Get(r.ctx, nil)
	} else {
		ctx := workflow.WithActivityOptions(r.ctx, workflow.ActivityOptions{
			StartToCloseTimeout:    30 * time.Second,
			ScheduleToCloseTimeout: 10 * time.Minute,
			Summary:                "record run: " + st.Stage,
			RetryPolicy:            retry,
		})
		err = workflow.ExecuteActivity(ctx, ActivitySyncRun, snap).Get(r.ctx, nil)
	}
	if err != nil {
		r.fail("record run", err)
	}
}

// activity returns a context for an activity that retries transient
// failures with backoff for up to maxRetryTime.
func (r *run) activity(summary string, maxRetryTime time.Duration) workflow.Context {
	return workflow.WithActivityOptions(r.ctx, workflow.ActivityOptions{
		// Short enough that an attempt on a worker that died is retried
		// soon; SendGrid's own timeout is 10 s.
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: maxRetryTime,
		Summary:                summary,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    5 * time.Minute,
		},
	})
}

// sendActivity is activity() for SendContent, which mails a customer's
// contacts one after another (up to SendGrid's 10 s each) and heartbeats
// after each: the heartbeat, not a short attempt, tells a worker that died
// mid-send from a slow SendGrid. Timeouts are not part of replay, so runs
// in flight take these options too.
func (r *run) sendActivity(summary string) workflow.Context {
	opts := workflow.GetActivityOptions(r.activity(summary, retryFor))
	opts.StartToCloseTimeout = 10 * time.Minute
	opts.HeartbeatTimeout = 30 * time.Second
	return workflow.WithActivityOptions(r.ctx, opts)
}

func (r *run) fail(what string, err error) {
	r.st.LastError = what + ": " + err.Error()
	workflow.GetLogger(r.ctx).Warn("journey step failed", "what", what, "error", err)
}

func (r *run) spinning() bool {
	now := workflow.Now(r.ctx)
	if !now.Equal(r.spinTime) {
		r.spinTime, r.spins = now, 0
	}
	r.spins++
	return r.spins > 10*len(r.def.Steps)+10
}
