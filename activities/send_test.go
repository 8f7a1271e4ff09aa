package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

const week = 7 * 24 * time.Hour

// twoContacts gives acme a second contact, Anna, who comes first.
func (f *fixture) twoContacts() {
	f.t.Helper()
	require.NoError(f.t, f.st.PutCustomer(context.Background(), store.Customer{ID: "acme", Name: "Acme GmbH",
		Owner: store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"},
		Contacts: []store.Contact{
			{ID: "acme-anna", Email: "anna@acme.example", FirstName: "Anna", Timezone: "Europe/Berlin", Locale: "en"},
			{ID: "acme-max", Email: "max@acme.example", FirstName: "Max", LastName: "Muster", Timezone: "Europe/Berlin", Locale: "de"},
		}}))
}

func (f *fixture) mailsTo(addr string) []sendgriddev.Message {
	var out []sendgriddev.Message
	for _, m := range f.sg.Messages() {
		if len(m.To) == 1 && m.To[0] == addr {
			out = append(out, m)
		}
	}
	return out
}

func (f *fixture) outboxRow(step, contact string) store.OutboxRow {
	f.t.Helper()
	row, err := f.st.ClaimOutbox(context.Background(), store.OutboxKey{RunKey: "ripen/j/acme/run-1", StepID: step, Cycle: 1, ContactID: contact})
	require.NoError(f.t, err)
	return row
}

// mailer wraps the real client: fail, when set, answers for an address
// instead of SendGrid; the calls per address are counted.
type mailer struct {
	real  activities.Mailer
	mu    sync.Mutex
	calls map[string]int
	fail  func(to string) error
	id    func(to, id string) string // rewrites SendGrid's message ID
	after func(ctx context.Context)  // runs once SendGrid took an email
}

func (f *fixture) wrapMailer() *mailer {
	m := &mailer{real: f.acts.Mail, calls: map[string]int{}}
	f.acts.Mail = m
	return m
}

func (m *mailer) Send(ctx context.Context, msg sendgrid.Message) (string, error) {
	m.mu.Lock()
	m.calls[msg.To.Email]++
	fail, rewrite, after := m.fail, m.id, m.after
	m.mu.Unlock()
	if fail != nil {
		if err := fail(msg.To.Email); err != nil {
			return "", err
		}
	}
	id, err := m.real.Send(ctx, msg)
	if err == nil && rewrite != nil {
		id = rewrite(msg.To.Email, id)
	}
	if err == nil && after != nil {
		after(ctx)
	}
	return id, err
}

func (m *mailer) callsTo(addr string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[addr]
}

func refused(addrs ...string) func(string) error {
	return func(to string) error {
		for _, a := range addrs {
			if a == to {
				return &sendgrid.SendError{Status: 400, Messages: []string{"Does not contain a valid address."}}
			}
		}
		return nil
	}
}

// requireRetryable checks that err fails the attempt without failing the
// activity for good.
func requireRetryable(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	var app *temporal.ApplicationError
	require.False(t, errors.As(err, &app) && app.NonRetryable(), "%v", err)
}

func requireNonRetryable(t *testing.T, err error, kind string) *temporal.ApplicationError {
	t.Helper()
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app), "%v", err)
	require.True(t, app.NonRetryable(), "%v", err)
	require.Equal(t, kind, app.Type())
	return app
}

