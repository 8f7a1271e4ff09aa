package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
	"github.com/ripen/ripen/workflows"
)

// fixture is the activities against a real Postgres and the local SendGrid
// server, through the real sendgrid-go client.
type fixture struct {
	t    *testing.T
	acts *activities.Activities
	st   *store.Store
	sg   *sendgriddev.Server
	now  time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.NewDB(t)
	sg, err := sendgriddev.New(sendgriddev.Options{APIKey: "SG.right", DeliveredDelay: -1})
	require.NoError(t, err)
	srv := httptest.NewServer(sg.Handler())
	t.Cleanup(func() { srv.Close(); _ = sg.Close() })
	key, err := linktoken.GenerateKey("k1")
	require.NoError(t, err)
	links, err := linktoken.NewSigner(key)
	require.NoError(t, err)
	f := &fixture{t: t, st: st, sg: sg, now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	f.acts = &activities.Activities{
		Store: st,
		Mail:  sendgrid.New(sendgrid.Config{APIKey: "SG.right", BaseURL: srv.URL, Timeout: 5 * time.Second}),
		Links: links,
		Config: activities.Config{
			From: sendgrid.Address{Email: "nurture@seller.example", Name: "Seller"}, PublicURL: "https://ripen.example",
			TemporalUIURL: "http://ui.example", Namespace: "default", LinkTTL: 90 * 24 * time.Hour,
		},
		Now: func() time.Time { return f.now },
	}
	ctx := context.Background()
	require.NoError(t, st.PutCustomer(ctx, store.Customer{ID: "acme", Name: "Acme GmbH",
		Owner:    store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"},
		Contacts: []store.Contact{{ID: "acme-max", Email: "max@acme.example", FirstName: "Max", LastName: "Muster", Timezone: "Europe/Berlin", Locale: "de"}}}))
	require.NoError(t, st.PutContent(ctx, store.Content{ID: "checklist", Title: "Automation checklist", Topic: "process-automation",
		Stage: "awareness", URL: "https://example.com/checklist?utm=a&b=c",
		Email: store.ContentEmail{Subject: "{{.Contact.FirstName}}, 12 steps for {{.Customer.Name}}",
			HTML: `<p>Hallo {{.Contact.FirstName}}, <a href="{{.Content.URL}}">lesen</a> or <a href="https://example.com/other">other</a></p>`,
			Text: "Read {{.Content.URL}}"}}))
	require.NoError(t, st.PutContent(ctx, store.Content{ID: "case-study", Title: "Case study", Topic: "process-automation",
		Stage: "consideration", URL: "https://example.com/case", Email: store.ContentEmail{Subject: "Case", HTML: "<p>case</p>"}}))
	f.publish("j", nil)
	return f
}

// publish makes sure journey id has a published version with the
// definition's extra fields (audience, sender) and returns its version:
// the send reads the run's version for them.
func (f *fixture) publish(id string, extra map[string]any) int {
	f.t.Helper()
	def := map[string]any{"id": id, "name": id, "offer": map[string]string{"kind": "upsell", "product": "p"},
		"steps": []map[string]any{{"id": "a", "end": true}}}
	for k, v := range extra {
		def[k] = v
	}
	raw, err := json.Marshal(def)
	require.NoError(f.t, err)
	jv, _, err := f.st.PublishJourneyIfChanged(context.Background(), store.JourneyVersion{JourneyID: id, Name: id, Definition: raw})
	require.NoError(f.t, err)
	return jv.Version
}

func sendReq(step, content string, cycle int) workflows.SendRequest {
	return workflows.SendRequest{RunKey: "ripen/j/acme/run-1", WorkflowID: "ripen/j/acme", JourneyID: "j", Version: 1,
		CustomerID: "acme", StepID: step, ContentID: content, Cycle: cycle, FastLane: []string{"demo", "price-indication"}}
}

func TestSendContentSendsEachStepOnceAcrossRetries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first, err := f.acts.SendContent(ctx, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	require.Equal(t, workflows.SendSent, first.Status)
	again, err := f.acts.SendContent(ctx, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	require.Equal(t, first.MessageIDs, again.MessageIDs, "a retry returns the earlier result")
	require.Len(t, f.sg.Messages(), 1, "SendGrid got the email once")
	// A goto back to the step is a new visit, and a new email.
	loop := sendReq("checklist", "checklist", 1)
	loop.Visit = 2
	_, err = f.acts.SendContent(ctx, loop)
	require.NoError(t, err)
	require.Len(t, f.sg.Messages(), 2)
	_, err = f.acts.SendContent(ctx, loop)
	require.NoError(t, err)
	require.Len(t, f.sg.Messages(), 2, "each visit once")
	// The next cycle is a new email.
	_, err = f.acts.SendContent(ctx, sendReq("checklist", "checklist", 2))
	require.NoError(t, err)
	require.Len(t, f.sg.Messages(), 3)
}

func TestSendContentRendersTracksAndLabelsTheEmail(t *testing.T) {
	f := newFixture(t)
	_, err := f.acts.SendContent(context.Background(), sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	m := f.sg.Messages()[0]
	require.Equal(t, "Max, 12 steps for Acme GmbH", m.Subject)
	require.Equal(t, []string{"max@acme.example"}, m.To)
	require.Equal(t, "nurture@seller.example", m.From)
	require.NotContains(t, m.HTML, "example.com/checklist", "content links are tracked")
	require.Contains(t, m.HTML, "Demo vereinbaren", "fast-lane links in the contact's language")
	require.Contains(t, m.HTML, "Abmelden")
	require.Equal(t, "List-Unsubscribe=One-Click", m.Headers["List-Unsubscribe-Post"])
	require.Regexp(t, `^<https://ripen\.example/u/[A-Za-z0-9_-]+>$`, m.Headers["List-Unsubscribe"])
	require.Equal(t, map[string]string{"ripen_run": "ripen/j/acme", "ripen_step": "checklist", "ripen_cycle": "1",
		"ripen_contact": "acme-max", "ripen_journey": "j", "ripen_customer": "acme", "ripen_content": "checklist"}, m.CustomArgs)

	// Each tracked link verifies to its real target.
	targets := map[string]bool{}
	for _, l := range regexp.MustCompile(`https://ripen\.example/r/([A-Za-z0-9_-]+)`).FindAllStringSubmatch(m.HTML, -1) {
		c, err := f.acts.Links.Verify(l[1], f.now)
		require.NoError(t, err)
		if c.Kind == linktoken.KindTrap {
			continue // the hidden link (TestEveryEmailHidesALinkOnlyMachinesFollow)
		}
		require.Equal(t, linktoken.KindRedirect, c.Kind)
		require.Equal(t, "ripen/j/acme", c.RunID)
		require.Equal(t, "acme-max", c.ContactID)
		targets[c.Target] = true
	}
	require.Equal(t, map[string]bool{"https://example.com/checklist?utm=a&b=c": true, "https://example.com/other": true}, targets)
	require.Contains(t, m.Text, "https://ripen.example/r/")
}

func TestSendContentSkipsSuppressedAddresses(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.st.Suppress(context.Background(), "MAX@acme.example", "unsubscribe", "test"))
	res, err := f.acts.SendContent(context.Background(), sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	require.Equal(t, workflows.SendSuppressed, res.Status)
	require.Empty(t, f.sg.Messages())
}

func TestFrequencyCapAnswersNotBefore(t *testing.T) {
	f := newFixture(t)
	f.acts.Config.FrequencyMax, f.acts.Config.FrequencyPer = 1, 7*24*time.Hour
	ctx := context.Background()
	_, err := f.acts.SendContent(ctx, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	sentAt := time.Now() // the store stamps sent_at itself
	f.now = f.now.Add(time.Hour)
	res, err := f.acts.SendContent(ctx, sendReq("case-study", "case-study", 1))
	require.NoError(t, err)
	require.Equal(t, workflows.SendDeferred, res.Status)
	require.WithinDuration(t, sentAt.Add(7*24*time.Hour), res.NotBefore, time.Minute)
	require.Len(t, f.sg.Messages(), 1)
}

func TestSendGridRefusalIsPermanentAndVisible(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.sg.Handler())
	defer srv.Close()
	f.acts.Mail = sendgrid.New(sendgrid.Config{APIKey: "SG.wrong", BaseURL: srv.URL})
	_, err := f.acts.SendContent(context.Background(), sendReq("checklist", "checklist", 1))
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app), "%v", err)
	require.True(t, app.NonRetryable())
	require.Contains(t, app.Error(), "SendGrid refused")
	row, err := f.st.ClaimOutbox(context.Background(), store.OutboxKey{RunKey: "ripen/j/acme/run-1", StepID: "checklist", Cycle: 1, ContactID: "acme-max", Kind: "content"})
	require.NoError(t, err)
	require.Equal(t, "failed", row.Status)
	require.NotEmpty(t, row.Error)
}

func TestOverloadedSendGridIsRetriedAndStillSendsOnce(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.sg.SetFaults(sendgriddev.Faults{Rate500: 1}))
	_, err := f.acts.SendContent(context.Background(), sendReq("checklist", "checklist", 1))
	require.Error(t, err)
	var app *temporal.ApplicationError
	require.False(t, errors.As(err, &app) && app.NonRetryable(), "5xx must be retried: %v", err)
	require.NoError(t, f.sg.SetFaults(sendgriddev.Faults{Rate429: 1}))
	_, err = f.acts.SendContent(context.Background(), sendReq("checklist", "checklist", 1))
	require.Error(t, err)
	require.True(t, sendgrid.IsRetryable(err), "429 must be retried: %v", err)
	require.NoError(t, f.sg.SetFaults(sendgriddev.Faults{}))
	res, err := f.acts.SendContent(context.Background(), sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	require.Equal(t, workflows.SendSent, res.Status)
	require.Len(t, f.sg.Messages(), 1)
}

func TestBrokenTemplateFailsWithoutSending(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.st.PutContent(context.Background(), store.Content{ID: "broken", Title: "B", Topic: "t", Stage: "awareness",
		URL: "https://example.com", Email: store.ContentEmail{Subject: "{{.Contact.Shoe}}", HTML: "<p>x</p>"}}))
	_, err := f.acts.SendContent(context.Background(), sendReq("b", "broken", 1))
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app))
	require.Equal(t, "BadTemplate", app.Type())
	require.Empty(t, f.sg.Messages())
}

