// Package sales is the use case of the sales surfaces: the signed hand-off
// page (/h/) a rep opens from the hand-off email, and the rep's inbox,
// signed in by a link emailed to the owner's address. Both answer through
// runs.Service.AnswerHandoff, the same use case as the API, so the first
// answer wins whichever channel gives it.
//
// It returns fault errors and knows no HTTP; it never calls Temporal but
// through package runs.
package sales

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journeys"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Mailer sends one email; sendgrid.Client is the real one.
type Mailer interface {
	Send(ctx context.Context, msg sendgrid.Message) (messageID string, err error)
}

// Config tunes the service; zero durations keep the defaults.
type Config struct {
	// PublicURL is the base of the links the service emails.
	PublicURL string
	From      sendgrid.Address
	// HandoffLinkTTL is how long a fresh hand-off link works
	// (linktoken.DefaultHandoffTTL).
	HandoffLinkTTL time.Duration
	// SignInTTL is how long an emailed sign-in link works (15 minutes),
	// SessionTTL how long a session lasts (12 hours).
	SignInTTL  time.Duration
	SessionTTL time.Duration
	// InboxLinkTTL is how long the /h/ links on the inbox page work (a
	// day): the page is reloaded more often than that.
	InboxLinkTTL time.Duration
}

// Service is the sales surfaces' use case.
type Service struct {
	store    *store.Store
	runs     *runs.Service
	journeys *journeys.Service
	links    *linktoken.Signer
	mail     Mailer
	cfg      Config
	log      zerolog.Logger
	// Now is the clock (time.Now); tests may set it.
	Now func() time.Time
}

