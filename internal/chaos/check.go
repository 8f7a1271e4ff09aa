package chaos

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/ripen/ripen/workflows"
)

// Invariant names, as the report prints them.
const (
	invRuns       = "no run lost or stuck"
	invOnce       = "each email at most once"
	invDelivered  = "every email that should go out did"
	invSuppressed = "nothing to a suppressed address"
	invHandoffs   = "one hand-off per MQN"
	invFastLane   = "every acknowledged fast lane is handed off"
	invLooks      = "a GET on a public link changes nothing"
	invEngagement = "each engagement event counted once"
	invForged     = "a bad signature changes nothing"
	invAPI5xx     = "no 5xx outside outages"
	invAcked      = "nothing acknowledged is lost"
	invProcesses  = "no process dies on its own"
)

// sendgridInboxSize is how many messages `ripen sendgrid-dev` keeps.
const sendgridInboxSize = 10000

// check gathers the facts and evaluates every invariant.
func (r *runner) check(ctx context.Context) (*Report, error) {
	f, err := r.gather(ctx)
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w", err)
	}
	if len(f.msgs) >= sendgridInboxSize {
		return nil, fmt.Errorf("the local SendGrid server keeps %d messages and holds that many: the oldest are gone, so the email invariants cannot be checked; run fewer customers", sendgridInboxSize)
	}
	rep := &Report{Seed: r.cfg.Seed, Short: r.cfg.Short, Customers: len(r.customers), Measured: Measured{Excused5xx: map[string]int{}}}
	for _, c := range r.customers {
		rep.Contacts += len(c.Contacts)
	}
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	rec := r.rec
	for _, fr := range rec.faults {
		rep.Faults = append(rep.Faults, Fault{Kind: fr.Kind, Target: fr.Target, At: fr.At.Sub(r.t0), Back: fr.Back.Sub(r.t0), Detail: fr.Detail})
	}
	sort.SliceStable(rep.Faults, func(i, j int) bool { return rep.Faults[i].At < rep.Faults[j].At })
	for id, why := range rec.enrolFail {
		rep.Notes = append(rep.Notes, fmt.Sprintf("customer %s was never enrolled: %s", id, why))
	}

	ck := &checker{r: r, f: f, rep: rep, rec: rec}
	ck.index()
	ck.runs()
	ck.emails()
	ck.suppressed()
	ck.handoffs()
	ck.fastLanes()
	ck.looks()
	ck.engagement()
	ck.forged()
	ck.api()
	ck.acknowledged()
	ck.processes()
	ck.webhooks(ctx)
	ck.load()
	if n := ck.rec.storm.NotAccepted; n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d storm events were never answered 2xx, however often they were posted", n))
	}
	if ck.unsubOtherOutcome > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d runs closed after an acknowledged unsubscribe with an outcome other than unsubscribed: the unsubscribe was one contact's of a buying group that went on, or their journey ended as it arrived", ck.unsubOtherOutcome))
	}
	sort.Strings(rep.Notes)
	return rep, nil
}

// checker evaluates the invariants over the facts and the record.
type checker struct {
	r   *runner
	f   *facts
	rep *Report
	rec *record

	// sent holds the key of every email in the inbox.
	sent map[string][]sendgridMessage
	// handoffsOf lists each run's hand-offs, oldest first.
	handoffsOf  map[string][]handoffRow
	handoffByID map[string]handoffRow
	kills       []time.Time
	// unsubOtherOutcome counts runs that closed after an acknowledged
	// unsubscribe with another outcome (their journey had just ended).
	unsubOtherOutcome int
}

func (ck *checker) inv(name, statement string) *Invariant {
	inv := &Invariant{Name: name, Statement: statement}
	ck.rep.Invariants = append(ck.rep.Invariants, inv)
	return inv
}

