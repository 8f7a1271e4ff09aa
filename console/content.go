package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
)

// ContentRow is one content block of the console's list.
type ContentRow struct {
	ID, Title, Topic, Stage string
	Personas                []string
	Variants                int
}

// Content lists every content block by ID.
func (s *Service) Content(ctx context.Context, sess Session) ([]ContentRow, error) {
	if err := sess.need(AreaContent); err != nil {
		return nil, err
	}
	var rows []ContentRow
	page := store.Page{Limit: store.MaxLimit}
	for {
		list, err := s.store.ListContent(ctx, page)
		if err != nil {
			return nil, fmt.Errorf("list content for the console: %w", err)
		}
		for _, c := range list {
			rows = append(rows, ContentRow{ID: c.ID, Title: c.Title, Topic: c.Topic, Stage: c.Stage, Personas: c.Personas, Variants: len(c.Variants)})
		}
		if len(list) < page.Limit {
			return rows, nil
		}
		page.After = list[len(list)-1].ID
	}
}

// ContentPreview is one content block's email as a sample contact of a
// persona and locale would get it.
type ContentPreview struct {
	Content store.Content
	// Personas are every persona of the store, by ID; Locales the
	// locales worth choosing: the console's languages and the variants'.
	Personas []store.Persona
	Locales  []string
	// Persona and Locale are those the preview is for; PersonaParam is
	// Persona as a link or form asks for it again (NoPersona for none).
	Persona, PersonaParam, Locale string
	// Sample is the contact, customer and owner the email was rendered
	// with; From and ReplyTo are what a send of Journey would use
	// (activities.SenderAddresses) with the journey's sender setting,
	// Sender. Without a journey (JourneyID "") they are the default,
	// sender: owner.
	Sample  activities.EmailData
	From    sendgrid.Address
	ReplyTo *sendgrid.Address
	// Journeys are the published journeys that send the content, to
	// choose from; JourneyID the chosen one, Sender its sender setting.
	Journeys  []JourneyChoice
	JourneyID string
	Sender    string
	activities.Preview
}

// JourneyChoice is a journey a preview may be seen in.
type JourneyChoice struct {
	ID, Name, Sender string
}

// NoPersona asks for the preview of a contact without a persona (an empty
// persona takes the content's first).
const NoPersona = "-"

// maxLocale bounds a locale the preview takes (BCP 47 tags are short).
const maxLocale = 35

