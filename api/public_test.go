package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// Helpers for the public links, shared by the webhook and browser tests.

const linkJourney = "erp-automation-crosssell"

// enrolForLinks seeds the test data (acme has a German contact), enrols
// acme and returns its first email.
func (h *harness) enrolForLinks() sendgriddev.Message {
	h.t.Helper()
	h.seed()
	return h.enrolAndFirstMail("acme")
}

// enrolAndFirstMail enrols customers in the test journey and returns the
// first email to acme.
func (h *harness) enrolAndFirstMail(customers ...string) sendgriddev.Message {
	h.t.Helper()
	h.json("POST", "/v1/journeys/"+linkJourney+"/enrollments", "marketing", map[string]any{"customer_ids": customers}, 200, nil)
	h.eventually("the first email to max@acme.example", func() bool { return len(h.mailsTo("max@acme.example")) > 0 })
	return h.mailsTo("max@acme.example")[0]
}

// mailsTo lists the local SendGrid's messages to addr, oldest first.
func (h *harness) mailsTo(addr string) []sendgriddev.Message {
	var out []sendgriddev.Message
	for _, m := range h.stack.SendGrid.Messages() {
		for _, to := range m.To {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

// mailLinks are an email's public links.
type mailLinks struct {
	tracked     []string          // /r/
	hidden      string            // /r/ too: the link only machines follow
	fastLane    map[string]string // offer → /f/ link
	unsubscribe string            // /u/ from List-Unsubscribe
}

func (h *harness) linksOf(msg sendgriddev.Message) mailLinks {
	h.t.Helper()
	ls := mailLinks{fastLane: map[string]string{}}
	for _, l := range sendgriddev.Links(msg.HTML) {
		switch {
		case strings.HasPrefix(l, h.stack.APIURL+"/r/"):
			c, err := h.stack.Links.Verify(strings.TrimPrefix(l, h.stack.APIURL+"/r/"), time.Now())
			require.NoError(h.t, err)
			if c.Kind == linktoken.KindTrap {
				ls.hidden = l
				continue
			}
			ls.tracked = append(ls.tracked, l)
		case strings.HasPrefix(l, h.stack.APIURL+"/f/"):
			c, err := h.stack.Links.Verify(strings.TrimPrefix(l, h.stack.APIURL+"/f/"), time.Now())
			require.NoError(h.t, err)
			ls.fastLane[c.Target] = l
		}
	}
	ls.unsubscribe = strings.Trim(msg.Headers["List-Unsubscribe"], "<>")
	require.True(h.t, strings.HasPrefix(ls.unsubscribe, h.stack.APIURL+"/u/"), "List-Unsubscribe: %q", msg.Headers["List-Unsubscribe"])
	require.NotEmpty(h.t, ls.tracked, "the email has tracked links")
	return ls
}

// signLink makes a link token as the sender would, for acme's run.
func (h *harness) signLink(kind, target string, expires time.Time) string {
	h.t.Helper()
	tok, err := h.stack.Links.Sign(linktoken.Claims{
		Kind: kind, RunID: "ripen/" + linkJourney + "/acme", ContactID: "acme-max", Step: "checklist", Target: target, Expires: expires,
	})
	require.NoError(h.t, err)
	return h.stack.APIURL + "/" + kind + "/" + tok
}

// linkRun is the part of a run's state these tests look at.
type linkRun struct {
	Status          string  `json:"status"`
	Outcome         *string `json:"outcome"`
	Stage           string  `json:"stage"`
	Score           float64 `json:"score"`
	Seq             int     `json:"seq"`
	PendingFastLane bool    `json:"pending_fast_lane"`
	FastLane        *struct {
		Offer string `json:"offer"`
		Note  string `json:"note"`
	} `json:"fast_lane"`
	Engagements []struct {
		EventID string `json:"event_id"`
		Kind    string `json:"kind"`
		StepID  string `json:"step_id"`
	} `json:"engagements"`
}

func (h *harness) linkRun(customer string) linkRun {
	h.t.Helper()
	var st linkRun
	h.json("GET", "/v1/journeys/"+linkJourney+"/runs/"+customer, "sales", nil, 200, &st)
	return st
}

func (r linkRun) engagements(kind string) int {
	n := 0
	for _, e := range r.Engagements {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// browse is a client that shows redirects instead of following them.
var browse = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type pageResponse struct {
	status int
	header http.Header
	body   string
}

func fetch(t *testing.T, method, link string, form url.Values, header map[string]string) pageResponse {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, link, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := browse.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return pageResponse{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

var formTokenRE = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

func formTokenOf(t *testing.T, html string) string {
	t.Helper()
	m := formTokenRE.FindStringSubmatch(html)
	require.NotNil(t, m, "the page has a form token: %s", html)
	return m[1]
}

func (h *harness) storedEvents(customer, kind string) []store.Event {
	h.t.Helper()
	var out []store.Event
	for _, e := range storetest.Events(h.t, h.stack.Store, customer) {
		if e.Type == kind {
			out = append(out, e)
		}
	}
	return out
}

func requireHTMLPage(t *testing.T, p pageResponse, status int, lang string) {
	t.Helper()
	require.Equal(t, status, p.status, p.body)
	require.Equal(t, "text/html; charset=utf-8", p.header.Get("Content-Type"))
	require.Contains(t, p.body, `<html lang="`+lang+`">`)
	require.Empty(t, p.header.Get("Location"), "no redirect")
	require.Contains(t, p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
}

// Tracked links.

func TestTrackedLinkCountsOneClickAndRedirectsOnlyWhenSigned(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	link := h.linksOf(msg).tracked[0]

	// Forged, altered and expired links lead nowhere and count nothing.
	ls := h.linksOf(msg)
	good := link
	token := strings.TrimPrefix(good, h.stack.APIURL+"/r/")
	i := len(token) / 2
	flipped := "A"
	if token[i] == 'A' {
		flipped = "B"
	}
	cases := map[string]string{
		"tampered":                     h.stack.APIURL + "/r/" + token[:i] + flipped + token[i+1:],
		"truncated":                    good[:len(good)-3],
		"garbled":                      h.stack.APIURL + "/r/not-a-token",
		"expired":                      h.signLink("r", "https://example.com/automation-checklist", time.Now().Add(-time.Hour)),
		"an unsubscribe token":         h.stack.APIURL + "/r/" + strings.TrimPrefix(ls.unsubscribe, h.stack.APIURL+"/u/"),
		"a target that is no web page": h.signLink("r", "javascript:alert(1)", time.Now().Add(time.Hour)),
	}
	for name, link := range cases {
		t.Run(name, func(t *testing.T) {
			p := fetch(t, "GET", link, nil, nil)
			requireHTMLPage(t, p, http.StatusNotFound, "en")
			require.Contains(t, p.body, "This link is not valid")
		})
	}
	t.Run("in the browser's language", func(t *testing.T) {
		p := fetch(t, "GET", h.stack.APIURL+"/r/not-a-token", nil, map[string]string{"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
		requireHTMLPage(t, p, http.StatusNotFound, "de")
		require.Contains(t, p.body, "Dieser Link ist ungültig")
	})
	require.Empty(t, h.storedEvents("acme", "click"), "no click was recorded")
	require.Zero(t, h.linkRun("acme").engagements("click"))

	// A good one counts once and leads to the content.

	for range 2 { // a double click counts once
		p := fetch(t, "GET", link, nil, nil)
		require.Equal(t, http.StatusSeeOther, p.status, p.body)
		require.Equal(t, "https://example.com/automation-checklist", p.header.Get("Location"))
	}

	// The click ends wait-1 early, skips the reminder and sends the case study.
	h.eventually("the case study after the click", func() bool { return len(h.mailsTo("max@acme.example")) == 2 })
	require.Equal(t, "Max, about erp-automation-case-study", h.mailsTo("max@acme.example")[1].Subject)
	run := h.linkRun("acme")
	require.Equal(t, 1, run.engagements("click"), "%+v", run.Engagements)
	require.Equal(t, "checklist", run.Engagements[0].StepID)
	require.InDelta(t, 10, run.Score, 0.01)

	clicks := h.storedEvents("acme", "click")
	require.Len(t, clicks, 1)
	require.Equal(t, "acme-max", clicks[0].ContactID)
	require.Equal(t, "ripen/"+linkJourney+"/acme", clicks[0].RunID)
	require.Equal(t, "checklist", clicks[0].Step)
	require.Equal(t, "automation-checklist", clicks[0].ContentID)
	require.Equal(t, "process-automation", clicks[0].Topic)
	require.Equal(t, "https://example.com/automation-checklist", clicks[0].URL)
}

// Fast lane.

func TestFastLaneGetShowsTheOfferInTheContactsLanguageAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.customer("globex", "anna@globex.example", "en")
	msg := h.enrolAndFirstMail("acme", "globex")
	demo := h.linksOf(msg).fastLane["demo"]
	require.NotEmpty(t, demo, "the email offers a demo")
	before := h.linkRun("acme")

	p := fetch(t, "GET", demo, nil, nil)
	requireHTMLPage(t, p, http.StatusOK, "de")
	require.Contains(t, p.body, "<h1>Demo vereinbaren</h1>")
	require.Contains(t, p.body, "Hallo Max,")
	require.Contains(t, p.body, "Eva Berger")
	require.Contains(t, p.body, `<label for="note">`)
	require.Contains(t, p.body, `<textarea id="note" name="note"`)
	require.Contains(t, p.body, `maxlength="2000"`)
	require.Equal(t, 1, strings.Count(p.body, "<form"))
	require.Contains(t, p.body, `<button type="submit">Anfrage bestätigen</button>`)
	require.Equal(t, "no-store", p.header.Get("Cache-Control"))

	h.eventually("globex's first email", func() bool { return len(h.mailsTo("anna@globex.example")) > 0 })
	english := fetch(t, "GET", h.linksOf(h.mailsTo("anna@globex.example")[0]).fastLane["demo"], nil, nil)
	requireHTMLPage(t, english, http.StatusOK, "en")
	require.Contains(t, english.body, "<h1>Book a demo</h1>")
	require.Contains(t, english.body, "Confirm request")

	// An expired link explains itself and counts nothing either.
	expired := h.signLink("f", "demo", time.Now().Add(-time.Minute))
	for _, method := range []string{"GET", "POST"} {
		p := fetch(t, method, expired, url.Values{"note": {"hello"}}, nil)
		requireHTMLPage(t, p, http.StatusGone, "de")
		require.Contains(t, p.body, "Dieser Link ist abgelaufen")
		require.Contains(t, p.body, "Eva Berger")
		require.Contains(t, p.body, `href="mailto:eva@seller.example"`)
	}

	time.Sleep(500 * time.Millisecond) // room for a signal that must not come
	after := h.linkRun("acme")
	require.Equal(t, before.Seq, after.Seq, "no signal reached the run")
	require.Nil(t, after.FastLane)
	require.False(t, after.PendingFastLane)
	require.Equal(t, "nurturing", after.Stage)
	require.Empty(t, h.storedEvents("acme", "fast-lane"))
}

func TestFastLanePostHandsOffOnceWithTheNote(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	ls := h.linksOf(msg)
	demo := ls.fastLane["demo"]
	page := fetch(t, "GET", demo, nil, nil)
	require.Equal(t, http.StatusOK, page.status)
	formToken := formTokenOf(t, page.body)
	otherToken := formTokenOf(t, fetch(t, "GET", ls.fastLane["consultation"], nil, nil).body)
	const note = "Bitte nach 14 Uhr anrufen."

	refused := map[string]struct {
		form   url.Values
		header map[string]string
	}{
		"without a form token":           {url.Values{"note": {note}}, nil},
		"with a wrong form token":        {url.Values{"note": {note}, "form_token": {"x" + formToken[1:]}}, nil},
		"with another link's form token": {url.Values{"note": {note}, "form_token": {otherToken}}, nil},
		"from another site":              {url.Values{"note": {note}, "form_token": {formToken}}, map[string]string{"Origin": "https://evil.example"}},
		"from another site, by Fetch":    {url.Values{"note": {note}, "form_token": {formToken}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		"from another site, by Referer":  {url.Values{"note": {note}, "form_token": {formToken}}, map[string]string{"Referer": "https://evil.example/page"}},
	}
	for name, c := range refused {
		t.Run(name, func(t *testing.T) {
			p := fetch(t, "POST", demo, c.form, c.header)
			requireHTMLPage(t, p, http.StatusForbidden, "de")
			require.Contains(t, p.body, "Das Formular konnte nicht gesendet werden")
		})
	}
	t.Run("with a note that is too long", func(t *testing.T) {
		p := fetch(t, "POST", demo, url.Values{"note": {strings.Repeat("ä", 2001)}, "form_token": {formToken}}, nil)
		requireHTMLPage(t, p, http.StatusUnprocessableEntity, "de")
		require.Contains(t, p.body, `role="alert"`)
	})
	require.Nil(t, h.linkRun("acme").FastLane, "nothing reached the run")

	for range 2 { // a double submit counts once
		p := fetch(t, "POST", demo, url.Values{"note": {note}, "form_token": {formToken}},
			map[string]string{"Origin": h.stack.APIURL, "Sec-Fetch-Site": "same-origin"})
		requireHTMLPage(t, p, http.StatusOK, "de")
		require.Contains(t, p.body, "Vielen Dank!")
		require.Contains(t, p.body, "Eva Berger hat Ihre Anfrage (Demo vereinbaren) erhalten")
	}

	type handoff struct {
		ID, Reason, Offer, Note, CustomerID string
	}
	var open struct {
		Handoffs []struct {
			ID         string `json:"id"`
			Reason     string `json:"reason"`
			Offer      string `json:"offer"`
			Note       string `json:"note"`
			CustomerID string `json:"customer_id"`
		} `json:"handoffs"`
	}
	h.eventually("an open hand-off", func() bool {
		h.json("GET", "/v1/handoffs?status=open", "sales", nil, 200, &open)
		return len(open.Handoffs) > 0
	})
	h.eventually("the hand-off email to the owner", func() bool { return len(h.mailsTo("eva@seller.example")) > 0 })
	h.json("GET", "/v1/handoffs?status=open", "sales", nil, 200, &open)
	require.Len(t, open.Handoffs, 1)
	got := open.Handoffs[0]
	require.Equal(t, handoff{Reason: "fast-lane", Offer: "demo", Note: note, CustomerID: "acme"},
		handoff{Reason: got.Reason, Offer: got.Offer, Note: got.Note, CustomerID: got.CustomerID})
	stored := h.storedEvents("acme", "fast-lane")
	require.Len(t, stored, 1)
	require.Equal(t, note, stored[0].Note, "the note is kept in Postgres")
	run := h.linkRun("acme")
	require.NotNil(t, run.FastLane)
	require.Empty(t, run.FastLane.Note, "and stays out of workflow history")
	require.Len(t, h.mailsTo("eva@seller.example"), 1)
	require.Contains(t, h.mailsTo("eva@seller.example")[0].Text, note, "the owner reads the note")
	require.Equal(t, "handoff", run.Stage)
}

// Unsubscribe.

func TestOneClickUnsubscribeSuppressesAndStopsTheRun(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	require.Equal(t, "List-Unsubscribe=One-Click", msg.Headers["List-Unsubscribe-Post"])
	unsub := h.linksOf(msg).unsubscribe

	confirm := fetch(t, "GET", unsub, nil, nil)
	requireHTMLPage(t, confirm, http.StatusOK, "de")
	require.Contains(t, confirm.body, "max@acme.example")
	require.Contains(t, confirm.body, `<button type="submit">Abmelden</button>`)

	refused := fetch(t, "POST", unsub, url.Values{"confirm": {"yes"}}, nil)
	requireHTMLPage(t, refused, http.StatusForbidden, "de")
	suppressed, err := h.stack.Store.IsSuppressed(context.Background(), "max@acme.example")
	require.NoError(t, err)
	require.False(t, suppressed, "a form without its token changes nothing")

	// RFC 8058: the mail provider posts exactly this, with no token.
	req, err := http.NewRequest("POST", unsub, strings.NewReader("List-Unsubscribe=One-Click"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := browse.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), "Sie sind abgemeldet")

	suppressed, err = h.stack.Store.IsSuppressed(context.Background(), "max@acme.example")
	require.NoError(t, err)
	require.True(t, suppressed)
	h.eventually("the run ends as unsubscribed", func() bool {
		run := h.linkRun("acme")
		return run.Status == "completed" && run.Outcome != nil && *run.Outcome == "unsubscribed"
	})

	var res struct {
		Results []struct {
			Status string `json:"status"`
		} `json:"results"`
	}
	h.json("POST", "/v1/journeys/"+linkJourney+"/enrollments", "marketing", map[string]any{"customer_ids": []string{"acme"}}, 200, &res)
	require.Equal(t, "suppressed", res.Results[0].Status)

	// Unsubscribing always works, with an expired link too, and again, also
	// from a client that leaves out the Content-Type.
	expired := h.signLink("u", "", time.Now().Add(-24*time.Hour))
	p := fetch(t, "GET", expired, nil, nil)
	requireHTMLPage(t, p, http.StatusOK, "de")
	resp, err = browse.Post(expired, "", strings.NewReader("List-Unsubscribe=One-Click"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	time.Sleep(time.Second)
	require.Len(t, h.mailsTo("max@acme.example"), 1, "no email after unsubscribing")
}

func TestUnsubscribeFormWithItsToken(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	unsub := h.linksOf(msg).unsubscribe
	confirm := fetch(t, "GET", unsub, nil, nil)
	p := fetch(t, "POST", unsub, url.Values{"form_token": {formTokenOf(t, confirm.body)}}, map[string]string{"Origin": h.stack.APIURL})
	requireHTMLPage(t, p, http.StatusOK, "de")
	require.Contains(t, p.body, "Wir senden keine dieser E-Mails mehr an max@acme.example.")
	h.eventually("the run ends as unsubscribed", func() bool {
		run := h.linkRun("acme")
		return run.Outcome != nil && *run.Outcome == "unsubscribed"
	})
}

func TestUnsubscribeStopsEveryRunOfTheCustomer(t *testing.T) {
	h := newHarness(t)
	h.seed()
	upsell := strings.Replace(strings.Replace(testJourney, "id: "+linkJourney, "id: erp-upsell", 1),
		"offer: {kind: cross-sell, product: automation-suite}", "offer: {kind: upsell, product: automation-suite-pro}", 1)
	h.json("PUT", "/v1/journeys/erp-upsell", "marketing", upsell, 201, nil)
	msg := h.enrolAndFirstMail("acme")
	h.json("POST", "/v1/journeys/erp-upsell/enrollments", "marketing", map[string]any{"customer_ids": []string{"acme"}}, 200, nil)
	h.eventually("both journeys mailed Max", func() bool { return len(h.mailsTo("max@acme.example")) == 2 })

	// One-click unsubscribe from the first journey's email.
	resp, err := browse.Post(h.linksOf(msg).unsubscribe, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	for _, journey := range []string{linkJourney, "erp-upsell"} {
		h.eventually(journey+" ends as unsubscribed", func() bool { return h.runOf(journey, "acme").unsubscribed() })
	}
}

// seatsJourney listens for interest in the topic of linkJourney's content:
// one event is enough to enrol.
const seatsJourney = `id: automation-seats
name: More automation seats
offer: {kind: upsell, product: automation-seats}
persona: ops-lead
detector: {topics: [process-automation], min_events: 1, within: 14d}
scoring: {points: {click: 10}, half_life: 30d}
mqn: {threshold: 100}
steps:
  - {id: seats, send: erp-automation-case-study}
  - {id: wait, wait: 30d}
`

func TestAClickInOneJourneysEmailFeedsTheDetectorsOfOthers(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	h.json("PUT", "/v1/journeys/automation-seats", "marketing", seatsJourney, 201, nil)

	p := fetch(t, "GET", h.linksOf(msg).tracked[0], nil, nil)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)

	var seats linkRun
	h.eventually("the click enrolled acme in the seats journey", func() bool {
		code, body := h.do("GET", "/v1/journeys/automation-seats/runs/acme", "sales", nil)
		return code == http.StatusOK && json.Unmarshal(body, &seats) == nil && seats.engagements("click") == 1
	})
	require.Empty(t, seats.Engagements[0].StepID, "a step names an email of the run that sent it, not of this one")
	require.Equal(t, 1, h.linkRun("acme").engagements("click"), "the sending run counts the click once")
}

// A contact who confirms a fast-lane link after its journey ended is still
// heard: the owner gets a hand-off without a run, and the page thanks them.
func TestFastLaneAfterTheRunEndedIsHandedOffWithoutARun(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	demo := h.linksOf(msg).fastLane["demo"]
	workflowID := "ripen/" + linkJourney + "/acme"
	h.json("POST", "/v1/journeys/"+linkJourney+"/runs/acme/signals", "marketing", map[string]any{"type": "stop"}, 202, nil)
	h.waitClosed(workflowID)

	formToken := formTokenOf(t, fetch(t, "GET", demo, nil, nil).body)
	for range 2 { // a double submit is one request
		p := fetch(t, "POST", demo, url.Values{"note": {"Bitte anrufen."}, "form_token": {formToken}},
			map[string]string{"Origin": h.stack.APIURL, "Sec-Fetch-Site": "same-origin"})
		requireHTMLPage(t, p, http.StatusOK, "de")
		require.Contains(t, p.body, "Eva Berger hat Ihre Anfrage (Demo vereinbaren) erhalten")
	}
	var open struct {
		Handoffs []struct {
			JourneyID  *string `json:"journey_id"`
			WorkflowID *string `json:"workflow_id"`
			Reason     string  `json:"reason"`
			CustomerID string  `json:"customer_id"`
		} `json:"handoffs"`
	}
	h.eventually("a hand-off without a run", func() bool {
		h.json("GET", "/v1/handoffs?status=open&customer=acme", "sales", nil, 200, &open)
		return len(open.Handoffs) > 0
	})
	require.Len(t, open.Handoffs, 1, "one hand-off for the request, however often it was sent")
	require.Nil(t, open.Handoffs[0].JourneyID)
	require.Nil(t, open.Handoffs[0].WorkflowID)
	require.Equal(t, "fast-lane", open.Handoffs[0].Reason)
}
