package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
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

// route signals each new event to the customer's run of every published
// journey (the workflow ID is known, so no lookup is stale), and starts runs
// for journeys whose detector the customer now meets.
func (s *Server) route(ctx context.Context, evs []store.Event) (signalled, enrolled []string, err error) {
	if len(evs) == 0 {
		return []string{}, []string{}, nil
	}
	versions, err := s.store.ListJourneys(ctx)
	if err != nil {
		return nil, nil, err
	}
	defs := make([]*journey.Definition, 0, len(versions))
	for _, jv := range versions {
		v, err := viewJourney(jv)
		if err != nil {
			return nil, nil, err
		}
		defs = append(defs, v.Definition)
	}
	byCustomer := map[string][]store.Event{}
	var order []string
	for _, e := range evs {
		if _, ok := byCustomer[e.CustomerID]; !ok {
			order = append(order, e.CustomerID)
		}
		byCustomer[e.CustomerID] = append(byCustomer[e.CustomerID], e)
	}
	var mu sync.Mutex
	sig, enr := map[string]bool{}, map[string]bool{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.EnrollConcurrency)
	for _, cust := range order {
		for _, def := range defs {
			g.Go(func() error {
				started, delivered, err := s.routeToJourney(gctx, def, cust, byCustomer[cust])
				mu.Lock()
				defer mu.Unlock()
				id := workflows.WorkflowID(def.ID, cust)
				if started {
					enr[id] = true
				} else if delivered {
					sig[id] = true
				}
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return sortedKeys(sig), sortedKeys(enr), nil
}

func (s *Server) routeToJourney(ctx context.Context, def *journey.Definition, customerID string, evs []store.Event) (started, delivered bool, err error) {
	id := workflows.WorkflowID(def.ID, customerID)
	if ok, err := s.detectorMatches(ctx, def, customerID, evs); err != nil {
		return false, false, err
	} else if ok {
		res := s.startRun(ctx, def, customerID)
		switch res.Status {
		case EnrolStarted:
			started = true
			s.metrics.enrollments.WithLabelValues("detector").Inc()
		case EnrolFailed:
			return false, false, fmt.Errorf("detector enrolment of %s: %s", id, res.Error)
		}
	}
	for _, e := range evs {
		err := s.temporal.SignalWorkflow(ctx, id, "", workflows.SignalEngagement, workflows.Engagement{
			EventID: e.ID, Kind: e.Type, StepID: e.Step, Topic: e.Topic, ContentID: e.ContentID, ContactID: e.ContactID, At: e.OccurredAt,
		})
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return started, false, nil // the customer is not in this journey
		}
		if err != nil {
			return started, delivered, fmt.Errorf("signal %s: %w", id, err)
		}
		delivered = true
		s.metrics.signals.WithLabelValues("engagement").Inc()
	}
	return started, delivered, nil
}

// detectorMatches: some event is on the detector's topics, the customer has
// enough such events in the window, and no earlier run ended within the
// journey's cool-down.
func (s *Server) detectorMatches(ctx context.Context, def *journey.Definition, customerID string, evs []store.Event) (bool, error) {
	d := def.Detector
	if d == nil || d.MinEvents < 1 {
		return false, nil
	}
	onTopic := false
	for _, e := range evs {
		onTopic = onTopic || (e.Topic != "" && slices.Contains(d.Topics, e.Topic))
	}
	if !onTopic {
		return false, nil
	}
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
