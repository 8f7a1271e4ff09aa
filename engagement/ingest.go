package engagement

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
)

// MaxEvents bounds the events of one batch.
const MaxEvents = 10000

// Result says what became of a batch: how many events were new and how
// many stored before, which runs took them (Signalled) and which runs the
// detectors started for them (Enrolled).
type Result struct {
	Accepted   int      `json:"accepted"`
	Duplicates int      `json:"duplicates"`
	Signalled  []string `json:"signalled"`
	Enrolled   []string `json:"enrolled"`
}

// Ingest checks a batch of events (every problem of every event, by its
// place in the batch), stores each event once and feeds every event of the
// batch, new or stored before, to the customers' running runs and to the
// detectors of published journeys. Stored events are safe when routing
// fails: a retry of the batch reports them as duplicates and routes them
// again, and the runs count each event ID once.
//
// An event may name its contact by contact_email instead of customer_id:
// the address is looked up among the contacts and replaced by the
// customer and contact it names, and is never stored.
func (s *Service) Ingest(ctx context.Context, evs []store.Event) (Result, error) {
	if len(evs) > MaxEvents {
		return Result{}, fault.InvalidField("events", fmt.Sprintf("at most %d events per request, got %d", MaxEvents, len(evs)))
	}
	unresolved, err := s.resolveEmails(ctx, evs)
	if err != nil {
		return Result{}, err
	}
	for i := range evs {
		if evs[i].Source == "" {
			evs[i].Source = store.SourceAPI
		}
	}
	if err := s.validate(ctx, evs, unresolved); err != nil {
		return Result{}, err
	}
	return s.record(ctx, evs)
}

// maxContactEmail bounds an address, as RFC 5321 bounds a path.
const maxContactEmail = 254

// resolveEmails names the customer and contact of every event that gives
// contact_email, and clears the address. It returns, by the event's place
// in the batch, why an address named nobody (or more than one account, or
// another customer than customer_id).
func (s *Service) resolveEmails(ctx context.Context, evs []store.Event) (map[int]string, error) {
	var emails []string
	for _, e := range evs {
		if e.ContactEmail != "" && len(e.ContactEmail) <= maxContactEmail {
			emails = append(emails, e.ContactEmail)
		}
	}
	problems := map[int]string{}
	if len(emails) == 0 {
		return problems, nil
	}
	slices.Sort(emails)
	found, err := s.store.ContactsByEmail(ctx, slices.Compact(emails))
	if err != nil {
		return nil, err
	}
	for i := range evs {
		e := &evs[i]
		if e.ContactEmail == "" {
			continue
		}
		refs := found[e.ContactEmail]
		if e.CustomerID != "" {
			refs = slices.DeleteFunc(slices.Clone(refs), func(r store.ContactRef) bool { return r.CustomerID != e.CustomerID })
		}
		switch {
		case len(e.ContactEmail) > maxContactEmail:
			problems[i] = fmt.Sprintf("at most %d characters", maxContactEmail)
		case len(refs) == 0 && e.CustomerID != "":
			problems[i] = "no contact of customer " + e.CustomerID + " has this address"
		case len(refs) == 0:
			problems[i] = "no contact has this address"
		case len(refs) > 1 && e.CustomerID == "":
			problems[i] = "contacts of several customers have this address: name the customer in customer_id"
		case e.ContactID != "" && e.ContactID != refs[0].ContactID:
			problems[i] = "is not the address of contact " + e.ContactID
		default:
			e.CustomerID, e.ContactID = refs[0].CustomerID, refs[0].ContactID
		}
		e.ContactEmail = ""
	}
	return problems, nil
}

