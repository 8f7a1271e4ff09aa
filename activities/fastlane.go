package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// FastLaneSLA is how long sales has to answer a hand-off without a run:
// there is no journey whose handoff.sla would say.
const FastLaneSLA = 48 * time.Hour

// fastLaneEvent loads the fast-lane event of a request; one that is not
// stored (or not a fast lane) never will be.
func (a *Activities) fastLaneEvent(ctx context.Context, eventID string) (store.Event, error) {
	ev, err := a.Store.GetEvent(ctx, eventID)
	if errors.Is(err, store.ErrNotFound) {
		return ev, temporal.NewNonRetryableApplicationError("fast-lane event "+eventID+" does not exist", "UnknownEvent", err)
	}
	if err != nil {
		return ev, fmt.Errorf("load fast-lane event %s: %w", eventID, err)
	}
	if ev.Type != store.FastLaneType {
		return ev, temporal.NewNonRetryableApplicationError("event "+eventID+" is not a fast-lane request", "NotFastLane", nil)
	}
	return ev, nil
}

// RecordFastLaneHandoff records the hand-off without a run of a fast-lane
// request that no running run offers, to the customer's owner now, with
// the request's offer and note. Idempotent: the store keeps one hand-off
// per fast-lane event and returns it on retry.
func (a *Activities) RecordFastLaneHandoff(ctx context.Context, req workflows.FastLaneHandoffRequest) (workflows.HandoffRecord, error) {
	ev, err := a.fastLaneEvent(ctx, req.EventID)
	if err != nil {
		return workflows.HandoffRecord{}, err
	}
	owner, err := a.currentOwner(ctx, ev.CustomerID, "")
	if err != nil {
		return workflows.HandoffRecord{}, err
	}
	evidence, err := json.Marshal(workflows.Evidence{Engagements: []workflows.Engagement{{
		EventID: ev.ID, Kind: "fast_lane", Topic: ev.Topic, ContactID: ev.ContactID, At: ev.OccurredAt,
	}}})
	if err != nil {
		return workflows.HandoffRecord{}, temporal.NewNonRetryableApplicationError("encode evidence: "+err.Error(), "BadEvidence", err)
	}
	h, err := a.Store.CreateRunlessHandoff(ctx, store.Handoff{
		CustomerID: ev.CustomerID, OwnerID: owner, Offer: ev.Topic, Note: ev.Note, EventID: ev.ID, ContactID: ev.ContactID,
		Claimed:  ev.Source == store.SourceWebClaimed,
		Evidence: evidence, SLADueAt: a.now().Add(FastLaneSLA),
	})
	if err != nil {
		return workflows.HandoffRecord{}, storeError(err, "Handoff", "record the hand-off of fast-lane event "+ev.ID)
	}
	a.Metrics.handoff("", store.ReasonFastLane) // no journey: no run offered it
	return workflows.HandoffRecord{ID: h.ID}, nil
}