func TestOneRefusedContactDoesNotStopTheOthers(t *testing.T) {
	f := newFixture(t)
	f.twoContacts()
	m := f.wrapMailer()
	m.fail = refused("anna@acme.example")
	ctx := context.Background()

	res, err := f.acts.SendContent(ctx, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	require.Equal(t, workflows.SendSent, res.Status)
	require.Len(t, res.MessageIDs, 1)
	require.Len(t, f.mailsTo("max@acme.example"), 1, "Max gets his email although Anna's address was refused")
	anna := f.outboxRow("checklist", "acme-anna")
	require.Equal(t, store.OutboxFailed, anna.Status)
	require.Contains(t, anna.Error, "valid address")

	again, err := f.acts.SendContent(ctx, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	require.Equal(t, res.MessageIDs, again.MessageIDs)
	require.Equal(t, 1, m.callsTo("anna@acme.example"), "a retry does not ask SendGrid again for a refused address")
	require.Len(t, f.mailsTo("max@acme.example"), 1)

	t.Run("when every contact is refused the step fails for good", func(t *testing.T) {
		m.fail = refused("anna@acme.example", "max@acme.example")
		_, err := f.acts.SendContent(ctx, sendReq("case-study", "case-study", 1))
		app := requireNonRetryable(t, err, "SendRejected")
		require.Contains(t, app.Error(), "contact acme-anna: SendGrid refused the email")
		require.Contains(t, app.Error(), "contact acme-max: SendGrid refused the email")
	})
}

func TestTextLinksLeaveTheSentenceAlone(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.st.PutContent(context.Background(), store.Content{ID: "plain", Title: "Plain", Topic: "t", Stage: "awareness",
		URL: "https://example.com/p", Email: store.ContentEmail{Subject: "Plain",
			Text: "See https://example.com/p. Or (https://example.com/q), https://en.wikipedia.org/wiki/Go_(game)! Last: https://example.com/r?x=1;"}}))
	_, err := f.acts.SendContent(context.Background(), sendReq("plain", "plain", 1))
	require.NoError(t, err)
	text := f.sg.Messages()[0].Text

	link := regexp.MustCompile(`https://ripen\.example/r/([A-Za-z0-9_-]+)`)
	var targets []string
	for _, l := range link.FindAllStringSubmatch(text, -1) {
		c, err := f.acts.Links.VerifyKind(l[1], linktoken.KindRedirect, f.now)
		require.NoError(t, err)
		targets = append(targets, c.Target)
	}
	require.Equal(t, []string{"https://example.com/p", "https://example.com/q", "https://en.wikipedia.org/wiki/Go_(game)", "https://example.com/r?x=1"}, targets)
	require.Regexp(t, `^See https://ripen\.example/r/[A-Za-z0-9_-]+\. Or \(https://ripen\.example/r/[A-Za-z0-9_-]+\), https://ripen\.example/r/[A-Za-z0-9_-]+! Last: https://ripen\.example/r/[A-Za-z0-9_-]+;\n`, text)
}

// A URL that arrives through data (here a contact's name) is never signed
// into a redirect on ripen's domain; the template's own links are.
func TestTextLinksFromDataAreNotTracked(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cust, err := f.st.GetCustomer(ctx, "acme")
	require.NoError(t, err)
	cust.Contacts[0].FirstName = "https://evil.example/login"
	require.NoError(t, f.st.PutCustomer(ctx, cust))
	require.NoError(t, f.st.PutContent(ctx, store.Content{ID: "plain", Title: "Plain", Topic: "t", Stage: "awareness",
		URL: "https://example.com/p", Email: store.ContentEmail{Subject: "Plain",
			Text: "Hello {{.Contact.FirstName}}, read {{.Content.URL}} or https://docs.example.org/q"}}))
	_, err = f.acts.SendContent(ctx, sendReq("plain", "plain", 1))
	require.NoError(t, err)
	text := f.sg.Messages()[0].Text

	require.Contains(t, text, "Hello https://evil.example/login, read", "left as the contact typed it")
	link := regexp.MustCompile(`https://ripen\.example/r/([A-Za-z0-9_-]+)`)
	var targets []string
	for _, l := range link.FindAllStringSubmatch(text, -1) {
		c, err := f.acts.Links.VerifyKind(l[1], linktoken.KindRedirect, f.now)
		require.NoError(t, err)
		targets = append(targets, c.Target)
	}
	require.Equal(t, []string{"https://example.com/p", "https://docs.example.org/q"}, targets)
}

func TestDynamicTemplateGetsTheSameDataWithTrackedLinks(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.st.PutContent(context.Background(), store.Content{ID: "designed", Title: "Designed in SendGrid", Topic: "t", Stage: "awareness",
		URL: "https://example.com/designed", Email: store.ContentEmail{TemplateID: "d-0123456789abcdef"}}))
	res, err := f.acts.SendContent(context.Background(), sendReq("designed", "designed", 1))
	require.NoError(t, err)
	require.Equal(t, workflows.SendSent, res.Status)

	m := f.sg.Messages()[0]
	require.Equal(t, "d-0123456789abcdef", m.TemplateID)
	require.Empty(t, m.Subject, "the template has the subject")
	require.Equal(t, "designed", m.CustomArgs["ripen_step"])
	require.Equal(t, "designed", m.CustomArgs["ripen_content"])
	require.Regexp(t, `^<https://ripen\.example/u/[A-Za-z0-9_-]+>$`, m.Headers["List-Unsubscribe"])

	data, err := json.Marshal(m.TemplateData)
	require.NoError(t, err)
	var td struct {
		Contact  map[string]string `json:"contact"`
		Customer map[string]string `json:"customer"`
		Owner    map[string]string `json:"owner"`
		Content  map[string]string `json:"content"`
		Links    struct {
			Unsubscribe string                               `json:"unsubscribe"`
			FastLane    []struct{ Offer, Label, URL string } `json:"fast_lane"`
		} `json:"links"`
	}
	require.NoError(t, json.Unmarshal(data, &td))
	require.Equal(t, "Max", td.Contact["first_name"])
	require.Equal(t, "Acme GmbH", td.Customer["name"])
	require.Equal(t, "Eva Berger", td.Owner["name"])
	require.Equal(t, "Designed in SendGrid", td.Content["title"])
	tok := strings.TrimPrefix(td.Content["url"], "https://ripen.example/r/")
	c, err := f.acts.Links.VerifyKind(tok, linktoken.KindRedirect, f.now)
	require.NoError(t, err, "the content URL is a tracked link: %s", td.Content["url"])
	require.Equal(t, "https://example.com/designed", c.Target)
	require.Equal(t, strings.Trim(m.Headers["List-Unsubscribe"], "<>"), td.Links.Unsubscribe)
	require.Len(t, td.Links.FastLane, 2)
	require.Equal(t, "Demo vereinbaren", td.Links.FastLane[0].Label)
}

