package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// RecordHandoff stores the hand-off with its evidence. Idempotent: the store
// keeps one hand-off per (run, cycle, escalation) and returns the existing
// one on retry, with the owner it was recorded for.
//
// The hand-off goes to the customer's owner now, not to the one the run
// started with (req.OwnerID, fixed in the workflow): an account given to
// another rep since is that rep's, in the inbox and in the email, which
// NotifyOwner sends to the owner recorded here.
func (a *Activities) RecordHandoff(ctx context.Context, req workflows.HandoffRequest) (workflows.HandoffRecord, error) {
	owner, err := a.currentOwner(ctx, req.CustomerID, req.OwnerID)
	if err != nil {
		return workflows.HandoffRecord{}, err
	}
	var note string
	var claimed bool
	contactID := mostEngaged(req.Evidence.Engagements)
	if req.FastLaneEventID != "" {
		ev, err := a.Store.GetEvent(ctx, req.FastLaneEventID)
		switch {
		case err == nil:
			note, claimed = ev.Note, ev.Source == store.SourceWebClaimed
			if ev.ContactID != "" {
				contactID = ev.ContactID
			}
		case !errors.Is(err, store.ErrNotFound):
			return workflows.HandoffRecord{}, fmt.Errorf("load fast-lane event %s: %w", req.FastLaneEventID, err)
		}
	}
	evidence, err := json.Marshal(req.Evidence)
	if err != nil {
		return workflows.HandoffRecord{}, temporal.NewNonRetryableApplicationError("encode evidence: "+err.Error(), "BadEvidence", err)
	}
	h, err := a.Store.CreateHandoff(ctx, store.Handoff{
		RunKey: req.RunKey, WorkflowID: req.WorkflowID, JourneyID: req.JourneyID, CustomerID: req.CustomerID,
		OwnerID: owner, Cycle: req.Cycle, Escalation: req.Escalation, Reason: req.Reason, Offer: req.Offer, Note: note,
		Score: req.Score, Evidence: evidence, Status: "open", SLADueAt: a.now().Add(req.SLA), ContactID: contactID,
		Claimed: claimed,
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		// The store found the hand-off of this (run, cycle, escalation)
		// gone between its insert and its read: a retry inserts it again.
		return workflows.HandoffRecord{}, fmt.Errorf("record hand-off of %s: %w", req.WorkflowID, err)
	case err != nil:
		// ErrConflict (the run has another open hand-off) stays retryable.
		return workflows.HandoffRecord{}, storeError(err, "Handoff", "record hand-off of "+req.WorkflowID)
	}
	a.Metrics.handoff(req.JourneyID, req.Reason)
	return workflows.HandoffRecord{ID: h.ID}, nil
}

// mostEngaged is the contact whose engagements in the evidence are worth
// the most points (the first to get there on a tie, so a retry names the
// same one); "" when no engagement names a contact.
func mostEngaged(es []workflows.Engagement) string {
	points := map[string]float64{}
	best := ""
	for _, e := range es {
		if e.ContactID == "" {
			continue
		}
		points[e.ContactID] += e.Points
		if best == "" || points[e.ContactID] > points[best] {
			best = e.ContactID
		}
	}
	return best
}

// currentOwner is the ID of customerID's account owner in the store, or
// runOwner when the store names none (an unknown customer: CreateHandoff
// then says which reference is wrong).
func (a *Activities) currentOwner(ctx context.Context, customerID, runOwner string) (string, error) {
	c, err := a.Store.GetCustomer(ctx, customerID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return runOwner, nil
	case err != nil:
		return "", fmt.Errorf("load the owner of customer %s: %w", customerID, err)
	case c.Owner.ID == "":
		return runOwner, nil
	}
	return c.Owner.ID, nil
}

// CloseHandoff records sales' answer. Idempotent: closing again with the
// same outcome is a no-op; the API may have recorded it already.
func (a *Activities) CloseHandoff(ctx context.Context, req workflows.CloseHandoffRequest) error {
	h, err := a.Store.CloseHandoff(ctx, req.HandoffID, req.Outcome, req.Note)
	if errors.Is(err, store.ErrConflict) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "HandoffClosed", err)
	}
	if err != nil {
		// Hand-offs are never deleted, so one that is not found never
		// will be; an outcome the store refuses stays refused.
		return storeError(err, "Handoff", "close hand-off "+req.HandoffID)
	}
	a.Metrics.answered(h.JourneyID, req.Outcome)
	return nil
}

