package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// germanChecklist gives the seed's checklist a German variant for its
// persona and one for German readers of any persona.
func (h *harness) germanChecklist() {
	h.t.Helper()
	h.json("PUT", "/v1/personas/it-lead", "marketing", map[string]any{"name": "Head of IT", "topics": []string{"process-automation"}}, 200, nil)
	h.json("PUT", "/v1/content/automation-checklist", "marketing", map[string]any{
		"title": "Automation checklist", "topic": "process-automation", "stage": "awareness", "personas": []string{"ops-lead"},
		"url": "https://example.com/automation-checklist",
		"email": map[string]any{"subject": "{{.Contact.FirstName}}, your automation checklist",
			"html": `<p style="color:#333">Hello {{.Contact.FirstName}} {{.Contact.LastName}} of {{.Customer.Name}}, <a href="{{.Content.URL}}">read it</a>.</p>`,
			"text": "Hello {{.Contact.FirstName}}, read {{.Content.URL}}"},
		"variants": []map[string]any{
			{"persona": "ops-lead", "locale": "de", "email": map[string]any{"subject": "{{.Contact.FirstName}}, Ihre Checkliste für die Automatisierung",
				"html": `<p>Hallo {{.Contact.FirstName}} {{.Contact.LastName}}, Ihre Checkliste von {{.Owner.Name}}: <a href="{{.Content.URL}}">lesen</a></p>`,
				"text": "Hallo {{.Contact.FirstName}}, lesen Sie {{.Content.URL}}"}},
			{"locale": "de", "email": map[string]any{"subject": "Die Checkliste", "text": "Hallo {{.Contact.FirstName}}"}},
		},
	}, 200, nil)
}

func TestConsoleContentPreviewsTheVariantAPersonaAndLocaleGet(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.germanChecklist()

	// Sales sees no content.
	sales := h.consoleBrowser()
	sales.signInWithKey(h.keys["sales"])
	requireConsolePage(t, sales.get("/console/content"), http.StatusForbidden)
	requireConsolePage(t, sales.get("/console/content/automation-checklist"), http.StatusForbidden)
	require.Equal(t, http.StatusForbidden, sales.get("/console/content/automation-checklist/preview.html").status)
	require.NotContains(t, sales.get("/console/handoffs").body, `href="/console/content"`)

	b := h.consoleBrowser()
	b.signInWithKey(h.keys["marketing"])
	list := b.get("/console/content")
	requireConsolePage(t, list, 200)
	require.Contains(t, list.body, `<a href="/console/content"`, "the nav")
	require.Contains(t, list.body, `href="/console/content/automation-checklist">Automation checklist</a>`)
	require.Contains(t, list.body, `<td class="num">2</td>`, "its variants")
	require.Contains(t, list.body, "erp-automation-case-study")

	// The German ops lead gets the persona's German variant, rendered for a
	// German sample contact.
	de := b.get("/console/content/automation-checklist?persona=ops-lead&locale=de")
	requireConsolePage(t, de, 200)
	require.Contains(t, de.header.Get("Content-Security-Policy"), "frame-src 'self'")
	require.Contains(t, de.body, `<dd class="variant">ops-lead/de</dd>`)
	require.Contains(t, de.body, `<dd class="subject">Anna, Ihre Checkliste für die Automatisierung</dd>`)
	require.Contains(t, de.body, "Hallo Anna, lesen Sie https://example.com/automation-checklist", "the text part, links untracked")
	require.Contains(t, de.body, `src="/console/content/automation-checklist/preview.html?locale=de&amp;persona=ops-lead"`)
	require.Contains(t, de.body, "sandbox")
	require.Contains(t, de.body, "API key", "a key's session has no address: no test button")
	require.NotContains(t, de.body, `action="/console/content/automation-checklist/test"`)
	frame := b.get("/console/content/automation-checklist/preview.html?persona=ops-lead&locale=de")
	require.Equal(t, 200, frame.status, frame.body)
	csp := frame.header.Get("Content-Security-Policy")
	require.Contains(t, csp, "sandbox")
	require.Contains(t, csp, "style-src 'unsafe-inline'")
	require.Contains(t, csp, "frame-ancestors 'self'")
	require.NotContains(t, csp, "script-src")
	require.Contains(t, frame.body, "Hallo Anna Becker, Ihre Checkliste von Jonas Weber")
	require.Contains(t, frame.body, "Abmelden", "the footer, in the contact's language")
	require.NotContains(t, frame.body, "/r/", "no signed links")

	// Other personas and locales: the locale's variant, then the base.
	it := b.get("/console/content/automation-checklist?persona=it-lead&locale=de-AT")
	requireConsolePage(t, it, 200)
	require.Contains(t, it.body, `<dd class="variant">de</dd>`)
	en := b.get("/console/content/automation-checklist?persona=ops-lead&locale=en")
	requireConsolePage(t, en, 200)
	require.Contains(t, en.body, `<dd class="variant">base email</dd>`)
	require.Contains(t, en.body, "Jane, your automation checklist")
	none := b.get("/console/content/automation-checklist?persona=-&locale=en")
	requireConsolePage(t, none, 200)
	require.Contains(t, none.body, `<option value="-" selected>`)

	requireConsolePage(t, b.get("/console/content/automation-checklist?persona=boss"), http.StatusUnprocessableEntity)
	requireConsolePage(t, b.get("/console/content/automation-checklist?locale=not+a+locale"), http.StatusUnprocessableEntity)
	requireConsolePage(t, b.get("/console/content/no-such-content"), http.StatusNotFound)
	p := b.post("/console/content/automation-checklist", "/console/content/automation-checklist/test", url.Values{"persona": {"ops-lead"}, "locale": {"de"}})
	requireConsolePage(t, p, http.StatusUnprocessableEntity)
}

