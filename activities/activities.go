// Package activities does the journey's side effects: it reads customers and
// content from Postgres, sends email through SendGrid exactly once per step,
// records hand-offs and keeps the store's projection of runs current.
//
// Every activity is idempotent: the doc comment of each says what makes a
// retry safe. Permanent failures are non-retryable application errors, so
// the workflow can show them on the run instead of retrying for ever.
package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Mailer sends one email; sendgrid.Client is the real one.
type Mailer interface {
	Send(ctx context.Context, msg sendgrid.Message) (messageID string, err error)
}

// Config is what the activities need to know besides their dependencies.
type Config struct {
	From       sendgrid.Address
	ASMGroupID int
	// PublicURL is the base of /r/, /f/ and /u/ links and of hand-off links.
	PublicURL string
	// TemporalUIURL and Namespace build links to a run in the Web UI.
	TemporalUIURL string
	Namespace     string
	// FrequencyMax content emails per contact in FrequencyPer, across all
	// journeys; 0 means no cap.
	FrequencyMax int
	FrequencyPer time.Duration
	// LinkTTL is how long links in an email stay valid.
	LinkTTL time.Duration
	// HandoffLinkTTL is how long the hand-off page's link in an owner's
	// email works (0: linktoken.DefaultHandoffTTL).
	HandoffLinkTTL time.Duration
	// EventsRetention is how long engagement events are kept (0: for
	// ever); see PruneEvents.
	EventsRetention time.Duration
}

// Activities holds the activities' dependencies; the worker builds it once.
type Activities struct {
	Store  *store.Store
	Mail   Mailer
	Links  *linktoken.Signer
	Config Config
	Now    func() time.Time
	Log    zerolog.Logger
	// Metrics, when set, count emails, failures and hand-offs.
	Metrics *Metrics
	// Outbound delivers outbound webhooks (DeliverWebhook).
	Outbound Outbound
}

var _ workflows.Activities = (*Activities)(nil)

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// storeError is a failed store call as an activity returns it; what says
// what the activity was doing. ErrInvalid and ErrNotFound are the store's
// verdict on the request itself: retrying cannot change it, and retrying
// anyway would hide the failure from the run until its retry deadline. So
// they fail the activity for good, typed "Invalid"+record or
// "Unknown"+record (e.g. InvalidHandoff, UnknownHandoff) for the workflow
// and for whoever reads its history. Anything else (a lost connection, a
// canceled query, ErrConflict, whose meaning depends on the call) stays
// retryable. Callers use it only where a missing record cannot appear by
// retrying.
func storeError(err error, record, what string) error {
	var kind string
	switch {
	case errors.Is(err, store.ErrInvalid):
		kind = "Invalid" + record
	case errors.Is(err, store.ErrNotFound):
		kind = "Unknown" + record
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
	return temporal.NewNonRetryableApplicationError(what, kind, err)
}