// NotifyOwner emails the account owner the hand-off and its evidence, or an
// SLA reminder. Exactly once per (hand-off, reminder) through the outbox.
// A reminder SendGrid accepted is recorded on the hand-off (reminded_at),
// also by a retry that finds the email sent but not the reminder recorded.
// The owner is the one recorded on the hand-off, the rep whose inbox lists
// it, not the customer's owner read now: the email and the inbox agree, and
// a retry after the account moved on does not mail a second rep.
// A suppressed owner address is not mailed: the outbox row is marked failed
// and the error is non-retryable, so the run shows it instead of retrying.
func (a *Activities) NotifyOwner(ctx context.Context, req workflows.NotifyRequest) error {
	h, err := a.Store.GetHandoff(ctx, req.HandoffID)
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError("hand-off "+req.HandoffID+" does not exist", "UnknownHandoff", err)
	}
	if err != nil {
		return fmt.Errorf("load hand-off %s: %w", req.HandoffID, err)
	}
	if req.Reminder > 0 && h.Status != "open" {
		return nil // answered in the meantime: no reminder needed
	}
	cust, err := a.Store.GetCustomer(ctx, h.CustomerID)
	if err != nil {
		// Customers are never deleted: one the hand-off names but the
		// store does not have will not come back.
		return storeError(err, "Customer", "load customer "+h.CustomerID)
	}
	owner, err := a.Store.GetOwner(ctx, h.OwnerID)
	if err != nil {
		// The hand-off references the owner (a foreign key): one the
		// store does not have will not come back.
		return storeError(err, "Owner", "load owner "+h.OwnerID+" of hand-off "+h.ID)
	}
	cust.Owner = owner
	kind, step := outboxHandoff, "handoff:"+h.ID
	if req.Reminder > 0 {
		kind, step = outboxReminder, fmt.Sprintf("handoff:%s:reminder-%d", h.ID, req.Reminder)
	}
	row, err := a.Store.ClaimOutbox(ctx, store.OutboxKey{RunKey: h.RunKey, StepID: step, Cycle: h.Cycle, ContactID: "owner:" + owner.ID, Kind: kind, HandoffID: h.ID})
	if err != nil {
		return fmt.Errorf("claim outbox for hand-off %s: %w", h.ID, err)
	}
	if row.MessageID != "" {
		return a.recordReminder(ctx, h, req.Reminder, row.SentAt, true)
	}
	suppressed, err := a.Store.IsSuppressed(ctx, cust.Owner.Email)
	if err != nil {
		return fmt.Errorf("check suppression of owner %s: %w", cust.Owner.ID, err)
	}
	if suppressed {
		// The address stays out of the error: it ends up in workflow history.
		_ = a.Store.MarkOutboxFailed(ctx, row.ID, "the owner's address is suppressed")
		return temporal.NewNonRetryableApplicationError("account owner "+cust.Owner.ID+" not mailed: the address is suppressed", "OwnerSuppressed", nil)
	}
	var ev workflows.Evidence
	_ = json.Unmarshal(h.Evidence, &ev)
	titles, err := a.contentTitles(ctx, ev)
	if err != nil {
		return err
	}
	journeyName, err := a.journeyName(ctx, h.JourneyID)
	if err != nil {
		return err
	}
	link, err := a.handoffURL(h)
	if err != nil {
		return err
	}
	subject, html, text := a.handoffEmail(h, cust, journeyName, link, ev, titles, req.Reminder)
	msg := sendgrid.Message{
		From: a.Config.From, To: sendgrid.Address{Email: cust.Owner.Email, Name: cust.Owner.Name},
		Subject: subject, HTML: html, Text: text,
		CustomArgs: map[string]string{"ripen_handoff": h.ID, "ripen_run": h.WorkflowID, "ripen_kind": kind},
		Categories: []string{"ripen", "handoff"},
	}
	_, recorded, err := a.deliver(ctx, row, msg)
	if err != nil {
		return err
	}
	return a.recordReminder(ctx, h, req.Reminder, nil, recorded)
}

