package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/journey"
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
// retry skips contacts whose row is sent and returns the earlier message IDs,
// and skips contacts whose row failed for good. An email SendGrid accepted
// but the outbox could not record travels in the heartbeat details to the
// next attempt, which records it instead of sending it again; the attempt
// fails (retryably) so that there is a next attempt.
//
// Only the journey's audience is mailed: the contacts whose persona (their
// own, or else the customer's) the version's audience lists; each gets the
// content's variant for its persona and locale (store.Content.EmailFor),
// and the outbox row says which. The email goes out in the journey's
// sender's name (fromFor). With req.Timezone only the contacts in that
// zone (contactZone) are mailed: each zone's window sends its own.
//
// Suppressed addresses are skipped (checked here, at the last moment); the
// frequency cap answers "not before T" instead of sending. A permanent
// failure for one contact (SendGrid refused the address, a broken template)
// fails that contact's email only: the result is sent if anyone got mail,
// and a non-retryable error only when every contact that could be mailed
// failed. It heartbeats per contact.
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

	def, err := a.journeyVersion(ctx, req.JourneyID, req.Version)
	if err != nil {
		return workflows.SendResult{}, err
	}

	progress := lastProgress(ctx)
	res := workflows.SendResult{Status: workflows.SendSuppressed}
	var notBefore time.Time
	var failures []contactFailure
	for _, ct := range cust.Contacts {
		if !def.Audience.Includes(cust.PersonaOf(ct)) {
			continue
		}
		if req.Timezone != "" && contactZone(cust, ct) != req.Timezone {
			// Another zone's contact: its own window sends it.
			continue
		}
		progress.Contact = ct.ID
		heartbeat(ctx, progress)
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
		if row.MessageID == "" && progress.Unrecorded[row.ID] != "" {
			// An earlier attempt sent it: record it, never send it again.
			id := progress.Unrecorded[row.ID]
			if err := a.recordSent(ctx, row.ID, id); err != nil {
				return res, fmt.Errorf("record email %s to contact %s, sent by an earlier attempt: %w", id, ct.ID, err)
			}
			delete(progress.Unrecorded, row.ID)
			row.MessageID = id
		}
		if row.MessageID != "" {
			// Recorded, by this attempt or another (an attempt that
			// overlapped this one may have recorded its own copy): nothing
			// is left to record, so the entry must not fail every retry.
			delete(progress.Unrecorded, row.ID)
			res.Status = workflows.SendSent
			res.MessageIDs = append(res.MessageIDs, row.MessageID)
			continue
		}
		if row.Status == store.OutboxFailed {
			failures = append(failures, contactFailure{ct.ID, temporal.NewNonRetryableApplicationError("failed before: "+row.Error, "SendFailed", nil)})
			continue
		}
		if at, ok, err := a.reserveUnderCap(ctx, row, ct.ID); err != nil {
			return res, err
		} else if !ok {
			a.Metrics.capped()
			if at.After(notBefore) {
				notBefore = at
			}
			continue
		}
		id, recorded, err := a.sendToContact(ctx, req, def, cust, ct, content, row)
		if err != nil {
			var app *temporal.ApplicationError
			if errors.As(err, &app) && app.NonRetryable() {
				failures = append(failures, contactFailure{ct.ID, app})
				continue
			}
			return res, err
		}
		if !recorded {
			if progress.Unrecorded == nil {
				progress.Unrecorded = map[int64]string{}
			}
			progress.Unrecorded[row.ID] = id
			heartbeat(ctx, progress)
		}
		res.Status = workflows.SendSent
		res.MessageIDs = append(res.MessageIDs, id)
	}
	progress.Contact = ""
	heartbeat(ctx, progress)

	if len(failures) > 0 && res.Status == workflows.SendSent {
		a.Log.Warn().Str("workflow_id", req.WorkflowID).Str("step", req.StepID).Str("content", req.ContentID).
			Str("failed", describeFailures(failures)).Msg("step sent, but not to every contact")
	}
	if len(progress.Unrecorded) > 0 {
		// Only a retry of this activity has the heartbeat that says these
		// went. Once it answers, the row stays pending for good, and the
		// workflow's next call (after the cap's T, or a goto back to the
		// step) would send them again: record first.
		return res, fmt.Errorf("step %s: %d email(s) sent but not recorded in the outbox; retrying to record them", req.StepID, len(progress.Unrecorded))
	}
	if !notBefore.IsZero() {
		// Contacts already mailed stay mailed; the retry after T sends only
		// to the ones the cap held back.
		return workflows.SendResult{Status: workflows.SendDeferred, NotBefore: notBefore, MessageIDs: res.MessageIDs}, nil
	}
	if res.Status != workflows.SendSent && len(failures) > 0 {
		return res, everyContactFailed(failures)
	}
	return res, nil
}

// contactFailure is a permanent failure to mail one contact.
type contactFailure struct {
	contactID string
	err       error // a non-retryable *temporal.ApplicationError
}

