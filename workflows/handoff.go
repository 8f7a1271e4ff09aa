package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// qualified: a fast lane, or a score at the threshold while nurturing.
func (r *run) qualified() bool {
	st := r.st
	switch st.Stage {
	case StageNurturing:
		if st.PendingFastLane {
			return true
		}
		t := r.def.MQN.Threshold
		return t > 0 && st.scoreAt(workflow.Now(r.ctx), r.halfLife) >= t && r.enoughContacts()
	case StageCooldown:
		return st.PendingFastLane
	}
	return false
}

// enoughContacts: engagement from mqn.min_contacts distinct contacts has
// counted in this cycle (always true for a run without the account rules).
func (r *run) enoughContacts() bool {
	n := r.def.MQN.MinContacts
	return !r.st.AccountRules || n <= 1 || len(r.st.Contacts) >= n
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
		st.FastLane = pending
	}
	st.PendingFastLane = false
	st.Escalations++
	st.Score = round2(st.scoreAt(now, r.halfLife))
	st.setStage(StageHandoff)
	st.MQN = true
	sla := r.sla()
	st.Handoff = &HandoffState{Reason: reason, Offer: offer, Status: "open", CreatedAt: now, DueAt: now.Add(sla)}
	r.publish()
	r.sync()
	r.recordHandoff(eventID, sla)
	r.notifyOwner(0)
}

// recordHandoff stores the open hand-off with its evidence, for the sales
// inbox; the fast lane's note stays in Postgres, found by its event ID.
func (r *run) recordHandoff(fastLaneEventID string, sla time.Duration) {
	st, h := r.st, r.st.Handoff
	var rec HandoffRecord
	err := workflow.ExecuteActivity(r.activity("hand-off to "+st.OwnerID+" ("+h.Reason+")", retryFor), ActivityRecordHandoff, HandoffRequest{
		RunKey: st.RunKey, WorkflowID: workflow.GetInfo(r.ctx).WorkflowExecution.ID, JourneyID: r.def.ID,
		Version: r.def.Version, CustomerID: st.CustomerID, OwnerID: st.OwnerID, Cycle: st.Cycle, Escalation: st.Escalations,
		Reason: h.Reason, Offer: h.Offer, FastLaneEventID: fastLaneEventID, Score: st.Score, SLA: sla,
		Evidence: Evidence{Engagements: st.Engagements, Sends: st.Sent, ScoreTrail: st.ScoreTrail},
	}).Get(r.ctx, &rec)
	if err != nil {
		r.fail("record hand-off", err)
	}
	h.ID = rec.ID
}

// notifyOwner emails the account owner about the hand-off: the first
// notice (reminder 0) or an SLA reminder.
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

func (r *run) sla() time.Duration {
	if sla := r.def.Handoff.SLA.Std(); sla > 0 {
		return sla
	}
	return defaultSLA
}

// awaitFeedback waits for sales, reminding the owner when the SLA passes,
// up to maxReminders times; after that it waits without a time limit.
func (r *run) awaitFeedback() {
	h := r.st.Handoff
	answered := func() bool { return r.feedback != nil || r.interruptedInHandoff() }
	for !answered() {
		if h.Reminders >= maxReminders {
			r.waitFor(0, "", answered)
			return
		}
		if due := h.DueAt.Sub(workflow.Now(r.ctx)); due > 0 && r.sleepUntilAnswered(due, answered) {
			return
		}
		h.Reminders++
		h.DueAt = workflow.Now(r.ctx).Add(r.sla())
		r.notifyOwner(h.Reminders)
	}
}

// sleepUntilAnswered waits for sales until the SLA is due, and reports
// whether they (or a stop, a pause...) came first.
func (r *run) sleepUntilAnswered(due time.Duration, answered func() bool) bool {
	r.setWake(due)
	defer func() { r.st.NextWakeAt = nil }()
	return r.waitFor(due, "SLA: wait for sales feedback", answered)
}

// applyFeedback closes the hand-off with sales' outcome and acts on it. A
// paused run stays paused: sales' answer only says where it resumes (see
// State.setStage).
func (r *run) applyFeedback() {
	fb := *r.feedback
	// Cleared at the end: the feedback update answers once this is done.
	defer func() { r.feedback = nil }()
	h := r.st.Handoff
	if h == nil || h.Status != "open" {
		return
	}
	r.closeHandoff(fb.Outcome)
	h.Status = fb.Outcome
	switch fb.Outcome {
	case FeedbackAccepted:
		r.finish(OutcomeAccepted)
	case FeedbackWon:
		r.finish(OutcomeWon)
	case FeedbackLost:
		r.finish(OutcomeLost)
	case FeedbackRejected:
		r.nurtureOn(workflow.Now(r.ctx))
	case FeedbackNotReady:
		r.recycle()
	}
}

// closeHandoff records sales' answer on the hand-off row. The note sales
// wrote stays out of workflow history: the store keeps it on the row it
// was answered on.
func (r *run) closeHandoff(outcome string) {
	if r.st.Handoff.ID == "" {
		return
	}
	err := workflow.ExecuteActivity(r.activity("record sales feedback: "+outcome, retryFor), ActivityCloseHandoff,
		CloseHandoffRequest{HandoffID: r.st.Handoff.ID, Outcome: outcome}).Get(r.ctx, nil)
	if err != nil {
		r.fail("record sales feedback", err)
	}
}

// nurtureOn goes back to nurturing after "rejected" (not a fit after all):
// from where the run was, with a fresh score so the same evidence does not
// escalate again. The run has still reached MQN.
func (r *run) nurtureOn(now time.Time) {
	st := r.st
	st.setStage(StageNurturing)
	st.ScoreBase, st.ScoreAt, st.Score = 0, now, 0
	st.FastLane, st.PendingFastLane = nil, false
	st.Contacts = nil
	r.takeWaitingFastLane()
	r.publish()
	r.sync()
}

// takeWaitingFastLane makes a fast lane that came in while the hand-off
// was open the pending one: sales answered without seeing it, and a fast
// lane qualifies at once.
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
	until := workflow.Now(r.ctx).Add(r.def.Handoff.CoolDown())
	st.setStage(StageCooldown)
	st.CooldownUntil = &until
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