// recordReminder records on the hand-off that reminder number reminder (0:
// the hand-off email itself, nothing to record) went to the owner. sentAt
// is when the outbox recorded that email, if known: a hand-off reminded
// since was recorded by an earlier attempt, and marking it again would
// move reminded_at to the time of a retry.
//
// A failure is retryable only when the outbox holds the email (retryable):
// the retry then finds it sent and only records. Otherwise a retry would
// mail the owner again, which is worse than a missing reminded_at, so the
// failure is logged instead.
func (a *Activities) recordReminder(ctx context.Context, h store.Handoff, reminder int, sentAt *time.Time, retryable bool) error {
	if reminder == 0 {
		return nil
	}
	if h.RemindedAt != nil && sentAt != nil && !h.RemindedAt.Before(*sentAt) {
		return nil
	}
	// The email went: record it even if the activity's deadline has just
	// passed.
	rctx, cancel := recordContext(ctx)
	defer cancel()
	_, err := a.Store.MarkHandoffReminded(rctx, h.ID)
	switch {
	case err == nil:
		return nil
	case retryable:
		return fmt.Errorf("record reminder %d of hand-off %s: %w", reminder, h.ID, err)
	default:
		a.Log.Error().Err(err).Str("handoff_id", h.ID).Int("reminder", reminder).
			Msg("reminder sent but not recorded on the hand-off")
		return nil
	}
}

// journeyName is the name of the journey's newest version, its ID when it
// has none (or for a journey the store no longer has).
func (a *Activities) journeyName(ctx context.Context, journeyID string) (string, error) {
	if journeyID == "" {
		return "", nil
	}
	jv, err := a.Store.GetJourney(ctx, journeyID, 0)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return journeyID, nil
	case err != nil:
		return "", fmt.Errorf("load the name of journey %s: %w", journeyID, err)
	case jv.Name == "":
		return journeyID, nil
	}
	return jv.Name, nil
}

// handoffURL is the signed link to the hand-off's page (/h/), where its
// owner reads the evidence and answers without an API key. Each email gets
// a link of its own that works for HandoffLinkTTL from when it is sent.
func (a *Activities) handoffURL(h store.Handoff) (string, error) {
	if a.Links == nil {
		return "", temporal.NewNonRetryableApplicationError("no link keys configured: the hand-off email needs its page's link", "NoLinkKeys", nil)
	}
	ttl := a.Config.HandoffLinkTTL
	if ttl <= 0 {
		ttl = linktoken.DefaultHandoffTTL
	}
	token, err := a.Links.Sign(linktoken.Handoff(h.ID, a.now().Add(ttl)))
	if err != nil {
		return "", temporal.NewNonRetryableApplicationError("sign the link of hand-off "+h.ID+": "+err.Error(), "BadLink", err)
	}
	return a.Config.PublicURL + "/h/" + token, nil
}

// handoffPerson is the contact a hand-off names, when the customer still
// has them.
func handoffPerson(h store.Handoff, c store.Customer) (store.Contact, bool) {
	for _, ct := range c.Contacts {
		if h.ContactID != "" && ct.ID == h.ContactID {
			return ct, true
		}
	}
	return store.Contact{}, false
}

type handoffView struct {
	Lang                   i18n.Lang
	Reminder               int
	PersonLabel            string
	Person, Email, Phone   string
	Customer, Owner        string
	Journey, Reason, Offer string
	Note                   string
	Claimed                bool
	Score                  float64
	Created, Due           string
	HandoffURL, RunURL     string
	Engagements            []string
	Sends                  []string
	ScoreTrail             []string
}

