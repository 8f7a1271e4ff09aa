package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// ErrNoOpenHandoff is the update failure type when sales answers a run that
// is not waiting for them; the API maps it to 409.
const ErrNoOpenHandoff = "NoOpenHandoff"

// ErrInvalidFeedback is the update failure type for an unknown outcome (422).
const ErrInvalidFeedback = "InvalidFeedback"

// ErrFeedbackPending is the update failure type while another answer to the
// same hand-off is being applied (409; the first answer wins).
const ErrFeedbackPending = "FeedbackPending"

// listen registers the query and the feedback update. Signals have no
// handler of their own: the main coroutine applies them (drainSignals)
// before it acts, so no step goes on without the signals delivered so far.
func (r *run) listen() error {
	if err := workflow.SetQueryHandlerWithOptions(r.ctx, QueryState, func() (State, error) {
		return r.snapshot(), nil
	}, workflow.QueryHandlerOptions{Description: "the run's journey, step, stage, score, MQN, cycle and hand-off"}); err != nil {
		return fmt.Errorf("register state query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(r.ctx, UpdateFeedback, r.onFeedbackUpdate,
		workflow.UpdateHandlerOptions{Validator: r.validateFeedback, Description: "sales feedback on the open hand-off"},
	); err != nil {
		return fmt.Errorf("register feedback update: %w", err)
	}
	return nil
}

// onFeedbackUpdate hands sales' answer to the main loop and answers once
// the run has acted on it, so the caller sees the new stage. A cancel
// request does not abandon the answer: the run applies it before it ends.
func (r *run) onFeedbackUpdate(ctx workflow.Context, fb Feedback) (State, error) {
	r.feedback = &fb
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	if err := workflow.Await(ctx, func() bool { return r.feedback == nil }); err != nil {
		return State{}, err
	}
	return r.snapshot(), nil
}

// signalOrder is every signal the run hears.
var signalOrder = []string{SignalEngagement, SignalFastLane, SignalSalesFeedback, SignalPause, SignalResume, SignalStop, SignalUnsubscribe}

// signalPending reports whether a signal waits to be applied.
func (r *run) signalPending() bool {
	for _, name := range signalOrder {
		if workflow.GetSignalChannel(r.ctx, name).Len() > 0 {
			return true
		}
	}
	return false
}

// drainSignals applies every signal already delivered, a cancel request
// first. The order is fixed (never a map's): which of two waiting signals
// goes first decides what the run does, and replay must decide the same.
// A run with PublishPerTask then upserts what the signals changed, once.
func (r *run) drainSignals() {
	r.hearCancel()
	receive(r.ctx, SignalEngagement, r.onEngagement)
	receive(r.ctx, SignalFastLane, r.onFastLane)
	receive(r.ctx, SignalSalesFeedback, r.onFeedbackSignal)
	r.drainPauseResume()
	receiveBare(r.ctx, SignalStop, func() { r.st.Stopped = true })
	if r.st.AccountRules {
		receive(r.ctx, SignalUnsubscribe, r.onUnsubscribe)
	} else {
		receiveBare(r.ctx, SignalUnsubscribe, func() { r.st.Unsubscribed = true })
	}
	r.sendAssets()
	if r.st.PublishPerTask {
		r.publish()
	}
}

// sendAssets emails each asset asked for on a fast lane (PendingAssets) to
// the contact who asked, with the run's journey and version. The outbox key
// is the one FastLaneHandoff uses too, so the contact gets one email
// whichever asks. A failure for good shows on the run, which goes on.
func (r *run) sendAssets() {
	for len(r.st.PendingAssets) > 0 {
		eventID := r.st.PendingAssets[0]
		r.st.PendingAssets = r.st.PendingAssets[1:]
		if err := workflow.ExecuteActivity(r.activity("send the requested asset ("+eventID+")", retryFor), ActivitySendFastLaneAsset,
			FastLaneAssetRequest{EventID: eventID, JourneyID: r.def.ID, Version: r.def.Version}).Get(r.ctx, nil); err != nil {
			r.fail("send the asset of fast lane "+eventID, err)
		}
	}
	r.st.PendingAssets = nil
}

// onUnsubscribe hears an unsubscribe in a run with the account rules,
// whatever its payload: one contact's unsubscribe suppresses that contact
// alone (the API and the webhook have suppressed the address), and the run
// asks at its next step whether anyone reachable remains (checkReach). An
// unsubscribe that names no contact ends the run, as every unsubscribe
// does in a run without the account rules.
func (r *run) onUnsubscribe(c controlPayload) {
	st := r.st
	if c.ContactID == "" {
		st.Unsubscribed = true
		return
	}
	if st.Status != StatusRunning {
		return
	}
	st.CheckReach = true
	if !slices.Contains(st.Unsubscribes, c.ContactID) {
		st.Unsubscribes = appendBounded(st.Unsubscribes, c.ContactID, maxSeenEvents)
	}
}

// receive applies each delivered signal of name, in the order delivered.
func receive[T any](ctx workflow.Context, name string, apply func(T)) {
	ch := workflow.GetSignalChannel(ctx, name)
	for ch.Len() > 0 {
		var v T
		ch.Receive(ctx, &v)
		apply(v)
	}
}

// receiveBare is receive for a signal whose payload does not matter
// (stop, unsubscribe without the account rules): whatever its sender put
// in it, it counts.
func receiveBare(ctx workflow.Context, name string, apply func()) {
	ch := workflow.GetSignalChannel(ctx, name)
	for ch.Len() > 0 {
		ch.Receive(ctx, nil)
		apply()
	}
}

// hearCancel turns a cancel request that reaches the running run into a
// stop, and reports whether one did. The stop ends the run at the next
// step like the stop signal: sales' answer already accepted goes first,
// then the run records its end (withdrawing an open hand-off) on the
// disconnected r.ctx, and Journey reports it canceled.
func (r *run) hearCancel() bool {
	if !r.canceled && r.st.Status == StatusRunning && r.root.Err() != nil {
		r.canceled = true
		r.st.Stopped = true
	}
	return r.canceled
}

// controlPayload decodes a pause or a resume whatever JSON its sender put
// in it (the Temporal CLI sends what it is given): the instruction counts
// even when its payload is not a Control.
type controlPayload struct{ Control }

func (c *controlPayload) UnmarshalJSON(b []byte) error {
	_ = json.Unmarshal(b, &c.Control)
	return nil
}

// drainPauseResume applies the pauses and resumes delivered so far.
// Temporal hands a workflow its signals by name, so the order between a
// pause and a resume that arrive together is lost; the time their senders
// put in them (Control.At) restores it when each has one. Without it every
// pause goes before every resume.
func (r *run) drainPauseResume() {
	type control struct {
		resume bool
		at     time.Time
	}
	var all []control
	timed := true
	for _, name := range []string{SignalPause, SignalResume} {
		ch := workflow.GetSignalChannel(r.ctx, name)
		for {
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
	if r.countEngagement(e) && !r.st.PublishPerTask {
		r.publish()
	}
}

// countEngagement scores an engagement the run has not seen yet, and
// reports whether it counted. The points decay from when the contact
// engaged: an event that enrolled the customer or arrived late is worth
// what is left of it now (arrive dates a future one now).
func (r *run) countEngagement(e Engagement) bool {
	st := r.st
	if st.AccountRules && e.Kind == KindOrder {
		return r.countOrder(e)
	}
	if st.AccountRules && !r.def.Scoring.OnTopic(e.Topic) {
		// Interest in what the journey does not sell: it scores nothing,
		// ends no wait and is no evidence.
		return false
	}
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
		st.addPoints(now, decay(e.Points, now.Sub(e.At), r.halfLife), r.halfLife)
	}
	st.Engagements = appendBounded(st.Engagements, e, maxEvidence)
	if st.AccountRules {
		st.engagedBy(e.ContactID)
	}
	return true
}

// countOrder hears an order: it scores nothing, and one of the goal's
// product placed within the goal's time after the run started converts
// the customer (the run ends at its next step).
func (r *run) countOrder(e Engagement) bool {
	var ok bool
	if e.At, ok = r.arrive(e.EventID, e.Kind, e.At); !ok {
		return false
	}
	g := r.def.Goal
	if g == nil || g.Event != journey.GoalOrder || e.Product != g.Product || e.At.Sub(r.st.StartedAt) > g.Within.Std() {
		return false
	}
	r.st.Converted = true
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
	if st.AccountRules && f.EventID != "" && journey.IsAssetOffer(f.Offer) && r.def.Asset(f.Offer) != "" {
		st.PendingAssets = appendBounded(st.PendingAssets, f.EventID, maxSeenEvents)
	}
	switch {
	case !r.def.IsFastLane(f.Offer):
	case st.Stage == StageNurturing || st.Stage == StageCooldown || (st.Paused && st.StageBeforePause != StageHandoff):
		st.PendingFastLane = true
	case st.stageBeyondPause() == StageHandoff && st.Handoff != nil && st.Handoff.Status == "open":
		// Sales has a hand-off open and never saw this request: it waits
		// for their answer, and is handed off at once if that answer is
		// "rejected" or "not-ready" (takeWaitingFastLane), whichever of
		// the two reached the run first.
		st.WaitingFastLane = &f
	}
}

// onFeedbackSignal takes sales' answer sent as a signal (the API's
// fallback, the CLI); unlike the update, a wrong one can only be logged.
func (r *run) onFeedbackSignal(fb Feedback) {
	if err := r.validateFeedback(fb); err != nil {
		workflow.GetLogger(r.ctx).Warn("sales feedback ignored", "error", err)
		return
	}
	r.feedback = &fb
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