func (ck *checker) index() {
	ck.sent = map[string][]sendgridMessage{}
	for _, m := range ck.f.msgs {
		k, _, _, _ := emailKey(m)
		ck.sent[k] = append(ck.sent[k], m)
	}
	ck.handoffsOf = map[string][]handoffRow{}
	ck.handoffByID = map[string]handoffRow{}
	for _, h := range ck.f.handoffs {
		ck.handoffsOf[h.WorkflowID] = append(ck.handoffsOf[h.WorkflowID], h)
		ck.handoffByID[h.ID] = h
	}
	for _, fr := range ck.rec.faults {
		if fr.Kind == "worker kill" {
			ck.kills = append(ck.kills, fr.At)
		}
	}
}

func runOf(customerID string) string { return workflows.WorkflowID(journeyID, customerID) }

// runs: every enrolled run ended with an outcome or waits legitimately;
// none failed, none stuck in a failing workflow task.
func (ck *checker) runs() {
	inv := ck.inv(invRuns, "every enrolled run ends with an outcome or is still legitimately waiting (a timer, sales on an open hand-off); none is missing, failed, or stuck in a failing workflow task or activity")
	ids := make([]string, 0, len(ck.f.runs))
	for id := range ck.f.runs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		rf := ck.f.runs[id]
		inv.Checked++
		switch {
		case rf.err != nil:
			inv.add(id, "", "could not be read from Temporal: %v", rf.err)
			continue
		case !rf.found:
			inv.add(id, "", "lost: the enrolment answered started, Temporal has no such run")
			continue
		}
		for _, w := range rf.badWFT {
			inv.add(id, rf.state.Step, "workflow task failed: %s", w)
		}
		switch rf.status {
		case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
			if rf.stateErr == nil && (rf.state.Outcome == nil || *rf.state.Outcome == "") {
				inv.add(id, rf.state.Step, "completed without an outcome")
			}
		case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
			if why := ck.stuck(rf); why != "" {
				inv.add(id, rf.state.Step, "%s", why)
			}
		default:
			inv.add(id, rf.state.Step, "ended %s", strings.ToLower(strings.TrimPrefix(rf.status.String(), "WORKFLOW_EXECUTION_STATUS_")))
		}
		if rf.stateErr != nil {
			inv.add(id, "", "state not readable through the API: %v", rf.stateErr)
		}
	}
}

// stuck explains why a running run is not legitimately waiting, or "".
func (ck *checker) stuck(rf *runFacts) string {
	if w := rf.pendingWFT; w != nil && w.GetAttempt() > 1 {
		return fmt.Sprintf("stuck: workflow task on attempt %d", w.GetAttempt())
	}
	for _, a := range rf.pendingAct {
		if a.GetAttempt() > 1 {
			return fmt.Sprintf("stuck: activity %s on attempt %d, last failure: %s", a.GetActivityType().GetName(), a.GetAttempt(),
				truncate(a.GetLastFailure().GetMessage(), 200))
		}
	}
	st := rf.state
	if rf.stateErr != nil {
		return ""
	}
	if st.Stage == "handoff" && st.Handoff != nil {
		h, ok := ck.handoffByID[st.Handoff.ID]
		switch {
		case !ok:
			return fmt.Sprintf("stuck: waits for sales on hand-off %q, which the inbox does not have", st.Handoff.ID)
		case h.Status != "open":
			return fmt.Sprintf("stuck: waits for sales on hand-off %s (cycle %d), which the inbox shows as %s since %s: nobody can answer it",
				h.ID, h.Cycle, h.Status, h.ClosedAt.Format("15:04:05"))
		}
		return "" // waits for sales: legitimate
	}
	if len(rf.pendingAct) > 0 || rf.pendingWFT != nil {
		return "" // in flight
	}
	if st.NextWakeAt != nil {
		return "" // a timer
	}
	return fmt.Sprintf("running in stage %s at step %s with nothing to wait for", st.Stage, st.Step)
}