func TestConsoleTestSendGoesToOnesOwnAddressOnceAMinute(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.germanChecklist()
	h.json("PUT", "/v1/users/ina", "admin", map[string]any{"email": "ina@ripen.example", "name": "Ina Weber", "role": "marketing"}, 200, nil)
	b := h.consoleBrowser()
	b.post("/console/login", "/console/login", url.Values{"email": {"ina@ripen.example"}})
	link := h.linkIn(h.mailWith("ina@ripen.example", "console"), "/console/signin/")
	require.Equal(t, http.StatusSeeOther, b.post(link, link, url.Values{}).status)

	page := "/console/content/automation-checklist?persona=ops-lead&locale=de"
	pv := b.get(page)
	requireConsolePage(t, pv, 200)
	require.Contains(t, pv.body, `action="/console/content/automation-checklist/test"`)
	require.Contains(t, pv.body, "ina@ripen.example")

	// Without the page's token, or from another site: refused, nothing sent.
	form := url.Values{"persona": {"ops-lead"}, "locale": {"de"}}
	require.Equal(t, http.StatusForbidden, b.do("POST", "/console/content/automation-checklist/test", form, nil).status)
	withToken := url.Values{"persona": {"ops-lead"}, "locale": {"de"}, "form_token": {formTokenOf(t, pv.body)}}
	require.Equal(t, http.StatusForbidden, b.do("POST", "/console/content/automation-checklist/test", withToken,
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}).status)
	for _, m := range h.mailsTo("ina@ripen.example") {
		require.NotContains(t, m.Subject, "[Test]")
	}

	sent := b.post(page, "/console/content/automation-checklist/test", form)
	requireConsolePage(t, sent, 200)
	require.Contains(t, sent.body, "The test went to ina@ripen.example")
	mail := h.mailWith("ina@ripen.example", "[Test]")
	require.Equal(t, "[Test] Anna, Ihre Checkliste für die Automatisierung", mail.Subject)
	require.Equal(t, []string{"ina@ripen.example"}, mail.To)
	require.Contains(t, mail.HTML, "Hallo Anna Becker, Ihre Checkliste von Jonas Weber")
	require.Contains(t, mail.Text, "Hallo Anna, lesen Sie https://example.com/automation-checklist")
	require.Contains(t, mail.FromName, "Jonas Weber")
	require.Equal(t, "console-test", mail.CustomArgs["ripen_kind"], "the webhook counts no engagement of it")
	require.Empty(t, mail.CustomArgs["ripen_run"], "no run's send")

	// Again within the minute: refused, nothing more sent.
	again := b.post(page, "/console/content/automation-checklist/test", form)
	requireConsolePage(t, again, http.StatusTooManyRequests)
	require.Contains(t, again.body, "less than a minute ago")
	n := 0
	for _, m := range h.mailsTo("ina@ripen.example") {
		if strings.HasPrefix(m.Subject, "[Test]") {
			n++
		}
	}
	require.Equal(t, 1, n)

	// It is no send of a journey: no run.
	var runs struct{ Runs []any }
	h.json("GET", "/v1/runs", "marketing", nil, 200, &runs)
	require.Empty(t, runs.Runs)
}

func TestConsolePreviewShowsTheSenderOfTheChosenJourney(t *testing.T) {
	h := newHarness(t)
	h.seed()
	company := strings.Replace(testJourney, "id: erp-automation-crosssell", "id: company-voice\nsender: company", 1)
	h.json("PUT", "/v1/journeys/company-voice", "marketing", company, 201, nil)
	b := h.consoleBrowser()
	b.signInWithKey(h.keys["marketing"])
	const page = "/console/content/automation-checklist?persona=ops-lead&locale=en"

	// No journey: the default sender, in the owner's name, and the page
	// says which default it is.
	def := b.get(page)
	requireConsolePage(t, def, 200)
	require.Contains(t, def.body, `<option value="" selected>No journey (the default sender)</option>`)
	require.Contains(t, def.body, `<option value="company-voice">`, "the journeys that send the content")
	require.Regexp(t, `<dd class="from">Sam Taylor via [^<]*&lt;`, def.body)
	require.Contains(t, def.body, `<dd class="replyto">Sam Taylor &lt;sam.taylor@example.com&gt;</dd>`)
	require.Contains(t, def.body, "No journey chosen: this is the default sender")

	// A journey with the owner's voice sends as the owner, Reply-To them.
	owner := b.get(page + "&journey=erp-automation-crosssell")
	requireConsolePage(t, owner, 200)
	require.Regexp(t, `<dd class="from">Sam Taylor via [^<]*&lt;`, owner.body)
	require.Contains(t, owner.body, "sam.taylor@example.com")
	require.Contains(t, owner.body, "Journey erp-automation-crosssell sends in the account owner&#39;s name")
	require.Contains(t, owner.body, "journey=erp-automation-crosssell", "the frame and the test keep the journey")

	// One in the company's voice: the configured sender, no Reply-To, as
	// a send of it would be.
	co := b.get(page + "&journey=company-voice")
	requireConsolePage(t, co, 200)
	from := co.body[strings.Index(co.body, `<dd class="from">`):]
	from = from[:strings.Index(from, "</dd>")]
	require.NotContains(t, from, "Sam Taylor")
	require.Contains(t, co.body, `<dd class="replyto"><span class="muted">none`)
	require.Contains(t, co.body, "sends in the company&#39;s name (sender: company)")

	requireConsolePage(t, b.get(page+"&journey=no-such-journey"), http.StatusUnprocessableEntity)
}
