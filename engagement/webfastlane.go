package engagement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/logging"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/sites"
	"github.com/ripen/ripen/store"
)

// Identities of a landing-page request.
const (
	// IdentitySigned: the visitor is known by a signed rpn.
	IdentitySigned = "signed"
	// IdentityClaimed: the sender only typed a contact's address.
	IdentityClaimed = "claimed"
)

// WebFastLane is a landing-page fast-lane form, sent by ripen's script from
// a page of a registered site. VisitorID is "" when the page may not track
// (no consent, or Global Privacy Control): the request is the person's own
// act and is sent all the same, without the cookie. Email is what they
// typed into the form, if the form asks for it.
type WebFastLane struct {
	Site      sites.Site
	VisitorID string
	Offer     string
	Note      string
	Email     string
	URL       string
	Origin    string
	At        time.Time
}

// WebFastLaneResult says who a landing-page request was taken for.
type WebFastLaneResult struct {
	// Identity is IdentitySigned, IdentityClaimed, or "" when the request
	// names nobody ripen knows (a prospect: the site's own form handler is
	// theirs, ripen nurtures customers).
	Identity   string
	CustomerID string
	EventID    string
}

// maxFormEmail bounds a typed address, as RFC 5321 bounds a path.
const maxFormEmail = 254

// RequestWebFastLane takes a landing-page request for sales. A visitor
// known by a signed identity asks as that contact, as on the email's /f/
// page; an address typed into the form is a claimed identity: stored as
// claimed (web_claims), and the request goes to sales marked so (source
// web-claimed), since a person asked, while the visitor's page views go on
// not scoring. The request is a fast-lane event, routed as one posted to
// /v1/events: to the running run that offers it, else to the owner as a
// hand-off without a run. Sent again the same day, it counts once.
func (s *Service) RequestWebFastLane(ctx context.Context, r WebFastLane) (WebFastLaneResult, error) {
	page, err := s.checkFastLane(r)
	if err != nil {
		return WebFastLaneResult{}, err
	}
	ref, identity, err := s.requester(ctx, r)
	if err != nil || identity == "" {
		return WebFastLaneResult{}, err
	}
	source := store.SourceWeb
	if identity == IdentityClaimed {
		source = store.SourceWebClaimed
		if err := s.store.ClaimVisitor(ctx, r.Site.ID, r.VisitorID, ref); err != nil {
			return WebFastLaneResult{}, err
		}
	}
	day := r.At.UTC().Format(time.DateOnly)
	sum := sha256.Sum256([]byte(strings.Join([]string{r.Site.ID, ref.CustomerID, ref.ContactID, r.Offer, day}, "\x00")))
	ev := store.Event{ID: "web-fast-lane-" + hex.EncodeToString(sum[:12]), CustomerID: ref.CustomerID, ContactID: ref.ContactID,
		Type: store.FastLaneType, Topic: r.Offer, Note: r.Note, URL: page, Source: source, OccurredAt: r.At}
	if _, err := s.record(ctx, []store.Event{ev}); err != nil {
		return WebFastLaneResult{}, fmt.Errorf("record landing-page request of site %s: %w", r.Site.ID, err)
	}
	return WebFastLaneResult{Identity: identity, CustomerID: ref.CustomerID, EventID: ev.ID}, nil
}

// checkFastLane refuses a request the site did not send or that is
// malformed, every bad field named, and returns its page (origin and path).
func (s *Service) checkFastLane(r WebFastLane) (string, error) {
	if !r.Site.AllowsOrigin(r.Origin) {
		return "", fault.Newf(fault.Forbidden, "origin %q is not one of site %s's origins", r.Origin, r.Site.ID)
	}
	var probs []fault.Field
	if !runs.ValidOffer(r.Offer) {
		probs = append(probs, fault.Field{Field: "offer", Message: "must be one of " + strings.Join(journey.FastLaneOffers, ", ")})
	}
	if r.VisitorID != "" && !visitorID.MatchString(r.VisitorID) {
		probs = append(probs, fault.Field{Field: "visitor", Message: "must be 16 to 64 letters, digits, - or _"})
	}
	if n := utf8.RuneCountInString(r.Note); n > runs.MaxNote || !utf8.ValidString(r.Note) {
		probs = append(probs, fault.Field{Field: "note", Message: fmt.Sprintf("must be at most %d characters of text", runs.MaxNote)})
	}
	if r.Email != "" {
		a, err := mail.ParseAddress(r.Email)
		if err != nil || a.Address != r.Email || len(r.Email) > maxFormEmail {
			probs = append(probs, fault.Field{Field: "email", Message: "must be an email address"})
		}
	}
	u, prob := sitePage(r.Site, r.URL)
	if prob != nil {
		probs = append(probs, *prob)
	}
	if len(probs) > 0 {
		return "", fault.InvalidFields(probs...)
	}
	return strings.ToLower(u.Scheme+"://"+u.Host) + u.Path, nil
}

// requester is who asked: the contact the visitor is known as, else the
// contact whose address was typed (of one account only; an address two
// accounts share names neither), else nobody.
func (s *Service) requester(ctx context.Context, r WebFastLane) (store.ContactRef, string, error) {
	if r.VisitorID != "" {
		ref, known, err := s.store.VisitorContact(ctx, r.Site.ID, r.VisitorID)
		if err != nil || known {
			return ref, IdentitySigned, err
		}
	}
	if r.Email == "" {
		return store.ContactRef{}, "", nil
	}
	found, err := s.store.ContactsByEmail(ctx, []string{r.Email})
	if err != nil {
		return store.ContactRef{}, "", err
	}
	refs := found[r.Email]
	customers := map[string]bool{}
	for _, ref := range refs {
		customers[ref.CustomerID] = true
	}
	if len(customers) != 1 {
		logging.From(ctx, s.log).Info().Str("site", r.Site.ID).Int("accounts", len(customers)).
			Msg("a landing-page request names no customer's contact: left to the site's own form handler")
		return store.ContactRef{}, "", nil
	}
	return refs[0], IdentityClaimed, nil
}