// PreviewContent renders content id's email as a sample contact of persona
// and locale would get it, with the send activity's own code (variant
// choice, templates, footer) but no signed links. An empty persona takes
// the content's first (NoPersona none), an empty locale the console's language l. An
// unknown content is NotFound, an unknown persona or a locale that is no
// BCP 47 tag Invalid.
//
// journeyID, when set, names the journey whose sends the preview shows:
// its sender setting decides From and Reply-To. A journey that does not
// send the content is Invalid.
func (s *Service) PreviewContent(ctx context.Context, sess Session, id, persona, locale, journeyID string, l i18n.Lang) (ContentPreview, error) {
	if err := sess.need(AreaContent); err != nil {
		return ContentPreview{}, err
	}
	c, err := s.store.GetContent(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return ContentPreview{}, fault.Newf(fault.NotFound, "content %s is unknown", id)
	}
	if err != nil {
		return ContentPreview{}, fmt.Errorf("load content %s for a preview: %w", id, err)
	}
	p := ContentPreview{Content: c, Persona: strings.TrimSpace(persona), Locale: strings.TrimSpace(locale)}
	if p.Personas, err = s.personas(ctx); err != nil {
		return ContentPreview{}, err
	}
	switch {
	case p.Persona == NoPersona:
		p.Persona = ""
	case p.Persona == "" && len(c.Personas) > 0:
		p.Persona = c.Personas[0]
	}
	if p.Persona != "" && !slices.ContainsFunc(p.Personas, func(x store.Persona) bool { return x.ID == p.Persona }) {
		return ContentPreview{}, fault.InvalidField("persona", "is no persona")
	}
	if p.Locale == "" {
		p.Locale = string(l)
	}
	tag, err := language.Parse(p.Locale)
	if err != nil || len(p.Locale) > maxLocale {
		return ContentPreview{}, fault.InvalidField("locale", "must be a locale such as de or en-GB")
	}
	p.Locale = tag.String()
	p.PersonaParam = p.Persona
	if p.Persona == "" {
		p.PersonaParam = NoPersona
	}
	p.Locales = []string{string(i18n.English), string(i18n.German)}
	for _, v := range c.Variants {
		if v.Locale != "" && !slices.Contains(p.Locales, v.Locale) {
			p.Locales = append(p.Locales, v.Locale)
		}
	}
	if !slices.Contains(p.Locales, p.Locale) {
		p.Locales = append(p.Locales, p.Locale)
	}
	p.Sample = sampleData(p.Locale, s.cfg.PublicURL+"/console/content/"+id+"#unsubscribe")
	if p.Journeys, err = s.journeysSending(ctx, id); err != nil {
		return ContentPreview{}, err
	}
	p.JourneyID, p.Sender = strings.TrimSpace(journeyID), journey.SenderOwner
	if p.JourneyID != "" {
		i := slices.IndexFunc(p.Journeys, func(j JourneyChoice) bool { return j.ID == p.JourneyID })
		if i < 0 {
			return ContentPreview{}, fault.InvalidField("journey", "is no published journey that sends this content")
		}
		p.Sender = p.Journeys[i].Sender
	}
	p.From, p.ReplyTo = activities.SenderAddresses(s.cfg.From, p.Sender, p.Sample.Owner.Name, p.Sample.Owner.Email)
	p.Preview, err = activities.PreviewEmail(c, p.Persona, p.Sample)
	if err != nil {
		// A template the store took but that does not render (a field it
		// does not have): what a send would refuse too.
		return ContentPreview{}, fault.InvalidField("email", err.Error())
	}
	return p, nil
}