// journeyReq is the first step of another journey's run for acme, whose
// version it publishes.
func (f *fixture) journeyReq(journey string) workflows.SendRequest {
	r := sendReq("first", "case-study", 1)
	r.JourneyID, r.WorkflowID, r.RunKey = journey, "ripen/"+journey+"/acme", "ripen/"+journey+"/acme/run-1"
	r.Version = f.publish(journey, nil)
	return r
}

func TestFrequencyCapSpansJourneysAndHoldsUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	t.Run("a second journey waits for the first one's email to leave the window", func(t *testing.T) {
		f := newFixture(t)
		f.acts.Config.FrequencyMax, f.acts.Config.FrequencyPer = 1, week
		res, err := f.acts.SendContent(ctx, f.journeyReq("crosssell"))
		require.NoError(t, err)
		require.Equal(t, workflows.SendSent, res.Status)
		sentAt := time.Now()
		res, err = f.acts.SendContent(ctx, f.journeyReq("upsell"))
		require.NoError(t, err)
		require.Equal(t, workflows.SendDeferred, res.Status)
		require.WithinDuration(t, sentAt.Add(week), res.NotBefore, time.Minute)
		require.Len(t, f.sg.Messages(), 1)
	})
	t.Run("not before is when the email keeping the contact at the cap leaves", func(t *testing.T) {
		f := newFixture(t)
		f.acts.Config.FrequencyMax, f.acts.Config.FrequencyPer = 2, week
		base := time.Now()
		for i, journey := range []string{"a", "b", "c"} {
			_, err := f.acts.SendContent(ctx, f.journeyReq(journey))
			require.NoError(t, err)
			// Sent 6, 5 and 4 days ago.
			_, err = f.st.Pool().Exec(ctx, `UPDATE outbox SET sent_at = $2 WHERE run_key = $1`,
				f.journeyReq(journey).RunKey, base.Add(-time.Duration(6-i)*24*time.Hour))
			require.NoError(t, err)
		}
		res, err := f.acts.SendContent(ctx, f.journeyReq("d"))
		require.NoError(t, err)
		require.Equal(t, workflows.SendDeferred, res.Status)
		// Three in the window, two allowed: two must leave, the second
		// oldest (5 days ago) last.
		require.WithinDuration(t, base.Add(-5*24*time.Hour).Add(week), res.NotBefore, time.Minute)
	})
	t.Run("runs of different journeys at once send one email between them", func(t *testing.T) {
		f := newFixture(t)
		f.acts.Config.FrequencyMax, f.acts.Config.FrequencyPer = 1, week
		const runs = 6
		results := make([]workflows.SendResult, runs)
		errs := make([]error, runs)
		var wg sync.WaitGroup
		reqs := make([]workflows.SendRequest, runs)
		for i := range runs {
			reqs[i] = f.journeyReq(fmt.Sprintf("j%d", i))
		}
		for i := range runs {
			wg.Go(func() { results[i], errs[i] = f.acts.SendContent(ctx, reqs[i]) })
		}
		wg.Wait()
		sent := 0
		for i := range runs {
			require.NoError(t, errs[i])
			if results[i].Status == workflows.SendSent {
				sent++
			} else {
				require.Equal(t, workflows.SendDeferred, results[i].Status)
			}
		}
		require.Equal(t, 1, sent)
		require.Len(t, f.sg.Messages(), 1, "the cap holds")
	})
}