// New builds the service. Without links no link is valid; without mail
// (nil) the emails it would send fail.
func New(st *store.Store, rs *runs.Service, js *journeys.Service, links *linktoken.Signer, mail Mailer, cfg Config, log zerolog.Logger) *Service {
	if cfg.HandoffLinkTTL <= 0 {
		cfg.HandoffLinkTTL = linktoken.DefaultHandoffTTL
	}
	if cfg.SignInTTL <= 0 {
		cfg.SignInTTL = 15 * time.Minute
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.InboxLinkTTL <= 0 {
		cfg.InboxLinkTTL = 24 * time.Hour
	}
	return &Service{store: st, runs: rs, journeys: js, links: links, mail: mail, cfg: cfg, log: log, Now: time.Now}
}

// SignInTTL is how long an emailed sign-in link works.
func (s *Service) SignInTTL() time.Duration { return s.cfg.SignInTTL }

// SessionTTL is how long a session lasts.
func (s *Service) SessionTTL() time.Duration { return s.cfg.SessionTTL }

// ErrLinkExpired is the fault of an authentic hand-off link past its
// expiry: the page offers to email a fresh one.
var ErrLinkExpired = &fault.Error{Kind: fault.Gone, Detail: "this hand-off link has expired"}

// noLink is the answer to a link that is not one of ours, or whose
// hand-off is gone: the same, so a guess learns nothing.
func noLink() error { return fault.Newf(fault.NotFound, "no such hand-off link") }

// handoffOfLink checks a hand-off link and loads its hand-off. An expired
// one gives the hand-off's ID and ErrLinkExpired.
func (s *Service) handoffOfLink(ctx context.Context, token string) (store.Handoff, error) {
	if s.links == nil {
		return store.Handoff{}, noLink()
	}
	c, err := s.links.VerifyKind(token, linktoken.KindHandoff, s.Now())
	switch {
	case errors.Is(err, linktoken.ErrExpired):
		return store.Handoff{ID: c.Target}, ErrLinkExpired
	case err != nil || c.Target == "":
		return store.Handoff{}, noLink()
	}
	h, err := s.store.GetHandoff(ctx, c.Target)
	if errors.Is(err, store.ErrNotFound) {
		return store.Handoff{}, noLink()
	}
	if err != nil {
		return store.Handoff{}, fmt.Errorf("load the hand-off of a link: %w", err)
	}
	return h, nil
}

// Engaged is one engagement of the evidence as the page lists it.
type Engaged struct {
	At        time.Time
	ContactID string
	Who       string // the contact's name, "" when unknown
	Kind      string // open, click, visit, download, fast_lane
	What      string // the content's title, or its topic
	Points    float64
}

// Page is what the hand-off page shows.
type Page struct {
	runs.HandoffView
	Evidence workflows.Evidence
	// Engaged is the evidence's engagements, newest first, each with its
	// contact's name and its content's title.
	Engaged []Engaged
	// Threshold is the journey's MQN threshold (0 without a run).
	Threshold float64
}

// Handoff is the page of a hand-off link. It changes nothing: mail
// scanners fetch every link.
func (s *Service) Handoff(ctx context.Context, token string) (Page, error) {
	h, err := s.handoffOfLink(ctx, token)
	if err != nil {
		return Page{}, err
	}
	return s.page(ctx, h)
}

func (s *Service) page(ctx context.Context, h store.Handoff) (Page, error) {
	v, err := s.runs.DescribeHandoff(ctx, h)
	if err != nil {
		return Page{}, err
	}
	p := Page{HandoffView: v}
	if len(h.Evidence) > 0 {
		if err := json.Unmarshal(h.Evidence, &p.Evidence); err != nil {
			return Page{}, fmt.Errorf("read the evidence of hand-off %s: %w", h.ID, err)
		}
	}
	if h.JourneyID != "" && s.journeys != nil {
		def, err := s.journeys.Definition(ctx, h.JourneyID, 0)
		if err != nil {
			return Page{}, fmt.Errorf("load journey %s of hand-off %s: %w", h.JourneyID, h.ID, err)
		}
		if def != nil {
			p.Threshold = def.MQN.Threshold
		}
	}
	names := map[string]string{}
	if c, err := s.store.GetCustomer(ctx, h.CustomerID); err == nil {
		for _, ct := range c.Contacts {
			names[ct.ID] = cmp.Or(ct.Name(), ct.Email)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return Page{}, fmt.Errorf("load customer %s of hand-off %s: %w", h.CustomerID, h.ID, err)
	}
	stepContent := map[string]string{}
	for _, sent := range p.Evidence.Sends {
		stepContent[sent.StepID] = sent.ContentID
	}
	titles := map[string]string{}
	for i := len(p.Evidence.Engagements) - 1; i >= 0; i-- {
		e := p.Evidence.Engagements[i]
		contentID := e.ContentID
		if contentID == "" {
			contentID = stepContent[e.StepID]
		}
		what := e.Topic
		if contentID != "" {
			title, err := s.title(ctx, titles, contentID)
			if err != nil {
				return Page{}, err
			}
			what = title
		}
		p.Engaged = append(p.Engaged, Engaged{At: e.At, ContactID: e.ContactID, Who: names[e.ContactID], Kind: e.Kind, What: what, Points: e.Points})
	}
	return p, nil
}

// title is a content's title (its ID when the store no longer has it),
// read once per page.
func (s *Service) title(ctx context.Context, titles map[string]string, contentID string) (string, error) {
	if t, ok := titles[contentID]; ok {
		return t, nil
	}
	c, err := s.store.GetContent(ctx, contentID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		titles[contentID] = contentID
	case err != nil:
		return "", fmt.Errorf("load content %s: %w", contentID, err)
	default:
		titles[contentID] = c.Title
	}
	return titles[contentID], nil
}

// Answer gives the owner's answer on a hand-off link, through the same use
// case as the API, as sales of the hand-off's owner. A hand-off answered
// before is a Conflict naming the answer that counts (AnsweredAs reads it).
func (s *Service) Answer(ctx context.Context, token, outcome, note string) (runs.Answered, error) {
	h, err := s.handoffOfLink(ctx, token)
	if err != nil {
		return runs.Answered{}, err
	}
	return s.runs.AnswerHandoff(ctx, runs.Caller{Role: store.RoleSales, OwnerID: h.OwnerID}, h.ID, outcome, note)
}

// AnsweredAs is the outcome that counts for hand-off id ("" while none),
// or withdrawn: for the page that tells a second answer why it was not
// taken.
func (s *Service) AnsweredAs(ctx context.Context, id string) (string, error) {
	h, err := s.store.GetHandoff(ctx, id)
	if err != nil {
		return "", err
	}
	return h.Answered(), nil
}

// SendFreshLink emails the owner of an expired link's hand-off a fresh
// link. It tells the caller nothing either way: an unknown link or
// hand-off, or a link sent in the last few minutes, sends nothing and is no
// error, so the answer cannot be used to probe. At most one link goes out
// per hand-off and freshLinkWindow, whoever asks.
func (s *Service) SendFreshLink(ctx context.Context, token string) error {
	if s.links == nil {
		return nil
	}
	c, err := s.links.VerifyKind(token, linktoken.KindHandoff, s.Now())
	if err != nil && !errors.Is(err, linktoken.ErrExpired) {
		return nil
	}
	h, err := s.store.GetHandoff(ctx, c.Target)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load the hand-off of a link: %w", err)
	}
	owner, err := s.store.GetOwner(ctx, h.OwnerID)
	if err != nil {
		return fmt.Errorf("load owner %s of hand-off %s: %w", h.OwnerID, h.ID, err)
	}
	v, err := s.runs.DescribeHandoff(ctx, h)
	if err != nil {
		return err
	}
	now := s.Now()
	key := store.OutboxKey{RunKey: "sales/handoff/" + h.ID, StepID: "fresh-link:" + now.UTC().Truncate(freshLinkWindow).Format(time.RFC3339),
		ContactID: "owner:" + owner.ID, Kind: store.OutboxNotice}
	return s.sendOnce(ctx, key, owner, func() (sendgrid.Message, error) {
		link, err := s.links.Sign(linktoken.Handoff(h.ID, now.Add(s.cfg.HandoffLinkTTL)))
		if err != nil {
			return sendgrid.Message{}, fmt.Errorf("sign a fresh link of hand-off %s: %w", h.ID, err)
		}
		msg := freshLinkEmail(v.Customer, s.cfg.PublicURL+"/h/"+link, int(s.cfg.HandoffLinkTTL/(24*time.Hour)))
		msg.CustomArgs = map[string]string{"ripen_handoff": h.ID, "ripen_kind": "fresh-link"}
		return msg, nil
	})
}

// freshLinkWindow spaces the fresh links of one hand-off, and the sign-in
// links of one owner: a page posted again and again mails the owner once
// per window.
const (
	freshLinkWindow = 5 * time.Minute
	signInWindow    = time.Minute
)

// sendOnce emails owner the message compose makes, once per outbox key:
// a key whose email went already sends nothing, and an owner address that
// is suppressed is not mailed. compose runs only when the email goes, so
// a token it makes is never made in vain.
func (s *Service) sendOnce(ctx context.Context, key store.OutboxKey, owner store.Owner, compose func() (sendgrid.Message, error)) error {
	row, err := s.store.ClaimOutbox(ctx, key)
	if err != nil {
		return fmt.Errorf("claim the outbox for %s: %w", key.StepID, err)
	}
	if row.Status != store.OutboxPending {
		return nil
	}
	suppressed, err := s.store.IsSuppressed(ctx, owner.Email)
	if err != nil {
		return fmt.Errorf("check suppression of owner %s: %w", owner.ID, err)
	}
	if suppressed {
		_ = s.store.MarkOutboxFailed(ctx, row.ID, "the owner's address is suppressed")
		return nil
	}
	if s.mail == nil {
		return errors.New("no mailer configured: the email cannot go")
	}
	msg, err := compose()
	if err != nil {
		return err
	}
	msg.From = s.cfg.From
	msg.To = sendgrid.Address{Email: owner.Email, Name: owner.Name}
	msg.Categories = []string{"ripen", "sales"}
	id, err := s.mail.Send(ctx, msg)
	if err != nil {
		if !sendgrid.IsRetryable(err) {
			_ = s.store.MarkOutboxFailed(context.WithoutCancel(ctx), row.ID, err.Error())
		}
		return fmt.Errorf("send %s to owner %s: %w", key.StepID, owner.ID, err)
	}
	if id == "" {
		id = fmt.Sprintf("outbox-%d", row.ID)
	}
	if err := s.store.MarkOutboxSent(context.WithoutCancel(ctx), row.ID, id); err != nil {
		s.log.Error().Err(err).Int64("outbox_id", row.ID).Msg("email sent but not recorded in the outbox")
	}
	return nil
}