// journeysSending lists the published journeys whose steps send content
// id, by name.
func (s *Service) journeysSending(ctx context.Context, id string) ([]JourneyChoice, error) {
	list, err := s.journeys.List(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("list the journeys that send content %s: %w", id, err)
	}
	var out []JourneyChoice
	for _, v := range list {
		if v.Definition == nil || !slices.ContainsFunc(v.Definition.Steps, func(st journey.Step) bool { return st.Send == id }) {
			continue
		}
		out = append(out, JourneyChoice{ID: v.JourneyID, Name: v.Name, Sender: v.Definition.SendsAs()})
	}
	slices.SortFunc(out, func(a, b JourneyChoice) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// replyToHeader is a Reply-To fit for a mail header (nil stays nil).
func replyToHeader(a *sendgrid.Address) *sendgrid.Address {
	if a == nil {
		return nil
	}
	return &sendgrid.Address{Email: a.Email, Name: activities.HeaderText(a.Name)}
}

// personas lists every persona of the store by ID.
func (s *Service) personas(ctx context.Context) ([]store.Persona, error) {
	var all []store.Persona
	page := store.Page{Limit: store.MaxLimit}
	for {
		list, err := s.store.ListPersonas(ctx, page)
		if err != nil {
			return nil, fmt.Errorf("list personas for a preview: %w", err)
		}
		all = append(all, list...)
		if len(list) < page.Limit {
			return all, nil
		}
		page.After = list[len(list)-1].ID
	}
}

// sampleData is the contact a preview is rendered for: a plausible person
// of the locale's language at a sample customer, with a sample owner.
func sampleData(locale, unsubscribe string) activities.EmailData {
	l := i18n.ForLocale(locale)
	return activities.EmailData{
		Contact: activities.ContactData{ID: "sample", FirstName: i18n.TN(l, "console.sample.first"), LastName: i18n.TN(l, "console.sample.last"),
			Email: i18n.TN(l, "console.sample.email"), Locale: locale},
		Customer: activities.CustomerData{ID: "sample", Name: i18n.TN(l, "console.sample.customer")},
		Owner:    activities.OwnerData{ID: "sample", Name: i18n.TN(l, "console.sample.owner"), Email: i18n.TN(l, "console.sample.owner.email")},
		Links:    activities.LinkData{Unsubscribe: unsubscribe},
	}
}

// testWindow spaces the test emails of one person and content.
const testWindow = time.Minute

// testLimiter lets one test of a content go to one person per testWindow,
// counted from the last one this process sent. The outbox key (the
// window's minute) keeps two processes from sending within the same
// clock minute as well.
type testLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// take reports whether a test for key may go at now, and if so counts it.
func (t *testLimiter) take(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if at, ok := t.last[key]; ok && now.Sub(at) < testWindow {
		return false
	}
	if t.last == nil {
		t.last = map[string]time.Time{}
	}
	for k, at := range t.last {
		if now.Sub(at) >= testWindow {
			delete(t.last, k)
		}
	}
	t.last[key] = now
	return true
}

// give forgets a test counted by take that did not go.
func (t *testLimiter) give(key string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last[key].Equal(at) {
		delete(t.last, key)
	}
}

// TestAddress is where a session's test emails go: the address of its
// console user or account owner. A session of an API key has none (ok
// false).
func (s *Service) TestAddress(ctx context.Context, sess Session) (addr sendgrid.Address, key string, ok bool, err error) {
	switch {
	case sess.UserID != "":
		u, err := s.store.GetConsoleUser(ctx, sess.UserID)
		if err != nil {
			return addr, "", false, fmt.Errorf("load console user %s: %w", sess.UserID, err)
		}
		return sendgrid.Address{Email: u.Email, Name: u.Name}, "user:" + u.ID, true, nil
	case sess.OwnerID != "" && sess.APIKeyID == 0:
		o, err := s.store.GetOwner(ctx, sess.OwnerID)
		if err != nil {
			return addr, "", false, fmt.Errorf("load owner %s: %w", sess.OwnerID, err)
		}
		return sendgrid.Address{Email: o.Email, Name: o.Name}, "owner:" + o.ID, true, nil
	}
	return addr, "", false, nil
}

// SendTest emails the preview of content id for persona and locale to the
// signed-in person's own address, its subject marked "[Test] ". It is no
// send of a journey: no run, no events, its engagement is not counted. One
// person gets one test of a content a minute: another within the minute is
// Conflict; a session of an API key, which has no address, is Invalid.
func (s *Service) SendTest(ctx context.Context, sess Session, id, persona, locale, journeyID string, l i18n.Lang) (ContentPreview, sendgrid.Address, error) {
	p, err := s.PreviewContent(ctx, sess, id, persona, locale, journeyID, l)
	if err != nil {
		return p, sendgrid.Address{}, err
	}
	to, who, ok, err := s.TestAddress(ctx, sess)
	if err != nil {
		return p, to, err
	}
	if !ok {
		return p, to, fault.Newf(fault.Invalid, "a session of an API key has no address to send a test to")
	}
	if p.TemplateID != "" {
		return p, to, fault.Newf(fault.Invalid, "content %s is a SendGrid dynamic template: there is nothing to send as a test", id)
	}
	now := s.Now()
	limit := who + " " + id
	if !s.tests.take(limit, now) {
		return p, to, fault.Newf(fault.Conflict, "a test of this content went to you less than a minute ago")
	}
	key := store.OutboxKey{RunKey: "console/test/" + who, StepID: "test:" + id + ":" + now.UTC().Truncate(testWindow).Format(time.RFC3339),
		ContactID: who, Kind: store.OutboxNotice}
	sent, err := s.sendOnce(ctx, key, to, func() (sendgrid.Message, error) {
		return sendgrid.Message{
			From:       sendgrid.Address{Name: activities.HeaderText(p.From.Name)},
			ReplyTo:    replyToHeader(p.ReplyTo),
			Subject:    activities.HeaderText("[Test] " + p.Subject),
			HTML:       p.HTML,
			Text:       p.Text,
			CustomArgs: map[string]string{"ripen_kind": "console-test"},
		}, nil
	})
	if err != nil {
		s.tests.give(limit, now)
		return p, to, fmt.Errorf("send a test of content %s: %w", id, err)
	}
	if !sent {
		return p, to, fault.Newf(fault.Conflict, "a test of this content went to you less than a minute ago, or your address is suppressed")
	}
	return p, to, nil
}