// record is the one way in for engagement events, whatever their source:
// it stores each event once by ID, then routes every distinct event of evs,
// new or stored before, as route does. Routing repeats too is what makes a
// retry deliver what an attempt that failed half-way did not: the runs count
// an event ID once, and the detectors see the stored events.
//
// A repeat is routed as it was stored, not as posted again: an ID reused for
// another customer or type must not reach that customer's runs, which would
// count it under an ID already taken.
//
// The events must name existing customers (store.InsertEvents refuses the
// batch otherwise). ReceivedAt is the server's clock, whatever the source
// sent.
func (s *Service) record(ctx context.Context, evs []store.Event) (Result, error) {
	now := s.Now()
	for i := range evs {
		evs[i].ReceivedAt = now
	}
	inserted, dups, err := s.store.InsertEvents(ctx, evs)
	if err != nil {
		return Result{}, err
	}
	s.metrics.events.WithLabelValues("accepted").Add(float64(len(inserted)))
	s.metrics.events.WithLabelValues("duplicate").Add(float64(len(dups)))
	routed, err := s.asStored(ctx, evs, dups)
	if err != nil {
		return Result{}, err
	}
	signalled, enrolled, err := s.route(ctx, routed)
	if err != nil {
		return Result{}, err
	}
	return Result{Accepted: len(inserted), Duplicates: len(dups), Signalled: signalled, Enrolled: enrolled}, nil
}

// asStored replaces each event of evs whose ID was stored before (dups) by
// the stored event, read in one query. One no longer stored is dropped.
func (s *Service) asStored(ctx context.Context, evs []store.Event, dups []string) ([]store.Event, error) {
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
var eventFieldOrder = []string{"id", "customer_id", "contact_id", "contact_email", "type", "topic", "product",
	"content_id", "url", "run_id", "step", "note", "occurred_at"}

// validate lists every problem of every event, by path (events[3].note), in
// the order of the batch: what the store would refuse (store.EventProblems,
// so the limits cannot drift from the schema's), plus what only ripen
// knows: unknown customers, times in the future, and the offer of a
// fast-lane request.
func (s *Service) validate(ctx context.Context, evs []store.Event, emailProblems map[int]string) error {
	if len(evs) == 0 {
		return fault.InvalidField("events", "must hold at least one event")
	}
	if len(evs) > MaxEvents {
		return fault.InvalidField("events", fmt.Sprintf("at most %d events per request, got %d", MaxEvents, len(evs)))
	}
	customers := make([]string, 0, len(evs))
	var ordered []string
	for _, e := range evs {
		if e.CustomerID != "" {
			customers = append(customers, e.CustomerID)
		}
		if e.Type == store.OrderType && e.Product != "" {
			ordered = append(ordered, e.Product)
		}
	}
	unknown, err := store.MissingSet(ctx, s.store.MissingCustomers, customers)
	if err != nil {
		return err
	}
	uncatalogued, err := store.MissingSet(ctx, s.store.MissingProducts, ordered)
	if err != nil {
		return err
	}
	now := s.Now()
	var probs []fault.Field
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
		if msg, ok := emailProblems[i]; ok {
			// The address was to name the customer: that it did not is
			// the one problem, not a missing customer_id besides.
			bad["contact_email"] = msg
			if e.CustomerID == "" {
				delete(bad, "customer_id")
			}
		}
		check("customer_id", !unknown[e.CustomerID], "customer "+e.CustomerID+" does not exist")
		if e.Type == store.OrderType {
			check("product", !uncatalogued[e.Product], journey.UnknownProduct(e.Product))
		}
		if e.OccurredAt.IsZero() {
			bad["occurred_at"] = "is required (RFC 3339)"
		}
		check("occurred_at", !e.OccurredAt.After(now.Add(24*time.Hour)), "lies in the future")
		if e.Type == store.FastLaneType {
			// The topic of a fast-lane request names its offer: what the
			// run hands off, as the signals' offer does.
			check("topic", runs.ValidOffer(e.Topic), "a fast-lane event names its offer here: one of "+strings.Join(journey.FastLaneOffers, ", "))
		}
		fields := make([]string, 0, len(bad))
		for f := range bad {
			fields = append(fields, f)
		}
		slices.SortFunc(fields, func(a, b string) int {
			return cmp.Or(cmp.Compare(fieldRank(a), fieldRank(b)), cmp.Compare(a, b))
		})
		for _, f := range fields {
			probs = append(probs, fault.Field{Field: fmt.Sprintf("events[%d].%s", i, f), Message: bad[f]})
		}
	}
	if len(probs) > 0 {
		return fault.InvalidFields(probs...)
	}
	return nil
}

func fieldRank(field string) int {
	if i := slices.Index(eventFieldOrder, field); i >= 0 {
		return i
	}
	return len(eventFieldOrder)
}
