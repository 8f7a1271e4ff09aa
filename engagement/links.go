package engagement

// What happens behind the links in ripen's emails: a click on a tracked
// link, a fast-lane request confirmed on its page, an unsubscribe.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/logging"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Recipient is who a link was sent to, as far as the store still knows.
type Recipient struct {
	ContactID, CustomerID string
	Locale                string
	FirstName, Email      string
	OwnerName, OwnerEmail string
}

// Recipient loads a link's contact, customer and account owner. A contact
// or customer deleted since the email went out is no error: the recipient
// then names nobody (a contact gone leaves the customer of the run's
// workflow ID).
func (s *Service) Recipient(ctx context.Context, c linktoken.Claims) (Recipient, error) {
	who := Recipient{ContactID: c.ContactID}
	if c.ContactID != "" {
		ct, customerID, err := s.store.GetContact(ctx, c.ContactID)
		switch {
		case err == nil:
			who.CustomerID, who.Locale, who.FirstName, who.Email = customerID, ct.Locale, ct.FirstName, ct.Email
		case !errors.Is(err, store.ErrNotFound):
			return Recipient{}, err
		}
	}
	if who.CustomerID == "" {
		_, who.CustomerID, _ = runs.SplitWorkflowID(c.RunID)
	}
	if who.CustomerID == "" {
		return who, nil
	}
	cust, err := s.store.GetCustomer(ctx, who.CustomerID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		who.CustomerID = ""
	case err != nil:
		return who, err
	default:
		who.OwnerName, who.OwnerEmail = cust.Owner.Name, cust.Owner.Email
	}
	return who, nil
}

// Click records a fetch of tracked link token (claims c) in visit v. A
// person's click is routed as POST /v1/events would route it: to its own
// run with the step, to the customer's other runs as interest in the
// topic, and to the detectors of other journeys. A machine's (see
// machine.go) is only recorded as a link fetch: it scores nothing and
// reaches no run or detector, and the person's own click of that link
// later still counts.
//
// A click's event ID derives from the token and the UTC day, so a link
// counts once a day however often it is followed (a double click, a reload,
// or someone replaying the link to raise the score); a click on a later day
// counts again. It is routed even when stored before, as an earlier attempt
// may have stopped in between.
func (s *Service) Click(ctx context.Context, token string, c linktoken.Claims, v Visit) error {
	who, err := s.Recipient(ctx, c)
	if err != nil {
		return err
	}
	if who.CustomerID == "" {
		return fmt.Errorf("click on %s: no customer for contact %q", c.RunID, c.ContactID)
	}
	link, trap := digest(token), c.Kind == linktoken.KindTrap
	fetch, corrected, err := s.store.RecordLinkFetch(ctx, store.LinkFetch{
		CustomerID: who.CustomerID, RunID: c.RunID, Step: c.Step, Cycle: c.Cycle, ContactID: c.ContactID,
		Link: link, Trap: trap, FetchedAt: v.At,
	}, v.At.Add(-max(ScanWindow, BurstWindow)), func(earlier []store.LinkFetch) store.FetchVerdict {
		return judge(v, link, trap, earlier)
	})
	if err != nil {
		return fmt.Errorf("record link fetch on %s: %w", c.RunID, err)
	}
	var taken []string
	for _, f := range corrected {
		if f.EventID != "" {
			taken = append(taken, f.EventID)
		}
	}
	if err := s.store.ForgetClicks(ctx, taken); err != nil {
		return fmt.Errorf("take back machine clicks on %s: %w", c.RunID, err)
	}
	if fetch.Machine {
		return nil
	}

	journeyID, _, _ := runs.SplitWorkflowID(c.RunID)
	contentID, topic := s.journeys.StepContent(ctx, journeyID, c.Step)
	ev := store.Event{
		ID: clickID(token, v.At), CustomerID: who.CustomerID,
		ContactID: c.ContactID, Type: "click", Topic: topic, ContentID: contentID, URL: c.Target,
		RunID: c.RunID, Step: c.Step, Source: store.SourceEmail, OccurredAt: v.At, ReceivedAt: s.Now(),
	}
	inserted, dups, err := s.store.InsertEvents(ctx, []store.Event{ev})
	if err != nil {
		return fmt.Errorf("record click %s: %w", ev.ID, err)
	}
	s.metrics.events.WithLabelValues("accepted").Add(float64(len(inserted)))
	s.metrics.events.WithLabelValues("duplicate").Add(float64(len(dups)))
	if len(inserted) == 1 {
		// A later fetch of the email may have found this one a machine's
		// between its verdict and now, before the event was there to
		// take back: then it is taken back here, and never routed.
		machine, err := s.store.SetLinkFetchEvent(ctx, fetch.ID, ev.ID)
		if err != nil {
			return fmt.Errorf("record click %s: %w", ev.ID, err)
		}
		if machine {
			return s.store.ForgetClicks(ctx, []string{ev.ID})
		}
	}
	routed, err := s.asStored(ctx, []store.Event{ev}, dups)
	if err != nil {
		return fmt.Errorf("record click %s: %w", ev.ID, err)
	}
	if _, _, err := s.route(ctx, routed); err != nil {
		return fmt.Errorf("route click %s: %w", ev.ID, err)
	}
	return nil
}