// everyContactFailed is the non-retryable error of a step nobody got: the
// one failure as it was, or all of them under the first one's type.
func everyContactFailed(fs []contactFailure) error {
	if len(fs) == 1 {
		return fs[0].err
	}
	kind := "SendFailed"
	var app *temporal.ApplicationError
	if errors.As(fs[0].err, &app) {
		kind = app.Type()
	}
	return temporal.NewNonRetryableApplicationError("no contact could be mailed: "+describeFailures(fs), kind, nil)
}

func describeFailures(fs []contactFailure) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		msg := f.err.Error()
		var app *temporal.ApplicationError
		if errors.As(f.err, &app) {
			msg = app.Message()
			if c := app.Unwrap(); c != nil {
				msg += ": " + c.Error()
			}
		}
		parts[i] = "contact " + f.contactID + ": " + msg
	}
	return strings.Join(parts, "; ")
}

// sendProgress is SendContent's heartbeat: the contact being mailed, and
// the emails SendGrid accepted that the outbox could not record (outbox row
// ID → message ID), so the next attempt records them instead of sending.
// IDs only: no personal data in Temporal.
type sendProgress struct {
	Contact    string           `json:"contact,omitempty"`
	Unrecorded map[int64]string `json:"unrecorded,omitempty"`
}

// lastProgress is the heartbeat of the previous attempt, if any. Temporal
// keeps the last heartbeat of a failed attempt (the SDK flushes it with the
// failure).
func lastProgress(ctx context.Context) sendProgress {
	var p sendProgress
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &p)
	}
	return p
}

func heartbeat(ctx context.Context, p sendProgress) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, p)
	}
}

// reserveUnderCap lets the email go if the contact is under the frequency
// cap, counting it from now on; otherwise it says when the next may go.
func (a *Activities) reserveUnderCap(ctx context.Context, row store.OutboxRow, contactID string) (time.Time, bool, error) {
	ok, notBefore, err := a.Store.ReserveUnderCap(ctx, row.ID, contactID, a.Config.FrequencyMax, a.Config.FrequencyPer, a.now())
	if err != nil {
		return time.Time{}, false, fmt.Errorf("frequency cap of contact %s: %w", contactID, err)
	}
	return notBefore, ok, nil
}

// sendToContact renders and sends one contact's email for a claimed row.
// recorded is false when SendGrid accepted it but the outbox could not
// record it (see deliver).
func (a *Activities) sendToContact(ctx context.Context, req workflows.SendRequest, def *journey.Definition, cust store.Customer, ct store.Contact, content store.Content, row store.OutboxRow) (id string, recorded bool, err error) {
	var variant string
	content.Email, variant = content.EmailFor(cust.PersonaOf(ct), ct.Locale)
	if err := a.Store.NoteOutboxVariant(ctx, row.ID, variant); err != nil {
		return "", false, fmt.Errorf("note variant %s of step %s for contact %s: %w", variant, req.StepID, ct.ID, err)
	}
	expires := a.now().Add(a.Config.LinkTTL)
	var signErr error
	sign := func(kind, target string) string {
		tok, err := a.Links.Sign(linktoken.Claims{Kind: kind, RunID: req.WorkflowID, ContactID: ct.ID, Step: req.StepID, Target: target, Cycle: req.Cycle, Expires: expires})
		route := kind
		if kind == linktoken.KindTrap {
			route = linktoken.KindRedirect // it must look like any tracked link
		}
		if err != nil && signErr == nil {
			// Signing fails only for what the token would carry (a target
			// too long for a token): the same on every retry.
			// Only the host names the URL: its path or query may
			// carry personal data (?email=…), and this error ends up
			// in workflow history.
			signErr = fmt.Errorf("content %s: cannot sign the /%s/ link to a %d-character URL on %s: %w", content.ID, route, len(target), hostOf(target), err)
		}
		return a.Config.PublicURL + "/" + route + "/" + tok
	}
	data := EmailData{
		Contact:  ContactData{ID: ct.ID, FirstName: ct.FirstName, LastName: ct.LastName, Email: ct.Email, Locale: ct.Locale},
		Customer: CustomerData{ID: cust.ID, Name: cust.Name},
		Owner:    OwnerData{ID: cust.Owner.ID, Name: cust.Owner.Name, Email: cust.Owner.Email},
		Content:  ContentData{ID: content.ID, Title: content.Title, Topic: content.Topic, Stage: content.Stage, URL: content.URL},
		Links:    LinkData{Unsubscribe: sign("u", ""), Trap: sign(linktoken.KindTrap, content.URL)},
	}
	lang := i18n.ForLocale(ct.Locale)
	for _, offer := range req.FastLane {
		data.Links.FastLane = append(data.Links.FastLane, FastLaneLink{Offer: offer, Label: i18n.OfferLabel(offer, lang), URL: sign("f", offer)})
	}
	track := func(url string) string { return sign("r", url) }

	from, replyTo := a.fromFor(def, cust.Owner)
	msg := sendgrid.Message{
		From:    from,
		ReplyTo: replyTo,
		To:      sendgrid.Address{Email: ct.Email, Name: ct.Name()},
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
			return "", false, temporal.NewNonRetryableApplicationError("cannot render the email", "BadTemplate", err)
		}
		msg.Subject, msg.HTML, msg.Text = r.Subject, r.HTML, r.Text
	}
	if signErr != nil {
		_ = a.Store.MarkOutboxFailed(ctx, row.ID, signErr.Error())
		return "", false, temporal.NewNonRetryableApplicationError(signErr.Error(), "BadLink", nil)
	}
	return a.deliver(ctx, row, msg)
}