func TestAnUnsignableLinkFailsTheStepForGoodAndNamesIt(t *testing.T) {
	f := newFixture(t)
	long := "https://example.com/" + strings.Repeat("very-long-path/", 200)
	require.NoError(t, f.st.PutContent(context.Background(), store.Content{ID: "long", Title: "Long", Topic: "t", Stage: "awareness",
		URL: long, Email: store.ContentEmail{Subject: "Long", HTML: `<a href="{{.Content.URL}}">read</a>`}}))
	_, err := f.acts.SendContent(context.Background(), sendReq("long", "long", 1))
	app := requireNonRetryable(t, err, "BadLink")
	require.Contains(t, app.Error(), "content long")
	require.Contains(t, app.Error(), "URL on example.com", "named by its host")
	require.NotContains(t, app.Error(), "very-long-path", "not by its path or query: they may carry personal data")
	require.Empty(t, f.sg.Messages())
	require.Equal(t, store.OutboxFailed, f.outboxRow("long", "acme-max").Status)
}

func TestRateLimitedSendWaitsAsSendGridAsks(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.sg.SetFaults(sendgriddev.Faults{Rate429: 1, RetryAfter: 30 * time.Second}))
	_, err := f.acts.SendContent(context.Background(), sendReq("checklist", "checklist", 1))
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app), "%v", err)
	require.False(t, app.NonRetryable())
	require.InDelta(t, 30, app.NextRetryDelay().Seconds(), 2)
	require.True(t, sendgrid.IsRetryable(err))
}

// heartbeats records every heartbeat of the activities it runs.
type heartbeats struct {
	interceptor.WorkerInterceptorBase
	mu      sync.Mutex
	details []any
}

type heartbeatInbound struct {
	interceptor.ActivityInboundInterceptorBase
	root *heartbeats
}

type heartbeatOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	root *heartbeats
}

func (h *heartbeats) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &heartbeatInbound{root: h}
	i.Next = next
	return i
}

func (i *heartbeatInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	o := &heartbeatOutbound{root: i.root}
	o.Next = outbound
	return i.Next.Init(o)
}

func (o *heartbeatOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	o.root.mu.Lock()
	o.root.details = append(o.root.details, details...)
	o.root.mu.Unlock()
	o.Next.RecordHeartbeat(ctx, details...)
}

// progress is SendContent's heartbeat as JSON sees it.
type progress struct {
	Contact    string            `json:"contact"`
	Unrecorded map[string]string `json:"unrecorded"`
}

func (h *heartbeats) all(t *testing.T) []progress {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []progress
	for _, d := range h.details {
		b, err := json.Marshal(d)
		require.NoError(t, err)
		var p progress
		require.NoError(t, json.Unmarshal(b, &p))
		out = append(out, p)
	}
	return out
}

func (h *heartbeats) last() any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.details[len(h.details)-1]
}