// emails: each email at most once; every email that should go out did.
func (ck *checker) emails() {
	once := ck.inv(invOnce, "each (run, step, cycle, contact) email — and each hand-off notice and reminder — is accepted by SendGrid at most once; a repeat within a second before a worker's SIGKILL is the known window and is measured instead")
	keys := make([]string, 0, len(ck.sent))
	for k := range ck.sent {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ms := ck.sent[k]
		once.Checked++
		if len(ms) < 2 {
			continue
		}
		_, run, step, _ := emailKey(ms[0])
		first := ms[0]
		if kill, ok := ck.killAfter(first.ReceivedAt); ok {
			ck.rep.Measured.KnownWindowResends = append(ck.rep.Measured.KnownWindowResends,
				fmt.Sprintf("run %s step %s: %d copies; the first accepted %s before a worker was killed", run, step, len(ms), kill.Sub(first.ReceivedAt).Round(time.Millisecond)))
			continue
		}
		var at []string
		for _, m := range ms {
			at = append(at, m.ReceivedAt.Format("15:04:05.000")+" "+m.MessageID)
		}
		once.add(run, step, "%d copies accepted (%s), key %s", len(ms), strings.Join(at, ", "), k)
	}

	should := ck.inv(invDelivered, "every email a run recorded as sent is in SendGrid's inbox, every contact not suppressed got each step the run sent, no send step was given up, and every hand-off's owner was told")
	for _, id := range ck.runIDs() {
		rf := ck.f.runs[id]
		cust := ck.r.ix.customers[customerOf(id)]
		for _, s := range rf.sends {
			should.Checked++
			step := s.req.StepID
			switch {
			case s.failure != "" && strings.Contains(s.failure, "sent but not recorded"):
				ck.rep.Measured.SentNotRecorded = append(ck.rep.Measured.SentNotRecorded, fmt.Sprintf("run %s step %s cycle %d: %s", id, step, s.req.Cycle, truncate(s.failure, 200)))
			case s.failure != "":
				should.add(id, step, "cycle %d: the send was given up: %s", s.req.Cycle, truncate(s.failure, 300))
			case s.done && s.result.Status == workflows.SendSent:
				for _, mid := range s.result.MessageIDs {
					if _, ok := ck.f.msgByID[mid]; !ok {
						should.add(id, step, "cycle %d: the run recorded message %s as sent; SendGrid never accepted it", s.req.Cycle, mid)
					}
				}
				for _, ct := range cust.Contacts {
					if _, sup := ck.f.suppressions[strings.ToLower(ct.Email)]; sup {
						continue
					}
					if len(ck.sent[contentKey(id, step, s.req.Cycle, ct.ID)]) == 0 {
						should.add(id, step, "cycle %d: contact %s was never suppressed but got no email", s.req.Cycle, ct.ID)
					}
				}
			}
		}
		for _, n := range rf.notifies {
			should.Checked++
			switch {
			case strings.Contains(n.failure, "sent but not recorded"):
				ck.rep.Measured.SentNotRecorded = append(ck.rep.Measured.SentNotRecorded, fmt.Sprintf("run %s hand-off %s notice %d: %s", id, n.req.HandoffID, n.req.Reminder, truncate(n.failure, 200)))
			case n.failure != "":
				should.add(id, "handoff:"+n.req.HandoffID, "owner notice %d given up: %s", n.req.Reminder, truncate(n.failure, 300))
			}
		}
	}
	for _, o := range ck.f.outbox {
		if (o.Status == "sent" || o.Status == "delivered") && o.MessageID != "" {
			should.Checked++
			if _, ok := ck.f.msgByID[o.MessageID]; !ok {
				should.add(runFromKey(o.RunKey), o.StepID, "cycle %d contact %s: the outbox says %s as %s; SendGrid never accepted it", o.Cycle, o.ContactID, o.Status, o.MessageID)
			}
		}
	}
	for _, h := range ck.f.handoffs {
		should.Checked++
		if len(ck.sent["handoff|"+h.ID+"|handoff|0"]) == 0 {
			should.add(h.WorkflowID, "handoff:"+h.ID, "cycle %d: the owner never got the hand-off email", h.Cycle)
		}
	}
}

// killAfter finds a worker kill at most a second after t.
func (ck *checker) killAfter(t time.Time) (time.Time, bool) {
	for _, k := range ck.kills {
		if d := k.Sub(t); d >= -100*time.Millisecond && d <= time.Second {
			return k, true
		}
	}
	return time.Time{}, false
}