func TestHandoffRecordsEvidenceAndMailsTheOwnerOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.st.PublishJourney(ctx, store.JourneyVersion{JourneyID: "j", Name: "J",
		Definition: json.RawMessage(`{"id":"j","name":"J","offer":{"kind":"upsell","product":"p"},"steps":[{"id":"a","end":true}]}`)})
	require.NoError(t, err)
	_, _, err = f.st.InsertEvents(ctx, []store.Event{{ID: "fl-1", CustomerID: "acme", Type: "fast-lane", Note: "call me Tuesday", OccurredAt: f.now}})
	require.NoError(t, err)
	req := workflows.HandoffRequest{RunKey: "ripen/j/acme/run-1", WorkflowID: "ripen/j/acme", JourneyID: "j", Version: 1,
		CustomerID: "acme", OwnerID: "rep-eva", Cycle: 1, Reason: "fast-lane", Offer: "demo", FastLaneEventID: "fl-1", Score: 21,
		SLA: 48 * time.Hour, Evidence: workflows.Evidence{Engagements: []workflows.Engagement{{EventID: "e1", Kind: "click", StepID: "checklist", At: f.now, Points: 10}}}}
	rec, err := f.acts.RecordHandoff(ctx, req)
	require.NoError(t, err)
	again, err := f.acts.RecordHandoff(ctx, req)
	require.NoError(t, err)
	require.Equal(t, rec.ID, again.ID, "one hand-off per run and cycle")
	h, err := f.st.GetHandoff(ctx, rec.ID)
	require.NoError(t, err)
	require.Equal(t, "call me Tuesday", h.Note, "the note comes from Postgres, not from workflow history")
	var ev workflows.Evidence
	require.NoError(t, json.Unmarshal(h.Evidence, &ev))
	require.Len(t, ev.Engagements, 1)

	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: rec.ID}))
	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: rec.ID}))
	msgs := f.sg.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	require.Equal(t, []string{"eva@seller.example"}, m.To)
	require.Equal(t, "Acme GmbH is ready: fast-lane (demo)", m.Subject)
	require.Contains(t, m.HTML, "call me Tuesday")
	link := regexp.MustCompile(`https://ripen\.example/h/([A-Za-z0-9_-]+)`).FindStringSubmatch(m.HTML)
	require.NotNil(t, link, "the email links to the hand-off's page: %s", m.HTML)
	c, err := f.acts.Links.VerifyKind(link[1], linktoken.KindHandoff, f.now)
	require.NoError(t, err)
	require.Equal(t, rec.ID, c.Target)
	require.Equal(t, f.now.Add(linktoken.DefaultHandoffTTL).Unix(), c.Expires.Unix(), "valid for the default 30 days")
	require.NotContains(t, m.HTML, "/v1/handoffs/", "no link that needs an API key")
	require.Contains(t, m.HTML, "http://ui.example/namespaces/default/workflows/ripen%2Fj%2Facme")
	require.Contains(t, m.HTML, "click on the email of step checklist")

	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: rec.ID, Reminder: 1}))
	require.Len(t, f.sg.Messages(), 2)
	require.True(t, strings.HasPrefix(f.sg.Messages()[1].Subject, "Reminder:"))

	// Once sales answered, no more reminders.
	require.NoError(t, f.acts.CloseHandoff(ctx, workflows.CloseHandoffRequest{HandoffID: rec.ID, Outcome: "accepted"}))
	require.NoError(t, f.acts.CloseHandoff(ctx, workflows.CloseHandoffRequest{HandoffID: rec.ID, Outcome: "accepted"}), "closing again is a no-op")
	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: rec.ID, Reminder: 2}))
	require.Len(t, f.sg.Messages(), 2)
}

func TestLoadRunContextCarriesNoPersonalData(t *testing.T) {
	f := newFixture(t)
	rc, err := f.acts.LoadRunContext(context.Background(), workflows.RunContextRequest{CustomerID: "acme"})
	require.NoError(t, err)
	require.Equal(t, workflows.RunContext{OwnerID: "rep-eva", Timezone: "Europe/Berlin", Reachable: true, Timezones: []string{"Europe/Berlin"}}, rc)
	_, err = f.acts.LoadRunContext(context.Background(), workflows.RunContextRequest{CustomerID: "nobody"})
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app))
	require.True(t, app.NonRetryable())
}