// maxRetryAfter bounds how long SendGrid's 429 may hold a retry back.
const maxRetryAfter = 10 * time.Minute

// deliver calls SendGrid for a claimed outbox row and records the answer.
//
// Once SendGrid accepted the email it must never go again, so a failure to
// record it is not an error of the send: the record is tried again for a
// moment, and if it still fails, deliver logs it and returns the message ID
// with recorded false. The caller must then keep the retry of its activity
// from sending again (SendContent carries it in its heartbeat); a returned
// error always means SendGrid did not take the email.
//
// Every email passes here, so this is where names become header-safe
// (headerText): the subject and the sender's and recipient's display names.
func (a *Activities) deliver(ctx context.Context, row store.OutboxRow, msg sendgrid.Message) (id string, recorded bool, err error) {
	msg.Subject = headerText(msg.Subject)
	msg.From.Name, msg.To.Name = headerText(msg.From.Name), headerText(msg.To.Name)
	if msg.ReplyTo != nil {
		replyTo := *msg.ReplyTo
		replyTo.Name = headerText(replyTo.Name)
		msg.ReplyTo = &replyTo
	}
	id, err = a.Mail.Send(ctx, msg)
	if err != nil {
		retryable := sendgrid.IsRetryable(err)
		a.Metrics.failed(row.Kind, retryable)
		if !retryable {
			rctx, cancel := recordContext(ctx)
			_ = a.Store.MarkOutboxFailed(rctx, row.ID, err.Error())
			cancel()
			return "", false, temporal.NewNonRetryableApplicationError("SendGrid refused the email", "SendRejected", err)
		}
		var se *sendgrid.SendError
		if errors.As(err, &se) && se.Status == http.StatusTooManyRequests && se.RetryAfter > 0 {
			return "", false, temporal.NewApplicationErrorWithOptions(fmt.Sprintf("send outbox %d: SendGrid asks to wait %s", row.ID, se.RetryAfter.Round(time.Second)), "SendGridRateLimited",
				temporal.ApplicationErrorOptions{NextRetryDelay: min(se.RetryAfter, maxRetryAfter), Cause: err})
		}
		return "", false, fmt.Errorf("send outbox %d: %w", row.ID, err)
	}
	if id == "" {
		id = fmt.Sprintf("outbox-%d", row.ID)
	}
	a.Metrics.sent(row.Kind, row.RunKey)
	if err := a.recordSent(ctx, row.ID, id); err != nil {
		a.Log.Error().Err(err).Int64("outbox_id", row.ID).Str("message_id", id).Str("kind", row.Kind).
			Msg("email sent but not recorded in the outbox; it will not be sent again")
		return id, false, nil
	}
	return id, true, nil
}

// recordTimeout bounds writing down SendGrid's answer once the activity's
// own context no longer allows it.
const recordTimeout = 10 * time.Second

// recordContext is for writing down what SendGrid answered. The activity's
// deadline can pass, or the activity be canceled, right after SendGrid
// took an email: recording on that context would fail at once, and the
// heartbeat that would carry the message ID might never reach the server,
// so the retry would send the email again. It keeps ctx's values but not
// its cancellation, and has a short deadline of its own.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// recordSent marks an outbox row sent, trying a few times over about a
// second when Postgres fails for a moment. A conflict (the row was sent as
// another message) or a missing row is final. It runs on a recordContext:
// the email went whatever became of the activity.
func (a *Activities) recordSent(ctx context.Context, rowID int64, messageID string) error {
	ctx, cancel := recordContext(ctx)
	defer cancel()
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := a.Store.MarkOutboxSent(ctx, rowID, messageID)
		if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) || attempt == 4 {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff *= 2
	}
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
		"links":    map[string]any{"unsubscribe": d.Links.Unsubscribe, "fast_lane": fl, "trap": d.Links.Trap},
	}
}

// outboxStep keys a step's email by visit: the first send of a step in a
// cycle is the step ID itself, a goto back to it adds "#2", "#3"...
func outboxStep(req workflows.SendRequest) string {
	if req.Visit <= 1 {
		return req.StepID
	}
	return req.StepID + "#" + strconv.Itoa(req.Visit)
}

// hostOf names a URL by its host alone ("?" when it has none).
func hostOf(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return "?"
	}
	return u.Host
}