// NotifyFastLaneOwner emails the owner recorded on a hand-off without a run
// the request: who asked, for what, and their note. Exactly once per
// hand-off through the outbox (keyed by the FastLaneHandoff workflow ID of
// its event). A hand-off of a run is NotifyOwner's. A suppressed owner
// address is not mailed (non-retryable, as for NotifyOwner).
func (a *Activities) NotifyFastLaneOwner(ctx context.Context, req workflows.NotifyRequest) error {
	h, err := a.Store.GetHandoff(ctx, req.HandoffID)
	if err != nil {
		return storeError(err, "Handoff", "load hand-off "+req.HandoffID)
	}
	if h.HasRun() {
		return a.NotifyOwner(ctx, req)
	}
	cust, err := a.Store.GetCustomer(ctx, h.CustomerID)
	if err != nil {
		return storeError(err, "Customer", "load customer "+h.CustomerID)
	}
	owner, err := a.Store.GetOwner(ctx, h.OwnerID)
	if err != nil {
		return storeError(err, "Owner", "load owner "+h.OwnerID+" of hand-off "+h.ID)
	}
	row, err := a.Store.ClaimOutbox(ctx, store.OutboxKey{RunKey: workflows.FastLaneWorkflowID(h.EventID), StepID: "handoff:" + h.ID,
		ContactID: "owner:" + owner.ID, Kind: outboxHandoff, HandoffID: h.ID})
	if err != nil {
		return fmt.Errorf("claim outbox for hand-off %s: %w", h.ID, err)
	}
	if row.MessageID != "" {
		return nil
	}
	suppressed, err := a.Store.IsSuppressed(ctx, owner.Email)
	if err != nil {
		return fmt.Errorf("check suppression of owner %s: %w", owner.ID, err)
	}
	if suppressed {
		_ = a.Store.MarkOutboxFailed(ctx, row.ID, "the owner's address is suppressed")
		return temporal.NewNonRetryableApplicationError("account owner "+owner.ID+" not mailed: the address is suppressed", "OwnerSuppressed", nil)
	}
	who := i18n.T(i18n.English, "runless.unknown.contact")
	if ev, err := a.Store.GetEvent(ctx, h.EventID); err == nil {
		for _, ct := range cust.Contacts {
			if ct.ID == ev.ContactID {
				who = strings.TrimSpace(ct.Name() + " <" + ct.Email + ">")
				if ct.Phone != "" {
					who += " · " + ct.Phone
				}
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("load fast-lane event %s: %w", h.EventID, err)
	}
	link, err := a.handoffURL(h)
	if err != nil {
		return err
	}
	subject, html, text := a.runlessHandoffEmail(h, cust, who, link)
	_, _, err = a.deliver(ctx, row, sendgrid.Message{
		From: a.Config.From, To: sendgrid.Address{Email: owner.Email, Name: owner.Name},
		Subject: subject, HTML: html, Text: text,
		CustomArgs: map[string]string{"ripen_handoff": h.ID, "ripen_run": workflows.FastLaneWorkflowID(h.EventID), "ripen_kind": outboxHandoff},
		Categories: []string{"ripen", "handoff"},
	})
	return err
}

type runlessView struct {
	Lang                     i18n.Lang
	Customer, Contact, Offer string
	Note, Due, HandoffURL    string
}

var runlessHTML = template.Must(template.New("runless").Funcs(template.FuncMap{"t": i18n.T}).Parse(`<p>{{t .Lang "runless.intro"}}</p>
<table>
<tr><th align="left">{{t .Lang "handoff.customer"}}</th><td>{{.Customer}}</td></tr>
<tr><th align="left">{{t .Lang "runless.contact"}}</th><td>{{.Contact}}</td></tr>
<tr><th align="left">{{t .Lang "runless.offer"}}</th><td>{{.Offer}}</td></tr>
{{if .Note}}<tr><th align="left">{{t .Lang "handoff.note"}}</th><td>{{.Note}}</td></tr>{{end}}
<tr><th align="left">{{t .Lang "handoff.due"}}</th><td>{{.Due}}</td></tr>
</table>
<p><a href="{{.HandoffURL}}">{{t .Lang "handoff.answer.link"}}</a> {{t .Lang "handoff.answer.outcomes"}}</p>`))

// runlessHandoffEmail is the owner's email of a hand-off without a run.
// Owners have no language in the store: it speaks English, as the
// hand-off email does.
func (a *Activities) runlessHandoffEmail(h store.Handoff, c store.Customer, who, link string) (subject, html, text string) {
	lang := i18n.English
	v := runlessView{Lang: lang, Customer: c.Name, Contact: who, Offer: i18n.OfferLabel(h.Offer, lang) + " (" + h.Offer + ")",
		Note: h.Note, Due: h.SLADueAt.UTC().Format(time.RFC1123),
		HandoffURL: link}
	subject = i18n.T(lang, "runless.subject", c.Name, h.Offer)
	var b strings.Builder
	_ = runlessHTML.Execute(&b, v)
	label := func(key string) string { return i18n.T(lang, key) }
	var t strings.Builder
	fmt.Fprintf(&t, "%s\n\n%s\n\n%s: %s\n%s: %s\n%s: %s\n", subject, label("runless.intro"),
		label("handoff.customer"), v.Customer, label("runless.contact"), v.Contact, label("runless.offer"), v.Offer)
	if v.Note != "" {
		fmt.Fprintf(&t, "%s: %s\n", label("handoff.note"), v.Note)
	}
	fmt.Fprintf(&t, "%s: %s\n\n%s: %s\n", label("handoff.due"), v.Due, label("handoff.answer"), v.HandoffURL)
	return subject, b.String(), t.String()
}

// SendFastLaneAsset emails the asset of a requested checklist or
// implementation note to the contact who asked (fast-lane event
// req.EventID): the content the journey's mqn.assets names for the offer.
// The journey is req's (a run's own: JourneyID and Version), else the
// first by journey ID of the newest published versions of the live
// journeys that list an asset for the offer. No asset, no contact on file
// or a suppressed address: nothing is sent, and that is no error.
//
// Exactly once per request: the outbox row is keyed by the event's
// FastLaneHandoff workflow ID and the offer, whichever workflow asks, so a
// retry, a repeated event, or both a run and FastLaneHandoff asking send
// one email. The journey workflow may call it too
// (workflows.ActivitySendFastLaneAsset).
func (a *Activities) SendFastLaneAsset(ctx context.Context, req workflows.FastLaneAssetRequest) (workflows.FastLaneAssetResult, error) {
	var res workflows.FastLaneAssetResult
	ev, err := a.fastLaneEvent(ctx, req.EventID)
	if err != nil || !journey.IsAssetOffer(ev.Topic) {
		return res, err
	}
	def, err := a.assetJourney(ctx, req, ev.Topic)
	if err != nil || def == nil {
		return res, err
	}
	res.ContentID = def.Asset(ev.Topic)
	cust, err := a.Store.GetCustomer(ctx, ev.CustomerID)
	if err != nil {
		return res, storeError(err, "Customer", "load customer "+ev.CustomerID)
	}
	var ct store.Contact
	for _, c := range cust.Contacts {
		if c.ID == ev.ContactID {
			ct = c
		}
	}
	if ct.ID == "" || ct.Email == "" {
		return res, nil // nobody on file to send it to
	}
	content, err := a.Store.GetContent(ctx, res.ContentID)
	if err != nil {
		return res, storeError(err, "Content", "load content "+res.ContentID)
	}
	runID := workflows.FastLaneWorkflowID(ev.ID)
	send := workflows.SendRequest{RunKey: runID, WorkflowID: runID, JourneyID: def.ID, Version: def.Version,
		CustomerID: cust.ID, StepID: "asset-" + ev.Topic, ContentID: content.ID}
	row, err := a.Store.ClaimOutbox(ctx, store.OutboxKey{RunKey: runID, StepID: send.StepID, ContactID: ct.ID, Kind: store.OutboxContent})
	if err != nil {
		return res, fmt.Errorf("claim outbox for the %s of event %s: %w", ev.Topic, ev.ID, err)
	}
	if row.MessageID != "" {
		res.Sent = true
		return res, nil
	}
	suppressed, err := a.Store.IsSuppressed(ctx, ct.Email)
	if err != nil {
		return res, fmt.Errorf("check suppression of contact %s: %w", ct.ID, err)
	}
	if suppressed {
		_ = a.Store.MarkOutboxFailed(ctx, row.ID, "the contact's address is suppressed")
		return res, nil
	}
	if _, _, err := a.sendToContact(ctx, send, def, cust, ct, content, row); err != nil {
		return res, err
	}
	res.Sent = true
	return res, nil
}

// assetJourney is the journey whose mqn.assets gives the asset of offer:
// req's, or the first by ID of the live journeys' newest published
// versions that list one (nil when none does).
func (a *Activities) assetJourney(ctx context.Context, req workflows.FastLaneAssetRequest, offer string) (*journey.Definition, error) {
	if req.JourneyID != "" {
		def, err := a.journeyVersion(ctx, req.JourneyID, req.Version)
		if err != nil || def.Asset(offer) == "" {
			return nil, err
		}
		return def, nil
	}
	jvs, err := a.Store.ListJourneys(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("list journeys for the asset %s: %w", offer, err)
	}
	for _, jv := range jvs { // by journey ID
		var def journey.Definition
		if err := json.Unmarshal(jv.Definition, &def); err != nil {
			continue // unreadable: it has no asset to give
		}
		if def.Asset(offer) != "" {
			def.ID, def.Version = jv.JourneyID, jv.Version
			return &def, nil
		}
	}
	return nil, nil
}
