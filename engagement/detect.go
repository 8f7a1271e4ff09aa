package engagement

import (
	"context"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// detect enrols each customer in the published journeys whose detector rule
// the customer now meets (archived journeys are not among them:
// journeys.Service.Published leaves them out), with one read of run
// contexts for all of them, and returns the runs it started or found
// already running. Journeys whose run took this batch's events (running)
// are not checked: the customer is in them. Each run it starts counts the
// events that qualified (qualifying).
func (s *Service) detect(ctx context.Context, customers []string, byCustomer map[string][]store.Event, running map[string]bool) ([]target, error) {
	// An order changes what its account owns, which decides below which
	// offers fit it.
	if err := s.addOrders(ctx, byCustomer); err != nil {
		return nil, err
	}
	if !anyTopic(byCustomer) {
		return nil, nil // no detector listens to events without a topic
	}
	published, err := s.journeys.Published(ctx)
	if err != nil {
		return nil, err
	}
	var defs []*journey.Definition
	for _, v := range published {
		if d := v.Definition.Detector; d != nil && d.MinEvents >= 1 {
			defs = append(defs, v.Definition)
		}
	}
	var candidates []candidate
	for _, cust := range customers {
		for _, def := range defs {
			if !running[workflows.WorkflowID(def.ID, cust)] && onTopic(def.Detector, byCustomer[cust]) {
				candidates = append(candidates, candidate{def, cust})
			}
		}
	}
	// Accounts the offer does not fit are skipped before their events are
	// counted: no run, and no reads for them.
	candidates, err = s.eligible(ctx, candidates)
	if err != nil {
		return nil, err
	}
	matched := make([]bool, len(candidates))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.runs.Concurrency())
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
	var starts []runs.Start
	for i, c := range candidates {
		rc, ok := contexts[c.customerID]
		if !matched[i] || !ok {
			continue
		}
		evs, err := s.qualifying(ctx, c.def, byCustomer[c.customerID])
		if err != nil {
			return nil, err
		}
		starts = append(starts, runs.Start{Journey: c.def, Customer: rc, Events: evs})
	}
	var entered []target
	for _, res := range s.runs.StartAll(ctx, starts) {
		switch res.Status {
		case runs.EnrolStarted:
			s.runs.CountDetectorEnrolment()
			entered = append(entered, target{workflowID: res.WorkflowID, customerID: res.CustomerID, started: true})
		case runs.EnrolAlreadyRunning:
			entered = append(entered, target{workflowID: res.WorkflowID, customerID: res.CustomerID})
		case runs.EnrolFailed:
			return nil, fmt.Errorf("detector enrolment of %s: %s", res.WorkflowID, res.Error)
		}
	}
	return entered, nil
}

// candidate is a customer a detector may enrol in a journey.
type candidate struct {
	def        *journey.Definition
	customerID string
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
func (s *Service) qualifying(ctx context.Context, def *journey.Definition, batch []store.Event) ([]workflows.Engagement, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	d := def.Detector
	stored, err := s.store.RecentEvents(ctx, batch[0].CustomerID, d.Topics, s.Now().Add(-d.Within.Std()), maxQualifying)
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
func (s *Service) detectorMatches(ctx context.Context, def *journey.Definition, customerID string) (bool, error) {
	d := def.Detector
	now := s.Now()
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
