package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// send mails the step's content inside the send window and past the
// frequency cap. An interruption (stop, pause, MQN) leaves the step current,
// so it is sent after the interruption is dealt with.
func (r *run) send(step journey.Step) {
	for {
		now := workflow.Now(r.ctx)
		if at := r.nextSendTime(now, step); at.After(now) {
			if !r.sleep(at.Sub(now), "send window: "+step.ID+" at "+at.Format("Mon 15:04 MST"), nil) {
				return
			}
			continue
		}
		// The last word before an email goes out: an unsubscribe, a stop
		// or a fast lane that just arrived wins.
		r.drainSignals()
		if r.interrupted() {
			return
		}
		res, err := r.sendContent(step)
		switch {
		case err != nil:
			r.sendFailed(step, err)
		case res.Status == SendDeferred:
			if !r.sleep(res.NotBefore.Sub(now), "frequency cap: "+step.ID, nil) {
				return
			}
			continue
		case res.Status == SendSuppressed:
			r.finish(OutcomeUnsubscribed)
		default:
			r.sent(step, now)
		}
		return
	}
}

// sendContent asks the activity to mail the step's content to the
// customer's contacts; (run, step, cycle, visit) names the email, so a
// retry never sends it twice.
func (r *run) sendContent(step journey.Step) (SendResult, error) {
	var res SendResult
	err := workflow.ExecuteActivity(r.sendActivity("send "+step.Send+" ("+step.ID+")"), ActivitySendContent, SendRequest{
		RunKey: r.st.RunKey, WorkflowID: workflow.GetInfo(r.ctx).WorkflowExecution.ID,
		JourneyID: r.def.ID, Version: r.def.Version, CustomerID: r.st.CustomerID,
		StepID: step.ID, ContentID: step.Send, Cycle: r.st.Cycle, Visit: r.st.StepSends[step.ID] + 1, FastLane: r.def.MQN.FastLane,
	}).Get(r.ctx, &res)
	return res, err
}

// sent counts the email and moves on.
func (r *run) sent(step journey.Step, at time.Time) {
	r.st.Touches++
	r.st.StepSends = incr(r.st.StepSends, step.ID)
	r.st.Sent = appendBounded(r.st.Sent, SentStep{StepID: step.ID, ContentID: step.Send, At: at}, maxSentInCycle)
	r.next()
}

// sendFailed handles a permanent failure (bad template, rejected by
// SendGrid): it shows on the run and the journey goes on rather than dies.
// The visit is used up: its email failed for good, so the step's next visit
// (a goto loop) is a new email, not this one again.
func (r *run) sendFailed(step journey.Step, err error) {
	r.fail("send "+step.ID, err)
	r.st.StepSends = incr(r.st.StepSends, step.ID)
	r.next()
}

// nextSendTime is when the step may be sent: now, or the next opening of the
// send window in the contact's timezone. A zone that fails to load is
// recorded on the run and the window kept in UTC, so mail still goes out in
// working hours, if not the contact's own.
func (r *run) nextSendTime(now time.Time, step journey.Step) time.Time {
	at, err := journey.NextSendTime(now, r.st.Timezone, r.def.SendWindow)
	if err == nil {
		return at
	}
	r.fail("send window of step "+step.ID, err)
	if at, err = journey.NextSendTime(now, "UTC", r.def.SendWindow); err != nil {
		return now // the window itself is broken: validation should have said so
	}
	return at
}

// sendActivity is activity() for SendContent, which mails a customer's
// contacts one after another (up to SendGrid's 10 s each) and heartbeats
// after each: the heartbeat, not a short attempt, tells a worker that died
// mid-send from a slow SendGrid. Timeouts are not part of replay: changing
// them needs no workflow.GetVersion.
func (r *run) sendActivity(summary string) workflow.Context {
	opts := workflow.GetActivityOptions(r.activity(summary, retryFor))
	opts.StartToCloseTimeout = 10 * time.Minute
	opts.HeartbeatTimeout = 30 * time.Second
	return workflow.WithActivityOptions(r.ctx, opts)
}
