// Package console is the use case of the console, the web app at /console
// for marketing ops and sales leads: who may sign in and how (a one-time
// link emailed to a console user or an account owner, or an API key), what
// a session's role may see, and the views it shows (journeys with their
// reports, content previewed for a persona and locale and sent as a test
// to oneself, every owner's hand-offs).
//
// Its views are drawn from the same use cases as the API's (journeys,
// reports, runs), so a rule lives once; it adds only what a person needs
// on a page. It returns fault errors and knows no HTTP, and it never calls
// Temporal but through package runs.
package console

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/journeys"
	"github.com/ripen/ripen/reports"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
)

// Mailer sends one email; sendgrid.Client is the real one.
type Mailer interface {
	Send(ctx context.Context, msg sendgrid.Message) (messageID string, err error)
}

// Config tunes the service; zero durations keep the defaults.
type Config struct {
	// PublicURL is the base of the sign-in links the service emails.
	PublicURL string
	From      sendgrid.Address
	// SignInTTL is how long an emailed sign-in link works (15 minutes),
	// SessionTTL how long a session lasts (12 hours).
	SignInTTL  time.Duration
	SessionTTL time.Duration
}

// Service is the console's use case.
type Service struct {
	store    *store.Store
	journeys *journeys.Service
	reports  *reports.Service
	runs     *runs.Service
	mail     Mailer
	cfg      Config
	log      zerolog.Logger
	// Now is the clock (time.Now); tests may set it.
	Now func() time.Time
	// tests holds when each person last got a test of each content
	// (SendTest), for the minute between two.
	tests testLimiter
}

// New builds the service. Without mail (nil) no sign-in link goes out:
// only API keys sign in.
func New(st *store.Store, js *journeys.Service, rp *reports.Service, rs *runs.Service, mail Mailer, cfg Config, log zerolog.Logger) *Service {
	if cfg.SignInTTL <= 0 {
		cfg.SignInTTL = 15 * time.Minute
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	return &Service{store: st, journeys: js, reports: rp, runs: rs, mail: mail, cfg: cfg, log: log, Now: time.Now}
}

// Sender is the configured sender of emails: its address is every email's
// From.
func (s *Service) Sender() sendgrid.Address { return s.cfg.From }

// SignInTTL is how long an emailed sign-in link works.
func (s *Service) SignInTTL() time.Duration { return s.cfg.SignInTTL }

// Areas of the console; a role sees some of them (Session.May).
const (
	AreaJourneys = "journeys"
	AreaRuns     = "runs"
	AreaHandoffs = "handoffs"
	AreaContent  = "content"
)

// areasOf are what each role sees: marketing the journeys, their content
// and their runs, sales the hand-offs and runs (of their own book when
// bound to an owner), admin everything.
var areasOf = map[string][]string{
	store.RoleMarketing: {AreaJourneys, AreaContent, AreaRuns},
	store.RoleSales:     {AreaHandoffs, AreaRuns},
	store.RoleAdmin:     {AreaJourneys, AreaContent, AreaRuns, AreaHandoffs},
}

// Session is a signed-in person (or API key) of the console.
type Session struct {
	store.ConsoleSession
}

// Areas lists what the session's role sees, in the menu's order.
func (s Session) Areas() []string { return areasOf[s.Role] }

// May reports whether the session's role sees an area.
func (s Session) May(area string) bool {
	for _, a := range areasOf[s.Role] {
		if a == area {
			return true
		}
	}
	return false
}

// Caller is the session as the use cases' rules see it: its role, and the
// owner whose book it is bound to.
func (s Session) Caller() runs.Caller { return runs.Caller{Role: s.Role, OwnerID: s.OwnerID} }

// need refuses a session whose role does not see area.
func (s Session) need(area string) error {
	if !s.May(area) {
		return fault.Newf(fault.Forbidden, "the role %s may not see %s", s.Role, area)
	}
	return nil
}

// maxEmailLength bounds the address a sign-in request may give.
const maxEmailLength = 254

// signInWindow spaces the sign-in links of one person: a form posted again
// and again mails them once per window.
const signInWindow = time.Minute

// RequestSignIn emails a one-time sign-in link to the console user with
// this address or, if there is none, to every account owner with it, in
// language l (the language of the browser that asked). The result is the
// same whether or not anyone has it (nil, or Invalid for what is no
// address): the page must not tell who may sign in.
func (s *Service) RequestSignIn(ctx context.Context, email string, l i18n.Lang) error {
	email = strings.TrimSpace(email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > maxEmailLength {
		return fault.InvalidField("email", "must be an email address")
	}
	type recipient struct {
		who  store.ConsoleSubject
		key  string
		addr sendgrid.Address
	}
	var to []recipient
	u, err := s.store.ConsoleUserByEmail(ctx, email)
	switch {
	case err == nil:
		to = append(to, recipient{store.ConsoleSubject{UserID: u.ID}, "user:" + u.ID, sendgrid.Address{Email: u.Email, Name: u.Name}})
	case errors.Is(err, store.ErrNotFound):
		owners, err := s.store.OwnersByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("look up the owners of a console sign-in request: %w", err)
		}
		for _, o := range owners {
			to = append(to, recipient{store.ConsoleSubject{OwnerID: o.ID}, "owner:" + o.ID, sendgrid.Address{Email: o.Email, Name: o.Name}})
		}
	default:
		return fmt.Errorf("look up the user of a console sign-in request: %w", err)
	}
	now := s.Now()
	var errs []error
	for _, r := range to {
		key := store.OutboxKey{RunKey: "console/signin/" + r.key, StepID: "signin:" + now.UTC().Truncate(signInWindow).Format(time.RFC3339),
			ContactID: r.key, Kind: store.OutboxNotice}
		_, err := s.sendOnce(ctx, key, r.addr, func() (sendgrid.Message, error) {
			token, err := s.store.CreateConsoleSignIn(ctx, r.who, now.Add(s.cfg.SignInTTL))
			if err != nil {
				return sendgrid.Message{}, fmt.Errorf("create a console sign-in for %s: %w", r.key, err)
			}
			msg := signInEmail(l, s.cfg.PublicURL+"/console/signin/"+token, int(s.cfg.SignInTTL/time.Minute))
			msg.CustomArgs = map[string]string{"ripen_kind": "console-signin"}
			return msg, nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SignInValid reports whether a sign-in link still works, without using
// it: the page behind the link shows a button only when it does, so a mail
// scanner that fetches the link leaves it working.
func (s *Service) SignInValid(ctx context.Context, token string) (bool, error) {
	return s.store.ConsoleSignInValid(ctx, token, s.Now())
}

// SignIn uses a sign-in link (once) and opens a session. A link that is
// unknown, used or expired is NotFound.
func (s *Service) SignIn(ctx context.Context, token string) (Session, error) {
	sess, err := s.store.UseConsoleSignIn(ctx, token, s.Now(), s.cfg.SessionTTL)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, fault.Newf(fault.NotFound, "this sign-in link is unknown, used or expired")
	}
	if err != nil {
		return Session{}, fmt.Errorf("use a console sign-in link: %w", err)
	}
	return Session{sess}, nil
}

// SignInWithKey opens a session for an API key, which lasts while the key
// works (and at most SessionTTL); its role is the key's. A key that is
// unknown, revoked or expired is NotFound.
func (s *Service) SignInWithKey(ctx context.Context, apiKey string) (Session, error) {
	key, err := s.store.AuthenticateAPIKey(ctx, strings.TrimSpace(apiKey))
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, fault.Newf(fault.NotFound, "the API key is unknown or revoked, or has expired")
	}
	if err != nil {
		return Session{}, fmt.Errorf("check the API key of a console sign-in: %w", err)
	}
	sess, err := s.store.CreateConsoleSession(ctx, store.ConsoleSubject{APIKeyID: key.ID}, s.Now(), s.cfg.SessionTTL)
	if err != nil {
		return Session{}, fmt.Errorf("open a console session for API key %d: %w", key.ID, err)
	}
	return Session{sess}, nil
}

// Session is the live session of a token; an unknown, expired or revoked
// session, or one whose user or key is gone, is NotFound.
func (s *Service) Session(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, fault.Newf(fault.NotFound, "not signed in")
	}
	sess, err := s.store.GetConsoleSession(ctx, token, s.Now())
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, fault.Newf(fault.NotFound, "not signed in")
	}
	if err != nil {
		return Session{}, fmt.Errorf("load a console session: %w", err)
	}
	return Session{sess}, nil
}

// SignOut revokes a session on the server at once, so a copy of its
// cookie no longer works.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if err := s.store.RevokeConsoleSession(ctx, token, s.Now()); err != nil {
		return fmt.Errorf("sign out of the console: %w", err)
	}
	return nil
}

