// Package e2e drives ripen-dev's parts (embedded Temporal, Postgres, the
// local SendGrid server, worker and API) only through HTTP, as marketing,
// sales, a contact's mail client and SendGrid would.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ripen/ripen/internal/devstack"
	"github.com/ripen/ripen/internal/testlog"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store/storetest"
)

type client struct {
	t     *testing.T
	api   string
	inbox string
	key   string
	http  *http.Client
}

func startStack(t *testing.T, dataDir, dbURL, webhookKey string) *devstack.Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := devstack.Start(ctx, devstack.Options{
		DataDir: dataDir, DatabaseURL: dbURL, UIPort: -1, WebhookKey: webhookKey,
		Log: testlog.New(t, zerolog.ErrorLevel),
	})
	require.NoError(t, err)
	return st
}

func newClient(t *testing.T, st *devstack.Stack, key string) *client {
	return &client{t: t, api: st.APIURL, inbox: st.SendGridURL, key: key, http: &http.Client{
		Timeout: 30 * time.Second,
		// Tracked links answer 303; the test looks at the redirect itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *client) do(method, url, contentType string, body io.Reader, auth bool) (int, http.Header, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(c.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, resp.Header, data
}

// call is an authenticated JSON API call that must answer want.
func (c *client) call(method, path string, in any, want int, out any) {
	c.t.Helper()
	var body io.Reader
	ct := ""
	switch v := in.(type) {
	case nil:
	case string:
		body, ct = strings.NewReader(v), "application/yaml"
	default:
		b, err := json.Marshal(v)
		require.NoError(c.t, err)
		body, ct = bytes.NewReader(b), "application/json"
	}
	code, _, data := c.do(method, c.api+path, ct, body, true)
	require.Equal(c.t, want, code, "%s %s: %s", method, path, data)
	if out != nil {
		require.NoError(c.t, json.Unmarshal(data, out), "%s", data)
	}
}

type message struct {
	MessageID  string            `json:"message_id"`
	To         []string          `json:"to"`
	Subject    string            `json:"subject"`
	HTML       string            `json:"html"`
	Headers    map[string]string `json:"headers"`
	CustomArgs map[string]string `json:"custom_args"`
}

func (c *client) messages(to string) []message {
	c.t.Helper()
	code, _, data := c.do("GET", c.inbox+"/api/messages", "", nil, false)
	require.Equal(c.t, 200, code)
	var all []message
	require.NoError(c.t, json.Unmarshal(data, &all))
	var out []message
	for _, m := range all {
		if len(m.To) > 0 && m.To[0] == to {
			out = append(out, m)
		}
	}
	return out
}

func (c *client) eventually(what string, cond func() bool) {
	c.t.Helper()
	require.Eventually(c.t, cond, 30*time.Second, 100*time.Millisecond, what)
}

type runState struct {
	Status  string  `json:"status"`
	Stage   string  `json:"stage"`
	Step    string  `json:"step"`
	Score   float64 `json:"score"`
	MQN     bool    `json:"mqn"`
	Cycle   int     `json:"cycle"`
	Touches int     `json:"touches"`
}

func (c *client) run(journeyID, customerID string) runState {
	var st runState
	c.call("GET", "/v1/journeys/"+journeyID+"/runs/"+customerID, nil, 200, &st)
	return st
}

var anchorRE = regexp.MustCompile(`<a href="([^"]+)"[^>]*>([^<]+)</a>`)

// linkByText finds a link in an email by the words a reader clicks.
func linkByText(t *testing.T, m message, text string) string {
	t.Helper()
	for _, a := range anchorRE.FindAllStringSubmatch(m.HTML, -1) {
		if strings.TrimSpace(html.UnescapeString(a[2])) == text {
			return html.UnescapeString(a[1])
		}
	}
	t.Fatalf("no link %q in %s", text, m.HTML)
	return ""
}

var (
	formRE   = regexp.MustCompile(`<form([^>]*)>`)
	actionRE = regexp.MustCompile(`action="([^"]*)"`)
	hiddenRE = regexp.MustCompile(`<input[^>]*type="hidden"[^>]*>`)
	attrRE   = regexp.MustCompile(`(name|value)="([^"]*)"`)
)

// submitForm fetches a public page, fills its form like a browser and posts it.
func (c *client) submitForm(pageURL string, fields url.Values) (int, string) {
	c.t.Helper()
	code, _, page := c.do("GET", pageURL, "", nil, false)
	require.Equal(c.t, 200, code, "%s", page)
	form := formRE.FindSubmatch(page)
	require.NotNil(c.t, form, "no form in %s", page)
	action := ""
	if a := actionRE.FindSubmatch(form[1]); a != nil {
		action = html.UnescapeString(string(a[1]))
	}
	if action == "" {
		action = pageURL
	} else if !strings.HasPrefix(action, "http") {
		u, _ := url.Parse(pageURL)
		ref, err := url.Parse(action)
		require.NoError(c.t, err)
		action = u.ResolveReference(ref).String()
	}
	for _, in := range hiddenRE.FindAll(page, -1) {
		var name, value string
		for _, a := range attrRE.FindAllSubmatch(in, -1) {
			if string(a[1]) == "name" {
				name = html.UnescapeString(string(a[2]))
			} else {
				value = html.UnescapeString(string(a[2]))
			}
		}
		fields.Set(name, value)
	}
	req, err := http.NewRequest("POST", action, strings.NewReader(fields.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	u, _ := url.Parse(pageURL)
	req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	req.Header.Set("Referer", pageURL)
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

const journeyID = "erp-automation-crosssell"

const journeyYAML = `id: erp-automation-crosssell
name: Automation add-on for ERP customers
offer: {kind: cross-sell, product: automation-suite}
persona: ops-lead
detector: {topics: [process-automation], min_events: 2, within: 14d}
scoring: {points: {open: 1, click: 10, visit: 5, download: 15}, half_life: 30d}
mqn: {threshold: 40, fast_lane: [consultation, demo, price-indication]}
handoff: {sla: 2d, recycle_after: 60d, max_recycles: 2}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 4d, until: click}
  - {id: reminder, if: "!clicked('checklist')", send: automation-checklist-reminder}
  - {id: case-study, send: erp-automation-case-study}
  - {id: wait-2, wait: 14d, until: fast_lane}
  - {id: nudge, if: "score < 20 && days_in_journey < 90", goto: case-study}
`

// setUp publishes everything a journey needs, through the API.
func (c *client) setUp() {
	c.call("PUT", "/v1/products/automation-suite", map[string]any{"name": "Automation Suite"}, 200, nil)
	c.call("PUT", "/v1/personas/ops-lead", map[string]any{"name": "Head of Operations", "pains": []string{"manual order entry"},
		"goals": []string{"lead time -30%"}, "topics": []string{"process-automation"}}, 200, nil)
	for _, id := range []string{"automation-checklist", "automation-checklist-reminder", "erp-automation-case-study"} {
		c.call("PUT", "/v1/content/"+id, map[string]any{
			"title": "About " + id, "topic": "process-automation", "stage": "awareness", "personas": []string{"ops-lead"},
			"url":   "https://example.com/" + id,
			"email": map[string]any{"subject": "{{.Contact.FirstName}}, " + id, "html": `<p>Hallo {{.Contact.FirstName}}, <a href="{{.Content.URL}}">lesen</a></p>`, "text": "{{.Content.URL}}"},
		}, 200, nil)
	}
	c.call("PUT", "/v1/customers/acme", map[string]any{"name": "Acme GmbH", "persona": "ops-lead",
		"owner":    map[string]any{"id": "rep-eva", "name": "Eva Berger", "email": "eva@seller.example"},
		"contacts": []map[string]any{{"id": "acme-max", "email": "max@acme.example", "first_name": "Max", "last_name": "Muster", "timezone": "Europe/Berlin", "locale": "de"}},
	}, 200, nil)
	var jv struct{ Version int }
	c.call("PUT", "/v1/journeys/"+journeyID, journeyYAML, 201, &jv)
	require.Equal(c.t, 1, jv.Version)
}

func adminKey(t *testing.T, st *devstack.Stack) string {
	// What `ripen apikeys create --role admin` does.
	key, _, err := st.Store.CreateAPIKey(context.Background(), "admin", "e2e")
	require.NoError(t, err)
	return key
}

func TestNewcomersTour(t *testing.T) {
	dataDir, db := t.TempDir(), storetest.NewDatabase(t)
	st := startStack(t, dataDir, db, "")
	stopped := false
	defer func() {
		if !stopped {
			st.Stop()
		}
	}()
	key := adminKey(t, st)
	c := newClient(t, st, key)
	c.setUp()

	// Enrol: the first email arrives in the local inbox.
	var enrol struct {
		Results []struct{ Status string } `json:"results"`
	}
	c.call("POST", "/v1/journeys/"+journeyID+"/enrollments", map[string]any{"customer_ids": []string{"acme"}}, 200, &enrol)
	require.Equal(t, "started", enrol.Results[0].Status)
	var first message
	c.eventually("the first email in the inbox", func() bool {
		msgs := c.messages("max@acme.example")
		if len(msgs) > 0 {
			first = msgs[0]
		}
		return len(msgs) == 1
	})
	require.Equal(t, "Max, automation-checklist", first.Subject)
	require.Contains(t, first.Headers["List-Unsubscribe"], "/u/")

	// Following the tracked link a reader sees counts a click and redirects
	// to the content (the hidden link before it is for mail scanners).
	code, hdr, _ := c.do("GET", linkByText(t, first, "lesen"), "", nil, false)
	require.Equal(t, http.StatusSeeOther, code)
	require.Equal(t, "https://example.com/automation-checklist", hdr.Get("Location"))
	c.eventually("the click scored and ended wait-1", func() bool {
		s := c.run(journeyID, "acme")
		return s.Score >= 9.9 && s.Touches == 2 // the case study went out at once
	})

	// A fast-lane request: the page asks first; the POST hands off.
	demo := linkByText(t, first, "Demo vereinbaren") // Max reads German
	require.Equal(t, "nurturing", c.run(journeyID, "acme").Stage, "fetching the page alone asks for nothing")
	status, thanks := c.submitForm(demo, url.Values{"note": {"Bitte nächste Woche anrufen"}})
	require.Equal(t, 200, status, thanks)
	require.Contains(t, thanks, "Eva Berger")

	var inbox struct {
		Handoffs []struct {
			ID     string `json:"id"`
			Reason string `json:"reason"`
			Note   string `json:"note"`
		} `json:"handoffs"`
	}
	c.eventually("a hand-off in the sales inbox", func() bool {
		c.call("GET", "/v1/handoffs?status=open&owner=rep-eva", nil, 200, &inbox)
		return len(inbox.Handoffs) == 1
	})
	require.Equal(t, "fast-lane", inbox.Handoffs[0].Reason)
	require.Equal(t, "Bitte nächste Woche anrufen", inbox.Handoffs[0].Note)
	c.eventually("the owner's email", func() bool { return len(c.messages("eva@seller.example")) == 1 })
	handoffMail := c.messages("eva@seller.example")[0]
	require.Contains(t, handoffMail.HTML, "Max Muster", "the email names who asked")
	handoffPage := linkByText(t, handoffMail, "Answer the hand-off")

	// Visibility finds the ripe run.
	var runs struct {
		Runs []struct {
			WorkflowID string `json:"workflow_id"`
			MQN        bool   `json:"mqn"`
		} `json:"runs"`
	}
	c.eventually("the run found by RipenMQN = true", func() bool {
		c.call("GET", "/v1/runs?mqn=true", nil, 200, &runs)
		return len(runs.Runs) == 1
	})
	require.Equal(t, "ripen/"+journeyID+"/acme", runs.Runs[0].WorkflowID)

	// Sales: not ready yet → cool-down, answered on the page the email
	// links to, with no API key.
	code, answered := c.submitForm(handoffPage, url.Values{"outcome": {"not-ready"}, "note": {"budget next year"}})
	require.Equal(t, 200, code, answered)
	require.Contains(t, answered, "Answer recorded")
	c.eventually("the run cools down", func() bool { return c.run(journeyID, "acme").Stage == "cooldown" })
	before := c.run(journeyID, "acme")
	require.Equal(t, "cooldown", before.Stage)
	require.Equal(t, 1, before.Cycle)

	// RipenMQN means "reached MQN": the run is still found by it in
	// cool-down, as the README's tour has the newcomer do in the Web UI.
	var cooling struct {
		Runs []struct {
			WorkflowID string `json:"workflow_id"`
			Stage      string `json:"stage"`
		} `json:"runs"`
	}
	c.eventually("the run in cool-down found by RipenMQN = true", func() bool {
		c.call("GET", "/v1/runs?mqn=true", nil, 200, &cooling)
		return len(cooling.Runs) == 1 && cooling.Runs[0].Stage == "cooldown"
	})
	require.Equal(t, "ripen/"+journeyID+"/acme", cooling.Runs[0].WorkflowID)

	recordHistory(t, st, "ripen/"+journeyID+"/acme")

	// Restarting the stack keeps the run.
	st.Stop()
	stopped = true
	st2 := startStack(t, dataDir, db, "")
	defer st2.Stop()
	c2 := newClient(t, st2, key)
	after := c2.run(journeyID, "acme")
	require.Equal(t, before.Stage, after.Stage)
	require.Equal(t, before.Touches, after.Touches)
	require.Equal(t, "running", after.Status)
}

func TestWebhookCountsEachEventOnceAndRefusesUnsigned(t *testing.T) {
	signer, err := sendgrid.NewSigner()
	require.NoError(t, err)
	st := startStack(t, "", storetest.NewDatabase(t), signer.PublicKeyBase64())
	defer st.Stop()
	c := newClient(t, st, adminKey(t, st))
	c.setUp()
	c.call("POST", "/v1/journeys/"+journeyID+"/enrollments", map[string]any{"customer_ids": []string{"acme"}}, 200, nil)
	var first message
	c.eventually("the first email", func() bool {
		msgs := c.messages("max@acme.example")
		if len(msgs) == 1 {
			first = msgs[0]
		}
		return len(msgs) == 1
	})

	open := func(id string) map[string]any {
		ev := map[string]any{"email": "max@acme.example", "event": "open", "sg_event_id": id,
			"sg_message_id": first.MessageID + ".filter0001", "timestamp": time.Now().Unix()}
		for k, v := range first.CustomArgs {
			ev[k] = v
		}
		return ev
	}
	post := func(body []byte, sign bool) int {
		req, err := http.NewRequest("POST", c.api+"/webhooks/sendgrid", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if sign {
			ts := fmt.Sprint(time.Now().Unix())
			sig, err := signer.Sign(ts, body)
			require.NoError(t, err)
			req.Header.Set(sendgrid.SignatureHeader, sig)
			req.Header.Set(sendgrid.TimestampHeader, ts)
		}
		resp, err := c.http.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	// An unsigned batch changes nothing.
	unsigned, _ := json.Marshal([]any{open("sg-unsigned")})
	require.Equal(t, http.StatusUnauthorized, post(unsigned, false))
	// A signed batch with the same event twice counts it once.
	batch, _ := json.Marshal([]any{open("sg-1"), open("sg-1")})
	require.Less(t, post(batch, true), 300)
	// SendGrid retries: the same batch again still counts once.
	require.Less(t, post(batch, true), 300)
	c.eventually("the open scored", func() bool { return c.run(journeyID, "acme").Score >= 0.99 })
	time.Sleep(500 * time.Millisecond)
	require.InDelta(t, 1.0, c.run(journeyID, "acme").Score, 0.01, "one open is one point")
}

// recordHistory writes the run's history for the workflows package's replay
// test when RIPEN_RECORD_HISTORY names a file:
//
//	RIPEN_RECORD_HISTORY=$PWD/workflows/testdata/journey-history.json go test ./e2e -run Tour
func recordHistory(t *testing.T, st *devstack.Stack, workflowID string) {
	file := os.Getenv("RIPEN_RECORD_HISTORY")
	if file == "" {
		return
	}
	ctx := context.Background()
	iter := st.Client.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, ev)
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, data, 0o644))
	t.Logf("recorded %d events of %s in %s", len(hist.Events), workflowID, file)
}

const groupJourneyYAML = `id: automation-buying-group
name: Automation add-on, for the whole buying group
offer: {kind: cross-sell, product: automation-suite}
scoring: {points: {click: 10}, half_life: 30d, topics: [process-automation]}
mqn: {threshold: 10, min_contacts: 2}
handoff: {sla: 2d, recycle_after: 60d, max_recycles: 2}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 30d, until: fast_lane}
`

// TestBuyingGroupTour walks an account as a buying group: two people of two
// personas each get their own variant of the email, the need qualifies only
// once both have engaged (mqn.min_contacts: 2), the account owner gets the
// hand-off; and a cross-sell to an account that owns the product is
// answered ineligible, with the reason.
func TestBuyingGroupTour(t *testing.T) {
	st := startStack(t, "", storetest.NewDatabase(t), "")
	defer st.Stop()
	c := newClient(t, st, adminKey(t, st))

	for id, name := range map[string]string{"ops-lead": "Head of Operations", "it-lead": "Head of IT"} {
		c.call("PUT", "/v1/personas/"+id, map[string]any{"name": name, "topics": []string{"process-automation"}}, 200, nil)
	}
	for id, name := range map[string]string{"erp-core": "ERP Core", "automation-suite": "Automation Suite"} {
		c.call("PUT", "/v1/products/"+id, map[string]any{"name": name}, 200, nil)
	}
	c.call("PUT", "/v1/content/automation-checklist", map[string]any{
		"title": "Automation checklist", "topic": "process-automation", "stage": "awareness",
		"personas": []string{"ops-lead", "it-lead"}, "url": "https://example.com/automation-checklist",
		"email": map[string]any{"subject": "{{.Contact.FirstName}}, your automation checklist",
			"html": `<p>Hi {{.Contact.FirstName}}, <a href="{{.Content.URL}}">read the checklist</a></p>`, "text": "{{.Content.URL}}"},
		"variants": []map[string]any{{"persona": "it-lead", "locale": "de", "email": map[string]any{
			"subject": "{{.Contact.FirstName}}, Ihre Checkliste für die IT",
			"html":    `<p>Hallo {{.Contact.FirstName}}, <a href="{{.Content.URL}}">Checkliste lesen</a></p>`, "text": "{{.Content.URL}}"}}},
	}, 200, nil)
	owner := map[string]any{"id": "rep-eva", "name": "Eva Berger", "email": "eva@seller.example"}
	c.call("PUT", "/v1/customers/globex", map[string]any{"name": "Globex AG", "persona": "ops-lead", "owner": owner,
		"products": []map[string]any{{"product": "erp-core", "since": "2023-01-01"}},
		"contacts": []map[string]any{
			{"id": "globex-max", "email": "max@globex.example", "first_name": "Max", "last_name": "Muster", "timezone": "Europe/Berlin", "locale": "de", "persona": "it-lead"},
			{"id": "globex-ann", "email": "ann@globex.example", "first_name": "Ann", "last_name": "Smith", "timezone": "Europe/London", "locale": "en", "persona": "ops-lead"},
		}}, 200, nil)
	c.call("PUT", "/v1/customers/initech", map[string]any{"name": "Initech", "persona": "ops-lead", "owner": owner,
		"products": []map[string]any{{"product": "automation-suite", "since": "2024-06-01"}},
		"contacts": []map[string]any{{"id": "initech-bob", "email": "bob@initech.example", "first_name": "Bob", "last_name": "Slydell", "timezone": "America/Chicago", "locale": "en"}},
	}, 200, nil)
	const id = "automation-buying-group"
	c.call("PUT", "/v1/journeys/"+id, groupJourneyYAML, 201, nil)

	var enrol struct {
		Results []struct {
			CustomerID string `json:"customer_id"`
			Status     string `json:"status"`
			Reason     string `json:"reason"`
		} `json:"results"`
	}
	c.call("POST", "/v1/journeys/"+id+"/enrollments", map[string]any{"customer_ids": []string{"globex", "initech"}}, 200, &enrol)
	require.Len(t, enrol.Results, 2)
	require.Equal(t, "started", enrol.Results[0].Status)
	require.Equal(t, "ineligible", enrol.Results[1].Status, "initech owns the cross-sell's product")
	require.Equal(t, "owns automation-suite already", enrol.Results[1].Reason)

	// Each person of the buying group gets their own email: Max the IT
	// lead's German variant, Ann the base email.
	var maxMail, annMail message
	c.eventually("an email for each contact", func() bool {
		m, a := c.messages("max@globex.example"), c.messages("ann@globex.example")
		if len(m) == 1 && len(a) == 1 {
			maxMail, annMail = m[0], a[0]
		}
		return len(m) == 1 && len(a) == 1
	})
	require.Equal(t, "Max, Ihre Checkliste für die IT", maxMail.Subject)
	require.Equal(t, "Ann, your automation checklist", annMail.Subject)
	require.Empty(t, c.messages("bob@initech.example"), "nobody of an ineligible account is mailed")

	// Max reads his checklist: 10 points reach the threshold, but one
	// person is not a buying group.
	code, _, _ := c.do("GET", linkByText(t, maxMail, "Checkliste lesen"), "", nil, false)
	require.Equal(t, http.StatusSeeOther, code)
	c.eventually("Max's click scored", func() bool { return c.run(id, "globex").Score >= 9.9 })
	one := c.run(id, "globex")
	require.False(t, one.MQN, "MQN needs engagement from two contacts")
	require.Equal(t, "nurturing", one.Stage)

	// Ann reads hers: now two people engage, and the owner gets the hand-off.
	code, _, _ = c.do("GET", linkByText(t, annMail, "read the checklist"), "", nil, false)
	require.Equal(t, http.StatusSeeOther, code)
	var inbox struct {
		Handoffs []struct {
			ID         string `json:"id"`
			CustomerID string `json:"customer_id"`
			Reason     string `json:"reason"`
		} `json:"handoffs"`
	}
	c.eventually("a hand-off in the sales inbox", func() bool {
		c.call("GET", "/v1/handoffs?status=open&owner=rep-eva", nil, 200, &inbox)
		return len(inbox.Handoffs) == 1
	})
	require.Equal(t, "globex", inbox.Handoffs[0].CustomerID)
	require.Equal(t, "score", inbox.Handoffs[0].Reason)
	require.True(t, c.run(id, "globex").MQN)
	c.eventually("the owner's email", func() bool {
		for _, m := range c.messages("eva@seller.example") {
			if strings.HasPrefix(m.Subject, "Globex AG is ready") && strings.Contains(m.HTML, "/h/") {
				return true
			}
		}
		return false
	})
}