var handoffHTML = template.Must(template.New("handoff").Funcs(template.FuncMap{"t": i18n.T}).Parse(`<p>{{if .Reminder}}<strong>{{t .Lang "handoff.reminder" .Reminder}}</strong> {{t .Lang "handoff.reminder.waiting"}}{{else}}{{t .Lang "handoff.ready"}}{{end}}</p>
<table>
<tr><th align="left">{{t .Lang "handoff.customer"}}</th><td>{{.Customer}}</td></tr>
{{if .Person}}<tr><th align="left">{{.PersonLabel}}</th><td>{{.Person}}{{if .Email}} · <a href="mailto:{{.Email}}">{{.Email}}</a>{{end}}{{if .Phone}} · <a href="tel:{{.Phone}}">{{.Phone}}</a>{{end}}</td></tr>{{end}}
{{if .Journey}}<tr><th align="left">{{t .Lang "handoff.journey"}}</th><td>{{.Journey}}</td></tr>{{end}}
<tr><th align="left">{{t .Lang "handoff.why"}}</th><td>{{.Reason}}{{if .Offer}}: {{.Offer}}{{end}}</td></tr>
{{if .Claimed}}<tr><th align="left">{{t .Lang "handoff.claimed.label"}}</th><td><strong>{{t .Lang "handoff.claimed"}}</strong></td></tr>{{end}}
{{if .Note}}<tr><th align="left">{{t .Lang "handoff.note"}}</th><td>{{.Note}}</td></tr>{{end}}
<tr><th align="left">{{t .Lang "handoff.score"}}</th><td>{{printf "%.1f" .Score}}</td></tr>
<tr><th align="left">{{t .Lang "handoff.due"}}</th><td>{{.Due}}</td></tr>
</table>
{{if .Engagements}}<h3>{{t .Lang "handoff.engagements"}}</h3><ul>{{range .Engagements}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Sends}}<h3>{{t .Lang "handoff.sends"}}</h3><ul>{{range .Sends}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .ScoreTrail}}<h3>{{t .Lang "handoff.trail"}}</h3><ul>{{range .ScoreTrail}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p><a href="{{.HandoffURL}}">{{t .Lang "handoff.answer.link"}}</a> {{t .Lang "handoff.answer.outcomes"}} · <a href="{{.RunURL}}">{{t .Lang "handoff.run.link"}}</a></p>`))

// contentTitles names the content the evidence mentions: content ID → title.
func (a *Activities) contentTitles(ctx context.Context, ev workflows.Evidence) (map[string]string, error) {
	titles := map[string]string{}
	var ids []string
	for _, e := range ev.Engagements {
		ids = append(ids, e.ContentID)
	}
	for _, s := range ev.Sends {
		ids = append(ids, s.ContentID)
	}
	for _, id := range ids {
		if _, ok := titles[id]; ok || id == "" {
			continue
		}
		c, err := a.Store.GetContent(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			titles[id] = id
		case err != nil:
			return nil, fmt.Errorf("load content %s: %w", id, err)
		default:
			titles[id] = c.Title
		}
	}
	return titles, nil
}