// PruneSessions forgets sign-in links and sessions that ended a day ago.
func (s *Service) PruneSessions(ctx context.Context) (int64, error) {
	return s.store.PruneConsoleSignIns(ctx, s.Now().Add(-24*time.Hour))
}

// sendOnce emails to the message compose makes, once per outbox key: a
// key whose email went already sends nothing (sent false), and a
// suppressed address is not mailed. compose runs only when the email goes,
// so a sign-in token is never made in vain. The message's From is the
// service's unless compose names a display name of its own.
func (s *Service) sendOnce(ctx context.Context, key store.OutboxKey, to sendgrid.Address, compose func() (sendgrid.Message, error)) (sent bool, err error) {
	row, err := s.store.ClaimOutbox(ctx, key)
	if err != nil {
		return false, fmt.Errorf("claim the outbox for %s: %w", key.RunKey, err)
	}
	if row.Status != store.OutboxPending {
		return false, nil
	}
	suppressed, err := s.store.IsSuppressed(ctx, to.Email)
	if err != nil {
		return false, fmt.Errorf("check suppression of %s: %w", key.ContactID, err)
	}
	if suppressed {
		_ = s.store.MarkOutboxFailed(ctx, row.ID, "the address is suppressed")
		return false, nil
	}
	if s.mail == nil {
		_ = s.store.MarkOutboxFailed(ctx, row.ID, "no mailer configured")
		return false, errors.New("no mailer configured: the console's email cannot go")
	}
	msg, err := compose()
	if err != nil {
		return false, err
	}
	from := s.cfg.From
	if msg.From.Name != "" {
		from.Name = msg.From.Name
	}
	msg.From, msg.To = from, to
	msg.Categories = []string{"ripen", "console"}
	id, err := s.mail.Send(ctx, msg)
	if err != nil {
		if !sendgrid.IsRetryable(err) {
			_ = s.store.MarkOutboxFailed(context.WithoutCancel(ctx), row.ID, err.Error())
		}
		return false, fmt.Errorf("send a console email to %s: %w", key.ContactID, err)
	}
	if id == "" {
		id = fmt.Sprintf("outbox-%d", row.ID)
	}
	if err := s.store.MarkOutboxSent(context.WithoutCancel(ctx), row.ID, id); err != nil {
		s.log.Error().Err(err).Int64("outbox_id", row.ID).Msg("console email sent but not recorded in the outbox")
	}
	return true, nil
}