// FastLaneRequest is a contact's request for sales, confirmed on the page
// of fast-lane link Token (claims: the run, step and offer asked for).
type FastLaneRequest struct {
	Token  string
	Claims linktoken.Claims
	// CustomerID is the recipient's customer ("" when it is gone).
	CustomerID string
	Note       string
	At         time.Time
}

// RequestFastLane stores the request (with the contact's note) as a
// fast-lane event and signals the run, once per link however often it is
// sent (the event ID derives from the token; the first note wins). When the
// run has ended, the stored request goes to the owner as a hand-off without
// a run, as one posted to /v1/events does. heard is false only when nobody
// will act on it: the run has ended and the customer is gone.
func (s *Service) RequestFastLane(ctx context.Context, r FastLaneRequest) (heard bool, err error) {
	c := r.Claims
	id := "fast-lane-" + digest(r.Token)
	stored := false
	if r.CustomerID != "" {
		// The offer is the topic, as for a fast-lane event posted to
		// /v1/events: an ID posted again there is routed as stored.
		ev := store.Event{ID: id, CustomerID: r.CustomerID, ContactID: c.ContactID, Type: store.FastLaneType,
			RunID: c.RunID, Step: c.Step, Topic: c.Target, Note: r.Note, Source: store.SourceEmail, OccurredAt: r.At, ReceivedAt: r.At}
		inserted, _, err := s.store.InsertEvents(ctx, []store.Event{ev})
		switch {
		case errors.Is(err, store.ErrInvalid):
			// The customer is gone; the run, if any, still hears it.
			logging.From(ctx, s.log).Warn().Err(err).Msg("fast-lane event not stored")
		case err != nil:
			return false, err
		case len(inserted) == 1:
			stored = true
			s.metrics.events.WithLabelValues("accepted").Inc()
		default:
			stored = true
			s.metrics.events.WithLabelValues("duplicate").Inc()
		}
	}
	// The note stays in Postgres with the event; the run gets the event ID,
	// so no personal text enters workflow history.
	heard, err = s.runs.Send(ctx, c.RunID, workflows.SignalFastLane, workflows.FastLane{
		EventID: id, Offer: c.Target, ContactID: c.ContactID, At: r.At,
	})
	if err != nil || heard || !stored {
		return heard, err
	}
	in := workflows.FastLaneHandoffInput{EventID: id, CustomerID: r.CustomerID, Offer: c.Target}
	if err := s.runs.StartFastLaneHandoff(ctx, in); err != nil {
		return false, fmt.Errorf("hand off fast lane %s without a run: %w", id, err)
	}
	return true, nil
}

// Unsubscribe suppresses the recipient's address and stops the run of the
// link and every running run of the recipient's customer. Once the
// address is suppressed no email goes to it whatever happens next, so a
// run that could not be stopped is logged, not returned.
func (s *Service) Unsubscribe(ctx context.Context, who Recipient, runID, reason string) error {
	if who.Email != "" {
		if err := s.store.Suppress(ctx, who.Email, "unsubscribe", "link"); err != nil {
			return fmt.Errorf("unsubscribe contact %s: %w", who.ContactID, withoutAddresses(err))
		}
	}
	ctl := workflows.Control{Reason: reason, ContactID: who.ContactID}
	if err := s.runs.Unsubscribe(ctx, who.CustomerID, []string{runID}, ctl); err != nil {
		logging.From(ctx, s.log).Error().Err(err).Str("customer_id", who.CustomerID).Msg("unsubscribed, but not every run was stopped")
	}
	return nil
}

// clickID is the event ID of a click on a tracked link: one per link and
// UTC day.
func clickID(token string, at time.Time) string {
	return "click-" + digest(token) + "-" + at.UTC().Format("20060102")
}

// digest names a link in event IDs without repeating its token.
func digest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:12])
}
