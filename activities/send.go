package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Outbox kinds.
const (
	outboxContent  = "content"
	outboxHandoff  = "handoff"
	outboxReminder = "reminder"
)

// SendContent mails a step's content to each of the customer's contacts.
//
// Idempotent: each (run, step, cycle, contact) has one outbox row, claimed
// before SendGrid is called and marked sent with the X-Message-Id after. A
// retry skips contacts whose row is sent and returns the earlier message IDs.
// Suppressed addresses are skipped (checked here, at the last moment); the
// frequency cap answers "not before T" instead of sending.
func (a *Activities) SendContent(ctx context.Context, req workflows.SendRequest) (workflows.SendResult, error) {
	cust, err := a.Store.GetCustomer(ctx, req.CustomerID)
	if errors.Is(err, store.ErrNotFound) {
		return workflows.SendResult{}, temporal.NewNonRetryableApplicationError("customer "+req.CustomerID+" does not exist", "UnknownCustomer", err)
	}
	if err != nil {
		return workflows.SendResult{}, fmt.Errorf("load customer %s: %w", req.CustomerID, err)
	}
	content, err := a.Store.GetContent(ctx, req.ContentID)
	if errors.Is(err, store.ErrNotFound) {
		return workflows.SendResult{}, temporal.NewNonRetryableApplicationError("content "+req.ContentID+" does not exist", "UnknownContent", err)
	}
	if err != nil {
		return workflows.SendResult{}, fmt.Errorf("load content %s: %w", req.ContentID, err)
	}

	res := workflows.SendResult{Status: workflows.SendSuppressed}
	var notBefore time.Time
	for _, ct := range cust.Contacts {
		suppressed, err := a.Store.IsSuppressed(ctx, ct.Email)
		if err != nil {
			return res, fmt.Errorf("check suppression of contact %s: %w", ct.ID, err)
		}
		if suppressed {
			continue
		}
		row, err := a.Store.ClaimOutbox(ctx, store.OutboxKey{RunKey: req.RunKey, StepID: outboxStep(req), Cycle: req.Cycle, ContactID: ct.ID, Kind: outboxContent})
		if err != nil {
			return res, fmt.Errorf("claim outbox for step %s contact %s: %w", req.StepID, ct.ID, err)
		}
		if row.MessageID != "" {
			res.Status = workflows.SendSent
			res.MessageIDs = append(res.MessageIDs, row.MessageID)
			continue
		}
		if at, capped, err := a.capped(ctx, ct.ID); err != nil {
			return res, err
		} else if capped {
			a.Metrics.capped()
			if at.After(notBefore) {
				notBefore = at
			}
			continue
		}
		id, err := a.sendToContact(ctx, req, cust, ct, content, row)
		if err != nil {
			return res, err
		}
		res.Status = workflows.SendSent
		res.MessageIDs = append(res.MessageIDs, id)
	}
	if !notBefore.IsZero() {
		// Contacts already mailed stay mailed; the retry after T sends only
		// to the ones the cap held back.
		return workflows.SendResult{Status: workflows.SendDeferred, NotBefore: notBefore, MessageIDs: res.MessageIDs}, nil
	}
	return res, nil
}

// capped reports whether the contact has had its share of content emails,
// and when the next one may go.
func (a *Activities) capped(ctx context.Context, contactID string) (time.Time, bool, error) {
	max, per := a.Config.FrequencyMax, a.Config.FrequencyPer
	if max <= 0 || per <= 0 {
		return time.Time{}, false, nil
	}
	now := a.now()
	n, oldest, err := a.Store.CountSentSince(ctx, contactID, now.Add(-per))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("count emails to contact %s: %w", contactID, err)
	}
	if n < max {
		return time.Time{}, false, nil
	}
	return oldest.Add(per), true, nil
}

