package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// wait waits the step's duration, or less when an `until` signal arrives.
// The deadline lives in the state, so a pause or a hand-off in between
// resumes the same wait.
func (r *run) wait(step journey.Step) {
	now := workflow.Now(r.ctx)
	if r.st.WaitUntil == nil {
		deadline := now.Add(step.Wait.Std())
		r.st.WaitUntil, r.st.WaitSeq = &deadline, r.st.Seq
	}
	untilHit := func() bool { return r.untilArrived(step.Until) }
	if remaining := r.st.WaitUntil.Sub(now); remaining > 0 && !untilHit() {
		r.sleep(remaining, waitSummary(step), untilHit)
		if !untilHit() && r.interrupted() {
			return
		}
	}
	r.next()
}

// untilArrived: an engagement of one of the kinds arrived since the wait
// step began.
func (r *run) untilArrived(kinds journey.Kinds) bool {
	for _, k := range kinds {
		if r.st.LastKindSeq[k] > r.st.WaitSeq {
			return true
		}
	}
	return false
}

// waitSummary names a wait step's timer as the Web UI shows it, e.g.
// "wait 4d until [click] (wait-1)".
func waitSummary(step journey.Step) string {
	s := "wait " + step.Wait.String()
	if len(step.Until) > 0 {
		s += " until " + fmt.Sprint([]string(step.Until))
	}
	return s + " (" + step.ID + ")"
}

// awaitResume holds the run until resume, or something a paused run still
// acts on: a stop, an unsubscribe (a contact's too), sales' answer, a fast lane, or
// continue-as-new. The projection records the pause and the resume.
func (r *run) awaitResume() {
	if r.recordedStage != StagePaused {
		r.sync()
	}
	r.waitFor(0, "", func() bool {
		st := r.st
		return !st.Paused || st.Stopped || st.Unsubscribed || st.CheckReach || st.Converted || r.feedback != nil || st.PendingFastLane || r.yields()
	})
	if !r.st.Paused {
		r.sync()
	}
}

// interrupted: something the main loop must handle before the current step
// goes on.
func (r *run) interrupted() bool {
	st := r.st
	return st.Stopped || st.Unsubscribed || st.CheckReach || st.Converted || st.Paused || r.feedback != nil || r.qualified() || r.yields()
}

// interruptedInHandoff is interrupted() for the wait for sales, which a
// score or a fast lane does not end: the run is handed off already.
func (r *run) interruptedInHandoff() bool {
	return r.st.Stopped || r.st.Unsubscribed || r.st.CheckReach || r.st.Converted || r.st.Paused || r.yields()
}

// yields: continue-as-new is due, so a wait ends and hands the run back to
// the main loop. However long the wait (a 14-day step, a hand-off past its
// last reminder, a pause, a cool-down), signals keep growing the history;
// the deadlines live in the state, so the next run waits out the rest.
func (r *run) yields() bool {
	return r.timeToContinueAsNew()
}

// sleep waits d unless interrupted or until() holds; it reports whether the
// whole time passed. The state shows when the run wakes up meanwhile.
func (r *run) sleep(d time.Duration, summary string, until func() bool) bool {
	if d <= 0 {
		return true
	}
	r.setWake(d)
	defer func() { r.st.NextWakeAt = nil }()
	return !r.waitFor(d, summary, func() bool { return r.interrupted() || (until != nil && until()) })
}

func (r *run) setWake(d time.Duration) {
	wake := workflow.Now(r.ctx).Add(d)
	r.st.NextWakeAt = &wake
}

// waitFor blocks until cond holds or d passes (d <= 0: no time limit) and
// reports whether cond held. A cancel request is heard as a stop
// (hearCancel), which every cond holds for, so nothing acts on a wait that
// did not finish.
//
// Every signal wakes the main coroutine, which applies it and checks cond
// again with the same timer: what happens next always sees every signal
// delivered so far, even one that came with the timer. (A Selector would
// not do: sales' answer comes by update and the cancel by the context, not
// through channels.)
func (r *run) waitFor(d time.Duration, summary string, cond func() bool) bool {
	timer := &waitTimer{ctx: r.root, d: d, summary: summary}
	defer timer.stop()
	for {
		r.drainSignals()
		if cond() {
			return true
		}
		timer.start()
		if err := workflow.Await(r.root, func() bool { return timer.fired() || r.signalPending() || cond() }); err != nil {
			r.hearCancel()
			return true
		}
		if timer.fired() {
			// Time is up; signals delivered with the timer still count.
			r.drainSignals()
			return cond()
		}
	}
}

// waitTimer is the one timer of a wait (none for a wait without a time
// limit). It starts when the wait first blocks, so a wait that is over at
// once costs no timer, and stop cancels it when the wait ends early: a
// timer left running would show as pending in the Web UI and wake the run
// later for nothing.
type waitTimer struct {
	ctx     workflow.Context
	d       time.Duration
	summary string
	future  workflow.Future
	cancel  workflow.CancelFunc
}

func (t *waitTimer) start() {
	if t.d <= 0 || t.future != nil {
		return
	}
	ctx, cancel := workflow.WithCancel(t.ctx)
	t.future, t.cancel = workflow.NewTimerWithOptions(ctx, t.d, workflow.TimerOptions{Summary: t.summary}), cancel
}

func (t *waitTimer) fired() bool { return t.future != nil && t.future.IsReady() }

// stop cancels the timer unless it fired (then it does nothing).
func (t *waitTimer) stop() {
	if t.cancel != nil {
		t.cancel()
	}
}
