package workflows

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ErrNoOpenHandoff is the update failure type when sales answers a run that
// is not waiting for them; the API maps it to 409.
const ErrNoOpenHandoff = "NoOpenHandoff"

// ErrInvalidFeedback is the update failure type for an unknown outcome (422).
const ErrInvalidFeedback = "InvalidFeedback"

// ErrFeedbackPending is the update failure type while another answer to the
// same hand-off is being applied (409; the first answer wins).
const ErrFeedbackPending = "FeedbackPending"

// listen registers the query and the feedback update. Signals are applied
// by the main coroutine (inline); runs from before that kept a listener
// coroutine, which replay recreates.
func (r *run) listen() error {
	if err := workflow.SetQueryHandlerWithOptions(r.ctx, QueryState, func() (State, error) {
		return r.snapshot(), nil
	}, workflow.QueryHandlerOptions{Description: "the run's journey, step, stage, score, MQN, cycle and hand-off"}); err != nil {
		return fmt.Errorf("register state query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(r.ctx, UpdateFeedback,
		func(ctx workflow.Context, fb Feedback) (State, error) {
			r.feedback = &fb
			// Answer once the run has acted on it, so the caller sees the
			// new stage. A cancel request (changes11b) does not abandon
			// the answer: the run applies it before it ends.
			if r.changes11b {
				ctx, _ = workflow.NewDisconnectedContext(ctx)
			}
			if err := workflow.Await(ctx, func() bool { return r.feedback == nil }); err != nil {
				return State{}, err
			}
			return r.snapshot(), nil
		},
		workflow.UpdateHandlerOptions{Validator: r.validateFeedback, Description: "sales feedback on the open hand-off"},
	); err != nil {
		return fmt.Errorf("register feedback update: %w", err)
	}

	if !r.inline {
		// Runs from before inline signals keep their listener on replay.
		// The order of AddReceive decides which of two waiting signals
		// goes first, so it must be fixed: never range over the map here.
		sel := workflow.NewSelector(r.ctx)
		handlers := r.signalHandlers()
		for _, name := range signalOrder {
			apply := handlers[name]
			sel.AddReceive(workflow.GetSignalChannel(r.ctx, name), func(c workflow.ReceiveChannel, _ bool) { apply(c) })
		}
		workflow.Go(r.ctx, func(ctx workflow.Context) {
			for {
				sel.Select(ctx)
			}
		})
	}
	return nil
}

// signalPending reports whether a signal waits to be applied.
func (r *run) signalPending() bool {
	for _, name := range signalOrder {
		if workflow.GetSignalChannel(r.ctx, name).Len() > 0 {
			return true
		}
	}
	return false
}

var signalOrder = []string{SignalEngagement, SignalFastLane, SignalSalesFeedback, SignalPause, SignalResume, SignalStop, SignalUnsubscribe}

// signalHandlers maps each signal to the code that applies it.
func (r *run) signalHandlers() map[string]func(workflow.ReceiveChannel) {
	return map[string]func(workflow.ReceiveChannel){
		SignalEngagement: func(c workflow.ReceiveChannel) {
			var e Engagement
			c.Receive(r.ctx, &e)
			r.onEngagement(e)
		},
		SignalFastLane: func(c workflow.ReceiveChannel) {
			var f FastLane
			c.Receive(r.ctx, &f)
			r.onFastLane(f)
		},
		SignalSalesFeedback: func(c workflow.ReceiveChannel) {
			var fb Feedback
			c.Receive(r.ctx, &fb)
			if err := r.validateFeedback(fb); err != nil {
				workflow.GetLogger(r.ctx).Warn("sales feedback ignored", "error", err)
				return
			}
			r.feedback = &fb
		},
		SignalPause: func(c workflow.ReceiveChannel) {
			c.Receive(r.ctx, nil)
			r.pause()
		},
		SignalResume: func(c workflow.ReceiveChannel) {
			c.Receive(r.ctx, nil)
			r.resume()
		},
		SignalStop: func(c workflow.ReceiveChannel) {
			c.Receive(r.ctx, nil)
			r.st.Stopped = true
		},
		SignalUnsubscribe: func(c workflow.ReceiveChannel) {
			c.Receive(r.ctx, nil)
			r.st.Unsubscribed = true
		},
	}
}

func (r *run) pause() {
	if !r.st.Paused && r.st.Status == StatusRunning {
		r.st.Paused, r.st.StageBeforePause, r.st.Stage = true, r.st.Stage, StagePaused
		r.publish()
	}
}

func (r *run) resume() {
	if r.st.Paused {
		r.st.Paused, r.st.Stage = false, r.st.StageBeforePause
		r.publish()
	}
}

// drainSignals applies every signal already delivered, before
// continue-as-new, so none is lost.
func (r *run) drainSignals() {
	r.hearCancel()
	handlers := r.signalHandlers()
	for _, name := range signalOrder {
		if r.changes11b && (name == SignalPause || name == SignalResume) {
			if name == SignalPause {
				r.drainPauseResume()
			}
			continue
		}
		ch := workflow.GetSignalChannel(r.ctx, name)
		for ch.Len() > 0 {
			handlers[name](ch)
		}
	}
}

// controlPayload decodes a pause or a resume whatever JSON its sender put
// in it (the Temporal CLI sends what it is given): the instruction counts
// even when its payload is not a Control, as it did when the payload was
// not read at all.
type controlPayload struct{ Control }

func (c *controlPayload) UnmarshalJSON(b []byte) error {
	_ = json.Unmarshal(b, &c.Control)
	return nil
}

// drainPauseResume applies the pauses and resumes delivered so far
// (changes11b). Temporal hands a workflow its signals by name, so the
// order between a pause and a resume that arrive together is lost; the
// time their senders put in them (Control.At) restores it when each has
// one. Without it they go as before: every pause, then every resume.
func (r *run) drainPauseResume() {
	type control struct {
		resume bool
		at     time.Time
	}
	var all []control
	timed := true
	for _, name := range []string{SignalPause, SignalResume} {
		ch := workflow.GetSignalChannel(r.ctx, name)
		for ch.Len() > 0 {
			var c controlPayload
			if !ch.ReceiveAsync(&c) {
				break
			}
			all = append(all, control{resume: name == SignalResume, at: c.At})
			timed = timed && !c.At.IsZero()
		}
	}
	if timed {
		sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	}
	for _, c := range all {
		if c.resume {
			r.resume()
		} else {
			r.pause()
		}
	}
}

// arrive counts a signal of kind once per event ID while the run runs, and
// returns its time (clamped to now) or false when it is to be ignored.
func (r *run) arrive(eventID, kind string, at time.Time) (time.Time, bool) {
	st := r.st
	if eventID != "" {
		if st.seen(eventID) {
			return at, false
		}
		st.remember(eventID)
	}
	if st.Status != StatusRunning {
		return at, false
	}
	if now := workflow.Now(r.ctx); at.IsZero() || at.After(now) {
		at = now
	}
	st.Seq++
	st.LastKindSeq = incrTo(st.LastKindSeq, kind, st.Seq)
	return at, true
}

func (r *run) onEngagement(e Engagement) {
	if r.countEngagement(e) {
		r.publish()
	}
}

// countEngagement scores an engagement the run has not seen yet, and
// reports whether it counted.
func (r *run) countEngagement(e Engagement) bool {
	st := r.st
	var ok bool
	if e.At, ok = r.arrive(e.EventID, e.Kind, e.At); !ok {
		return false
	}
	now := workflow.Now(r.ctx)
	switch e.Kind {
	case "click":
		st.Clicked = mark(st.Clicked, e.StepID)
	case "open":
		st.Opened = mark(st.Opened, e.StepID)
	case "visit":
		st.Visits = incr(st.Visits, e.Topic)
	}
	e.Points = r.def.Points(e.Kind)
	if e.Points > 0 {
		points := e.Points
		if r.changes11b {
			// The points decay from when the contact engaged: an event
			// that enrolled the customer or arrived late is worth what is
			// left of it now (arrive dates a future one now).
			points = decay(points, now.Sub(e.At), r.halfLife)
		}
		st.addPoints(now, points, r.halfLife)
	}
	st.Engagements = appendBounded(st.Engagements, e, maxEvidence)
	return true
}

func (r *run) onFastLane(f FastLane) {
	st := r.st
	if r.closing && r.def.IsFastLane(f.Offer) && (f.EventID == "" || !st.seen(f.EventID)) &&
		(st.Outcome == OutcomeNotQualified || st.Outcome == OutcomeMaxRecycles) {
		// The request raced the run's natural end: the contact asked for
		// sales and was thanked, so the run reopens for the hand-off.
		// Unsubscribe and stop still win, as they do while running.
		st.Status, st.Outcome, st.Stage = StatusRunning, "", StageNurturing
	}
	var ok bool
	if f.At, ok = r.arrive(f.EventID, "fast_lane", f.At); !ok {
		return
	}
	st.FastLane = &f
	switch {
	case !r.def.IsFastLane(f.Offer):
	case st.Stage == StageNurturing || st.Stage == StageCooldown || (st.Paused && st.StageBeforePause != StageHandoff):
		st.PendingFastLane = true
	case r.changes11b && st.stageBeyondPause() == StageHandoff && st.Handoff != nil && st.Handoff.Status == "open":
		// Sales has a hand-off open and never saw this request: it waits
		// for their answer, and is handed off at once if that answer is
		// "rejected" or "not-ready" (takeWaitingFastLane), whichever of
		// the two reached the run first.
		st.WaitingFastLane = &f
	}
}

func (r *run) validateFeedback(fb Feedback) error {
	if !ValidFeedback(fb.Outcome) {
		return temporal.NewApplicationError(fmt.Sprintf("outcome %q is not one of accepted, won, lost, rejected, not-ready", fb.Outcome), ErrInvalidFeedback)
	}
	h := r.st.Handoff
	if r.feedback != nil {
		return temporal.NewApplicationError("another answer to this hand-off ("+r.feedback.Outcome+") is being applied", ErrFeedbackPending)
	}
	if r.st.Status != StatusRunning || h == nil || h.Status != "open" {
		return temporal.NewApplicationError("the run has no open hand-off", ErrNoOpenHandoff)
	}
	if fb.HandoffID != "" && h.ID != "" && fb.HandoffID != h.ID {
		return temporal.NewApplicationError("hand-off "+fb.HandoffID+" is not the run's open hand-off", ErrNoOpenHandoff)
	}
	return nil
}

// snapshot is the state as the query shows it, with the score decayed to now.
func (r *run) snapshot() State {
	s := *r.st
	s.RunID = workflow.GetInfo(r.ctx).WorkflowExecution.RunID
	if s.Status == StatusRunning {
		s.Score = round2(s.scoreAt(workflow.Now(r.ctx), r.halfLife))
	}
	return s
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
// the run goes on, when that brought sales' answer in.
func (r *run) continueAsNew() error {
	r.drainSignals()
	if err := workflow.Await(r.ctx, func() bool { return workflow.AllHandlersFinished(r.ctx) }); err != nil {
		return err
	}
	r.drainSignals()
	if r.canceled {
		// Cancelled while the handlers finished: end here.
		return nil
	}
	if r.pauseHoldsWaitsYield && r.feedback != nil {
		// Sales answered while the handlers finished: apply the answer
		// first, then continue as new.
		return nil
	}
	next := r.in
	st := *r.st
	st.NextWakeAt = nil
	next.State = &st
	return workflow.NewContinueAsNewError(r.ctx, Journey, next)
}

func incrTo(m map[string]int, k string, v int) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[k] = v
	return m
}
