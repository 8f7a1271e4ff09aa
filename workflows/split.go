package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// experimentsChange is the workflow.GetVersion change of experiments
// (issue 18): a split step sends the account down the arm it took first
// (kept by ActivityChooseArm), and a run the journey's holdout holds out
// withholds every nurture email. A run without its marker started before
// the journey format had either, so its journey has no split and no
// holdout; should one meet a split anyway, it follows the hash alone.
const experimentsChange = "experiments-2026-12"

// Versions of experimentsChange. A new run records the highest one its
// code knows, so each behaviour added since costs no marker (and no
// TemporalChangeVersion upsert) of its own.
const (
	// experimentsVersion: split arms kept, the holdout followed.
	experimentsVersion workflow.Version = 1
	// publishOncePerTaskVersion: the search attributes are upserted once
	// per workflow task, after every signal it brought is applied, not
	// once per engagement (State.PublishPerTask).
	publishOncePerTaskVersion workflow.Version = 2
)

// ArmRequest asks to keep the arm an account takes at a split step of a
// journey, or its holdout decision (StepID journey.HoldoutStep, Arm
// journey.ArmHoldout or journey.ArmTreated). IDs only.
type ArmRequest struct {
	JourneyID  string `json:"journey_id"`
	Version    int    `json:"version"`
	CustomerID string `json:"customer_id"`
	StepID     string `json:"step_id"`
	// Arm is what the hash picks (journey.SplitArm, journey.HeldOut): the
	// account's arm unless it took another one first.
	Arm string `json:"arm"`
}

// ArmResult is the arm the account took first at the step: the request's
// own when this is the first time (First), else the one kept from before,
// in an earlier run or version of the journey.
type ArmResult struct {
	Arm   string `json:"arm"`
	First bool   `json:"first,omitempty"`
}

// split sends the run down the arm the account takes. A run takes its arm
// once and keeps it (State.Arms) through goto loops, recycles and
// continue-as-new; the first time it asks the store for the arm the
// account took first, so a new version's weights, or a re-enrolment,
// never move an account that already took one.
func (r *run) split(step journey.Step) {
	st := r.st
	arm, took := st.Arms[step.ID]
	if !took || step.Arm(arm) == nil {
		arm = r.chooseArm(step)
		if st.Arms == nil {
			st.Arms = map[string]string{}
		}
		st.Arms[step.ID] = arm
	}
	a := step.Arm(arm)
	if a == nil || r.def.StepIndex(a.Goto) < 0 {
		// Validation makes sure a split has arms and their steps exist.
		r.fail("step "+step.ID, fmt.Errorf("split has no arm %q to follow", arm))
		r.finish(OutcomeNotQualified)
		return
	}
	st.StepIndex = r.def.StepIndex(a.Goto)
	st.WaitUntil = nil
}

// chooseArm is the arm the account takes at step: the hash's, unless the
// account took another arm of the step first. An arm taken first that this
// version's step no longer has gives way to the hash's among those it has
// (the store still keeps the first, which a later version may bring back).
func (r *run) chooseArm(step journey.Step) string {
	hashed := journey.SplitArm(r.def.ID, r.st.CustomerID, step)
	if !r.st.Experiments {
		return hashed
	}
	kept := r.keepArm(step.ID, hashed, "split "+step.ID+": arm "+hashed+", unless "+r.st.CustomerID+" took another before")
	if step.Arm(kept) == nil {
		return hashed
	}
	return kept
}

// holdOut decides, once when a run starts, whether the journey's holdout
// holds the account out. The decision is the account's first on the
// journey (while it has a holdout): the store keeps it, so a new version
// that changes the percent, or a re-enrolment, never moves an account in
// or out of the control group; a version without a holdout holds out
// nobody and records nothing.
func (r *run) holdOut() {
	st := r.st
	if !st.Experiments || r.def.Holdout <= 0 || st.Status != StatusRunning {
		return
	}
	arm, summary := journey.ArmTreated, "holdout %d%%: %s gets the emails, unless held out before"
	if journey.HeldOut(r.def.ID, st.CustomerID, r.def.Holdout) {
		arm, summary = journey.ArmHoldout, "holdout %d%%: %s is held out (no email), unless treated before"
	}
	st.Holdout = r.keepArm(journey.HoldoutStep, arm, fmt.Sprintf(summary, r.def.Holdout, st.CustomerID)) == journey.ArmHoldout
}

// keepArm asks the store for the account's arm at stepID, offering arm.
// When the store cannot answer for good the run goes on with arm (the
// hash is what the store would have kept for an account new to the step),
// and the failure shows on the run.
func (r *run) keepArm(stepID, arm, summary string) string {
	var res ArmResult
	err := workflow.ExecuteActivity(r.activity(summary, retryFor), ActivityChooseArm, ArmRequest{
		JourneyID: r.def.ID, Version: r.def.Version, CustomerID: r.st.CustomerID, StepID: stepID, Arm: arm,
	}).Get(r.ctx, &res)
	switch {
	case err != nil:
		r.fail("keep the arm of "+stepID, err)
		return arm
	case res.Arm == "":
		r.fail("keep the arm of "+stepID, errors.New("the store answered no arm"))
		return arm
	}
	return res.Arm
}

// sendOrWithhold sends the step, unless the run is held out: then the
// email is withheld (counted in State.Withheld, listed in WithheldSends,
// so the report can count the control group's skipped sends) and the run
// moves on at once, with no send window or frequency cap to wait for.
//
// A held-out run is otherwise a run like any other: it scores, and at MQN
// it is handed off to the owner as a treated run is, so that the MQN and
// hand-off rates of the two groups compare and measure what the emails
// add. Its contacts still get an asset they ask for on a fast lane
// (sendAssets): that answers their own request, as it would without a
// run, and is no nurturing.
func (r *run) sendOrWithhold(step journey.Step) {
	st := r.st
	if !st.Holdout {
		r.send(step)
		return
	}
	st.Withheld++
	st.StepSends = incr(st.StepSends, step.ID)
	st.WithheldSends = appendBounded(st.WithheldSends, SentStep{StepID: step.ID, ContentID: step.Send, At: workflow.Now(r.ctx)}, maxSentInCycle)
	workflow.GetLogger(r.ctx).Info("email withheld: the run is held out", "step", step.ID, "content", step.Send)
	r.next()
}
