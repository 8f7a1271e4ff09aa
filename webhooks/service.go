package webhooks

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/store"
)

// Service is the use cases of outbound webhooks.
type Service struct {
	store *store.Store
	guard Guard
}

// New is the service on st; guard decides which URLs are allowed.
func New(st *store.Store, guard Guard) *Service { return &Service{store: st, guard: guard} }

// Input is a webhook as an admin sets it.
type Input struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Format is standard (default) or slack.
	Format string `json:"format,omitempty"`
}

// Webhook is a webhook as the API shows it; Secret only in the answer to
// the PUT that created it.
type Webhook struct {
	store.Webhook
	Secret string `json:"secret,omitempty"`
}

// idPattern is webhooks_id_check: the ID goes into workflow IDs and paths.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// maxURL bounds a webhook URL.
const maxURL = 2000

// Put creates webhook id, with a new secret it answers once, or changes an
// existing one's URL, events and format (its secret stays: the receiver
// knows it). Every bad field is listed (fault.Invalid); in production the
// URL must be https and resolve to public addresses only.
func (s *Service) Put(ctx context.Context, id string, in Input) (Webhook, bool, error) {
	var fields []fault.Field
	bad := func(field, msg string) { fields = append(fields, fault.Field{Field: field, Message: msg}) }
	if !idPattern.MatchString(id) {
		bad("id", "must be 1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or digit")
	}
	switch {
	case strings.TrimSpace(in.URL) == "":
		bad("url", "is required")
	case len(in.URL) > maxURL:
		bad("url", "must be at most 2000 characters")
	default:
		if why := s.guard.CheckURL(ctx, in.URL); why != "" {
			bad("url", why)
		}
	}
	if len(in.Events) == 0 {
		bad("events", "must list one or more of "+strings.Join(store.OutboundEventTypes, ", "))
	}
	var events []string
	for i, e := range in.Events {
		switch {
		case !slices.Contains(store.OutboundEventTypes, e):
			bad("events["+strconv.Itoa(i)+"]", "must be one of "+strings.Join(store.OutboundEventTypes, ", "))
		case !slices.Contains(events, e):
			events = append(events, e)
		}
	}
	if in.Format == "" {
		in.Format = store.WebhookFormatStandard
	}
	if in.Format != store.WebhookFormatStandard && in.Format != store.WebhookFormatSlack {
		bad("format", "must be standard or slack")
	}
	if len(fields) > 0 {
		return Webhook{}, false, fault.InvalidFields(fields...)
	}
	secret, err := NewSecret()
	if err != nil {
		return Webhook{}, false, err
	}
	w, created, err := s.store.PutWebhook(ctx, store.Webhook{ID: id, URL: in.URL, Events: events, Format: in.Format, Secret: secret})
	if err != nil {
		return Webhook{}, false, err
	}
	out := Webhook{Webhook: w}
	if created {
		out.Secret = w.Secret
	}
	return out, created, nil
}

// Get returns a webhook without its secret.
func (s *Service) Get(ctx context.Context, id string) (Webhook, error) {
	w, err := s.store.GetWebhook(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Webhook{}, fault.Newf(fault.NotFound, "webhook %q not found", id)
	}
	return Webhook{Webhook: w}, err
}

// Delete deletes a webhook: it gets no new deliveries, its deliveries in
// flight stop at their next attempt, and its attempts are forgotten.
func (s *Service) Delete(ctx context.Context, id string) error {
	err := s.store.DeleteWebhook(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fault.Newf(fault.NotFound, "webhook %q not found", id)
	}
	return err
}

// Deliveries lists a webhook's delivery attempts, newest first, at most
// limit (1 to 1000, default 100), older than attempt before (0: from the
// newest).
func (s *Service) Deliveries(ctx context.Context, id string, before int64, limit int) ([]store.Delivery, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	ds, err := s.store.ListDeliveries(ctx, id, before, limit)
	if err != nil {
		return nil, err
	}
	if ds == nil {
		ds = []store.Delivery{}
	}
	return ds, nil
}
