package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// send mails the step's content inside the send window and past the
// frequency cap. An interruption (stop, pause, MQN) leaves the step current,
// so it is sent after the interruption is dealt with.
func (r *run) send(step journey.Step) {
	if r.st.AccountRules && len(r.st.Timezones) > 0 && r.def.SendWindow != nil {
		r.sendByZone(step)
		return
	}
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
		res, err := r.sendContent(step, "")
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
func (r *run) sendContent(step journey.Step, zone string) (SendResult, error) {
	var res SendResult
	summary := "send " + step.Send + " (" + step.ID + ")"
	if zone != "" {
		summary += " in " + zone
	}
	err := workflow.ExecuteActivity(r.sendActivity(summary), ActivitySendContent, SendRequest{
		RunKey: r.st.RunKey, WorkflowID: workflow.GetInfo(r.ctx).WorkflowExecution.ID,
		JourneyID: r.def.ID, Version: r.def.Version, CustomerID: r.st.CustomerID,
		StepID: step.ID, ContentID: step.Send, Cycle: r.st.Cycle, Visit: r.st.StepSends[step.ID] + 1, FastLane: r.def.MQN.FastLane,
		Timezone: zone,
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
	return r.nextSendTimeIn(now, step, r.st.Timezone)
}

// nextSendTimeIn is nextSendTime in zone.
func (r *run) nextSendTimeIn(now time.Time, step journey.Step, zone string) time.Time {
	at, err := journey.NextSendTime(now, zone, r.def.SendWindow)
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

// sendByZone is send for a run whose contacts live in several timezones
// (AccountRules, a send window): each zone's contacts get the step when
// their own window opens, the zone whose window opens first first, one
// timer at a time. The frequency cap defers a zone alone; an interruption
// leaves the step current and its progress (ZoneSend) kept, so the zones
// already sent are not asked again. The step's visit counts once, when
// every zone is done: sent if anyone got it, used up if every zone failed,
// and the run ends unsubscribed when nobody could be mailed at all.
func (r *run) sendByZone(step journey.Step) {
	st := r.st
	visit := st.StepSends[step.ID] + 1
	p := st.ZoneSend
	if p == nil || p.StepID != step.ID || p.Cycle != st.Cycle || p.Visit != visit {
		p = &ZoneSend{StepID: step.ID, Cycle: st.Cycle, Visit: visit, Zones: r.currentZones()}
		st.ZoneSend = p
	}
	for {
		now := workflow.Now(r.ctx)
		zone, at, ok := r.nextZone(p, step, now)
		if !ok {
			break
		}
		if at.After(now) {
			why := "send window: " + step.ID + " in " + zone + " at " + at.UTC().Format("Mon 15:04 MST")
			if nb, capped := p.NotBefore[zone]; capped && !nb.Before(at) {
				why = "frequency cap: " + step.ID + " in " + zone
			}
			if !r.sleep(at.Sub(now), why, nil) {
				return
			}
			continue
		}
		r.drainSignals()
		if r.interrupted() {
			return
		}
		res, err := r.sendContent(step, zone)
		switch {
		case err != nil:
			r.fail("send "+step.ID+" in "+zone, err)
			p.Failed++
		case res.Status == SendDeferred:
			if p.NotBefore == nil {
				p.NotBefore = map[string]time.Time{}
			}
			p.NotBefore[zone] = res.NotBefore
			if !res.NotBefore.After(now) {
				// A cap that holds nothing back would spin: give up the zone.
				p.Failed++
				break
			}
			continue
		case res.Status == SendSuppressed:
			// Nobody of this zone can be mailed; the others may be.
		default:
			p.Sent++
			if p.FirstSent == nil {
				at := now
				p.FirstSent = &at
			}
		}
		p.Done = append(p.Done, zone)
	}
	st.ZoneSend = nil
	switch {
	case p.Sent > 0:
		r.sent(step, *p.FirstSent)
	case p.Failed > 0:
		st.StepSends = incr(st.StepSends, step.ID)
		r.next()
	default:
		r.finish(OutcomeUnsubscribed)
	}
}

// currentZones asks which zones the audience's reachable contacts live in
// now (contacts come and go while a run lasts); when that fails, the run
// keeps the zones it knew.
func (r *run) currentZones() []string {
	req := RunContextRequest{CustomerID: r.st.CustomerID}
	if r.def.Audience != nil {
		req.Personas = r.def.Audience.Personas
	}
	var rc RunContext
	if err := workflow.ExecuteActivity(r.activity("which timezones to mail at "+r.st.CustomerID, retryFor), ActivityLoadRunContext, req).
		Get(r.ctx, &rc); err != nil {
		r.fail("load the contacts' timezones", err)
		return slices.Clone(r.st.Timezones)
	}
	r.st.Timezones = rc.Timezones
	return slices.Clone(rc.Timezones)
}

// nextZone is the zone not yet done whose window opens first (after its
// frequency cap, if deferred), and when; ties go in the zones' order.
func (r *run) nextZone(p *ZoneSend, step journey.Step, now time.Time) (string, time.Time, bool) {
	var best string
	var bestAt time.Time
	found := false
	for _, zone := range p.Zones {
		if slices.Contains(p.Done, zone) {
			continue
		}
		from := now
		if nb, ok := p.NotBefore[zone]; ok && nb.After(from) {
			from = nb
		}
		at := r.nextSendTimeIn(from, step, zone)
		if !found || at.Before(bestAt) {
			best, bestAt, found = zone, at, true
		}
	}
	return best, bestAt, found
}