// activityEnv runs the fixture's activities as Temporal would, recording
// their heartbeats; details, when set, are the last attempt's.
func (f *fixture) activityEnv(hb *heartbeats, details any) *testsuite.TestActivityEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{hb}})
	env.RegisterActivity(f.acts)
	if details != nil {
		env.SetHeartbeatDetails(details)
	}
	return env
}

func TestSendContentHeartbeatsPerContact(t *testing.T) {
	f := newFixture(t)
	f.twoContacts()
	hb := &heartbeats{}
	_, err := f.activityEnv(hb, nil).ExecuteActivity(workflows.ActivitySendContent, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	var contacts []string
	for _, p := range hb.all(t) {
		if p.Contact != "" {
			contacts = append(contacts, p.Contact)
		}
	}
	require.Equal(t, []string{"acme-anna", "acme-max"}, contacts)
}

func TestAnEmailSentButNotRecordedIsNeverSentAgain(t *testing.T) {
	f := newFixture(t)
	f.twoContacts()
	ctx := context.Background()
	// Another email already holds message ID "taken", so recording Anna's
	// email under it fails, as a broken outbox write would.
	other, err := f.st.ClaimOutbox(ctx, store.OutboxKey{RunKey: "ripen/other/acme/run-1", StepID: "s", Cycle: 1, ContactID: "acme-max"})
	require.NoError(t, err)
	require.NoError(t, f.st.MarkOutboxSent(ctx, other.ID, "taken"))
	m := f.wrapMailer()
	m.id = func(to, id string) string {
		if to == "anna@acme.example" {
			return "taken"
		}
		return id
	}

	t.Run("the attempt fails so that a retry records it", func(t *testing.T) {
		hb := &heartbeats{}
		_, err := f.activityEnv(hb, nil).ExecuteActivity(workflows.ActivitySendContent, sendReq("checklist", "checklist", 1))
		requireRetryable(t, err)
		require.Len(t, f.mailsTo("anna@acme.example"), 1)
		require.Len(t, f.mailsTo("max@acme.example"), 1, "the other contacts are mailed first")
		last := hb.all(t)[len(hb.all(t))-1]
		require.Len(t, last.Unrecorded, 1, "the heartbeat carries the unrecorded email to the next attempt")
	})

	t.Run("a retry after another contact's transient failure records it instead of sending", func(t *testing.T) {
		m.fail = func(to string) error {
			if to == "max@acme.example" {
				return &sendgrid.SendError{Status: 503, Retryable: true}
			}
			return nil
		}
		hb := &heartbeats{}
		_, err := f.activityEnv(hb, nil).ExecuteActivity(workflows.ActivitySendContent, sendReq("case-study", "case-study", 1))
		require.Error(t, err)
		require.Len(t, f.mailsTo("anna@acme.example"), 2, "Anna got the case study")
		last := hb.all(t)[len(hb.all(t))-1]
		require.Len(t, last.Unrecorded, 1, "the heartbeat carries the unrecorded email to the next attempt")

		// The next attempt: the outbox still cannot record it, so it fails
		// again, but sends nothing.
		m.fail = nil
		_, err = f.activityEnv(&heartbeats{}, hb.last()).ExecuteActivity(workflows.ActivitySendContent, sendReq("case-study", "case-study", 1))
		require.Error(t, err)
		require.Len(t, f.mailsTo("anna@acme.example"), 2, "not sent again")

		// Once the outbox works, the attempt after records it and mails Max.
		_, err = f.st.Pool().Exec(ctx, `UPDATE outbox SET message_id = 'freed' WHERE id = $1`, other.ID)
		require.NoError(t, err)
		val, err := f.activityEnv(&heartbeats{}, hb.last()).ExecuteActivity(workflows.ActivitySendContent, sendReq("case-study", "case-study", 1))
		require.NoError(t, err)
		var res workflows.SendResult
		require.NoError(t, val.Get(&res))
		require.Equal(t, workflows.SendSent, res.Status)
		require.Len(t, f.mailsTo("anna@acme.example"), 2, "still once")
		require.Len(t, f.mailsTo("max@acme.example"), 2, "Max got the checklist and the case study")
		require.Equal(t, "taken", f.outboxRow("case-study", "acme-anna").MessageID)
	})
}

func TestAnUnrecordedEmailIsRecordedBeforeTheCapDefersTheStep(t *testing.T) {
	f := newFixture(t)
	f.twoContacts()
	f.acts.Config.FrequencyMax, f.acts.Config.FrequencyPer = 1, week
	ctx := context.Background()
	// Max had his email of the week from another journey; "taken" is its ID.
	_, err := f.acts.SendContent(ctx, f.journeyReq("other"))
	require.NoError(t, err)
	_, err = f.st.Pool().Exec(ctx, `UPDATE outbox SET message_id = 'taken' WHERE contact_id = 'acme-max'`)
	require.NoError(t, err)
	m := f.wrapMailer()
	m.id = func(to, id string) string { return "taken" } // recording Anna's email fails
	_, err = f.st.Pool().Exec(ctx, `DELETE FROM outbox WHERE contact_id = 'acme-anna'`)
	require.NoError(t, err)
	annaBefore := len(f.mailsTo("anna@acme.example"))

	hb := &heartbeats{}
	_, err = f.activityEnv(hb, nil).ExecuteActivity(workflows.ActivitySendContent, sendReq("checklist", "checklist", 1))
	require.Error(t, err, "not deferred: the workflow's later call would not know Anna's email went")
	require.Len(t, f.mailsTo("anna@acme.example"), annaBefore+1)

	_, err = f.st.Pool().Exec(ctx, `UPDATE outbox SET message_id = 'freed' WHERE message_id = 'taken'`)
	require.NoError(t, err)
	val, err := f.activityEnv(&heartbeats{}, hb.last()).ExecuteActivity(workflows.ActivitySendContent, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	var res workflows.SendResult
	require.NoError(t, val.Get(&res))
	require.Equal(t, workflows.SendDeferred, res.Status, "Max waits for the cap")
	require.Equal(t, []string{"taken"}, res.MessageIDs)
	require.Len(t, f.mailsTo("anna@acme.example"), annaBefore+1, "Anna's email went once")
	require.Equal(t, "taken", f.outboxRow("checklist", "acme-anna").MessageID)
}

// sendUnrecorded runs a send whose email SendGrid takes but the outbox
// cannot record: another email holds its message ID ("taken", the returned
// row), until that one is freed. The attempt fails retryably; its last
// heartbeat carries the email.
func (f *fixture) sendUnrecorded(t *testing.T) (other store.OutboxRow, m *mailer, hb *heartbeats) {
	t.Helper()
	other, err := f.st.ClaimOutbox(context.Background(), store.OutboxKey{RunKey: "ripen/other/acme/run-1", StepID: "s", Cycle: 1, ContactID: "acme-max"})
	require.NoError(t, err)
	require.NoError(t, f.st.MarkOutboxSent(context.Background(), other.ID, "taken"))
	m = f.wrapMailer()
	m.id = func(string, string) string { return "taken" }
	hb = &heartbeats{}
	_, err = f.activityEnv(hb, nil).ExecuteActivity(workflows.ActivitySendContent, sendReq("checklist", "checklist", 1))
	requireRetryable(t, err)
	return other, m, hb
}

// Recording a sent email fails once while the step otherwise finishes. The
// attempt must not succeed: its heartbeat, which alone says the email went,
// would be thrown away with it and the row stay pending for good.
func TestAnUnrecordedEmailFailsTheAttemptUntilItIsRecorded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, m, hb := f.sendUnrecorded(t)
	require.Equal(t, store.OutboxPending, f.outboxRow("checklist", "acme-max").Status)

	_, err := f.st.Pool().Exec(ctx, `UPDATE outbox SET message_id = 'freed' WHERE id = $1`, other.ID)
	require.NoError(t, err)
	val, err := f.activityEnv(&heartbeats{}, hb.last()).ExecuteActivity(workflows.ActivitySendContent, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	var res workflows.SendResult
	require.NoError(t, val.Get(&res))
	require.Equal(t, workflows.SendSent, res.Status)
	require.Equal(t, []string{"taken"}, res.MessageIDs)
	require.Equal(t, 1, m.callsTo("max@acme.example"), "the retry records the email instead of sending it")
	row := f.outboxRow("checklist", "acme-max")
	require.Equal(t, store.OutboxSent, row.Status)
	require.Equal(t, "taken", row.MessageID)
}

// An attempt that overlapped this one recorded its own copy of the email:
// the heartbeat's unrecorded entry is moot, and must not fail every retry.
func TestAnUnrecordedEmailAnotherAttemptRecordedIsDone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, m, hb := f.sendUnrecorded(t)
	row := f.outboxRow("checklist", "acme-max")
	require.NoError(t, f.st.MarkOutboxSent(ctx, row.ID, "other-copy"))

	val, err := f.activityEnv(&heartbeats{}, hb.last()).ExecuteActivity(workflows.ActivitySendContent, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	var res workflows.SendResult
	require.NoError(t, val.Get(&res))
	require.Equal(t, workflows.SendSent, res.Status)
	require.Equal(t, []string{"other-copy"}, res.MessageIDs)
	require.Equal(t, 1, m.callsTo("max@acme.example"), "nothing sent again")
}

// SendGrid takes the email and the attempt's deadline passes before the
// outbox records it: the record must still be written, or the retry, which
// may never see the attempt's last heartbeat, sends the email again.
func TestAnEmailSentAsTheDeadlinePassesIsStillRecorded(t *testing.T) {
	f := newFixture(t)
	m := f.wrapMailer()
	m.after = func(ctx context.Context) { <-ctx.Done() }
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	first, err := f.acts.SendContent(ctx, sendReq("checklist", "checklist", 1))
	require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	require.NoError(t, err)
	require.Len(t, first.MessageIDs, 1)
	row := f.outboxRow("checklist", "acme-max")
	require.Equal(t, store.OutboxSent, row.Status)
	require.Equal(t, first.MessageIDs[0], row.MessageID)

	m.mu.Lock()
	m.after = nil
	m.mu.Unlock()
	again, err := f.acts.SendContent(context.Background(), sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	require.Equal(t, first.MessageIDs, again.MessageIDs)
	require.Equal(t, 1, m.callsTo("max@acme.example"), "the retry does not call SendGrid")
	require.Len(t, f.sg.Messages(), 1)
}

func TestASendWithATimezoneMailsOnlyThatZonesContacts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.st.PutCustomer(ctx, store.Customer{ID: "acme", Name: "Acme GmbH",
		Owner: store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"},
		Contacts: []store.Contact{
			{ID: "acme-max", Email: "max@acme.example", FirstName: "Max", Timezone: "Europe/Berlin", Locale: "de"},
			{ID: "acme-bob", Email: "bob@acme.example", FirstName: "Bob", Timezone: "America/New_York", Locale: "en"},
			{ID: "acme-ina", Email: "ina@acme.example", FirstName: "Ina", Locale: "de"}, // the customer's zone: Berlin
		}}))
	req := sendReq("checklist", "checklist", 1)
	req.Timezone = "Europe/Berlin"
	res, err := f.acts.SendContent(ctx, req)
	require.NoError(t, err)
	require.Equal(t, workflows.SendSent, res.Status)
	require.Len(t, f.mailsTo("max@acme.example"), 1)
	require.Len(t, f.mailsTo("ina@acme.example"), 1)
	require.Empty(t, f.mailsTo("bob@acme.example"), "New York's window sends Bob's")

	req.Timezone = "America/New_York"
	_, err = f.acts.SendContent(ctx, req)
	require.NoError(t, err)
	require.Len(t, f.mailsTo("bob@acme.example"), 1)
	require.Len(t, f.sg.Messages(), 3, "nobody twice")

	req.Timezone = "Asia/Tokyo"
	res, err = f.acts.SendContent(ctx, req)
	require.NoError(t, err)
	require.Equal(t, workflows.SendSuppressed, res.Status, "nobody in that zone")
	require.Len(t, f.sg.Messages(), 3)

	req.Timezone = ""
	_, err = f.acts.SendContent(ctx, req)
	require.NoError(t, err)
	require.Len(t, f.sg.Messages(), 3, "every contact, each once: the outbox is per contact")
}
