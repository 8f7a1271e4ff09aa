package engagement

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// route feeds stored engagement events to everything they should reach, and
// answers which runs took them (signalled) and which runs the detectors
// started for them (enrolled):
//
//  1. the customers' running runs, as the runs projection lists them (one
//     read per batch, so the cost of an event does not grow with the number
//     of journeys), and the run an event names (RunID); a run that answers
//     that it has ended is written to the projection as ended
//     (runs.NoteEnded), so events stop going there and the detector's
//     cool-down counts it;
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
// feeds no detector. One that no running run takes is still handed off to
// the owner, without a run (runs.Service.StartFastLaneHandoff). A contact asking for sales is handed off by a journey
// that sells what they asked for; a detector would start a journey about
// topics they never showed interest in, and that run would not hear the
// request it started for.
func (s *Service) route(ctx context.Context, evs []store.Event) (signalled, enrolled []string, err error) {
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
	var targets []target
	listed := map[string]bool{}
	addTarget := func(t target) {
		if t.workflowID != "" && !listed[t.workflowID] {
			listed[t.workflowID] = true
			targets = append(targets, t)
		}
	}
	for _, r := range running {
		addTarget(target{workflowID: r.WorkflowID, customerID: r.CustomerID, projected: true, journeyID: r.JourneyID, version: r.Version})
	}
	for _, cust := range customers {
		for _, e := range byCustomer[cust] {
			// Only a run of the event's own customer: a run ID is what
			// the source reported, not checked on the way in.
			if _, c, ok := runs.SplitWorkflowID(e.RunID); ok && c == cust {
				addTarget(target{workflowID: e.RunID, customerID: cust})
			}
		}
	}
	heard := map[string]bool{} // fast-lane events a run took
	took, err := s.deliverAll(ctx, targets, byCustomer, heard)
	if err != nil {
		return nil, nil, err
	}
	entered, err := s.detect(ctx, customers, engagement, took)
	if err != nil {
		return nil, nil, err
	}
	// Runs the detector found running that the projection did not list
	// yet (started a moment ago) get this batch's events too.
	var more []target
	for _, t := range entered {
		if !t.started && !listed[t.workflowID] {
			listed[t.workflowID] = true
			more = append(more, t)
		}
	}
	tookMore, err := s.deliverAll(ctx, more, byCustomer, heard)
	if err != nil {
		return nil, nil, err
	}
	if err := s.handOffUnheard(ctx, customers, byCustomer, heard); err != nil {
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

// target is a run that gets a customer's events.
type target struct {
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
func (s *Service) deliverAll(ctx context.Context, targets []target, byCustomer map[string][]store.Event, heard map[string]bool) (map[string]bool, error) {
	defs, err := s.fastLaneJourneys(ctx, targets, byCustomer)
	if err != nil {
		return nil, err
	}
	took := make(map[string]bool, len(targets))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.runs.Concurrency())
	for _, t := range targets {
		g.Go(func() error {
			ok, ended, fastLanes, err := s.deliver(gctx, t.workflowID, defs[t.workflowID], byCustomer[t.customerID])
			if err != nil {
				return err
			}
			mu.Lock()
			for _, id := range fastLanes {
				heard[id] = true
			}
			mu.Unlock()
			if ended && t.projected {
				if err := s.runs.NoteEnded(gctx, t.workflowID); err != nil {
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
func (s *Service) fastLaneJourneys(ctx context.Context, targets []target, byCustomer map[string][]store.Event) (map[string]*journey.Definition, error) {
	defs := map[string]*journey.Definition{}
	byVersion := map[string]*journey.Definition{}
	for _, t := range targets {
		if !slices.ContainsFunc(byCustomer[t.customerID], func(e store.Event) bool { return e.Type == store.FastLaneType }) {
			continue
		}
		journeyID, version := t.journeyID, t.version
		if journeyID == "" {
			journeyID, _, _ = runs.SplitWorkflowID(t.workflowID)
			version = 0
			if r, ok, err := s.runningRow(ctx, t.workflowID); err != nil {
				return nil, err
			} else if ok {
				journeyID, version = r.JourneyID, r.Version
			}
		}
		key := fmt.Sprintf("%s@%d", journeyID, version)
		def, ok := byVersion[key]
		if !ok {
			var err error
			if def, err = s.journeys.Definition(ctx, journeyID, version); err != nil {
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

// runningRow is the projection's row of a workflow when it is running.
func (s *Service) runningRow(ctx context.Context, workflowID string) (store.Run, bool, error) {
	r, err := s.store.GetRun(ctx, workflowID)
	switch {
	case err == nil:
		return r, r.Status == store.RunRunning, nil
	case errors.Is(err, store.ErrNotFound):
		return r, false, nil
	}
	return r, false, err
}

// deliver signals a run events in order, and reports whether it took them,
// or that it has ended (or never existed): then the rest are skipped.
// fastLanes are the IDs of the fast-lane requests it took.
// Engagement goes as the engagement signal; a fast-lane request as the
// fast-lane signal, when def (the run's journey) offers it: a run counts an
// offer it does not list as a request all the same (fast_lane_requested, a
// wait until fast_lane ends) without handing off, so it must not get one.
func (s *Service) deliver(ctx context.Context, workflowID string, def *journey.Definition, evs []store.Event) (took, ended bool, fastLanes []string, err error) {
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
		ok, err := s.runs.Send(ctx, workflowID, name, arg)
		switch {
		case err != nil:
			return took, false, fastLanes, fmt.Errorf("event %s: %w", e.ID, err)
		case !ok:
			return took, true, fastLanes, nil
		}
		took = true
		if name == workflows.SignalFastLane {
			fastLanes = append(fastLanes, e.ID)
		}
	}
	return took, false, fastLanes, nil
}

// handOffUnheard starts a FastLaneHandoff for each fast-lane request that
// no running run took (none offers it, or the run it names has ended): the
// owner gets it as a hand-off without a run. Its workflow ID derives from
// the event ID, so routing the event again starts nothing new.
func (s *Service) handOffUnheard(ctx context.Context, customers []string, byCustomer map[string][]store.Event, heard map[string]bool) error {
	for _, cust := range customers {
		for _, e := range byCustomer[cust] {
			if e.Type != store.FastLaneType || heard[e.ID] || !runs.ValidOffer(e.Topic) {
				continue
			}
			in := workflows.FastLaneHandoffInput{EventID: e.ID, CustomerID: e.CustomerID, Offer: e.Topic}
			if err := s.runs.StartFastLaneHandoff(ctx, in); err != nil {
				return fmt.Errorf("event %s: %w", e.ID, err)
			}
		}
	}
	return nil
}

// fastLaneFor: the fast-lane request e goes to the run workflowID of journey
// def. A request that names a run of its customer (asked in that run's
// email) is that run's alone.
func fastLaneFor(workflowID string, def *journey.Definition, e store.Event) bool {
	if _, c, ok := runs.SplitWorkflowID(e.RunID); ok && c == e.CustomerID && e.RunID != workflowID {
		return false
	}
	return def != nil && runs.ValidOffer(e.Topic) && def.IsFastLane(e.Topic)
}

func engagementOf(ev store.Event) workflows.Engagement {
	return workflows.Engagement{
		EventID: ev.ID, Kind: ev.Type, StepID: ev.Step, Topic: ev.Topic,
		ContentID: ev.ContentID, ContactID: ev.ContactID, Product: ev.Product, At: ev.OccurredAt,
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