func (a *Activities) handoffEmail(h store.Handoff, c store.Customer, journeyName, link string, ev workflows.Evidence, titles map[string]string, reminder int) (subject, html, text string) {
	// Owners have no language in the store: the hand-off email speaks
	// English, as it always has.
	lang := i18n.English
	v := handoffView{
		Lang: lang, Reminder: reminder, Customer: c.Name, Owner: c.Owner.Name, Journey: journeyName,
		Reason: h.Reason, Offer: h.Offer, Note: h.Note, Claimed: h.Claimed, Score: h.Score,
		Created: h.CreatedAt.UTC().Format(time.RFC1123), Due: h.SLADueAt.UTC().Format(time.RFC1123),
		HandoffURL: link,
		RunURL: fmt.Sprintf("%s/namespaces/%s/workflows/%s", strings.TrimRight(a.Config.TemporalUIURL, "/"),
			url.PathEscape(a.Config.Namespace), url.PathEscape(h.WorkflowID)),
	}
	v.PersonLabel = i18n.T(lang, "handoff.person.engaged")
	if h.Reason == store.ReasonFastLane {
		v.PersonLabel = i18n.T(lang, "handoff.person.asked")
	}
	if ct, ok := handoffPerson(h, c); ok {
		v.Person, v.Email, v.Phone = ct.Name(), ct.Email, ct.Phone
		if v.Person == "" {
			v.Person = ct.Email
		}
	}
	// The content an engagement was about: its own, or the one its step sent.
	title := func(contentID string) string {
		if t := titles[contentID]; t != "" {
			return t
		}
		return contentID
	}
	stepContent := map[string]string{}
	for _, s := range ev.Sends {
		stepContent[s.StepID] = s.ContentID
	}
	for _, e := range ev.Engagements {
		what := e.Kind
		contentID := e.ContentID
		if contentID == "" {
			contentID = stepContent[e.StepID]
		}
		switch {
		case contentID != "" && e.StepID != "":
			what = i18n.T(lang, "handoff.did.content.step", what, title(contentID), e.StepID)
		case contentID != "":
			what = i18n.T(lang, "handoff.did.content", what, title(contentID))
		case e.StepID != "":
			what = i18n.T(lang, "handoff.did.step", what, e.StepID)
		}
		if e.Topic != "" {
			what = i18n.T(lang, "handoff.did.topic", what, e.Topic)
		}
		v.Engagements = append(v.Engagements, i18n.T(lang, "handoff.did.points", e.At.UTC().Format("2006-01-02 15:04"), what, e.Points))
	}
	for _, s := range ev.Sends {
		v.Sends = append(v.Sends, i18n.T(lang, "handoff.sent", s.At.UTC().Format("2006-01-02"), title(s.ContentID), s.StepID))
	}
	for _, p := range ev.ScoreTrail {
		v.ScoreTrail = append(v.ScoreTrail, fmt.Sprintf("%s: %.1f", p.At.UTC().Format("2006-01-02 15:04"), p.Score))
	}
	switch {
	case reminder > 0:
		subject = i18n.T(lang, "handoff.subject.reminder", c.Name)
	case h.Offer != "":
		subject = i18n.T(lang, "handoff.subject.offer", c.Name, h.Reason, h.Offer)
	default:
		subject = i18n.T(lang, "handoff.subject", c.Name, h.Reason)
	}
	var b strings.Builder
	_ = handoffHTML.Execute(&b, v)
	html = b.String()
	var t strings.Builder
	label := func(key string) string { return i18n.T(lang, key) }
	fmt.Fprintf(&t, "%s\n\n%s: %s\n", subject, label("handoff.customer"), v.Customer)
	if v.Person != "" {
		reach := strings.Join(slices.DeleteFunc([]string{v.Person, v.Email, v.Phone}, func(s string) bool { return s == "" }), " · ")
		fmt.Fprintf(&t, "%s: %s\n", v.PersonLabel, reach)
	}
	if v.Journey != "" {
		fmt.Fprintf(&t, "%s: %s\n", label("handoff.journey"), v.Journey)
	}
	fmt.Fprintf(&t, "%s: %s %s\n%s: %.1f\n%s: %s\n", label("handoff.why"), v.Reason, v.Offer,
		label("handoff.score"), v.Score, label("handoff.due"), v.Due)
	if v.Claimed {
		fmt.Fprintf(&t, "%s: %s\n", label("handoff.claimed.label"), i18n.T(v.Lang, "handoff.claimed"))
	}
	if v.Note != "" {
		fmt.Fprintf(&t, "%s: %s\n", label("handoff.note"), v.Note)
	}
	section := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		fmt.Fprintf(&t, "\n%s:\n", title)
		for _, l := range lines {
			fmt.Fprintf(&t, "- %s\n", l)
		}
	}
	section(label("handoff.engagements"), v.Engagements)
	section(label("handoff.sends"), v.Sends)
	section(label("handoff.trail"), v.ScoreTrail)
	fmt.Fprintf(&t, "\n%s: %s\n%s: %s\n", label("handoff.answer"), v.HandoffURL, label("handoff.run"), v.RunURL)
	return subject, html, t.String()
}
