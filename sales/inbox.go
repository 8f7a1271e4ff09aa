package sales

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
)

// maxEmailLength bounds the address a sign-in request may give.
const maxEmailLength = 254

// RequestSignIn emails a one-time sign-in link to every account owner with
// this address. The result is the same whether or not one has it (nil, or
// an invalid address): the page must not tell who is an owner. At most one
// link goes to an owner per signInWindow.
func (s *Service) RequestSignIn(ctx context.Context, email string) error {
	email = strings.TrimSpace(email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > maxEmailLength {
		return fault.InvalidField("email", "must be an email address")
	}
	owners, err := s.store.OwnersByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("look up the owners of a sign-in request: %w", err)
	}
	now := s.Now()
	var errs []error
	for _, o := range owners {
		key := store.OutboxKey{RunKey: "sales/signin/" + o.ID, StepID: "signin:" + now.UTC().Truncate(signInWindow).Format(time.RFC3339),
			ContactID: "owner:" + o.ID, Kind: store.OutboxNotice}
		err := s.sendOnce(ctx, key, o, func() (sendgrid.Message, error) {
			token, err := s.store.CreateSignIn(ctx, o.ID, now.Add(s.cfg.SignInTTL))
			if err != nil {
				return sendgrid.Message{}, err
			}
			msg := signInEmail(s.cfg.PublicURL+"/inbox/signin/"+token, int(s.cfg.SignInTTL/time.Minute))
			msg.CustomArgs = map[string]string{"ripen_kind": "signin"}
			return msg, nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SignInValid reports whether a sign-in link still works, without using
// it: the page behind the link shows a button only when it does.
func (s *Service) SignInValid(ctx context.Context, token string) (bool, error) {
	_, err := s.store.SignInOwner(ctx, token, s.Now())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// SignIn uses a sign-in link (once) and opens a session. A link that is
// unknown, used or expired is NotFound.
func (s *Service) SignIn(ctx context.Context, token string) (store.Session, error) {
	sess, err := s.store.UseSignIn(ctx, token, s.Now(), s.cfg.SessionTTL)
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, fault.Newf(fault.NotFound, "this sign-in link is unknown, used or expired")
	}
	return sess, err
}

// Session is the signed-in owner of a session token; an unknown, expired or
// revoked session is NotFound.
func (s *Service) Session(ctx context.Context, token string) (store.Session, store.Owner, error) {
	if token == "" {
		return store.Session{}, store.Owner{}, fault.Newf(fault.NotFound, "not signed in")
	}
	sess, err := s.store.GetSession(ctx, token, s.Now())
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, store.Owner{}, fault.Newf(fault.NotFound, "not signed in")
	}
	if err != nil {
		return store.Session{}, store.Owner{}, err
	}
	o, err := s.store.GetOwner(ctx, sess.OwnerID)
	if err != nil {
		return store.Session{}, store.Owner{}, fmt.Errorf("load the owner of a session: %w", err)
	}
	return sess, o, nil
}

// SignOut revokes a session at once.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.store.RevokeSession(ctx, token, s.Now())
}

// PruneSessions forgets sign-in links and sessions that ended a day ago.
func (s *Service) PruneSessions(ctx context.Context) (int64, error) {
	return s.store.PruneSignIns(ctx, s.Now().Add(-24*time.Hour))
}

// InboxItem is one open hand-off in a rep's inbox.
type InboxItem struct {
	runs.HandoffView
	// Link is the path of its page (/h/…), valid for InboxLinkTTL.
	Link    string
	Overdue bool
}

// maxInbox bounds the hand-offs the inbox lists.
const maxInbox = 200

// Inbox lists the open hand-offs of the session's owner, the most urgent
// (earliest due) first.
func (s *Service) Inbox(ctx context.Context, sess store.Session) ([]InboxItem, error) {
	c := runs.Caller{Role: store.RoleSales, OwnerID: sess.OwnerID}
	hs, _, err := s.runs.Handoffs(ctx, c, store.HandoffFilter{Status: store.HandoffOpen, Limit: maxInbox})
	if err != nil {
		return nil, err
	}
	vs, err := s.runs.DescribeHandoffs(ctx, hs)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	items := make([]InboxItem, 0, len(vs))
	for _, v := range vs {
		it := InboxItem{HandoffView: v, Overdue: now.After(v.SLADueAt)}
		if s.links != nil {
			token, err := s.links.Sign(linktoken.Handoff(v.ID, now.Add(s.cfg.InboxLinkTTL)))
			if err != nil {
				return nil, fmt.Errorf("sign the link of hand-off %s: %w", v.ID, err)
			}
			it.Link = "/h/" + token
		}
		items = append(items, it)
	}
	slices.SortStableFunc(items, func(a, b InboxItem) int { return a.SLADueAt.Compare(b.SLADueAt) })
	return items, nil
}

// AnswerInInbox answers one of the session owner's hand-offs, through the
// same use case as the API; another owner's is not found.
func (s *Service) AnswerInInbox(ctx context.Context, sess store.Session, handoffID, outcome, note string) (runs.Answered, error) {
	return s.runs.AnswerHandoff(ctx, runs.Caller{Role: store.RoleSales, OwnerID: sess.OwnerID}, handoffID, outcome, note)
}
