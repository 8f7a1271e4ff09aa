package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"golang.org/x/sync/errgroup"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

const maxEvents = 10000

type eventsRequest struct {
	Events []store.Event `json:"events"`
}

type eventsResponse struct {
	Accepted   int      `json:"accepted"`
	Duplicates int      `json:"duplicates"`
	Signalled  []string `json:"signalled"`
	Enrolled   []string `json:"enrolled"`
}

// ingestEvents stores engagement events once each and feeds every event of
// the batch, new or stored before, to the customers' running runs and to
// the detectors of published journeys (ingestEngagement).
func (s *Server) ingestEvents(w http.ResponseWriter, r *http.Request) {
	var req eventsRequest
	if err := decode(w, r, maxBulkBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.validateEvents(r.Context(), req.Events); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.ingestEngagement(r.Context(), req.Events)
	if err != nil {
		// Stored events are safe: a retry of the batch reports them as
		// duplicates and routes them again, and the runs count each
		// event ID once.
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// ingestEngagement is the one way in for engagement events, whatever their
// source (POST /v1/events, tracked links, SendGrid's opens and clicks): it
// stores each event once by ID, then routes every distinct event of evs,
// new or stored before, as routeEngagement does. Routing repeats too is what
// makes a retry deliver what an attempt that failed half-way did not: the
// runs count an event ID once, and the detectors see the stored events.
//
// A repeat is routed as it was stored, not as posted again: an ID reused for
// another customer or type must not reach that customer's runs, which would
// count it under an ID already taken.
//
// The events must name existing customers (store.InsertEvents refuses the
// batch otherwise). ReceivedAt is the server's clock, whatever the source
// sent.
func (s *Server) ingestEngagement(ctx context.Context, evs []store.Event) (eventsResponse, error) {
	now := s.now()
	for i := range evs {
		evs[i].ReceivedAt = now
	}
	inserted, dups, err := s.store.InsertEvents(ctx, evs)
	if err != nil {
		return eventsResponse{}, err
	}
	s.metrics.events.WithLabelValues("accepted").Add(float64(len(inserted)))
	s.metrics.events.WithLabelValues("duplicate").Add(float64(len(dups)))
	routed, err := s.asStored(ctx, evs, dups)
	if err != nil {
		return eventsResponse{}, err
	}
	signalled, enrolled, err := s.routeEngagement(ctx, routed)
	if err != nil {
		return eventsResponse{}, err
	}
	return eventsResponse{Accepted: len(inserted), Duplicates: len(dups), Signalled: signalled, Enrolled: enrolled}, nil
}

// asStored replaces each event of evs whose ID was stored before (dups) by
// the stored event, read in one query. One no longer stored is dropped.
func (s *Server) asStored(ctx context.Context, evs []store.Event, dups []string) ([]store.Event, error) {
	if len(dups) == 0 {
		return evs, nil
	}
	stored, err := s.store.GetEvents(ctx, dups)
	if err != nil {
		return nil, err
	}
	dup := make(map[string]bool, len(dups))
	for _, id := range dups {
		dup[id] = true
	}
	out := make([]store.Event, 0, len(evs))
	for _, e := range evs {
		if !dup[e.ID] {
			out = append(out, e)
		} else if st, ok := stored[e.ID]; ok {
			out = append(out, st)
		}
	}
	return out, nil
}

// eventFieldOrder is the order in which an event's problems are listed: the
// order of the Event schema. A field missing here is listed last.
var eventFieldOrder = []string{"id", "customer_id", "contact_id", "type", "topic",
	"content_id", "url", "run_id", "step", "note", "occurred_at"}

// validateEvents lists every problem of every event, by JSON path
// (events[3].note), in the order of the body: what the store would refuse
// (store.EventProblems, so the limits cannot drift from the schema's), plus
// what only the API knows: unknown customers, times in the future, and the
// offer of a fast-lane request.
func (s *Server) validateEvents(ctx context.Context, evs []store.Event) error {
	if len(evs) == 0 {
		return invalid(FieldProblem{Field: "events", Message: "must hold at least one event"})
	}
	if len(evs) > maxEvents {
		return invalid(FieldProblem{Field: "events", Message: fmt.Sprintf("at most %d events per request, got %d", maxEvents, len(evs))})
	}
	customers := make([]string, 0, len(evs))
	for _, e := range evs {
		if e.CustomerID != "" {
			customers = append(customers, e.CustomerID)
		}
	}
	missing, err := s.store.MissingCustomers(ctx, customers)
	if err != nil {
		return err
	}
	unknown := map[string]bool{}
	for _, id := range missing {
		unknown[id] = true
	}
	now := s.now()
	var probs []FieldProblem
	for i, e := range evs {
		bad := map[string]string{}
		for _, p := range store.EventProblems(e) {
			bad[p.Field] = p.Msg
		}
		check := func(field string, ok bool, msg string) {
			if _, known := bad[field]; !known && !ok {
				bad[field] = msg
			}
		}
		check("customer_id", !unknown[e.CustomerID], "customer "+e.CustomerID+" does not exist")
		if e.OccurredAt.IsZero() {
			bad["occurred_at"] = "is required (RFC 3339)"
		}
		check("occurred_at", !e.OccurredAt.After(now.Add(24*time.Hour)), "lies in the future")
		if e.Type == store.FastLaneType {
			// The topic of a fast-lane request names its offer: what the
			// run hands off, as the signals route's offer does.
			check("topic", validOffer(e.Topic), "a fast-lane event names its offer here: one of "+strings.Join(journey.FastLaneOffers, ", "))
		}
		fields := make([]string, 0, len(bad))
		for f := range bad {
			fields = append(fields, f)
		}
		slices.SortFunc(fields, func(a, b string) int {
			return cmp.Or(cmp.Compare(fieldRank(a), fieldRank(b)), cmp.Compare(a, b))
		})
		for _, f := range fields {
			probs = append(probs, FieldProblem{Field: fmt.Sprintf("events[%d].%s", i, f), Message: bad[f]})
		}
	}
	if len(probs) > 0 {
		return invalid(probs...)
	}
	return nil
}

func fieldRank(field string) int {
	if i := slices.Index(eventFieldOrder, field); i >= 0 {
		return i
	}
	return len(eventFieldOrder)
}

// routeEngagement feeds stored engagement events to everything they should
// reach, and answers which runs took them (signalled) and which runs the
// detectors started for them (enrolled):
//
//  1. the customers' running runs, as the runs projection lists them (one
//     read per batch, so the cost of an event does not grow with the number
//     of journeys), and the run an event names (RunID); a run that answers
//     that it has ended is written to the projection as ended (noteRunEnded),
//     so events stop going there and the detector's cool-down counts it;
//  2. the detectors of published journeys the customer is not running in
//     (a run that just took the events is running): a customer who now
//     meets one is enrolled, and the new run gets every event that
//     qualified, from this batch and earlier ones, plus this batch's.
//
// An event of one run (a click in its email) reaches the customer's other
// runs as interest in its topic, without the step, which only names an
// email of its own run. Runs count an event ID once, so routing an event
// again is harmless.
//
// A fast-lane request (its topic names the offer) is the run's fast-lane
// signal, not engagement: it goes to the running runs whose journey offers
// it (only to the run it names, if it names one of its customer's), and
// feeds no detector. A contact asking for sales is handed off by a journey
// that sells what they asked for; a detector would start a journey about
// topics they never showed interest in, and that run would not hear the
// request it started for.
func (s *Server) routeEngagement(ctx context.Context, evs []store.Event) (signalled, enrolled []string, err error) {
	if len(evs) == 0 {
		return []string{}, []string{}, nil
	}
	byCustomer := map[string][]store.Event{}
	engagement := map[string][]store.Event{} // what the detectors hear
	var customers []string
	seen := map[string]bool{}
	for _, e := range evs {
		if seen[e.ID] {
			continue // a repeat within the batch routes once
		}
		seen[e.ID] = true
		if _, ok := byCustomer[e.CustomerID]; !ok {
			customers = append(customers, e.CustomerID)
		}
		byCustomer[e.CustomerID] = append(byCustomer[e.CustomerID], e)
		if e.Type != store.FastLaneType {
			engagement[e.CustomerID] = append(engagement[e.CustomerID], e)
		}
	}
	running, err := s.store.RunningRuns(ctx, customers)
	if err != nil {
		return nil, nil, err
	}
	var targets []routeTarget
	listed := map[string]bool{}
	addTarget := func(t routeTarget) {
		if t.workflowID != "" && !listed[t.workflowID] {
			listed[t.workflowID] = true
			targets = append(targets, t)
		}
	}
	for _, r := range running {
		addTarget(routeTarget{workflowID: r.WorkflowID, customerID: r.CustomerID, projected: true, journeyID: r.JourneyID, version: r.Version})
	}
	for _, cust := range customers {
		for _, e := range byCustomer[cust] {
			// Only a run of the event's own customer: a run ID is what
			// the source reported, not checked on the way in.
			if _, c, ok := splitRunID(e.RunID); ok && c == cust {
				addTarget(routeTarget{workflowID: e.RunID, customerID: cust})
			}
		}
	}
	took, err := s.deliverAll(ctx, targets, byCustomer)
	if err != nil {
		return nil, nil, err
	}
	entered, err := s.detect(ctx, customers, engagement, took)
	if err != nil {
		return nil, nil, err
	}
	// Runs the detector found running that the projection did not list
	// yet (started a moment ago) get this batch's events too.
	var more []routeTarget
	for _, t := range entered {
		if !t.started && !listed[t.workflowID] {
			listed[t.workflowID] = true
			more = append(more, t)
		}
	}
	tookMore, err := s.deliverAll(ctx, more, byCustomer)
	if err != nil {
		return nil, nil, err
	}
	enr, sig := map[string]bool{}, map[string]bool{}
	for _, t := range entered {
		if t.started {
			enr[t.workflowID] = true
		}
	}
	for _, m := range []map[string]bool{took, tookMore} {
		for id, ok := range m {
			if ok && !enr[id] {
				sig[id] = true
			}
		}
	}
	return sortedKeys(sig), sortedKeys(enr), nil
}

// routeTarget is a run that gets a customer's events.
type routeTarget struct {
	workflowID, customerID string
	// projected: the runs projection lists the run as running.
	projected bool
	// started: the detector started the run for these events.
	started bool
	// journeyID and version: the run's journey version, as the projection
	// lists it ("" when not projected).
	journeyID string
	version   int
}

// deliverAll delivers each target its customer's events, in parallel, and
// answers which runs took them. A projected run that has ended is written
// to the projection as ended.
func (s *Server) deliverAll(ctx context.Context, targets []routeTarget, byCustomer map[string][]store.Event) (map[string]bool, error) {
	defs, err := s.fastLaneJourneys(ctx, targets, byCustomer)
	if err != nil {
		return nil, err
	}
	took := make(map[string]bool, len(targets))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.EnrollConcurrency)
	for _, t := range targets {
		g.Go(func() error {
			ok, ended, err := s.deliver(gctx, t.workflowID, defs[t.workflowID], byCustomer[t.customerID])
			if err != nil {
				return err
			}
			if ended && t.projected {
				if err := s.noteRunEnded(gctx, t.workflowID, nil, ""); err != nil {
					return err
				}
			}
			mu.Lock()
			took[t.workflowID] = ok
			mu.Unlock()
			return nil
		})
	}
	return took, g.Wait()
}

// fastLaneJourneys reads the journey definition of each target that has a
// fast-lane request to deliver, by workflow ID: whether the run offers what
// was asked for is its journey version's mqn.fast_lane. A run the
// projection does not list as running is taken to run the newest published
// version, the one it would have started with. A journey that no longer
// exists is left out: its runs get no fast lane.
func (s *Server) fastLaneJourneys(ctx context.Context, targets []routeTarget, byCustomer map[string][]store.Event) (map[string]*journey.Definition, error) {
	defs := map[string]*journey.Definition{}
	byVersion := map[string]*journey.Definition{}
	for _, t := range targets {
		if !slices.ContainsFunc(byCustomer[t.customerID], func(e store.Event) bool { return e.Type == store.FastLaneType }) {
			continue
		}
		journeyID, version := t.journeyID, t.version
		if journeyID == "" {
			journeyID, _, _ = splitRunID(t.workflowID)
			version = 0
			r, err := s.store.GetRun(ctx, t.workflowID)
			switch {
			case err == nil && r.Status == store.RunRunning:
				journeyID, version = r.JourneyID, r.Version
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return nil, err
			}
		}
		key := fmt.Sprintf("%s@%d", journeyID, version)
		def, ok := byVersion[key]
		if !ok {
			jv, err := s.store.GetJourney(ctx, journeyID, version)
			switch {
			case err == nil:
				v, err := viewJourney(jv)
				if err != nil {
					return nil, err
				}
				def = v.Definition
			case !errors.Is(err, store.ErrNotFound):
				return nil, err
			}
			byVersion[key] = def
		}
		if def != nil {
			defs[t.workflowID] = def
		}
	}
	return defs, nil
}

// deliver signals a run events in order, and reports whether it took them,
// or that it has ended (or never existed): then the rest are skipped.
// Engagement goes as the engagement signal; a fast-lane request as the
// fast-lane signal, when def (the run's journey) offers it: a run counts an
// offer it does not list as a request all the same (fast_lane_requested, a
// wait until fast_lane ends) without handing off, so it must not get one.
func (s *Server) deliver(ctx context.Context, workflowID string, def *journey.Definition, evs []store.Event) (took, ended bool, err error) {
	for _, e := range evs {
		name, arg := workflows.SignalEngagement, any(nil)
		if e.Type == store.FastLaneType {
			if !fastLaneFor(workflowID, def, e) {
				continue
			}
			// The note stays in Postgres with the event; the run gets the
			// event ID, which also makes it count the request once.
			name, arg = workflows.SignalFastLane, workflows.FastLane{EventID: e.ID, Offer: e.Topic, ContactID: e.ContactID, At: e.OccurredAt}
		} else {
			eng := engagementOf(e)
			if e.RunID != "" && e.RunID != workflowID {
				eng.StepID = "" // the step names an email of another run
			}
			arg = eng
		}
		err := s.temporal.SignalWorkflow(ctx, workflowID, "", name, arg)
		switch {
		case runGone(err):
			return took, true, nil
		case err != nil:
			return took, false, fmt.Errorf("signal event %s to %s: %w", e.ID, workflowID, err)
		}
		s.metrics.signals.WithLabelValues(name).Inc()
		took = true
	}
	return took, false, nil
}

// fastLaneFor: the fast-lane request e goes to the run workflowID of journey
// def. A request that names a run of its customer (asked in that run's
// email) is that run's alone.
func fastLaneFor(workflowID string, def *journey.Definition, e store.Event) bool {
	if _, c, ok := splitRunID(e.RunID); ok && c == e.CustomerID && e.RunID != workflowID {
		return false
	}
	return def != nil && validOffer(e.Topic) && def.IsFastLane(e.Topic)
}

// runGone: Temporal answered that the workflow has ended or does not exist.
func runGone(err error) bool {
	var nf *serviceerror.NotFound
	return err != nil && (errors.As(err, &nf) || strings.Contains(err.Error(), "workflow execution already completed"))
}

// detect enrols each customer in the published journeys whose detector rule
// the customer now meets, with one read of run contexts for all of them,
// and returns the runs it started or found already running. Journeys whose
// run took this batch's events (running) are not checked: the customer is
// in them. Each run it starts counts the events that qualified (qualifying).
func (s *Server) detect(ctx context.Context, customers []string, byCustomer map[string][]store.Event, running map[string]bool) ([]routeTarget, error) {
	if !anyTopic(byCustomer) {
		return nil, nil // no detector listens to events without a topic
	}
	versions, err := s.store.ListJourneys(ctx)
	if err != nil {
		return nil, err
	}
	var defs []*journey.Definition
	for _, jv := range versions {
		v, err := viewJourney(jv)
		if err != nil {
			return nil, err
		}
		if d := v.Definition.Detector; d != nil && d.MinEvents >= 1 {
			defs = append(defs, v.Definition)
		}
	}
	type candidate struct {
		def        *journey.Definition
		customerID string
	}
	var candidates []candidate
	for _, cust := range customers {
		for _, def := range defs {
			if !running[workflows.WorkflowID(def.ID, cust)] && onTopic(def.Detector, byCustomer[cust]) {
				candidates = append(candidates, candidate{def, cust})
			}
		}
	}
	matched := make([]bool, len(candidates))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.EnrollConcurrency)
	for i, c := range candidates {
		g.Go(func() error {
			ok, err := s.detectorMatches(gctx, c.def, c.customerID)
			matched[i] = ok
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var want []string
	for i, c := range candidates {
		if matched[i] {
			want = append(want, c.customerID)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	contexts, err := s.store.RunContexts(ctx, want)
	if err != nil {
		return nil, err
	}
	var starts []runStart
	for i, c := range candidates {
		rc, ok := contexts[c.customerID]
		if !matched[i] || !ok {
			continue
		}
		evs, err := s.qualifying(ctx, c.def, byCustomer[c.customerID])
		if err != nil {
			return nil, err
		}
		starts = append(starts, runStart{def: c.def, rc: rc, events: evs})
	}
	results := s.startRuns(ctx, starts)
	var entered []routeTarget
	for _, res := range results {
		switch res.Status {
		case EnrolStarted:
			s.metrics.enrollments.WithLabelValues("detector").Inc()
			entered = append(entered, routeTarget{workflowID: res.WorkflowID, customerID: res.CustomerID, started: true})
		case EnrolAlreadyRunning:
			entered = append(entered, routeTarget{workflowID: res.WorkflowID, customerID: res.CustomerID})
		case EnrolFailed:
			return nil, fmt.Errorf("detector enrolment of %s: %s", res.WorkflowID, res.Error)
		}
	}
	return entered, nil
}

// maxQualifying bounds the stored events a new run is given: the newest of
// the detector's window.
const maxQualifying = 100

// qualifying lists the events that met the detector's rule, for the run it
// starts to count before its first step: the customer's newest stored
// engagement events on the detector's topics in its window (from earlier
// batches too, at most maxQualifying) and this batch's events, oldest first.
// They go in the run's input, so the start and its reasons arrive in one
// call: no crash in between can part them.
func (s *Server) qualifying(ctx context.Context, def *journey.Definition, batch []store.Event) ([]workflows.Engagement, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	d := def.Detector
	stored, err := s.store.RecentEvents(ctx, batch[0].CustomerID, d.Topics, s.now().Add(-d.Within.Std()), maxQualifying)
	if err != nil {
		return nil, err
	}
	evs := append(stored, batch...)
	seen := map[string]bool{}
	out := evs[:0]
	for _, e := range evs {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b store.Event) int { return a.OccurredAt.Compare(b.OccurredAt) })
	engs := make([]workflows.Engagement, len(out))
	for i, e := range out {
		engs[i] = engagementOf(e)
		engs[i].StepID = "" // a step names an email of another run
	}
	return engs, nil
}

// anyTopic: some event names a topic, so a detector may match. A click on a
// link of content without a topic, say, skips reading the journeys.
func anyTopic(byCustomer map[string][]store.Event) bool {
	for _, evs := range byCustomer {
		for _, e := range evs {
			if e.Topic != "" {
				return true
			}
		}
	}
	return false
}

// onTopic: some event is on the detector's topics.
func onTopic(d *journey.Detector, evs []store.Event) bool {
	for _, e := range evs {
		if e.Topic != "" && slices.Contains(d.Topics, e.Topic) {
			return true
		}
	}
	return false
}

// detectorMatches: the customer has enough events on the detector's topics
// in its window, and no earlier run ended within the journey's cool-down.
// The caller has checked that some new event is on those topics.
func (s *Server) detectorMatches(ctx context.Context, def *journey.Definition, customerID string) (bool, error) {
	d := def.Detector
	now := s.now()
	n, err := s.store.CountEvents(ctx, customerID, d.Topics, now.Add(-d.Within.Std()))
	if err != nil || n < d.MinEvents {
		return false, err
	}
	ended, ok, err := s.store.LastRunEnd(ctx, def.ID, customerID)
	if err != nil {
		return false, err
	}
	if ok && now.Before(ended.Add(def.Handoff.CoolDown())) {
		return false, nil
	}
	return true, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// noteRunEnded writes to the runs projection that a workflow's run has
// ended, when Temporal says so and the projection still shows it running:
// a run that ended without recording it (terminated, timed out, failed, or
// its last write lost) would otherwise get events for ever and never count
// for the detector's cool-down. info is the workflow's description when the
// caller has it (nil: described here); outcome is the run's, if known. The
// run's open hand-offs are closed too (withdrawn unless sales answered).
//
// It changes nothing for a run still open, for a row that a newer run
// registered after this one closed, or for a row already ended; writing
// twice is harmless. updated_at moves forward, so the run's own late
// writes, older than this, cannot make the row running again.
func (s *Server) noteRunEnded(ctx context.Context, workflowID string, info *workflowpb.WorkflowExecutionInfo, outcome string) error {
	row, err := s.store.GetRun(ctx, workflowID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if row.Status != store.RunRunning {
		return nil
	}
	if info == nil {
		desc, err := s.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
			// Temporal no longer knows the workflow (its history passed
			// the namespace's retention): it ended, when is unknown; the
			// last sign of life is the best guess.
			return s.writeRunEnd(ctx, row, store.RunTerminated, row.UpdatedAt, "", "")
		case err != nil:
			return fmt.Errorf("describe %s: %w", workflowID, err)
		}
		info = desc.GetWorkflowExecutionInfo()
	}
	status := workflowStatus(info.GetStatus())
	if status == store.RunRunning || info.GetCloseTime() == nil {
		return nil
	}
	closed := info.GetCloseTime().AsTime()
	if row.StartedAt.After(closed.Add(time.Second)) {
		return nil // the row is a newer run's, registered after this one closed
	}
	if status == store.RunCompleted && outcome == "" {
		var res workflows.Result
		if err := s.temporal.GetWorkflow(ctx, workflowID, info.GetExecution().GetRunId()).Get(ctx, &res); err == nil {
			outcome = res.Outcome
		}
	}
	runKey := ""
	if first := info.GetFirstRunId(); first != "" {
		runKey = workflowID + "/" + first
	}
	return s.writeRunEnd(ctx, row, status, closed, outcome, runKey)
}

// writeRunEnd records row's run as ended with status at ended, and closes
// its open hand-offs (those of runKey, or the workflow's open one).
func (s *Server) writeRunEnd(ctx context.Context, row store.Run, status string, ended time.Time, outcome, runKey string) error {
	if ended.Before(row.StartedAt) {
		ended = row.StartedAt
	}
	updated := s.now()
	if !updated.After(row.UpdatedAt.Add(time.Microsecond)) {
		updated = row.UpdatedAt.Add(time.Microsecond)
	}
	row.Status, row.Stage, row.EndedAt, row.UpdatedAt = status, workflows.StageDone, &ended, updated
	if outcome != "" {
		row.Outcome = outcome
	}
	if err := s.store.UpsertRun(ctx, row); err != nil {
		return fmt.Errorf("record the end of %s: %w", row.WorkflowID, err)
	}
	if runKey == "" {
		h, err := s.store.OpenHandoffOfWorkflow(ctx, row.WorkflowID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		runKey = h.RunKey
	}
	if _, err := s.store.CloseHandoffsOfRun(ctx, runKey); err != nil {
		return fmt.Errorf("close the hand-offs of %s: %w", row.WorkflowID, err)
	}
	logOf(ctx, s.log).Info().Str("workflow_id", row.WorkflowID).Str("status", status).Time("ended_at", ended).Msg("run ended without recording it: projection updated")
	return nil
}