func (a *Activities) sendToContact(ctx context.Context, req workflows.SendRequest, cust store.Customer, ct store.Contact, content store.Content, row store.OutboxRow) (string, error) {
	expires := a.now().Add(a.Config.LinkTTL)
	var signErr error
	sign := func(kind, target string) string {
		tok, err := a.Links.Sign(linktoken.Claims{Kind: kind, RunID: req.WorkflowID, ContactID: ct.ID, Step: req.StepID, Target: target, Cycle: req.Cycle, Expires: expires})
		if err != nil && signErr == nil {
			signErr = fmt.Errorf("sign %s link: %w", kind, err)
		}
		return a.Config.PublicURL + "/" + kind + "/" + tok
	}
	data := EmailData{
		Contact:  ContactData{ID: ct.ID, FirstName: ct.FirstName, LastName: ct.LastName, Email: ct.Email, Locale: ct.Locale},
		Customer: CustomerData{ID: cust.ID, Name: cust.Name},
		Owner:    OwnerData{ID: cust.Owner.ID, Name: cust.Owner.Name, Email: cust.Owner.Email},
		Content:  ContentData{ID: content.ID, Title: content.Title, Topic: content.Topic, Stage: content.Stage, URL: content.URL},
		Links:    LinkData{Unsubscribe: sign("u", "")},
	}
	for _, offer := range req.FastLane {
		data.Links.FastLane = append(data.Links.FastLane, FastLaneLink{Offer: offer, Label: OfferLabel(offer, ct.Locale), URL: sign("f", offer)})
	}
	track := func(url string) string { return sign("r", url) }

	msg := sendgrid.Message{
		From:    a.Config.From,
		To:      sendgrid.Address{Email: ct.Email, Name: joinName(ct.FirstName, ct.LastName)},
		Headers: map[string]string{"List-Unsubscribe": "<" + data.Links.Unsubscribe + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
		CustomArgs: map[string]string{
			"ripen_run": req.WorkflowID, "ripen_step": req.StepID, "ripen_cycle": strconv.Itoa(req.Cycle),
			"ripen_contact": ct.ID, "ripen_journey": req.JourneyID, "ripen_customer": req.CustomerID,
			"ripen_content": req.ContentID,
		},
		Categories: []string{"ripen", "journey:" + req.JourneyID},
		ASMGroupID: a.Config.ASMGroupID,
	}
	if content.Email.TemplateID != "" {
		data.Content.URL = track(content.URL)
		msg.TemplateID = content.Email.TemplateID
		msg.TemplateData = templateData(data)
	} else {
		r, err := renderContent(content, data, track)
		if err != nil {
			_ = a.Store.MarkOutboxFailed(ctx, row.ID, err.Error())
			return "", temporal.NewNonRetryableApplicationError(err.Error(), "BadTemplate", err)
		}
		msg.Subject, msg.HTML, msg.Text = r.Subject, r.HTML, r.Text
	}
	if signErr != nil {
		// Only a broken key configuration gets here; an operator fixes it
		// and the retry goes through.
		return "", signErr
	}
	return a.deliver(ctx, row, msg)
}

// deliver calls SendGrid for a claimed outbox row and records the answer.
func (a *Activities) deliver(ctx context.Context, row store.OutboxRow, msg sendgrid.Message) (string, error) {
	id, err := a.Mail.Send(ctx, msg)
	if err != nil {
		a.Metrics.failed(row.Kind, sendgrid.IsRetryable(err))
		if sendgrid.IsRetryable(err) {
			return "", fmt.Errorf("send outbox %d: %w", row.ID, err)
		}
		_ = a.Store.MarkOutboxFailed(ctx, row.ID, err.Error())
		return "", temporal.NewNonRetryableApplicationError("SendGrid refused the email: "+err.Error(), "SendRejected", err)
	}
	if id == "" {
		id = fmt.Sprintf("outbox-%d", row.ID)
	}
	if err := a.Store.MarkOutboxSent(ctx, row.ID, id); err != nil {
		// SendGrid has the email; failing now would send it again on retry.
		// Keep trying to record it, but never resend.
		return "", temporal.NewNonRetryableApplicationError("email "+id+" sent but not recorded: "+err.Error(), "OutboxWrite", err)
	}
	a.Metrics.sent(row.Kind)
	return id, nil
}

func templateData(d EmailData) map[string]any {
	fl := make([]map[string]string, 0, len(d.Links.FastLane))
	for _, f := range d.Links.FastLane {
		fl = append(fl, map[string]string{"offer": f.Offer, "label": f.Label, "url": f.URL})
	}
	return map[string]any{
		"contact":  map[string]string{"first_name": d.Contact.FirstName, "last_name": d.Contact.LastName, "locale": d.Contact.Locale},
		"customer": map[string]string{"name": d.Customer.Name},
		"owner":    map[string]string{"name": d.Owner.Name, "email": d.Owner.Email},
		"content":  map[string]string{"title": d.Content.Title, "url": d.Content.URL, "topic": d.Content.Topic},
		"links":    map[string]any{"unsubscribe": d.Links.Unsubscribe, "fast_lane": fl},
	}
}

func joinName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}

// outboxStep keys a step's email by visit: the first send of a step in a
// cycle is the step ID itself, a goto back to it adds "#2", "#3"...
func outboxStep(req workflows.SendRequest) string {
	if req.Visit <= 1 {
		return req.StepID
	}
	return req.StepID + "#" + strconv.Itoa(req.Visit)
}