func (ck *checker) runIDs() []string {
	ids := make([]string, 0, len(ck.f.runs))
	for id, rf := range ck.f.runs {
		if rf.found && rf.err == nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func customerOf(workflowID string) string { return workflowID[strings.LastIndex(workflowID, "/")+1:] }

// runFromKey turns a run key (workflow ID + "/" + first run ID) into the
// workflow ID.
func runFromKey(runKey string) string {
	if i := strings.LastIndex(runKey, "/"); i > 0 {
		return runKey[:i]
	}
	return runKey
}

// suppressed: nothing reached an address after it was suppressed.
func (ck *checker) suppressed() {
	inv := ck.inv(invSuppressed, "SendGrid accepted no email to an address after the address was suppressed (unsubscribe, spam report, hard bounce); one accepted within a second of the suppression was already on its way (the send activity had checked) and is measured instead")
	for email, at := range ck.f.suppressions {
		inv.Checked++
		for _, m := range ck.f.msgs {
			if len(m.To) == 0 || !strings.EqualFold(m.To[0], email) || !m.ReceivedAt.After(at) {
				continue
			}
			_, run, step, _ := emailKey(m)
			late := m.ReceivedAt.Sub(at)
			if late <= time.Second {
				ck.rep.Measured.InFlightAtSuppression = append(ck.rep.Measured.InFlightAtSuppression,
					fmt.Sprintf("run %s step %s: email to %s accepted %s after the suppression", run, step, email, late.Round(time.Millisecond)))
				continue
			}
			inv.add(run, step, "email %s to %s accepted %s after the address was suppressed (%s)", m.MessageID, email,
				late.Round(time.Millisecond), at.Format("15:04:05.000"))
		}
	}
}

// handoffs: one hand-off per MQN.
func (ck *checker) handoffs() {
	inv := ck.inv(invHandoffs, "every time a run qualifies (score or fast lane) it records a hand-off of its own that sales see, and no hand-off exists without one")
	for _, id := range ck.runIDs() {
		rf := ck.f.runs[id]
		byCycle := map[int][]*handoffFact{}
		for _, h := range rf.handoffs {
			byCycle[h.req.Cycle] = append(byCycle[h.req.Cycle], h)
		}
		rows := map[int][]handoffRow{}
		for _, h := range ck.handoffsOf[id] {
			rows[h.Cycle] = append(rows[h.Cycle], h)
		}
		cycles := map[int]bool{}
		for c := range byCycle {
			cycles[c] = true
		}
		for c := range rows {
			cycles[c] = true
		}
		for _, c := range sortedKeys(cycles) {
			mqns, hs := byCycle[c], rows[c]
			inv.Checked += max(1, len(mqns))
			switch {
			case len(mqns) > len(hs):
				var seen []string
				for _, m := range mqns {
					seen = append(seen, fmt.Sprintf("%s %s at %s → hand-off %s", m.req.Reason, m.req.Offer, m.at.Format("15:04:05.000"), orDash(m.id)))
				}
				inv.add(id, "", "cycle %d qualified %d times (%s) but has %d hand-off(s): a later MQN got the earlier, closed hand-off back",
					c, len(mqns), strings.Join(seen, "; "), len(hs))
			case len(hs) > len(mqns):
				inv.add(id, "", "cycle %d has %d hand-offs but the run qualified %d times", c, len(hs), len(mqns))
			}
		}
	}
}

func sortedKeys(m map[int]bool) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fastLanes: every fast-lane request answered with a thank-you page (or 202
// through the API) reached sales.
func (ck *checker) fastLanes() {
	inv := ck.inv(invFastLane, "every fast-lane request the API acknowledged (thank-you page, or 202 through the API) is with sales: a hand-off of the run was open at the time, or a fast-lane hand-off followed (of the run, or without a run when the run had ended)")
	for _, a := range ck.rec.fastLanes {
		if a.Status < 200 || a.Status > 299 {
			continue
		}
		inv.Checked++
		run := runOf(a.Customer)
		covered := false
		for _, h := range ck.handoffsOf[run] {
			openDuring := !h.CreatedAt.After(a.End) && (h.ClosedAt == nil || !h.ClosedAt.Before(a.Start))
			after := h.Reason == "fast-lane" && !h.CreatedAt.Before(a.Start.Add(-time.Second))
			if openDuring || after {
				covered = true
				break
			}
		}
		for _, h := range ck.f.handoffs {
			// A request that reached no running run is the owner's as a
			// hand-off without a run.
			if !covered && h.WorkflowID == "" && h.CustomerID == a.Customer && h.Reason == "fast-lane" && !h.CreatedAt.Before(a.Start.Add(-time.Second)) {
				covered = true
			}
		}
		if covered {
			continue
		}
		rf := ck.f.runs[run]
		end := "still running"
		if rf != nil && rf.state.Outcome != nil {
			end = fmt.Sprintf("ended %s at %s", *rf.state.Outcome, rf.closedAt.Format("15:04:05.000"))
		}
		step := ""
		if rf != nil {
			step = rf.state.Step
		}
		inv.add(run, step, "fast lane (%s, %s) acknowledged %d at %s, but no hand-off followed; the run %s; its hand-offs: %s",
			a.Via, a.Offer, a.Status, a.End.Format("15:04:05.000"), end, ck.describeHandoffs(run))
	}
}

func (ck *checker) describeHandoffs(run string) string {
	var parts []string
	for _, h := range ck.handoffsOf[run] {
		closed := "open"
		if h.ClosedAt != nil {
			closed = h.Status + " at " + h.ClosedAt.Format("15:04:05.000")
		}
		parts = append(parts, fmt.Sprintf("%s cycle %d %s created %s, %s", h.ID, h.Cycle, h.Reason, h.CreatedAt.Format("15:04:05.000"), closed))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// looks: GET on fast-lane and unsubscribe pages changed nothing.
func (ck *checker) looks() {
	inv := ck.inv(invLooks, "opening a fast-lane or unsubscribe page (GET, as mail scanners do) neither asks for sales nor unsubscribes")
	asked := map[string]bool{}
	for _, a := range ck.rec.fastLanes {
		asked[a.Customer] = true
	}
	for _, l := range ck.rec.looks {
		inv.Checked++
		if l.Status != 200 && l.Status < 500 { // 5xx: the API invariant's business
			inv.add(runOf(l.Customer), "", "GET /%s/{token} answered %d, not the page", l.Kind, l.Status)
		}
	}
	for _, c := range ck.r.customers {
		if c.Role != roleLooker || asked[c.ID] {
			continue
		}
		for id, e := range ck.f.events {
			if e.CustomerID == c.ID && e.Type == "fast-lane" {
				inv.add(runOf(c.ID), "", "fast-lane event %s stored although the contact only opened the page", id)
			}
		}
		for _, h := range ck.handoffsOf[runOf(c.ID)] {
			if h.Reason == "fast-lane" {
				inv.add(runOf(c.ID), "", "fast-lane hand-off %s although the contact only opened the page", h.ID)
			}
		}
		for _, ct := range c.Contacts {
			if at, ok := ck.f.suppressions[strings.ToLower(ct.Email)]; ok {
				inv.add(runOf(c.ID), "", "%s suppressed at %s although the contact only opened the page", ct.Email, at.Format("15:04:05.000"))
			}
		}
	}
}

// engagement: each engagement event ID is stored and counted once.
func (ck *checker) engagement() {
	inv := ck.inv(invEngagement, "each engagement event of the storm that ripen acknowledged is stored once under its ID, nothing else is, and no run counts an event ID twice or scores more than its evidence")
	st := ck.rec.storm
	for id, run := range st.Engagements {
		inv.Checked++
		if !st.Accepted[strings.TrimPrefix(id, "sg-")] {
			continue
		}
		if _, ok := ck.f.events[id]; !ok {
			inv.add(run, "", "webhook event %s was acknowledged but not stored", strings.TrimPrefix(id, "sg-"))
		}
	}
	for id, e := range ck.f.events {
		if !strings.HasPrefix(id, "sg-") {
			continue
		}
		inv.Checked++
		if _, ok := st.Engagements[id]; !ok {
			inv.add(e.RunID, "", "engagement event %s (%s) stored, but the storm sent no such engagement", id, e.Type)
		}
	}
	for id := range st.Accepted {
		inv.Checked++
		if !ck.f.webhookSeen[id] {
			inv.add("", "", "webhook event %s was acknowledged but is not marked as seen", id)
		}
	}
	for _, id := range ck.runIDs() {
		rf := ck.f.runs[id]
		if rf.stateErr != nil {
			continue
		}
		inv.Checked++
		seen := map[string]int{}
		sum := 0.0
		for _, e := range rf.state.Engagements {
			seen[e.EventID]++
			sum += e.Points
		}
		for eid, n := range seen {
			if n > 1 && eid != "" {
				inv.add(id, rf.state.Step, "event %s counted %d times", eid, n)
			}
		}
		if len(rf.state.Engagements) < 50 && rf.state.Score > sum+0.05 {
			inv.add(id, rf.state.Step, "score %.2f exceeds the %.2f points of its %d engagements", rf.state.Score, sum, len(rf.state.Engagements))
		}
	}
}

// forged: bad-signature batches were refused and left no trace.
func (ck *checker) forged() {
	inv := ck.inv(invForged, "every webhook post with a bad signature (forged, stale, missing, another key, another body) is refused with 401 and changes nothing: no event stored or marked seen, no address suppressed")
	for _, b := range ck.rec.batches {
		if b.Bad == "" {
			continue
		}
		inv.Checked++
		if b.Status != 401 {
			inv.add("", "", "a %s post was answered %d, not 401", b.Bad, b.Status)
		}
	}
	for _, id := range ck.rec.storm.BadIDs {
		inv.Checked++
		if _, ok := ck.f.events["sg-"+id]; ok {
			inv.add("", "", "forged event %s was stored", id)
		}
		if ck.f.webhookSeen[id] {
			inv.add("", "", "forged event %s was marked as seen", id)
		}
	}
	for email := range ck.rec.storm.BadEmails {
		inv.Checked++
		if at, ok := ck.f.suppressions[email]; ok {
			ct := ck.r.ix.byEmail[email]
			run := ""
			if ct != nil {
				run = runOf(ck.r.ix.owner[ct.ID])
			}
			inv.add(run, "", "%s suppressed at %s, but only forged posts asked for it", email, at.Format("15:04:05.000"))
		}
	}
}

// api: no 5xx outside the outage windows.
func (ck *checker) api() {
	inv := ck.inv(invAPI5xx, "the API answered no 5xx, and never failed to answer, outside the Postgres (and Temporal) restart windows")
	for _, c := range ck.r.st.http.log.all() {
		inv.Checked++
		if c.Status > 0 && c.Status < 500 {
			continue
		}
		if w, ok := ck.inWindow(c); ok {
			ck.rep.Measured.Excused5xx[w]++
			continue
		}
		what := strconv.Itoa(c.Status)
		if c.Status == 0 {
			what = "no answer (" + truncate(c.Err, 120) + ")"
		}
		inv.add("", "", "%s answered %s at t+%.1fs", c.Route, what, c.Start.Sub(ck.r.t0).Seconds())
	}
}

func (ck *checker) inWindow(c call) (string, bool) {
	for _, w := range ck.rec.windows {
		if !c.End.Before(w.From) && !c.Start.After(w.To) {
			return w.Kind, true
		}
	}
	return "", false
}

// acknowledged: what the API answered 2xx to happened.
func (ck *checker) acknowledged() {
	inv := ck.inv(invAcked, "what the API acknowledged with 2xx happened: an unsubscribe (link, one-click or SendGrid event) suppressed the address, and once every contact of the customer had unsubscribed the runs stopped (none decides another send after it has the last signal; a buying group goes on while one of its contacts can be mailed), and sales' answer is the hand-off's status and the run's outcome")
	// gone is who of each customer unsubscribed, as acknowledged.
	gone := map[string]map[string]bool{}
	for _, u := range ck.rec.unsubs {
		if u.Status >= 200 && u.Status <= 299 {
			if gone[u.Customer] == nil {
				gone[u.Customer] = map[string]bool{}
			}
			gone[u.Customer][u.Contact] = true
		}
	}
	everyone := func(customerID string, out map[string]bool) bool {
		c := ck.r.ix.customers[customerID]
		if c == nil {
			return true
		}
		for _, ct := range c.Contacts {
			if !out[ct.ID] {
				return false
			}
		}
		return true
	}
	for _, u := range ck.rec.unsubs {
		if u.Status < 200 || u.Status > 299 {
			continue
		}
		inv.Checked++
		run := runOf(u.Customer)
		at, ok := ck.f.suppressions[strings.ToLower(u.Email)]
		if !ok {
			inv.add(run, "", "unsubscribe of %s (%s) acknowledged at %s, but the address is not suppressed", u.Contact, u.Via, u.End.Format("15:04:05.000"))
		} else if at.After(u.End) {
			inv.add(run, "", "unsubscribe of %s acknowledged at %s before the suppression was stored (%s)", u.Contact, u.End.Format("15:04:05.000"), at.Format("15:04:05.000"))
		}
		rf := ck.f.runs[run]
		if rf == nil || !rf.found || rf.stateErr != nil {
			continue
		}
		if rf.status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && everyone(u.Customer, gone[u.Customer]) {
			inv.add(run, rf.state.Step, "every contact of %s unsubscribed (the last acknowledged at %s), but the run is still running (stage %s)", u.Customer, u.End.Format("15:04:05.000"), rf.state.Stage)
		} else if !rf.closedAt.Before(u.Start) && rf.state.Outcome != nil && *rf.state.Outcome != workflows.OutcomeUnsubscribed {
			ck.unsubOtherOutcome++
		}
	}
	// A run decides no further send once it has heard the unsubscribe of
	// every contact of its customer (or one that names no contact).
	for _, id := range ck.runIDs() {
		rf := ck.f.runs[id]
		if len(rf.unsubscribes) == 0 {
			continue
		}
		inv.Checked++
		out := map[string]bool{}
		last := 0
		var lastAt time.Time
		for _, u := range rf.unsubscribes {
			out[u.contact] = true
			if u.contact == "" || everyone(customerOf(id), out) {
				last, lastAt = u.seq, u.at
				break
			}
		}
		if last == 0 {
			continue
		}
		for _, s := range rf.sends {
			if s.seq > last {
				inv.add(id, s.req.StepID, "cycle %d: the run scheduled this send at %s, after it had heard its last contact unsubscribe (%s)",
					s.req.Cycle, s.at.Format("15:04:05.000"), lastAt.Format("15:04:05.000"))
			}
		}
	}
	// Sales' answers.
	type answer struct {
		outcome string
		via     string
		at      time.Time
	}
	acked := map[string][]answer{}
	for _, a := range ck.rec.feedback {
		if a.Status >= 200 && a.Status <= 299 {
			acked[a.Handoff] = append(acked[a.Handoff], answer{a.Outcome, a.Via, a.End})
		}
	}
	hids := make([]string, 0, len(acked))
	for id := range acked {
		hids = append(hids, id)
	}
	sort.Strings(hids)
	for _, hid := range hids {
		as := acked[hid]
		inv.Checked++
		h, ok := ck.handoffByID[hid]
		if !ok {
			inv.add("", "handoff:"+hid, "sales' answer was acknowledged, but the hand-off is gone")
			continue
		}
		outcomes := map[string]bool{}
		for _, a := range as {
			outcomes[a.outcome] = true
		}
		if len(outcomes) > 1 {
			var desc []string
			for _, a := range as {
				desc = append(desc, fmt.Sprintf("%s via %s at %s", a.outcome, a.via, a.at.Format("15:04:05.000")))
			}
			inv.add(h.WorkflowID, "handoff:"+hid, "two different answers were both acknowledged (%s); the hand-off says %s", strings.Join(desc, ", "), h.Status)
		}
		for _, a := range as {
			if a.outcome != h.Status {
				inv.add(h.WorkflowID, "handoff:"+hid, "answer %s (via %s) acknowledged at %s, but the hand-off says %s", a.outcome, a.via, a.at.Format("15:04:05.000"), h.Status)
			}
		}
	}
	// A run that ended with sales' outcome agrees with its hand-off.
	for _, id := range ck.runIDs() {
		rf := ck.f.runs[id]
		if rf.stateErr != nil || rf.state.Outcome == nil || rf.state.Handoff == nil {
			continue
		}
		switch o := *rf.state.Outcome; o {
		case workflows.OutcomeAccepted, workflows.OutcomeWon, workflows.OutcomeLost:
			inv.Checked++
			if h, ok := ck.handoffByID[rf.state.Handoff.ID]; ok && h.Status != o {
				inv.add(id, "handoff:"+h.ID, "the run ended %s, but its hand-off says %s", o, h.Status)
			}
		}
	}
	// Unsubscribes through SendGrid are marked as seen.
	for _, u := range ck.rec.unsubs {
		if u.EventID != "" && u.Status >= 200 && u.Status <= 299 {
			inv.Checked++
			if !ck.f.webhookSeen[u.EventID] {
				inv.add(runOf(u.Customer), "", "webhook event %s (%s of %s) was acknowledged but is not marked as seen", u.EventID, u.Via, u.Contact)
			}
		}
	}
}

// processes: nothing died on its own.
func (ck *checker) processes() {
	inv := ck.inv(invProcesses, "no process of the stack exits unless the suite kills it")
	for _, p := range append([]*proc{ck.r.st.temporal, ck.r.st.sendgrid, ck.r.st.api}, ck.r.st.workers...) {
		inv.Checked++
		for _, e := range p.unexpectedExits() {
			inv.add("", "", "%s", e)
		}
	}
}

// load sums up what the run did.
func (ck *checker) load() {
	l := &ck.rep.Load
	rec := ck.rec
	l.Enrolled = len(rec.enrolled)
	for _, m := range ck.f.msgs {
		switch m.CustomArgs["ripen_kind"] {
		case "handoff":
			l.EmailsHandoff++
		case "reminder":
			l.EmailsReminder++
		default:
			l.EmailsContent++
		}
		for _, e := range m.Events {
			if e.Event == "delivered" && !e.Posted {
				ck.rep.Measured.DeliveredDropped++
			}
		}
	}
	st := rec.storm
	l.WebhookPosted, l.WebhookUnique, l.WebhookRepeats, l.BadBatches, l.StormTook = st.Posted, st.Unique, st.Duplicates, st.BadBatches, st.Took
	for _, a := range rec.fastLanes {
		if a.Status >= 200 && a.Status <= 299 {
			l.FastLaneAcks++
		} else {
			l.FastLaneRefused++
		}
	}
	for _, u := range rec.unsubs {
		if u.Status >= 200 && u.Status <= 299 {
			l.Unsubscribes++
		}
	}
	l.Clicks, l.Looks, l.Feedback, l.FollowUps = rec.clicks, len(rec.looks), len(rec.feedback), rec.followUps
	races := map[string][]string{}
	for _, a := range rec.feedback {
		if a.Race != "" {
			l.FeedbackRaces++
			k := a.Race + " on " + a.Handoff
			races[k] = append(races[k], strconv.Itoa(a.Status))
		}
	}
	l.RaceResults = map[string]int{}
	for k, statuses := range races {
		race, _, _ := strings.Cut(k, " on ")
		slices.Sort(statuses)
		l.RaceResults[race+" "+strings.Join(statuses, "+")]++
	}
	calls := ck.r.st.http.log.all()
	l.APIRequests = len(calls)
	ck.rep.Routes = routeFigures(calls)
	l.Handoffs = len(ck.f.handoffs)
	l.Outcomes = map[string]int{}
	for _, rf := range ck.f.runs {
		switch {
		case rf.status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
			l.Running++
		case rf.state.Outcome != nil:
			l.Outcomes[*rf.state.Outcome]++
		}
	}
	for _, h := range ck.f.handoffs {
		if h.Status != "open" {
			continue
		}
		if rf := ck.f.runs[h.WorkflowID]; rf != nil && rf.status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			ck.rep.Measured.OpenHandoffsOfEndedRuns++
		}
	}
}
