package activities

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// outboxEnrolment is the ripen_kind of the owner's enrolment notice: the
// Event Webhook ignores the owner's opens and clicks in it, as in the
// hand-off email.
const outboxEnrolment = "enrolment"

// NotifyEnrolment tells the account owner that the detector enrolled the
// account (handoff.notify_on_enrol), with the events that did: what was
// read, when, and by whom (names read here, never in workflow history), so
// the rep may call at once.
//
// Exactly once per run through the outbox, as a notice (an owner email that
// belongs to no hand-off, so it counts towards no contact's frequency cap),
// under a step ID no journey step can have ("enrolment:owner") and a
// recipient no contact can be ("owner/" and the run's owner: IDs never hold
// '/'). The email goes to the customer's owner now. A suppressed
// owner address is not mailed: the row is marked failed and the error is
// non-retryable, as NotifyOwner does. The events also go into the run's
// run.started webhook event (announceEnrolment).
func (a *Activities) NotifyEnrolment(ctx context.Context, req workflows.EnrolmentNotice) error {
	// The run.started webhook first: it waits for these events, the
	// email does not.
	if err := a.announceEnrolment(ctx, req); err != nil {
		return err
	}
	cust, err := a.Store.GetCustomer(ctx, req.CustomerID)
	if err != nil {
		return storeError(err, "Customer", "load customer "+req.CustomerID)
	}
	if cust.Owner.Email == "" {
		return temporal.NewNonRetryableApplicationError("customer "+cust.ID+" has no account owner to tell", "NoOwner", nil)
	}
	row, err := a.Store.ClaimOutbox(ctx, store.OutboxKey{RunKey: req.RunKey, StepID: "enrolment:owner", Cycle: 1,
		ContactID: "owner/" + req.OwnerID, Kind: store.OutboxNotice})
	if err != nil {
		return fmt.Errorf("claim outbox for the enrolment of %s: %w", req.WorkflowID, err)
	}
	if row.MessageID != "" {
		return nil // an earlier attempt sent it
	}
	suppressed, err := a.Store.IsSuppressed(ctx, cust.Owner.Email)
	if err != nil {
		return fmt.Errorf("check suppression of owner %s: %w", cust.Owner.ID, err)
	}
	if suppressed {
		_ = a.Store.MarkOutboxFailed(ctx, row.ID, "the owner's address is suppressed")
		return temporal.NewNonRetryableApplicationError("account owner "+cust.Owner.ID+" not mailed: the address is suppressed", "OwnerSuppressed", nil)
	}
	titles, err := a.contentTitles(ctx, workflows.Evidence{Engagements: req.Engagements})
	if err != nil {
		return err
	}
	subject, html, text := a.enrolmentEmail(req, cust, titles)
	msg := sendgrid.Message{
		From: a.Config.From, To: sendgrid.Address{Email: cust.Owner.Email, Name: cust.Owner.Name},
		Subject: subject, HTML: html, Text: text,
		CustomArgs: map[string]string{"ripen_run": req.WorkflowID, "ripen_kind": outboxEnrolment},
		Categories: []string{"ripen", "enrolment"},
	}
	_, _, err = a.deliver(ctx, row, msg)
	return err
}

type enrolmentView struct {
	Lang                     i18n.Lang
	Customer, Journey, Offer string
	Events                   []string
	RunURL                   string
}

var enrolmentHTML = template.Must(template.New("enrolment").Funcs(template.FuncMap{"t": i18n.T}).Parse(`<p>{{t .Lang "enrol.intro"}}</p>
<table>
<tr><th align="left">{{t .Lang "enrol.customer"}}</th><td>{{.Customer}}</td></tr>
<tr><th align="left">{{t .Lang "enrol.journey"}}</th><td>{{.Journey}}</td></tr>
{{if .Offer}}<tr><th align="left">{{t .Lang "enrol.offer"}}</th><td>{{.Offer}}</td></tr>{{end}}
</table>
<h3>{{t .Lang "enrol.events"}}</h3><ul>{{range .Events}}<li>{{.}}</li>{{end}}</ul>
<p><a href="{{.RunURL}}">{{t .Lang "enrol.run.link"}}</a></p>`))

// enrolmentEmail renders the notice: one line per event with when, who
// and what.
func (a *Activities) enrolmentEmail(req workflows.EnrolmentNotice, c store.Customer, titles map[string]string) (subject, html, text string) {
	// Owners have no language in the store: owner emails speak English.
	lang := i18n.English
	names := map[string]string{}
	for _, ct := range c.Contacts {
		names[ct.ID] = strings.TrimSpace(ct.FirstName + " " + ct.LastName)
	}
	who := func(contactID string) string {
		switch {
		case contactID == "":
			return i18n.T(lang, "enrol.contact.none")
		case names[contactID] != "":
			return names[contactID]
		}
		return i18n.T(lang, "enrol.contact.unknown", contactID)
	}
	v := enrolmentView{Lang: lang, Customer: c.Name, Journey: req.JourneyID, Offer: req.Offer,
		RunURL: fmt.Sprintf("%s/namespaces/%s/workflows/%s", strings.TrimRight(a.Config.TemporalUIURL, "/"),
			url.PathEscape(a.Config.Namespace), url.PathEscape(req.WorkflowID))}
	for _, e := range req.Engagements {
		what := e.Kind
		if t := titles[e.ContentID]; t != "" {
			what = i18n.T(lang, "handoff.did.content", what, t)
		}
		if e.Topic != "" {
			what = i18n.T(lang, "handoff.did.topic", what, e.Topic)
		}
		v.Events = append(v.Events, i18n.T(lang, "enrol.event", e.At.UTC().Format("2006-01-02 15:04"), who(e.ContactID), what))
	}
	subject = i18n.T(lang, "enrol.subject", c.Name, req.JourneyID)
	var b strings.Builder
	_ = enrolmentHTML.Execute(&b, v)
	var t strings.Builder
	fmt.Fprintf(&t, "%s\n\n%s\n\n%s: %s\n%s: %s\n", subject, i18n.T(lang, "enrol.intro"),
		i18n.T(lang, "enrol.customer"), v.Customer, i18n.T(lang, "enrol.journey"), v.Journey)
	if v.Offer != "" {
		fmt.Fprintf(&t, "%s: %s\n", i18n.T(lang, "enrol.offer"), v.Offer)
	}
	fmt.Fprintf(&t, "\n%s:\n", i18n.T(lang, "enrol.events"))
	for _, l := range v.Events {
		fmt.Fprintf(&t, "- %s\n", l)
	}
	fmt.Fprintf(&t, "\n%s: %s\n", i18n.T(lang, "enrol.run.link"), v.RunURL)
	return subject, b.String(), t.String()
}
