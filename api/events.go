package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

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

// ingestEvents stores engagement events once each, routes the new ones to
// the customers' running runs, and enrols customers whose engagement meets
// a journey's detector rule.
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
	now := s.now()
	for i := range req.Events {
		req.Events[i].ReceivedAt = now
	}
	inserted, dups, err := s.store.InsertEvents(r.Context(), req.Events)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.metrics.events.WithLabelValues("accepted").Add(float64(len(inserted)))
	s.metrics.events.WithLabelValues("duplicate").Add(float64(len(dups)))
	fresh := make([]store.Event, 0, len(inserted))
	isNew := map[string]bool{}
	for _, id := range inserted {
		isNew[id] = true
	}
	for _, e := range req.Events {
		if isNew[e.ID] {
			fresh = append(fresh, e)
			delete(isNew, e.ID) // a duplicate inside the batch routes once
		}
	}
	signalled, enrolled, err := s.route(r.Context(), fresh)
	if err != nil {
		// Stored events are safe: a retry of the batch reports them as
		// duplicates, and the detector re-runs on the next event.
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, eventsResponse{Accepted: len(inserted), Duplicates: len(dups), Signalled: signalled, Enrolled: enrolled})
}

func (s *Server) validateEvents(ctx context.Context, evs []store.Event) error {
	if len(evs) == 0 {
		return invalid(FieldProblem{Field: "events", Message: "must hold at least one event"})
	}
	if len(evs) > maxEvents {
		return invalid(FieldProblem{Field: "events", Message: fmt.Sprintf("at most %d events per request, got %d", maxEvents, len(evs))})
	}
	var probs []FieldProblem
	var customers []string
	for i, e := range evs {
		f := func(name string) string { return fmt.Sprintf("events[%d].%s", i, name) }
		switch {
		case e.ID == "" || len(e.ID) > 200:
			probs = append(probs, FieldProblem{Field: f("id"), Message: "must be 1 to 200 characters"})
		case e.CustomerID == "":
			probs = append(probs, FieldProblem{Field: f("customer_id"), Message: "is required"})
		case !slices.Contains(store.EventTypes, e.Type):
			probs = append(probs, FieldProblem{Field: f("type"), Message: fmt.Sprintf("%q is not one of %v", e.Type, store.EventTypes)})
		case e.OccurredAt.IsZero():
			probs = append(probs, FieldProblem{Field: f("occurred_at"), Message: "is required (RFC 3339)"})
		case e.OccurredAt.After(s.now().Add(24 * time.Hour)):
			probs = append(probs, FieldProblem{Field: f("occurred_at"), Message: "lies in the future"})
		}
		customers = append(customers, e.CustomerID)
	}
	if len(probs) > 0 {
		return invalid(probs...)
	}
	missing, err := s.store.MissingCustomers(ctx, customers)
	if err != nil {
		return err
	}
	unknown := map[string]bool{}
	for _, id := range missing {
		unknown[id] = true
	}
	for i, e := range evs {
		if unknown[e.CustomerID] {
			probs = append(probs, FieldProblem{Field: fmt.Sprintf("events[%d].customer_id", i), Message: "customer " + e.CustomerID + " does not exist"})
		}
	}
	if len(probs) > 0 {
		return invalid(probs...)
	}
	return nil
}

// route enrols customers in the journeys whose detector they now meet, then
// signals each new event to the customer's running runs as the runs
// projection lists them: one read per batch, so the cost of an event does
// not grow with the number of journeys. The API registers a run there
// before starting it (see startRuns), so a run is listed from its start.
func (s *Server) route(ctx context.Context, evs []store.Event) (signalled, enrolled []string, err error) {
	if len(evs) == 0 {
		return []string{}, []string{}, nil
	}
	byCustomer := map[string][]store.Event{}
	var customers []string
	for _, e := range evs {
		if _, ok := byCustomer[e.CustomerID]; !ok {
			customers = append(customers, e.CustomerID)
		}
		byCustomer[e.CustomerID] = append(byCustomer[e.CustomerID], e)
	}
	entered, err := s.detect(ctx, customers, byCustomer)
	if err != nil {
		return nil, nil, err
	}
	running, err := s.store.RunningRuns(ctx, customers)
	if err != nil {
		return nil, nil, err
	}
	// The runs the detector started or found running get the events that
	// met it, whether or not the projection shows them yet.
	targets := make([]routeTarget, 0, len(entered)+len(running))
	listed := map[string]bool{}
	for _, t := range entered {
		listed[t.workflowID] = true
		targets = append(targets, t)
	}
	for _, r := range running {
		if !listed[r.WorkflowID] {
			listed[r.WorkflowID] = true
			targets = append(targets, routeTarget{workflowID: r.WorkflowID, customerID: r.CustomerID})
		}
	}
	var mu sync.Mutex
	sig, enr := map[string]bool{}, map[string]bool{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.EnrollConcurrency)
	for _, t := range targets {
		g.Go(func() error {
			delivered, err := s.deliver(gctx, t.workflowID, byCustomer[t.customerID])
			mu.Lock()
			defer mu.Unlock()
			if t.started {
				enr[t.workflowID] = true
			} else if delivered {
				sig[t.workflowID] = true
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return sortedKeys(sig), sortedKeys(enr), nil
}

// routeTarget is a run that gets a customer's new events.
type routeTarget struct {
	workflowID, customerID string
	// started: the detector started the run for these events.
	started bool
}

// deliver signals a run its customer's new events in order, and reports
// whether it took them; a run that has ended or never started is skipped.
func (s *Server) deliver(ctx context.Context, workflowID string, evs []store.Event) (bool, error) {
	delivered := false
	for _, e := range evs {
		took, err := s.signalIfRunning(ctx, workflowID, workflows.SignalEngagement, engagementOf(e))
		if err != nil || !took {
			return delivered, err
		}
		delivered = true
	}
	return delivered, nil
}

// detect enrols each customer in the published journeys whose detector rule
// the customer now meets, with one read of run contexts for all of them,
// and returns the runs it started or found already running.
func (s *Server) detect(ctx context.Context, customers []string, byCustomer map[string][]store.Event) ([]routeTarget, error) {
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
			if onTopic(def.Detector, byCustomer[cust]) {
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
		if rc, ok := contexts[c.customerID]; matched[i] && ok {
			starts = append(starts, runStart{def: c.def, rc: rc})
		}
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
	cool := def.Handoff.RecycleAfter.Std()
	if ok && now.Before(ended.Add(cool)) {
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
