package runs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Signal types a caller may send to a run.
const (
	SignalFastLane      = "fast-lane"
	SignalSalesFeedback = "sales-feedback"
	SignalPause         = "pause"
	SignalResume        = "resume"
	SignalStop          = "stop"
)

// Signal is one of: fast-lane {offer, note}; sales-feedback {outcome,
// note}; pause, resume, stop {reason}.
type Signal struct {
	Type    string `json:"type"`
	Offer   string `json:"offer,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	Note    string `json:"note,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Signalled is what became of a signal: Applied when the run has acted on
// it already (sales feedback that the run applied, with the run's new
// state in Run); else the run has it and will act on it.
type Signalled struct {
	WorkflowID string
	Applied    bool
	Run        *View
}

// MaxNote bounds a note (a fast-lane request's, an answer's), in characters.
const MaxNote = 2000

// ValidOffer: o is a fast-lane offer a contact may ask for.
func ValidOffer(o string) bool { return slices.Contains(journey.FastLaneOffers, o) }

// ValidOutcome checks sales' answer to a hand-off: the one place that
// names the outcomes to a caller (the run checks them again).
func ValidOutcome(outcome string) error {
	if !workflows.ValidFeedback(outcome) {
		return fault.InvalidField("outcome", "must be one of accepted, won, lost, rejected, not-ready")
	}
	return nil
}

// Signal sends a signal to the run of a journey and customer, as the
// caller's role allows that type (Forbidden otherwise) and only to a run of
// the caller's owner's customers (another's is not found).
func (s *Service) Signal(ctx context.Context, c Caller, journeyID, customerID string, sig Signal) (Signalled, error) {
	id := workflows.WorkflowID(journeyID, customerID)
	out := Signalled{WorkflowID: id}
	if _, known := signalRoles[sig.Type]; !known {
		return out, fault.InvalidField("type", "must be one of fast-lane, sales-feedback, pause, resume, stop")
	}
	if err := c.maySend(sig.Type); err != nil {
		return out, err
	}
	if err := s.seesCustomer(ctx, c, customerID, noRun(id)); err != nil {
		return out, err
	}
	var err error
	switch sig.Type {
	case SignalFastLane:
		err = s.fastLane(ctx, journeyID, customerID, sig.Offer, sig.Note)
	case SignalSalesFeedback:
		return s.answerRunOrHandoff(ctx, id, sig.Outcome, sig.Note)
	case SignalPause, SignalResume, SignalStop:
		// At orders a pause and a resume that reach the run together.
		err = s.temporal.SignalWorkflow(ctx, id, "", sig.Type, workflows.Control{Reason: sig.Reason, At: s.Now()})
		if err != nil {
			err = temporalErr(err, id)
		}
	}
	if err != nil {
		return out, err
	}
	s.countSignal(sig.Type)
	return out, nil
}

// fastLane stores a fast-lane request signalled by sales or marketing (its
// note stays in Postgres) and signals the run with the event ID.
func (s *Service) fastLane(ctx context.Context, journeyID, customerID, offer, note string) error {
	var fields []fault.Field
	if !ValidOffer(offer) {
		fields = append(fields, fault.Field{Field: "offer", Message: "must be one of " + strings.Join(journey.FastLaneOffers, ", ")})
	}
	if utf8.RuneCountInString(note) > MaxNote {
		fields = append(fields, fault.Field{Field: "note", Message: "must be at most 2000 characters"})
	}
	if len(fields) > 0 {
		return fault.InvalidFields(fields...)
	}
	if _, err := s.store.GetCustomer(ctx, customerID); err != nil {
		return err
	}
	// The event ID is the server's own: a client-set ID could name another
	// customer's stored request, and the run would then read its note.
	ev := store.Event{ID: "fast-lane-api-" + randomID(), CustomerID: customerID, Type: store.FastLaneType,
		RunID: workflows.WorkflowID(journeyID, customerID), Note: note, Topic: offer, Source: store.SourceAPI, OccurredAt: s.Now()}
	if _, _, err := s.store.InsertEvents(ctx, []store.Event{ev}); err != nil {
		return err
	}
	err := s.temporal.SignalWorkflow(ctx, ev.RunID, "", workflows.SignalFastLane, workflows.FastLane{EventID: ev.ID, Offer: offer, At: ev.OccurredAt})
	if err != nil {
		return temporalErr(err, ev.RunID)
	}
	return nil
}

// Unsubscribe tells runs that a contact unsubscribed (or bounced, or
// reported spam): the runs named and every running run of the customer.
// The address is suppressed already; this is what ends the runs early.
// Every run is tried; the first failure is returned.
func (s *Service) Unsubscribe(ctx context.Context, customerID string, runIDs []string, ctl workflows.Control) error {
	ids := make([]string, 0, len(runIDs)+2)
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, id := range runIDs {
		add(id)
	}
	var errs []error
	if customerID != "" {
		running, err := s.store.RunningRuns(ctx, []string{customerID})
		errs = append(errs, err)
		for _, run := range running {
			add(run.WorkflowID)
		}
	}
	for _, id := range ids {
		_, err := s.Send(ctx, id, workflows.SignalUnsubscribe, ctl)
		errs = append(errs, err)
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Running lists the workflow IDs of a customer's running runs, as the runs
// projection has them.
func (s *Service) Running(ctx context.Context, customerID string) ([]string, error) {
	running, err := s.store.RunningRuns(ctx, []string{customerID})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(running))
	for i, r := range running {
		ids[i] = r.WorkflowID
	}
	return ids, nil
}

// randomID is an ID for events ripen records on its own.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
