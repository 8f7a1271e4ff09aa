package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

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
	if req.FastLaneEventID != "" {
		ev, err := a.Store.GetEvent(ctx, req.FastLaneEventID)
		switch {
		case err == nil:
			note = ev.Note
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
		Score: req.Score, Evidence: evidence, Status: "open", SLADueAt: a.now().Add(req.SLA),
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
	a.Metrics.handoff(req.Reason)
	return workflows.HandoffRecord{ID: h.ID}, nil
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
	_, err := a.Store.CloseHandoff(ctx, req.HandoffID, req.Outcome, req.Note)
	if errors.Is(err, store.ErrConflict) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "HandoffClosed", err)
	}
	if err != nil {
		// Hand-offs are never deleted, so one that is not found never
		// will be; an outcome the store refuses stays refused.
		return storeError(err, "Handoff", "close hand-off "+req.HandoffID)
	}
	return nil
}

// NotifyOwner emails the account owner the hand-off and its evidence, or an
// SLA reminder. Exactly once per (hand-off, reminder) through the outbox.
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
		return nil
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
	subject, html, text := a.handoffEmail(h, cust, ev, titles, req.Reminder)
	msg := sendgrid.Message{
		From: a.Config.From, To: sendgrid.Address{Email: cust.Owner.Email, Name: cust.Owner.Name},
		Subject: subject, HTML: html, Text: text,
		CustomArgs: map[string]string{"ripen_handoff": h.ID, "ripen_run": h.WorkflowID, "ripen_kind": kind},
		Categories: []string{"ripen", "handoff"},
	}
	_, _, err = a.deliver(ctx, row, msg)
	return err
}

type handoffView struct {
	Reminder               int
	Customer, Owner        string
	Journey, Reason, Offer string
	Note                   string
	Score                  float64
	Created, Due           string
	HandoffURL, RunURL     string
	Engagements            []string
	Sends                  []string
	ScoreTrail             []string
}

var handoffHTML = template.Must(template.New("handoff").Parse(`<p>{{if .Reminder}}<strong>Reminder {{.Reminder}}:</strong> still waiting for your answer.{{else}}A customer of yours is ready to talk.{{end}}</p>
<table>
<tr><th align="left">Customer</th><td>{{.Customer}}</td></tr>
<tr><th align="left">Journey</th><td>{{.Journey}}</td></tr>
<tr><th align="left">Why now</th><td>{{.Reason}}{{if .Offer}}: {{.Offer}}{{end}}</td></tr>
{{if .Note}}<tr><th align="left">Their note</th><td>{{.Note}}</td></tr>{{end}}
<tr><th align="left">Score</th><td>{{printf "%.1f" .Score}}</td></tr>
<tr><th align="left">Answer by</th><td>{{.Due}}</td></tr>
</table>
{{if .Engagements}}<h3>What they read and did</h3><ul>{{range .Engagements}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Sends}}<h3>What we sent</h3><ul>{{range .Sends}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .ScoreTrail}}<h3>Score over time</h3><ul>{{range .ScoreTrail}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p><a href="{{.HandoffURL}}">Answer the hand-off</a> (accepted, won, lost, rejected or not ready) · <a href="{{.RunURL}}">See the journey in Temporal</a></p>`))

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

func (a *Activities) handoffEmail(h store.Handoff, c store.Customer, ev workflows.Evidence, titles map[string]string, reminder int) (subject, html, text string) {
	v := handoffView{
		Reminder: reminder, Customer: c.Name, Owner: c.Owner.Name, Journey: h.JourneyID,
		Reason: h.Reason, Offer: h.Offer, Note: h.Note, Score: h.Score,
		Created: h.CreatedAt.UTC().Format(time.RFC1123), Due: h.SLADueAt.UTC().Format(time.RFC1123),
		HandoffURL: a.Config.PublicURL + "/v1/handoffs/" + url.PathEscape(h.ID),
		RunURL: fmt.Sprintf("%s/namespaces/%s/workflows/%s", strings.TrimRight(a.Config.TemporalUIURL, "/"),
			url.PathEscape(a.Config.Namespace), url.PathEscape(h.WorkflowID)),
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
			what += fmt.Sprintf(" on “%s” (step %s)", title(contentID), e.StepID)
		case contentID != "":
			what += fmt.Sprintf(" on “%s”", title(contentID))
		case e.StepID != "":
			what += " on the email of step " + e.StepID
		}
		if e.Topic != "" {
			what += ", topic " + e.Topic
		}
		v.Engagements = append(v.Engagements, fmt.Sprintf("%s: %s, +%g points", e.At.UTC().Format("2006-01-02 15:04"), what, e.Points))
	}
	for _, s := range ev.Sends {
		v.Sends = append(v.Sends, fmt.Sprintf("%s: “%s” (step %s)", s.At.UTC().Format("2006-01-02"), title(s.ContentID), s.StepID))
	}
	for _, p := range ev.ScoreTrail {
		v.ScoreTrail = append(v.ScoreTrail, fmt.Sprintf("%s: %.1f", p.At.UTC().Format("2006-01-02 15:04"), p.Score))
	}
	subject = fmt.Sprintf("%s is ready: %s", c.Name, h.Reason)
	if h.Offer != "" {
		subject += " (" + h.Offer + ")"
	}
	if reminder > 0 {
		subject = fmt.Sprintf("Reminder: %s is waiting for your answer", c.Name)
	}
	var b strings.Builder
	_ = handoffHTML.Execute(&b, v)
	html = b.String()
	var t strings.Builder
	fmt.Fprintf(&t, "%s\n\nCustomer: %s\nJourney: %s\nWhy now: %s %s\nScore: %.1f\nAnswer by: %s\n", subject, v.Customer, v.Journey, v.Reason, v.Offer, v.Score, v.Due)
	if v.Note != "" {
		fmt.Fprintf(&t, "Their note: %s\n", v.Note)
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
	section("What they read and did", v.Engagements)
	section("What we sent", v.Sends)
	section("Score over time", v.ScoreTrail)
	fmt.Fprintf(&t, "\nAnswer: %s\nJourney in Temporal: %s\n", v.HandoffURL, v.RunURL)
	return subject, html, t.String()
}
